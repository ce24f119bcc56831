package geminitest

import (
	"strings"
	"testing"
)

func TestSplitWordsKeepsEveryByte(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"one", []string{"one"}},
		{"a b c d e", []string{"a b c ", "d e"}},
		{"  lead\n\n```tsx\nx = 1;\n```\n", []string{"  lead\n\n```tsx\n", "x = 1;\n", "```\n"}},
		{"Grüße aus 和平 🚀 ok", []string{"Grüße aus 和平 ", "🚀 ok"}},
	}
	for _, tt := range tests {
		got := splitWords(tt.in, 3)
		if strings.Join(got, "") != tt.in || strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("splitWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
