package localaws

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// SSM is a stand-in for AWS Systems Manager Parameter Store, as the Lambda
// hosts use it: GetParameter and GetParameters of the parameters Put in it,
// over the JSON 1.1 protocol the AWS SDK speaks. A SecureString read without
// WithDecryption answers an opaque ciphertext, as AWS does, not the value.
// It is safe for concurrent use.
type SSM struct {
	// Region and Account make the parameters' ARNs (defaults us-east-1 and
	// 123456789012).
	Region, Account string
	// Delay is how long each answer waits before it is written: the round
	// trip of a call to the real service, which a benchmark of start-up
	// must not leave out (zero: none).
	Delay time.Duration

	mu     sync.RWMutex
	params map[string]ssmParameter
}

type ssmParameter struct {
	value    string
	secure   bool
	version  int64
	modified time.Time
}

// NewSSM returns an empty parameter store.
func NewSSM() *SSM { return &SSM{params: map[string]ssmParameter{}} }

// Put stores value under name (a String, or a SecureString when secure),
// as a new version of it.
func (s *SSM) Put(name, value string, secure bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.params[name]
	s.params[name] = ssmParameter{value: value, secure: secure, version: p.version + 1, modified: time.Now()}
}

// Value returns the value stored under name, decrypted.
func (s *SSM) Value(name string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.params[name]
	return p.value, ok
}

// Secure reports whether the parameter called name is a SecureString.
func (s *SSM) Secure(name string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.params[name].secure
}

// ServeHTTP answers the SSM JSON 1.1 protocol.
func (s *SSM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonSSM.")
	if s.Delay > 0 {
		select {
		case <-time.After(s.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if r.Method != http.MethodPost {
		ssmError(w, http.StatusMethodNotAllowed, "UnknownOperationException", "SSM answers POST only")
		return
	}
	var in struct {
		Name           string
		Names          []string
		WithDecryption bool
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		ssmError(w, http.StatusBadRequest, "SerializationException", "cannot decode the request: "+err.Error())
		return
	}
	switch op {
	case "GetParameter":
		p, ok := s.parameter(in.Name, in.WithDecryption)
		if !ok {
			ssmError(w, http.StatusBadRequest, "ParameterNotFound", fmt.Sprintf("Parameter %s not found.", in.Name))
			return
		}
		ssmJSON(w, map[string]any{"Parameter": p})
	case "GetParameters":
		found, invalid := []map[string]any{}, []string{}
		for _, name := range in.Names {
			if p, ok := s.parameter(name, in.WithDecryption); ok {
				found = append(found, p)
			} else {
				invalid = append(invalid, name)
			}
		}
		ssmJSON(w, map[string]any{"Parameters": found, "InvalidParameters": invalid})
	default:
		ssmError(w, http.StatusBadRequest, "UnknownOperationException", fmt.Sprintf("operation %q is not served by the local SSM", op))
	}
}

// parameter is name's GetParameter shape.
func (s *SSM) parameter(name string, decrypt bool) (map[string]any, bool) {
	s.mu.RLock()
	p, ok := s.params[name]
	s.mu.RUnlock()
	if !ok {
		return nil, false
	}
	typ, value := "String", p.value
	if p.secure {
		typ = "SecureString"
		if !decrypt {
			value = base64.StdEncoding.EncodeToString([]byte("local-kms-ciphertext:" + name))
		}
	}
	region, account := s.Region, s.Account
	if region == "" {
		region = "us-east-1"
	}
	if account == "" {
		account = "123456789012"
	}
	return map[string]any{
		"Name": name, "Type": typ, "Value": value, "Version": p.version, "DataType": "text",
		"ARN":              fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", region, account, strings.TrimPrefix(name, "/")),
		"LastModifiedDate": float64(p.modified.UnixMilli()) / 1000,
	}, true
}

func ssmJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(v)
}

func ssmError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
