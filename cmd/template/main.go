// Command template writes template.yaml, the SAM template, from the
// deployment package deploy describes, and the tables of docs/operating.md
// (the metrics, the alarms, the dashboard) from the same description:
// `make template` after changing routes/routes.go, deploy/ or the metric
// catalogue.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/zocket/agent/deploy"
)

func main() {
	out := flag.String("o", "template.yaml", "the file to write")
	operating := flag.String("operating", "", "docs/operating.md, whose generated sections to write (empty: none)")
	flag.Parse()
	if err := write(*out, *operating); err != nil {
		fmt.Fprintln(os.Stderr, "template:", err)
		os.Exit(1)
	}
}

func write(path, operating string) error {
	s, err := deploy.New(nil)
	if err != nil {
		return err
	}
	data, err := s.SAM()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	if operating == "" {
		return nil
	}
	doc, err := os.ReadFile(operating)
	if err != nil {
		return err
	}
	out, err := deploy.ReplaceSections(string(doc), s.OperatingSections())
	if err != nil {
		return fmt.Errorf("%s: %w", operating, err)
	}
	return os.WriteFile(operating, []byte(out), 0o644)
}
