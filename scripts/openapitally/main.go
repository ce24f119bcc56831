// Command openapitally adds up what the test binaries of a run checked
// against the OpenAPI document (package contract writes each binary's
// counts to OPENAPI_TALLY) and prints it: `make test` runs it after the
// suite.
//
//	go run ./scripts/openapitally [-v] DIR
//
// It prints the total (responses and events validated, mismatches), each
// binary's share, and how much of the document the run saw: the
// operations answered and the documented statuses seen (-v lists those
// never seen). It fails when nothing was checked.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

func main() {
	verbose := flag.Bool("v", false, "list the documented statuses no test saw")
	doc := flag.String("doc", "api/openapi.json", "the OpenAPI document")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: openapitally [-v] [-doc api/openapi.json] DIR")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *doc, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "openapitally:", err)
		os.Exit(1)
	}
}

type counts struct{ responses, events, mismatches, gateway int }

func run(dir, docPath string, verbose bool) error {
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		return err
	}
	var total counts
	byBinary := map[string]counts{}
	seen := map[string]int{}
	for _, f := range files {
		binary := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)) // "chat.test"
		c, err := readTally(f, seen)
		if err != nil {
			return err
		}
		b := byBinary[binary]
		b.responses, b.events, b.mismatches, b.gateway = b.responses+c.responses, b.events+c.events, b.mismatches+c.mismatches, b.gateway+c.gateway
		byBinary[binary] = b
		total.responses, total.events, total.mismatches, total.gateway = total.responses+c.responses, total.events+c.events, total.mismatches+c.mismatches, total.gateway+c.gateway
	}
	fmt.Printf("OpenAPI: %d responses and %d events validated, %d mismatches\n", total.responses, total.events, total.mismatches)
	var parts []string
	for _, b := range slices.Sorted(maps.Keys(byBinary)) {
		c := byBinary[b]
		parts = append(parts, fmt.Sprintf("%s %d+%d", strings.TrimSuffix(b, ".test"), c.responses, c.events))
	}
	fmt.Printf("  responses+events by test binary: %s\n", strings.Join(parts, ", "))
	documented, err := statuses(docPath)
	if err != nil {
		return err
	}
	ops, answered := map[string]bool{}, map[string]bool{}
	var unseen []string
	for _, k := range documented {
		op, _, _ := strings.Cut(k, " ")
		ops[op] = true
		if seen[k] > 0 {
			answered[op] = true
		} else {
			unseen = append(unseen, k)
		}
	}
	fmt.Printf("  %d of %d operations answered; %d of %d documented statuses seen\n", len(answered), len(ops), len(documented)-len(unseen), len(documented))
	if verbose {
		fmt.Printf("  never seen: %s\n", strings.Join(unseen, ", "))
	}
	if total.responses == 0 {
		return fmt.Errorf("no response was checked in %s", dir)
	}
	return nil
}

// readTally reads one binary's counts, adding its "seen" lines to seen.
func readTally(path string, seen map[string]int) (counts, error) {
	f, err := os.Open(path)
	if err != nil {
		return counts{}, err
	}
	defer f.Close()
	var c counts
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		n, err := strconv.Atoi(fields[len(fields)-1])
		if err != nil {
			return c, fmt.Errorf("%s: %q", path, sc.Text())
		}
		switch fields[0] {
		case "responses":
			c.responses += n
		case "events":
			c.events += n
		case "mismatches":
			c.mismatches += n
		case "gateway":
			c.gateway += n
		case "seen":
			seen[strings.Join(fields[1:len(fields)-1], " ")] += n
		}
	}
	return c, sc.Err()
}

// statuses are the document's "operationId status" pairs.
func statuses(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string                     `json:"operationId"`
			Responses   map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	var out []string
	for _, item := range doc.Paths {
		for _, op := range item {
			for status := range op.Responses {
				out = append(out, op.OperationID+" "+status)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}
