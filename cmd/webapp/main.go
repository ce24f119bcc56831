// Command webapp builds the web app served at / (package webapp embeds what
// it writes): `make webapp` runs it after the npm packages are installed.
// It prints each file with its size, gzipped.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/zocket/agent/internal/webapp/bundle"
)

func main() {
	root := flag.String("root", ".", "the repository")
	out := flag.String("o", "internal/webapp/dist", "where the files go")
	flag.Parse()
	files, err := bundle.Build(bundle.Options{Root: *root, Out: *out})
	if err != nil {
		fmt.Fprintln(os.Stderr, "webapp:", err)
		os.Exit(1)
	}
	for _, f := range files {
		if f.GzippedSize > 0 {
			fmt.Printf("%-40s %8d bytes, %7d gzipped\n", f.Name, f.Size, f.GzippedSize)
		} else {
			fmt.Printf("%-40s %8d bytes\n", f.Name, f.Size)
		}
	}
}
