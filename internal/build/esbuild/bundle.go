package esbuild

import (
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/zocket/agent/internal/build"

	"github.com/evanw/esbuild/pkg/api"
)

// esbuild namespaces of the modules a build makes up.
const (
	nsArtifact = "artifact" // the artifact's files, by project path
	nsEntry    = "entry"    // the wrapper that mounts an entry's component
	nsLucide   = "lucide"   // lucide-react reduced to the icons in use
	nsIcon     = "icon"     // one lucide icon module, by absolute path
	nsShim     = "registry" // a curated module read from the page registry
	nsRuntime  = "runtime"  // the React mount runtime (vendor chunk only)
	nsEmpty    = "empty"    // the tailwindcss stylesheet entry
)

// loaderFor picks the esbuild loader of a project file by its name; zero
// means the file cannot be imported.
func loaderFor(p string) api.Loader {
	if strings.HasSuffix(p, ".module.css") {
		return api.LoaderLocalCSS
	}
	switch path.Ext(p) {
	case ".tsx":
		return api.LoaderTSX
	case ".ts", ".mts", ".cts":
		return api.LoaderTS
	case ".jsx", ".js", ".mjs", ".cjs":
		return api.LoaderJSX
	case ".json":
		return api.LoaderJSON
	case ".css":
		return api.LoaderCSS
	case ".svg":
		return api.LoaderDataURL
	case ".txt", ".md":
		return api.LoaderText
	}
	return api.LoaderNone
}

// bundled is the output of one esbuild run over an artifact.
type bundled struct {
	js          []string // one per entry, in order
	css         string   // the CSS the modules import
	tailwindCSS string   // imported CSS written for the Tailwind compiler
	tailwind    bool     // the code imports Tailwind's stylesheet
	chunks      []int    // vendor chunks to inline, in load order
	packages    []string // curated packages in the page
	warnings    []build.Message
}

// bundleState collects what the plugin learns during one build; esbuild calls
// plugins from several goroutines.
type bundleState struct {
	b     *Builder
	src   *source
	mount string // the entry whose component the page mounts, if any

	iconsOnce sync.Once
	iconsJS   string
	iconsOK   bool
	iconsErr  error

	mu          sync.Mutex
	packages    map[string]bool
	tailwindCSS map[string]string
}

// bundle compiles entries of src (project paths) into browser ESM, with the
// curated packages resolved as the page provides them.
func (b *Builder) bundle(src *source, entries []string, mount bool) (*bundled, error) {
	st := &bundleState{b: b, src: src, packages: map[string]bool{}, tailwindCSS: map[string]string{}}
	points := make([]api.EntryPoint, len(entries))
	for i, e := range entries {
		in := e
		if mount && i == 0 && !src.mounts() {
			st.mount = e
			in = nsEntry + ":" + e
			if looksLikeComponent(src.files[e]) {
				st.use("react") // the page mounts it with React
			}
		}
		points[i] = api.EntryPoint{InputPath: in, OutputPath: fmt.Sprintf("e%d", i)}
	}
	if st.mentions("lucide-react") {
		// Read the icon index here, where a failure is this package set's
		// and not a diagnostic of the artifact.
		if _, err := b.vendor.iconIndex(); err != nil {
			return nil, err
		}
	}
	b.countESBuild()
	res := api.Build(api.BuildOptions{
		EntryPointsAdvanced: points,
		Bundle:              true,
		Write:               false,
		Outdir:              "/out",
		Format:              api.FormatESModule,
		Platform:            api.PlatformBrowser,
		Target:              api.ES2022,
		JSX:                 api.JSXAutomatic,
		Define:              map[string]string{"process.env.NODE_ENV": `"production"`},
		NodePaths:           []string{b.vendor.dir},
		MainFields:          mainFields,
		Charset:             api.CharsetUTF8,
		LegalComments:       api.LegalCommentsEndOfFile,
		LogLevel:            api.LogLevelSilent,
		Plugins:             []api.Plugin{{Name: "zocket-artifact", Setup: st.setup}},
	})
	if len(res.Errors) > 0 {
		return nil, build.Failed(messages(res.Errors))
	}
	out := &bundled{js: make([]string, len(entries)), warnings: messages(res.Warnings)}
	css := make([]string, len(entries)) // in entry order, which is cascade order
	for _, f := range res.OutputFiles {
		name := filepath.Base(f.Path)
		var i int
		if _, err := fmt.Sscanf(name, "e%d.", &i); err != nil || i >= len(entries) {
			return nil, fmt.Errorf("bundle: unexpected output %s", f.Path)
		}
		switch filepath.Ext(name) {
		case ".js":
			out.js[i] = string(f.Contents)
		case ".css":
			css[i] = string(f.Contents)
		}
	}
	out.css = strings.Join(css, "\n")

	st.mu.Lock()
	defer st.mu.Unlock()
	for p := range st.packages {
		if p == "tailwindcss" {
			out.tailwind = true
			continue
		}
		out.packages = append(out.packages, p)
		if i := chunkIndex(p); i >= 0 && !slices.Contains(out.chunks, i) {
			out.chunks = append(out.chunks, i)
		}
	}
	slices.Sort(out.packages)
	for _, i := range out.chunks {
		if chunks[i].react && !slices.Contains(out.chunks, 0) {
			out.chunks = append(out.chunks, 0)
		}
	}
	slices.Sort(out.chunks)
	var tw []string
	for _, p := range slices.Sorted(maps.Keys(st.tailwindCSS)) {
		tw = append(tw, st.tailwindCSS[p])
	}
	if len(tw) > 0 {
		out.tailwind = true
		out.tailwindCSS = "@import \"tailwindcss\";\n" + strings.Join(tw, "\n")
	}
	return out, nil
}

func (st *bundleState) use(pkg string) {
	st.mu.Lock()
	st.packages[pkg] = true
	st.mu.Unlock()
}

func (st *bundleState) setup(pb api.PluginBuild) {
	pb.OnResolve(api.OnResolveOptions{Filter: `.*`}, st.resolve)
	pb.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: nsArtifact}, st.loadArtifact)
	pb.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: nsEntry}, func(args api.OnLoadArgs) (api.OnLoadResult, error) {
		js := fmt.Sprintf("import * as m from %q;\nglobalThis.__zocket.mount?.(m);\n", "/"+args.Path)
		return api.OnLoadResult{Contents: &js, Loader: api.LoaderJS}, nil
	})
	pb.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: nsLucide}, st.loadIcons)
	pb.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: nsIcon}, func(args api.OnLoadArgs) (api.OnLoadResult, error) {
		js, err := st.b.vendor.iconSource(args.Path)
		return api.OnLoadResult{Contents: &js, Loader: api.LoaderJS}, err
	})
	pb.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: nsShim}, loadShim)
	pb.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: nsEmpty}, func(api.OnLoadArgs) (api.OnLoadResult, error) {
		empty := ""
		return api.OnLoadResult{Contents: &empty, Loader: api.LoaderCSS}, nil
	})
}

func (st *bundleState) resolve(args api.OnResolveArgs) (api.OnResolveResult, error) {
	p := args.Path
	if args.Kind == api.ResolveEntryPoint {
		if rest, ok := strings.CutPrefix(p, nsEntry+":"); ok {
			return api.OnResolveResult{Path: rest, Namespace: nsEntry}, nil
		}
		return api.OnResolveResult{Path: p, Namespace: nsArtifact}, nil
	}
	switch args.Namespace {
	case nsArtifact, nsEntry:
	case "file":
		// Inside node_modules: only the registry modules are special.
		if kind, ok := curated[p]; ok && kind == viaChunk {
			st.use(packageName(p))
			return api.OnResolveResult{Path: p, Namespace: nsShim}, nil
		}
		return api.OnResolveResult{}, nil
	case nsLucide:
		// The reduced lucide-react imports icon modules by absolute path.
		return api.OnResolveResult{Path: p, Namespace: nsIcon}, nil
	case nsIcon:
		// An icon imports its factory, "../createLucideIcon.mjs".
		return api.OnResolveResult{Path: filepath.Join(filepath.Dir(args.Importer), filepath.FromSlash(p))}, nil
	default:
		return api.OnResolveResult{}, nil
	}

	importer := args.Importer
	if strings.HasPrefix(p, "http:") || strings.HasPrefix(p, "https:") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "data:") {
		if args.Kind == api.ResolveCSSURLToken || args.Kind == api.ResolveCSSImportRule {
			return api.OnResolveResult{Path: p, External: true}, nil
		}
		return failResolve("Cannot import %q: previews run offline and load no code from the network; use a package of the preview set (%s).", p, curatedList)
	}
	if isProjectRef(p) {
		if target, ok := st.src.resolveRef(importer, p); ok {
			return api.OnResolveResult{Path: target, Namespace: nsArtifact}, nil
		}
		return failResolve("Could not resolve %q: the project has no such file.", p)
	}
	kind, ok := curated[p]
	if !ok {
		return failResolve("Could not resolve %q: it is not one of the packages previews can import (%s).", p, curatedList)
	}
	st.use(packageName(p))
	switch kind {
	case viaChunk:
		return api.OnResolveResult{Path: p, Namespace: nsShim}, nil
	case viaIcons:
		_, ok, err := st.icons()
		if err != nil {
			return api.OnResolveResult{}, err
		}
		idx, _ := st.b.vendor.iconIndex()
		if args.Namespace == nsArtifact {
			if unknown := idx.unknownNames(st.src.files[importer]); len(unknown) > 0 {
				return api.OnResolveResult{Errors: unknown}, nil
			}
		}
		if ok {
			return api.OnResolveResult{Path: p, Namespace: nsLucide}, nil
		}
		return api.OnResolveResult{Path: idx.barrel}, nil
	case viaTailwind:
		return api.OnResolveResult{Path: p, Namespace: nsEmpty}, nil
	default: // viaBundle: esbuild resolves it in node_modules.
		return api.OnResolveResult{}, nil
	}
}

// isProjectRef reports whether an import names a project file rather than a
// package.
func isProjectRef(p string) bool {
	return strings.HasPrefix(p, ".") || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "@/")
}

// packageName returns the package of a specifier: "react" for "react/jsx-runtime".
func packageName(spec string) string {
	name, _, _ := strings.Cut(spec, "/")
	return name
}

func failResolve(format string, args ...any) (api.OnResolveResult, error) {
	return api.OnResolveResult{Errors: []api.Message{{Text: fmt.Sprintf(format, args...)}}}, nil
}

// mentions reports whether any source of the artifact contains s.
func (st *bundleState) mentions(s string) bool {
	for _, code := range st.sources() {
		if strings.Contains(code, s) {
			return true
		}
	}
	return false
}

// sources returns every JavaScript-like source of the artifact.
func (st *bundleState) sources() []string {
	out := make([]string, 0, len(st.src.files))
	for p, code := range st.src.files {
		if l := loaderFor(p); l == api.LoaderTSX || l == api.LoaderTS || l == api.LoaderJSX {
			out = append(out, code)
		}
	}
	return out
}

// icons returns the build's reduced lucide-react module; ok is false when the
// build must import the whole barrel instead.
func (st *bundleState) icons() (js string, ok bool, err error) {
	st.iconsOnce.Do(func() {
		idx, err := st.b.vendor.iconIndex()
		if err != nil {
			st.iconsErr = err
			return
		}
		st.iconsJS, st.iconsOK = idx.iconModule(st.sources())
	})
	return st.iconsJS, st.iconsOK, st.iconsErr
}

func (st *bundleState) loadIcons(api.OnLoadArgs) (api.OnLoadResult, error) {
	js, _, err := st.icons()
	if err != nil {
		return api.OnLoadResult{}, err
	}
	return api.OnLoadResult{Contents: &js, Loader: api.LoaderJS}, nil
}

// tailwindDirective matches the at-rules that only the Tailwind compiler
// understands; tailwindImport the lines the page's compiler provides itself.
var (
	tailwindDirective = regexp.MustCompile(`@(?:tailwind|apply|theme|utility|variant|custom-variant|plugin|config|source)\b|@import\s+["']tailwindcss`)
	tailwindImport    = regexp.MustCompile(`(?m)^\s*@(?:tailwind\s+[\w-]+|import\s+[^;]*)\s*;?[ \t]*$`)
)

func (st *bundleState) loadArtifact(args api.OnLoadArgs) (api.OnLoadResult, error) {
	code, ok := st.src.files[args.Path]
	if !ok {
		return api.OnLoadResult{}, fmt.Errorf("load %s: no such file", args.Path)
	}
	loader := loaderFor(args.Path)
	switch {
	case loader == api.LoaderNone:
		return api.OnLoadResult{Errors: []api.Message{{Text: fmt.Sprintf("Cannot import %s: previews import scripts, styles, JSON, SVG and text files.", args.Path)}}}, nil
	case loader == api.LoaderCSS && tailwindDirective.MatchString(code):
		// Written for Tailwind: the page's Tailwind compiler gets it, so
		// that @apply and @theme work.
		st.mu.Lock()
		st.tailwindCSS[args.Path] = tailwindImport.ReplaceAllString(code, "")
		st.mu.Unlock()
		code = ""
	case args.Path == st.mount:
		code = withDefaultExport(code)
	}
	return api.OnLoadResult{Contents: &code, Loader: loader, ResolveDir: filepath.Dir(st.b.vendor.dir)}, nil
}
