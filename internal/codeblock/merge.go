package codeblock

import (
	"slices"
	"strings"
)

// This file holds what the merge rules of every language share: a block's
// significant lines, and the rule that a later block repeating them
// replaces it.

// significantLines returns the trimmed non-blank lines of a body without
// trailing semicolons and commas, to compare blocks regardless of
// indentation and punctuation style.
func significantLines(body []string) []string {
	var out []string
	for _, line := range body {
		t := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(line), ";,"))
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

// repeats reports whether a later block's lines contain all of an earlier
// block's non-empty lines in order: the earlier block was an excerpt of the
// later one, which supersedes it.
func repeats(later, earlier []string) bool {
	if len(earlier) == 0 || len(earlier) > len(later) {
		return false
	}
	i := 0
	for _, line := range later {
		if line == earlier[i] {
			i++
			if i == len(earlier) {
				return true
			}
		}
	}
	return false
}

// trimBlank removes leading and trailing blank lines.
func trimBlank(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(lines[0]) == "" {
		lines = lines[1:]
	}
	for len(lines) > 0 && strings.TrimSpace(lines[len(lines)-1]) == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// remainingParts returns parts without those whose lines p repeats (p
// replaces them) and the names the rest declare, or false when p declares
// one of those names: then p is another version, not a continuation. text
// gives a part's significant lines and its top-level names.
func remainingParts[P any](parts []P, p P, text func(P) (lines, names []string)) ([]P, map[string]bool, bool) {
	pLines, pNames := text(p)
	var kept []P
	declared := map[string]bool{}
	for _, q := range parts {
		lines, names := text(q)
		if repeats(pLines, lines) {
			continue
		}
		kept = append(kept, q)
		for _, n := range names {
			declared[n] = true
		}
	}
	for _, n := range pNames {
		if declared[n] {
			return nil, nil, false
		}
	}
	return kept, declared, true
}

// textPart is an HTML, CSS or browser JavaScript block with its
// significant lines, to tell whether a later block repeats it.
type textPart struct {
	block Block
	lines []string
}

// newTextPart reads a block's significant lines.
func newTextPart(b Block) textPart {
	return textPart{block: b, lines: significantLines(strings.Split(b.Code, "\n"))}
}

// dropRepeated returns parts without those whose lines the lines of a later
// block repeat: that block replaces them.
func dropRepeated(parts []textPart, lines []string) []textPart {
	return slices.DeleteFunc(parts, func(q textPart) bool { return repeats(lines, q.lines) })
}
