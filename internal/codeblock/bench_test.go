package codeblock_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/zocket/agent/internal/codeblock"
)

// largeReply joins every testdata reply, twice, into one long answer of
// about 168 KB with 410 blocks: more than a reply of 8192 output tokens
// (about 32 KB) can hold.
func largeReply(b *testing.B) string {
	b.Helper()
	all := replies(b)
	names := make([]string, 0, len(all))
	for name := range all {
		if !strings.Contains(name, "unterminated") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var sb strings.Builder
	for range 2 {
		for _, name := range names {
			sb.WriteString(all[name])
			sb.WriteString("\n\n")
		}
	}
	return sb.String()
}

func BenchmarkExtract(b *testing.B) {
	text := largeReply(b)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		codeblock.Extract(text)
	}
}

func BenchmarkParse(b *testing.B) {
	text := largeReply(b)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		codeblock.Parse(text)
	}
}

// BenchmarkStream feeds the reply as the chat handler does: deltas of about
// 100 bytes through a Scanner, each block into a Consolidator, reading the
// changed draft after each Add.
func BenchmarkStream(b *testing.B) {
	text := largeReply(b)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		var s codeblock.Scanner
		var c codeblock.Consolidator
		for i := 0; i < len(text); i += 100 {
			for _, blk := range s.Write(text[i:min(len(text), i+100)]) {
				if n, _ := c.Add(blk); n >= 0 {
					_ = c.Drafts()[n]
				}
			}
		}
		for _, blk := range s.Close() {
			c.Add(blk)
		}
	}
}
