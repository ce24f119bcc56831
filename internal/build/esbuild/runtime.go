package esbuild

import _ "embed"

// The preview runtime, embedded so that the build Lambda ships it.
var (
	//go:embed runtime/page.js
	pageJS string
	//go:embed runtime/page.css
	pageCSS string
	//go:embed runtime/mount.js
	mountJS string
)
