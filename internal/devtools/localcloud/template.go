package localcloud

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zocket/agent/internal/devtools/cfn"
)

// Managed CloudFront policies the local distribution knows how to apply.
const (
	cachingDisabled           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	cachingOptimized          = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	allViewerExceptHostHeader = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
	allViewer                 = "216adef6-5c7f-47e4-b989-5492eafa07d3"
)

// Lambda's defaults for a function that does not say.
const (
	defaultTimeout  = 3 * time.Second
	defaultMemoryMB = 128
)

// stack is a template read for the local stack: every piece resolved with
// the local stack's names. Addresses are AWS-shaped (execute-api,
// lambda-url, cloudfront.net domains); Start maps them to its listeners.
type stack struct {
	name, region, account string
	table                 *tableSpec
	bucket                string // the bucket's name ("" without one)
	functions             []*function
	api                   *apiSpec
	dist                  *distSpec
	outputs               map[string]string
	// hosts are the AWS domains of the API, the Function URLs and the
	// distribution, by the logical ID of what serves them.
	hosts map[string]string
}

type tableSpec struct {
	logicalID, name string
	properties      map[string]any // resolved
}

// function is one AWS::Serverless::Function.
type function struct {
	logicalID, name, arn string
	logGroup             string // its LoggingConfig.LogGroup, or Lambda's
	env                  map[string]string
	timeout              time.Duration
	memoryMB             int
	reserved             int // reserved concurrency; -1 when none
	routes               []route
	url                  *urlSpec
}

// route is one HttpApi event of a function: "GET /api/items/{id}".
type route struct {
	method, path string
	api          string // the ApiId it names
}

func (r route) key() string { return r.method + " " + r.path }

type apiSpec struct {
	logicalID, id, domain, stage string
	cors                         *corsConfig
}

// urlSpec is a function's FunctionUrlConfig.
type urlSpec struct {
	logicalID, id, domain string // logicalID is the SAM-generated <Function>Url
	stream                bool   // InvokeMode RESPONSE_STREAM
	cors                  *corsConfig
}

type distSpec struct {
	logicalID, domain string
	origins           map[string]*originSpec
	behaviors         []behaviorSpec // in order; the default behavior last, with pattern "*"
}

type originSpec struct {
	id, domain, path string
	headers          [][2]string // OriginCustomHeaders, resolved
	readTimeout      time.Duration
}

type behaviorSpec struct {
	pattern, origin string
	methods         []string
	dropHost        bool // AllViewerExceptHostHeader
	cache           bool // CachingOptimized: see cdnCache
	viewerRequest   viewerFunc
}

// viewerFunc is the effect of a CloudFront Function on a viewer request.
type viewerFunc func(r *http.Request)

// knownFunctions are the CloudFront Functions the local distribution runs,
// by their code with all white space removed: JavaScript is not run here,
// so a function whose code is not listed fails the start.
var knownFunctions = map[string]viewerFunc{
	// Tells the origin the host the client used.
	"functionhandler(event){varrequest=event.request;request.headers['x-forwarded-host']={value:request.headers.host.value};returnrequest;}": func(r *http.Request) {
		r.Header.Set("X-Forwarded-Host", r.Host)
	},
}

// stackConfig is what a template is read with.
type stackConfig struct {
	name, region, account string
	parameters            map[string]string
	ssm                   func(name string) (value string, secure bool, ok bool)
}

// readStack reads t for the local stack.
func readStack(t *cfn.Template, cfg stackConfig) (*stack, error) {
	s := &stack{name: cfg.name, region: cfg.region, account: cfg.account, outputs: map[string]string{}, hosts: map[string]string{}}
	params, err := cfn.ParameterValues(t, cfg.parameters)
	if err != nil {
		return nil, err
	}
	v := cfn.Values{Parameters: params, Refs: map[string]any{}, Attributes: map[string]any{}, SSM: cfg.ssm}
	v.Refs["AWS::Region"] = cfg.region
	v.Refs["AWS::AccountId"] = cfg.account
	v.Refs["AWS::Partition"] = "aws"
	v.Refs["AWS::URLSuffix"] = "amazonaws.com"
	v.Refs["AWS::StackName"] = cfg.name
	v.Refs["AWS::StackId"] = fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%s", cfg.region, cfg.account, cfg.name, shortID(cfg.name, "stack", 32))

	ids := slices.Sorted(maps.Keys(t.Resources))
	// Names first: any resource may refer to any other.
	names := map[string]string{} // what Ref gives, by logical ID
	for _, id := range ids {
		res := t.Resources[id]
		attr := func(name, value string) { v.Attributes[id+"."+name] = value }
		switch res.Type {
		case "AWS::DynamoDB::Table":
			names[id] = cfg.name + "-" + id
			attr("Arn", fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", cfg.region, cfg.account, names[id]))
		case "AWS::S3::Bucket":
			names[id] = strings.ToLower(cfg.name + "-" + id)
			attr("Arn", "arn:aws:s3:::"+names[id])
			attr("DomainName", names[id]+".s3.amazonaws.com")
			attr("RegionalDomainName", fmt.Sprintf("%s.s3.%s.amazonaws.com", names[id], cfg.region))
		case "AWS::Serverless::Function":
			names[id] = cfg.name + "-" + id
			arn := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", cfg.region, cfg.account, names[id])
			attr("Arn", arn)
			if _, ok := res.Properties["FunctionUrlConfig"]; ok {
				urlID := shortID(cfg.name, id+"Url", 32)
				domain := fmt.Sprintf("%s.lambda-url.%s.on.aws", urlID, cfg.region)
				v.Refs[id+"Url"] = arn
				v.Attributes[id+"Url.FunctionUrl"] = "https://" + domain + "/"
				v.Attributes[id+"Url.FunctionArn"] = arn
				s.hosts[id] = domain
			}
		case "AWS::Serverless::HttpApi":
			names[id] = shortID(cfg.name, id, 10)
			domain := fmt.Sprintf("%s.execute-api.%s.amazonaws.com", names[id], cfg.region)
			attr("ApiId", names[id])
			attr("ApiEndpoint", "https://"+domain)
			s.hosts[id] = domain
		case "AWS::CloudFront::Distribution":
			names[id] = "E" + strings.ToUpper(shortID(cfg.name, id, 13))
			domain := "d" + shortID(cfg.name, id+"domain", 13) + ".cloudfront.net"
			attr("Id", names[id])
			attr("DomainName", domain)
			s.hosts[id] = domain
		case "AWS::CloudFront::Function":
			names[id] = fmt.Sprintf("arn:aws:cloudfront::%s:function/%s-%s", cfg.account, cfg.name, id)
			attr("FunctionARN", names[id])
			attr("FunctionMetadata.FunctionARN", names[id])
		case "AWS::Logs::LogGroup":
			// Named once the evaluator can read its LogGroupName (below).
		case "AWS::SNS::Topic":
			names[id] = fmt.Sprintf("arn:aws:sns:%s:%s:%s-%s", cfg.region, cfg.account, cfg.name, id)
			attr("TopicArn", names[id])
			attr("TopicName", cfg.name+"-"+id)
		case "AWS::SNS::Subscription":
			names[id] = fmt.Sprintf("arn:aws:sns:%s:%s:%s-%s:%s", cfg.region, cfg.account, cfg.name, id, shortID(cfg.name, id, 36))
		case "AWS::CloudWatch::Alarm":
			names[id] = cfg.name + "-" + id
			attr("Arn", fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", cfg.region, cfg.account, names[id]))
		case "AWS::CloudWatch::Dashboard":
			names[id] = cfg.name + "-" + id
		}
		if name, ok := names[id]; ok {
			v.Refs[id] = name
		}
	}
	r := &reader{Evaluator: cfn.NewEvaluator(t, v), names: names, attrs: v.Attributes}
	for _, id := range ids {
		if t.Resources[id].Type != "AWS::Logs::LogGroup" {
			continue
		}
		name := cfg.name + "-" + id
		if n, ok := t.Resources[id].Properties["LogGroupName"]; ok {
			if name, err = r.String("Resources."+id+".Properties.LogGroupName", n); err != nil {
				return nil, err
			}
		}
		names[id], v.Refs[id] = name, name
		v.Attributes[id+".Arn"] = fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:*", cfg.region, cfg.account, name)
	}

	globals, _ := t.Globals["Function"].(map[string]any)
	for _, id := range ids {
		res := t.Resources[id]
		if res.Condition != "" {
			on, err := r.Condition(res.Condition)
			if err != nil {
				return nil, fmt.Errorf("resource %s: %w", id, err)
			}
			if !on {
				continue
			}
		}
		var err error
		switch res.Type {
		case "AWS::DynamoDB::Table":
			if s.table != nil {
				return nil, fmt.Errorf("resource %s: the local stack has one table, and %s is one already", id, s.table.logicalID)
			}
			props, err := r.Eval("Resources."+id+".Properties", res.Properties)
			if err != nil {
				return nil, err
			}
			s.table = &tableSpec{logicalID: id, name: names[id], properties: props.(map[string]any)}
		case "AWS::S3::Bucket":
			if s.bucket != "" {
				return nil, fmt.Errorf("resource %s: the local stack has one bucket", id)
			}
			s.bucket = names[id]
		case "AWS::Serverless::Function":
			var fn *function
			if fn, err = readFunction(r, id, res, globals, s.hosts[id]); err == nil {
				s.functions = append(s.functions, fn)
			}
		case "AWS::Serverless::HttpApi":
			if s.api != nil {
				return nil, fmt.Errorf("resource %s: the local stack serves one HttpApi, and %s is one already", id, s.api.logicalID)
			}
			s.api, err = readAPI(r, id, res, s.hosts[id])
		case "AWS::CloudFront::Distribution":
			if s.dist != nil {
				return nil, fmt.Errorf("resource %s: the local stack serves one distribution", id)
			}
			s.dist, err = readDistribution(r, t, id, res, s.hosts[id])
		case "AWS::CloudFront::Function":
			// Read where a behavior uses it.
		case "AWS::Logs::LogGroup":
			// Its functions' lines are kept under its name (Cloud.LogGroups);
			// retention is not emulated.
		case "AWS::SNS::Topic", "AWS::SNS::Subscription", "AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard":
			// CloudWatch's and SNS's: nothing runs them locally; the metrics
			// proof (package emfproof) checks what they watch against what
			// the functions emitted.
		default:
			return nil, fmt.Errorf("resource %s: type %s is not supported by the local stack", id, res.Type)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, fn := range s.functions {
		for _, rt := range fn.routes {
			if s.api == nil || rt.api != s.api.id {
				return nil, fmt.Errorf("function %s: route %s names ApiId %q, not the template's HttpApi", fn.logicalID, rt.key(), rt.api)
			}
		}
	}

	for name, o := range t.Outputs {
		m, ok := o.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("Outputs.%s: want a map", name)
		}
		if s.outputs[name], err = r.String("Outputs."+name+".Value", m["Value"]); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// reader evaluates a template's values with the local stack's names.
type reader struct {
	*cfn.Evaluator
	names map[string]string // what Ref gives a resource, by logical ID
	attrs map[string]any    // what Fn::GetAtt gives, by "Logical.Attribute"
}

func readFunction(r *reader, id string, res cfn.Resource, globals map[string]any, urlDomain string) (*function, error) {
	path := "Resources." + id + ".Properties"
	p := res.Properties
	prop := func(k string) (any, bool) {
		if v, ok := p[k]; ok {
			return v, true
		}
		v, ok := globals[k]
		return v, ok
	}
	fn := &function{logicalID: id, name: r.names[id], arn: r.attrs[id+".Arn"].(string), env: map[string]string{}, reserved: -1}
	fn.logGroup = "/aws/lambda/" + fn.name
	// LoggingConfig as SAM merges it from Globals: key by key.
	for _, src := range []map[string]any{globals, p} {
		lc, _ := src["LoggingConfig"].(map[string]any)
		if g, ok := lc["LogGroup"]; ok {
			name, err := r.String(path+".LoggingConfig.LogGroup", g)
			if err != nil {
				return nil, err
			}
			fn.logGroup = name
		}
	}
	if rt, _ := prop("Runtime"); rt != "provided.al2023" && rt != "provided.al2" {
		return nil, fmt.Errorf("%s.Runtime: %v: the local stack runs custom-runtime bootstraps only (provided.al2023)", path, rt)
	}
	if h, ok := prop("Handler"); ok && h != "bootstrap" {
		return nil, fmt.Errorf("%s.Handler: %v: want bootstrap", path, h)
	}
	if _, ok := p["Layers"]; ok {
		return nil, fmt.Errorf("%s.Layers: not supported by the local stack", path)
	}
	for _, src := range []map[string]any{globals, p} {
		envProp, _ := src["Environment"].(map[string]any)
		vars, _ := envProp["Variables"].(map[string]any)
		for k, v := range vars {
			x, err := r.Eval(path+".Environment.Variables."+k, v)
			if err != nil {
				return nil, err
			}
			if _, drop := x.(cfn.NoValue); drop {
				delete(fn.env, k)
				continue
			}
			s, err := cfn.AsString(path+".Environment.Variables."+k, x)
			if err != nil {
				return nil, err
			}
			fn.env[k] = s
		}
	}
	number := func(k string, def float64) (float64, error) {
		v, ok := prop(k)
		if !ok {
			return def, nil
		}
		s, err := r.String(path+"."+k, v)
		if err != nil {
			return 0, err
		}
		return strconv.ParseFloat(s, 64)
	}
	secs, err := number("Timeout", defaultTimeout.Seconds())
	if err != nil {
		return nil, err
	}
	fn.timeout = time.Duration(secs * float64(time.Second))
	mem, err := number("MemorySize", defaultMemoryMB)
	if err != nil {
		return nil, err
	}
	fn.memoryMB = int(mem)
	if v, ok := p["ReservedConcurrentExecutions"]; ok {
		x, err := r.Eval(path+".ReservedConcurrentExecutions", v)
		if err != nil {
			return nil, err
		}
		if _, none := x.(cfn.NoValue); !none {
			s, err := cfn.AsString(path+".ReservedConcurrentExecutions", x)
			if err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%s.ReservedConcurrentExecutions: %q is not a count", path, s)
			}
			fn.reserved = n
		}
	}
	evs, _ := p["Events"].(map[string]any)
	names := make([]string, 0, len(evs))
	for name := range evs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ev, _ := evs[name].(map[string]any)
		epath := path + ".Events." + name
		if ev["Type"] != "HttpApi" {
			return nil, fmt.Errorf("%s: event type %v is not supported by the local stack", epath, ev["Type"])
		}
		props, err := r.Eval(epath+".Properties", ev["Properties"])
		if err != nil {
			return nil, err
		}
		m, _ := props.(map[string]any)
		if _, ok := m["ApiId"]; !ok {
			return nil, fmt.Errorf("%s: an HttpApi event without ApiId (SAM's implicit API) is not supported by the local stack", epath)
		}
		for k := range m {
			if k != "ApiId" && k != "Method" && k != "Path" && k != "TimeoutInMillis" && k != "PayloadFormatVersion" {
				return nil, fmt.Errorf("%s.Properties.%s: not supported by the local stack", epath, k)
			}
		}
		if v, ok := m["PayloadFormatVersion"]; ok && v != "2.0" {
			return nil, fmt.Errorf("%s: payload format %v: the local stack sends 2.0 only", epath, v)
		}
		method, _ := m["Method"].(string)
		rpath, _ := m["Path"].(string)
		if method == "" || rpath == "" {
			return nil, fmt.Errorf("%s: want Method and Path", epath)
		}
		method = strings.ToUpper(method)
		if method == "*" {
			method = "ANY"
		}
		api, _ := m["ApiId"].(string)
		fn.routes = append(fn.routes, route{method: method, path: rpath, api: api})
	}
	if raw, ok := p["FunctionUrlConfig"]; ok {
		x, err := r.Eval(path+".FunctionUrlConfig", raw)
		if err != nil {
			return nil, err
		}
		m, _ := x.(map[string]any)
		if auth := m["AuthType"]; auth != "NONE" {
			return nil, fmt.Errorf("%s.FunctionUrlConfig.AuthType: %v: the local stack serves AuthType NONE only", path, auth)
		}
		u := &urlSpec{logicalID: id + "Url", id: strings.SplitN(urlDomain, ".", 2)[0], domain: urlDomain}
		switch mode := m["InvokeMode"]; mode {
		case "RESPONSE_STREAM":
			u.stream = true
		case nil, "BUFFERED":
		default:
			return nil, fmt.Errorf("%s.FunctionUrlConfig.InvokeMode: %v", path, mode)
		}
		if c, ok := m["Cors"]; ok {
			if u.cors, err = readCORS(path+".FunctionUrlConfig.Cors", c); err != nil {
				return nil, err
			}
		}
		fn.url = u
	}
	return fn, nil
}

func readAPI(r *reader, id string, res cfn.Resource, domain string) (*apiSpec, error) {
	path := "Resources." + id + ".Properties"
	props, err := r.Eval(path, res.Properties)
	if err != nil {
		return nil, err
	}
	p, _ := props.(map[string]any)
	for _, k := range []string{"Auth", "DefinitionBody", "DefinitionUri", "DisableExecuteApiEndpoint"} {
		if _, ok := p[k]; ok {
			return nil, fmt.Errorf("%s.%s: not supported by the local stack", path, k)
		}
	}
	a := &apiSpec{logicalID: id, id: r.names[id], domain: domain, stage: "$default"}
	if st, ok := p["StageName"].(string); ok && st != "" {
		a.stage = st
	}
	switch c := p["CorsConfiguration"].(type) {
	case nil:
	case bool:
		if c {
			a.cors = &corsConfig{AllowOrigins: []string{"*"}, AllowHeaders: []string{"*"}, AllowMethods: []string{"*"}}
		}
	default:
		if a.cors, err = readCORS(path+".CorsConfiguration", c); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// readCORS reads a resolved CorsConfiguration (HttpApi) or Cors
// (FunctionUrlConfig): both use these names.
func readCORS(path string, v any) (*corsConfig, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: want a map, got %v", path, v)
	}
	c := &corsConfig{}
	lists := map[string]*[]string{
		"AllowOrigins": &c.AllowOrigins, "AllowHeaders": &c.AllowHeaders,
		"AllowMethods": &c.AllowMethods, "ExposeHeaders": &c.ExposeHeaders,
	}
	for k, x := range m {
		switch k {
		case "MaxAge":
			s, err := cfn.AsString(path+".MaxAge", x)
			if err != nil {
				return nil, err
			}
			if c.MaxAge, err = strconv.Atoi(s); err != nil {
				return nil, fmt.Errorf("%s.MaxAge: %w", path, err)
			}
		case "AllowCredentials":
			b, ok := x.(bool)
			if !ok {
				return nil, fmt.Errorf("%s.AllowCredentials: want a boolean", path)
			}
			c.AllowCredentials = b
		default:
			dst, ok := lists[k]
			if !ok {
				return nil, fmt.Errorf("%s.%s: unknown CORS setting", path, k)
			}
			xs, ok := x.([]any)
			if !ok {
				return nil, fmt.Errorf("%s.%s: want a list", path, k)
			}
			for i, e := range xs {
				s, err := cfn.AsString(fmt.Sprintf("%s.%s[%d]", path, k, i), e)
				if err != nil {
					return nil, err
				}
				*dst = append(*dst, strings.TrimSpace(s))
			}
		}
	}
	return c, nil
}

func readDistribution(r *reader, t *cfn.Template, id string, res cfn.Resource, domain string) (*distSpec, error) {
	path := "Resources." + id + ".Properties.DistributionConfig"
	cfg, _ := res.Properties["DistributionConfig"].(map[string]any)
	if cfg == nil {
		return nil, fmt.Errorf("%s: missing", path)
	}
	d := &distSpec{logicalID: id, domain: domain, origins: map[string]*originSpec{}}
	origins, _ := cfg["Origins"].([]any)
	for i, o := range origins {
		opath := fmt.Sprintf("%s.Origins[%d]", path, i)
		x, err := r.Eval(opath, o)
		if err != nil {
			return nil, err
		}
		m, _ := x.(map[string]any)
		oid, _ := m["Id"].(string)
		dom, _ := m["DomainName"].(string)
		if oid == "" || dom == "" {
			return nil, fmt.Errorf("%s: want Id and DomainName", opath)
		}
		if _, ok := m["CustomOriginConfig"]; !ok {
			return nil, fmt.Errorf("%s: only custom origins are supported by the local stack", opath)
		}
		spec := &originSpec{id: oid, domain: dom, readTimeout: 30 * time.Second}
		spec.path, _ = m["OriginPath"].(string)
		coc, _ := m["CustomOriginConfig"].(map[string]any)
		if v, ok := coc["OriginReadTimeout"]; ok {
			s, err := cfn.AsString(opath+".CustomOriginConfig.OriginReadTimeout", v)
			if err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(s)
			if err != nil {
				return nil, fmt.Errorf("%s.CustomOriginConfig.OriginReadTimeout: %w", opath, err)
			}
			spec.readTimeout = time.Duration(n) * time.Second
		}
		hs, _ := m["OriginCustomHeaders"].([]any)
		for _, h := range hs {
			hm, _ := h.(map[string]any)
			name, _ := hm["HeaderName"].(string)
			value, _ := hm["HeaderValue"].(string)
			if name == "" {
				return nil, fmt.Errorf("%s.OriginCustomHeaders: want HeaderName and HeaderValue", opath)
			}
			spec.headers = append(spec.headers, [2]string{name, value})
		}
		d.origins[oid] = spec
	}
	behaviors, _ := cfg["CacheBehaviors"].([]any)
	all := slices.Clone(behaviors)
	all = append(all, cfg["DefaultCacheBehavior"])
	for i, b := range all {
		bpath := fmt.Sprintf("%s.CacheBehaviors[%d]", path, i)
		if i == len(all)-1 {
			bpath = path + ".DefaultCacheBehavior"
		}
		m, _ := b.(map[string]any)
		if m == nil {
			return nil, fmt.Errorf("%s: missing", bpath)
		}
		spec, err := readBehavior(r, t, bpath, m, d)
		if err != nil {
			return nil, err
		}
		if i == len(all)-1 {
			spec.pattern = "*"
		}
		d.behaviors = append(d.behaviors, spec)
	}
	return d, nil
}

func readBehavior(r *reader, t *cfn.Template, path string, m map[string]any, d *distSpec) (behaviorSpec, error) {
	var b behaviorSpec
	b.pattern, _ = m["PathPattern"].(string)
	b.origin, _ = m["TargetOriginId"].(string)
	if _, ok := d.origins[b.origin]; !ok {
		return b, fmt.Errorf("%s.TargetOriginId: no origin %q", path, b.origin)
	}
	methods, err := r.Strings(path+".AllowedMethods", m["AllowedMethods"])
	if m["AllowedMethods"] == nil {
		methods, err = []string{"GET", "HEAD"}, nil
	}
	if err != nil {
		return b, err
	}
	b.methods = methods
	if _, ok := m["ForwardedValues"]; ok {
		return b, fmt.Errorf("%s.ForwardedValues: legacy cache settings are not supported by the local stack", path)
	}
	switch cp := m["CachePolicyId"]; cp {
	case cachingDisabled:
	case cachingOptimized:
		b.cache = true
	default:
		return b, fmt.Errorf("%s.CachePolicyId: %v: the local distribution supports CachingDisabled (%s) and CachingOptimized (%s) only", path, cp, cachingDisabled, cachingOptimized)
	}
	switch orp := m["OriginRequestPolicyId"]; orp {
	case allViewerExceptHostHeader:
		b.dropHost = true
	case allViewer:
	default:
		return b, fmt.Errorf("%s.OriginRequestPolicyId: %v: the local distribution supports AllViewerExceptHostHeader and AllViewer only", path, orp)
	}
	if _, ok := m["LambdaFunctionAssociations"]; ok {
		return b, fmt.Errorf("%s.LambdaFunctionAssociations: Lambda@Edge is not supported by the local stack", path)
	}
	assocs, _ := m["FunctionAssociations"].([]any)
	for i, a := range assocs {
		apath := fmt.Sprintf("%s.FunctionAssociations[%d]", path, i)
		am, _ := a.(map[string]any)
		if am["EventType"] != "viewer-request" {
			return b, fmt.Errorf("%s.EventType: %v: the local distribution runs viewer-request functions only", apath, am["EventType"])
		}
		arn, err := r.String(apath+".FunctionARN", am["FunctionARN"])
		if err != nil {
			return b, err
		}
		fnID := ""
		for id, res := range t.Resources {
			if res.Type == "AWS::CloudFront::Function" && r.names[id] == arn {
				fnID = id
			}
		}
		if fnID == "" {
			return b, fmt.Errorf("%s.FunctionARN: %s is no AWS::CloudFront::Function of the template", apath, arn)
		}
		code, _ := t.Resources[fnID].Properties["FunctionCode"].(string)
		f, ok := knownFunctions[strings.Join(strings.Fields(code), "")]
		if !ok {
			return b, fmt.Errorf("Resources.%s.Properties.FunctionCode: the local distribution does not run JavaScript; it knows what a few functions do, and not this one:\n%s", fnID, code)
		}
		b.viewerRequest = f
	}
	return b, nil
}

// shortID is a stable lower-case identifier of n characters for a resource
// of the stack, shaped like the ids AWS gives.
func shortID(stackName, logicalID string, n int) string {
	sum := sha256.Sum256([]byte(stackName + "/" + logicalID))
	s := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))
	return s[:min(n, len(s))]
}
