package esbuild

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/zocket/agent/internal/build"

	"github.com/evanw/esbuild/pkg/api"
)

// How a curated import specifier reaches a page.
type importKind int

const (
	// viaChunk: the specifier is defined by a vendor chunk that the page
	// inlines; artifact code reads it from the page's module registry.
	viaChunk importKind = iota + 1
	// viaIcons: lucide-react, bundled per artifact as the few icon modules
	// that the artifact names instead of the whole barrel.
	viaIcons
	// viaBundle: a small package bundled with the artifact's own code.
	// (clsx: 0.5 kB, cheaper to bundle than to load from a chunk.)
	viaBundle
	// viaTailwind: the Tailwind stylesheet entry; it turns the Tailwind
	// runtime on and adds nothing to the bundle.
	viaTailwind
)

// curated is the package set artifacts may import, by exact specifier.
var curated = map[string]importKind{
	"react":             viaChunk,
	"react/jsx-runtime": viaChunk,
	"react-dom":         viaChunk,
	"react-dom/client":  viaChunk,
	"recharts":          viaChunk,
	"lucide-react":      viaIcons,
	"clsx":              viaBundle,
	"tailwind-merge":    viaChunk,
	"tailwindcss":       viaTailwind,
}

// curatedList names the importable packages for error messages.
const curatedList = "react, react-dom, lucide-react, recharts, clsx, tailwind-merge"

// A chunk is a vendor bundle built once per package lock (and saved, see
// vendorDirName) and inlined into every page that imports one of its modules. It is an IIFE that defines its
// modules in the page's registry (runtime/page.js), so artifact code and later
// chunks share one copy of React.
type chunk struct {
	name    string
	modules []string
	// mount adds the React mount runtime (runtime/mount.js).
	mount bool
	// react means the chunk reads React from the registry, so the React
	// chunk must load first.
	react bool
}

// chunks lists the vendor chunks in the order a page must load them.
// Recharts (700 kB minified, 200 ms to bundle) and tailwind-merge (100 kB of
// source, 10 ms to parse) are too big to bundle per artifact.
var chunks = [...]chunk{
	{name: "react", modules: []string{"react", "react/jsx-runtime", "react-dom", "react-dom/client"}, mount: true},
	{name: "recharts", modules: []string{"recharts"}, react: true},
	{name: "tailwind-merge", modules: []string{"tailwind-merge"}},
}

// mainFields prefers packages' ES modules, which tree-shake (Recharts' CommonJS
// build is half as big again).
var mainFields = []string{"browser", "module", "main"}

// chunkIndex maps a registry specifier to its chunk's index in chunks.
func chunkIndex(spec string) int {
	for i, c := range chunks {
		if slices.Contains(c.modules, spec) {
			return i
		}
	}
	return -1
}

// vendor is the per-Builder state derived from the installed package set:
// built lazily, once, and shared by concurrent builds.
type vendor struct {
	dir   string // the node_modules directory
	saved string // where built chunks are kept for later processes

	chunkOnce [len(chunks)]sync.Once
	chunkJS   [len(chunks)]inlineScript
	chunkErr  [len(chunks)]error

	iconsOnce sync.Once
	icons     *iconIndex
	iconsErr  error
	iconFiles sync.Map // icon module path → source

	tailwindOnce sync.Once
	tailwind     inlineScript
	tailwindErr  error
}

// inlineScript is script text ready to sit in a <script> element, with its
// CSP hash source ('sha256-...').
type inlineScript struct {
	text string
	hash string
}

func newInlineScript(js string) inlineScript {
	js = escapeScript(js)
	return inlineScript{text: js, hash: cspHash(js)}
}

// lockHash identifies the installed package set by npm's hidden lockfile,
// which `npm ci` writes into node_modules.
func lockHash(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, ".package-lock.json"))
	if err != nil {
		return "", fmt.Errorf("read package lock (run `npm ci --prefix web`): %w", err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// vendorDirName is the directory in node_modules that keeps built vendor
// chunks, one subdirectory per package lock and runtime, so that a stale
// chunk is never read. It ships with the package set.
const vendorDirName = ".preview-vendor"

func newVendor(dir, lock, runtime string) *vendor {
	stamp := sha256.Sum256([]byte(builderVersion + "\x00" + lock + "\x00" + runtime))
	return &vendor{dir: dir, saved: filepath.Join(dir, vendorDirName, hex.EncodeToString(stamp[:8]))}
}

// chunk returns vendor chunk i: from the saved chunks when a process (or
// `go run ./internal/build/cmd/prebuild`) built it before, else built now and
// saved.
func (v *vendor) chunk(i int, count func()) (inlineScript, error) {
	v.chunkOnce[i].Do(func() {
		path := filepath.Join(v.saved, chunks[i].name+".js")
		if v.saved != "" {
			if data, err := os.ReadFile(path); err == nil {
				v.chunkJS[i] = inlineScript{text: string(data), hash: cspHash(string(data))}
				return
			}
		}
		count()
		v.chunkJS[i], v.chunkErr[i] = v.buildChunk(chunks[i])
		if v.chunkErr[i] == nil && v.saved != "" {
			// Saving only spares later processes the work; a read-only
			// package set (a Lambda without prebuilt chunks) still builds.
			_ = writeFileAtomic(path, v.chunkJS[i].text)
		}
	})
	return v.chunkJS[i], v.chunkErr[i]
}

// writeFileAtomic writes a file under a temporary name and renames it, so
// that concurrent processes never read half a chunk.
func writeFileAtomic(path, data string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".chunk-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// chunks returns the vendor chunks at the given indexes, building those not
// built yet in parallel.
func (v *vendor) chunks(indexes []int, count func()) ([]inlineScript, error) {
	out := make([]inlineScript, len(indexes))
	errs := make([]error, len(indexes))
	var wg sync.WaitGroup
	for n, i := range indexes {
		wg.Go(func() { out[n], errs[n] = v.chunk(i, count) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// buildChunk bundles a vendor chunk from node_modules, minified, with the
// modules of other chunks read from the registry.
func (v *vendor) buildChunk(c chunk) (inlineScript, error) {
	var src strings.Builder
	src.WriteString("const z = globalThis.__zocket;\n")
	for _, m := range c.modules {
		fmt.Fprintf(&src, "z.define(%q, require(%q));\n", m, m)
	}
	if c.mount {
		src.WriteString("import { mount } from \"zocket:mount\";\nz.mount = mount;\n")
	}
	res := api.Build(api.BuildOptions{
		Stdin: &api.StdinOptions{
			Contents:   src.String(),
			ResolveDir: filepath.Dir(v.dir),
			Sourcefile: "vendor-" + c.name + ".js",
			Loader:     api.LoaderJS,
		},
		Bundle:            true,
		Write:             false,
		Format:            api.FormatIIFE,
		Platform:          api.PlatformBrowser,
		NodePaths:         []string{v.dir},
		MainFields:        mainFields,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		LegalComments:     api.LegalCommentsEndOfFile,
		Define:            map[string]string{"process.env.NODE_ENV": `"production"`},
		LogLevel:          api.LogLevelSilent,
		Plugins:           []api.Plugin{vendorPlugin(c)},
	})
	if len(res.Errors) > 0 {
		// Not a *Failure: the package set is broken, not the artifact.
		return inlineScript{}, fmt.Errorf("build vendor chunk %s: %s", c.name, build.Failed(messages(res.Errors)).Message)
	}
	return newInlineScript(string(res.OutputFiles[0].Contents)), nil
}

// vendorPlugin reads the modules of other chunks from the registry and
// provides the mount runtime.
func vendorPlugin(c chunk) api.Plugin {
	return api.Plugin{Name: "zocket-vendor", Setup: func(pb api.PluginBuild) {
		pb.OnResolve(api.OnResolveOptions{Filter: `^[^./]`}, func(args api.OnResolveArgs) (api.OnResolveResult, error) {
			if args.Path == "zocket:mount" {
				return api.OnResolveResult{Path: "mount.js", Namespace: nsRuntime}, nil
			}
			if i := chunkIndex(args.Path); i >= 0 && !slices.Contains(c.modules, args.Path) {
				return api.OnResolveResult{Path: args.Path, Namespace: nsShim}, nil
			}
			return api.OnResolveResult{}, nil
		})
		pb.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: nsRuntime}, func(args api.OnLoadArgs) (api.OnLoadResult, error) {
			return api.OnLoadResult{Contents: &mountJS, ResolveDir: pb.InitialOptions.Stdin.ResolveDir, Loader: api.LoaderJS}, nil
		})
		pb.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: nsShim}, loadShim)
	}}
}

// loadShim is the module an import of a registry specifier becomes: the
// value a vendor chunk defined.
func loadShim(args api.OnLoadArgs) (api.OnLoadResult, error) {
	js := fmt.Sprintf("module.exports = globalThis.__zocket.require(%q);", args.Path)
	return api.OnLoadResult{Contents: &js, Loader: api.LoaderJS}, nil
}

// tailwindRuntime returns @tailwindcss/browser, which compiles the page's
// utility classes in the browser.
func (v *vendor) tailwindRuntime() (inlineScript, error) {
	v.tailwindOnce.Do(func() {
		data, err := os.ReadFile(filepath.Join(v.dir, "@tailwindcss", "browser", "dist", "index.global.js"))
		if err != nil {
			v.tailwindErr = fmt.Errorf("read tailwind runtime: %w", err)
			return
		}
		v.tailwind = newInlineScript(string(data))
	})
	return v.tailwind, v.tailwindErr
}
