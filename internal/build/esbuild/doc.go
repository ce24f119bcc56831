// Package esbuild is the builder: it turns an artifact's source into a
// preview, a self-contained HTML page that renders it in a browser with no
// network and no CDN.
//
// A React artifact (TSX, JSX, TypeScript or JavaScript) is bundled by esbuild
// and mounted with react-dom/client; an HTML artifact is served as it is; plain
// JavaScript runs in a page; CSS is applied to a page of sample elements; a
// project is bundled from its entry through an in-memory file system.
//
// Bare imports resolve only to the curated package set installed from web/
// (see Options.PackagesDir). Per-artifact builds compile only the artifact's
// own code: the big packages (React, react-dom, Recharts, tailwind-merge) are
// bundled once per package lock into vendor chunks that each page inlines
// (cmd/prebuild makes them at build time), and lucide-react named imports are
// rewritten to the few icon modules they use. Tailwind utility classes are
// compiled in the page by the inlined @tailwindcss/browser.
//
// Pages are content-addressed: build.Result.Key hashes the sources, the package lock
// and the builder version, and a page that a Cache already holds is never
// built again. The page carries its own Content-Security-Policy meta element
// that allows only its inline scripts (by SHA-256 hash); build.ContentSecurityPolicy
// gives the header the preview route sends with it.
package esbuild
