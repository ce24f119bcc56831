// Command prebuild bundles the preview vendor chunks (React, Recharts,
// tailwind-merge) into the curated package set, so that a fresh build
// process reads them instead of bundling them in its first build. Run it
// after `npm ci --prefix web`; the chunks ship with web/node_modules.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/zocket/agent/internal/build/esbuild"
)

func main() {
	packages := flag.String("packages", "web/node_modules", "the node_modules directory of the preview packages")
	flag.Parse()

	b, err := esbuild.New(esbuild.Options{PackagesDir: *packages})
	if err != nil {
		log.Fatal(err)
	}
	if err := b.Warm(); err != nil {
		log.Fatal(err)
	}
	entries, err := os.ReadDir(b.VendorDir())
	if err != nil || len(entries) == 0 {
		log.Fatalf("prebuild: no chunks saved in %s: %v", b.VendorDir(), err)
	}
	fmt.Printf("prebuild: %d vendor chunks in %s\n", len(entries), b.VendorDir())
}
