// Command template writes template.yaml, the SAM template, from the
// deployment package deploy describes: `make template` after changing
// routes/routes.go or deploy/.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/zocket/agent/deploy"
)

func main() {
	out := flag.String("o", "template.yaml", "the file to write")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "template:", err)
		os.Exit(1)
	}
}

func write(path string) error {
	s, err := deploy.New(nil)
	if err != nil {
		return err
	}
	data, err := s.SAM()
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
