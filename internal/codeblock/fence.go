package codeblock

import (
	"path"
	"slices"
	"strings"
)

// Block is one fenced code block of a Markdown text.
type Block struct {
	// Language is the canonical language (see CanonicalLanguage): from the
	// info string, else from the file extension of Path, else "text".
	Language string
	// Info is the raw info string after the opening fence, trimmed.
	Info string
	// Path is the clean relative file path the block names, in its info
	// string, in a comment on its first line or on the line of prose just
	// before its opening fence, or "" when it names none.
	Path string
	// Code is the content between the fences: the lines joined by "\n",
	// without the line break before the closing fence, with CRLF line
	// endings read as LF and the opening fence's indentation removed from
	// each line.
	Code string
	// Start is the byte offset of the start of the opening fence's line.
	Start int
	// End is the byte offset of the end of the closing fence's line, before
	// its line break; for an unterminated block, the end of its last line.
	End int
	// Closed is false for a block still open at the end of the text.
	Closed bool
}

// Parse returns the fenced code blocks of a Markdown text in order,
// including a final unterminated block (Closed false).
func Parse(text string) []Block {
	var s Scanner
	blocks := s.Write(text)
	return append(blocks, s.Close()...)
}

// Scanner finds fenced code blocks in text that arrives in pieces, such as
// the deltas of a streamed model reply, split anywhere (even inside a fence
// or a UTF-8 sequence). The blocks it returns over a stream are exactly
// those Parse returns for the whole text. The zero value is ready to use.
type Scanner struct {
	off     int    // stream offset of the first byte of pending
	pending []byte // the bytes of a line whose line break has not arrived
	open    *openBlock
	// before is what the last line of prose says about the file of a block
	// below it (see readCaption), blanks the number of blank lines since,
	// up to 2.
	before caption
	blanks int
	// What the reply has shown of its files so far: whether a block named
	// a path, the top-level directories of those paths, the files that
	// directory trees listed, and a tree being drawn in the prose.
	named  bool
	tops   []string
	listed []listing
	tree   treeReader
}

// openBlock is a block whose closing fence has not been seen yet.
type openBlock struct {
	start, end int
	indent     int  // columns of indentation of the opening fence
	char       byte // '`' or '~'
	n          int  // length of the opening fence
	info       string
	lang, path string  // from the info string
	before     caption // the line of prose before the opening fence
	nests      bool    // markdown: inner fences with an info string nest
	depth      int     // inner fences open in a nesting block
	code       strings.Builder
	lines      int
}

// Write takes the next piece of the stream and returns the blocks whose
// closing fence line was completed by it. A closing fence line is complete
// when its line break arrives, since more fence characters or text could
// still follow on that line.
func (s *Scanner) Write(delta string) []Block {
	var out []Block
	for delta != "" {
		i := strings.IndexByte(delta, '\n')
		if i < 0 {
			s.pending = append(s.pending, delta...)
			break
		}
		line := delta[:i]
		if len(s.pending) > 0 {
			s.pending = append(s.pending, line...)
			line = string(s.pending)
			s.pending = s.pending[:0]
		}
		delta = delta[i+1:]
		start := s.off
		s.off += len(line) + 1
		if b, ok := s.line(start, line); ok {
			out = append(out, b)
		}
	}
	return out
}

// Close ends the stream and returns the blocks it completes: one closed by
// a fence on the last line when that line has no line break, and a block
// left unterminated (Closed false). The Scanner is then ready for a new
// stream.
func (s *Scanner) Close() []Block {
	var out []Block
	if len(s.pending) > 0 {
		if b, ok := s.line(s.off, string(s.pending)); ok {
			out = append(out, b)
		}
	}
	if s.open != nil {
		out = append(out, s.finish(s.open, false))
	}
	*s = Scanner{}
	return out
}

// line processes one complete line, without its line break, that starts at
// stream offset start. It returns a block when the line closes one.
func (s *Scanner) line(start int, line string) (Block, bool) {
	line = strings.TrimSuffix(line, "\r")
	end := start + len(line)
	o := s.open
	if o == nil {
		indent, char, n, info, ok := openingFence(line)
		switch {
		case ok:
			s.open = newOpenBlock(start, end, indent, char, n, info)
			if s.blanks <= 1 {
				s.open.before = s.before
			}
			s.before, s.blanks, s.tree = caption{}, 0, treeReader{}
		case strings.Trim(line, " \t") == "":
			s.blanks = min(s.blanks+1, 2)
			s.tree = treeReader{}
		default:
			s.prose(line)
		}
		return Block{}, false
	}
	if indent, char, n, rest, ok := fence(line); ok && char == o.char && n >= o.n && indent <= o.indent+maxFenceIndent {
		rest = strings.Trim(rest, " \t")
		switch {
		case rest == "" && o.depth == 0:
			o.end = end
			s.open = nil
			return s.finish(o, true), true
		case rest == "":
			o.depth--
		case o.nests && (char == '~' || !strings.Contains(rest, "`")):
			o.depth++
		}
	}
	o.add(stripIndent(line, o.indent))
	o.end = end
	return Block{}, false
}

// maxFenceIndent is how many columns deeper than the opening fence a closing
// fence may be indented (CommonMark allows 3 for a top-level fence).
const maxFenceIndent = 3

// newOpenBlock starts a block at its opening fence.
func newOpenBlock(start, end, indent int, char byte, n int, info string) *openBlock {
	lang, p := parseInfo(info)
	return &openBlock{
		start:  start,
		end:    end,
		indent: indent,
		char:   char,
		n:      n,
		info:   info,
		lang:   lang,
		path:   p,
		nests:  lang == "markdown" || lang == "mdx",
	}
}

// add appends a content line.
func (o *openBlock) add(line string) {
	if o.lines > 0 {
		o.code.WriteByte('\n')
	}
	o.code.WriteString(line)
	o.lines++
}

// prose reads a line of prose outside blocks: a branch of a directory tree
// drawn in the prose, whose file it notes, or a line that may name the
// file of a block below it.
func (s *Scanner) prose(line string) {
	s.blanks = 0
	if f, ok := s.tree.line(line); ok {
		if f.rel != "" {
			s.listed = append(s.listed, f)
		}
		s.before = caption{}
		return
	}
	s.before = readCaption(line)
	s.tree = treeReader{}
	s.tree.root, _ = treeRoot(line)
}

// finish returns the finished Block and notes what it shows of the reply's
// files: the files a directory tree lists, or the path a block names.
func (s *Scanner) finish(o *openBlock, closed bool) Block {
	code := o.code.String()
	lang, p := o.lang, o.path
	if p == "" {
		p = pathFromComment(code, lang)
	}
	files, tree := readTree(code)
	if p == "" && !tree {
		p = s.pathBefore(o.before, lang)
	}
	if lang == "text" && p != "" {
		if l := languageForPath(p); l != "" {
			lang = l
		}
	}
	switch {
	case tree:
		s.listed = append(s.listed, files...)
	case p != "":
		s.named = true
		if top, _, ok := strings.Cut(p, "/"); ok && !slices.Contains(s.tops, top) {
			s.tops = append(s.tops, top)
		}
	}
	return Block{
		Language: lang,
		Info:     o.info,
		Path:     p,
		Code:     code,
		Start:    o.start,
		End:      o.end,
		Closed:   closed,
	}
}

// pathBefore returns the path that the line of prose before a block in
// lang names: its one path of the block's language family. A file name
// without a directory takes its directory from a tree that lists it; above
// an HTML, CSS or JavaScript-family block, which the consolidation rules
// may join with others, it counts only when a label introduces it, when an
// earlier block named a path or when a tree lists it.
func (s *Scanner) pathBefore(c caption, lang string) string {
	p := ""
	for _, q := range c.paths {
		if !fitsLanguage(lang, q, c.sentence) {
			continue
		}
		if p != "" {
			return ""
		}
		p = q
	}
	if p == "" || strings.Contains(p, "/") {
		return p
	}
	if q := s.listedPath(p); q != "" {
		return q
	}
	if c.label || s.named || !joinedLanguage(lang, p) {
		return p
	}
	return ""
}

// listedPath returns the path of the one file named name that the reply's
// directory trees list, below their project folder only when a path named
// so far is, or "" when none or several do.
func (s *Scanner) listedPath(name string) string {
	found := ""
	for _, l := range s.listed {
		if path.Base(l.rel) != name {
			continue
		}
		p := l.rel
		if l.root != "" && slices.Contains(s.tops, l.root) {
			p = l.root + "/" + l.rel
		}
		if found != "" && found != p {
			return ""
		}
		found = p
	}
	return found
}

// fence splits a line that starts, after any indentation, with a run of at
// least three backticks or tildes: the indentation in columns, the fence
// character, the run's length and the rest of the line.
func fence(line string) (indent int, char byte, n int, rest string, ok bool) {
	i := 0
	for ; i < len(line); i++ {
		if line[i] == ' ' {
			indent++
		} else if line[i] == '\t' {
			indent += 4 - indent%4
		} else {
			break
		}
	}
	if i == len(line) || (line[i] != '`' && line[i] != '~') {
		return 0, 0, 0, "", false
	}
	char = line[i]
	j := i
	for j < len(line) && line[j] == char {
		j++
	}
	if j-i < 3 {
		return 0, 0, 0, "", false
	}
	return indent, char, j - i, line[j:], true
}

// openingFence reports whether line opens a fenced block and returns the
// fence and its trimmed info string. The opening fence may be indented by
// any amount, since models indent fences inside list items; a backtick
// fence's info string cannot contain a backtick (that is inline code).
func openingFence(line string) (indent int, char byte, n int, info string, ok bool) {
	indent, char, n, rest, ok := fence(line)
	if !ok || (char == '`' && strings.Contains(rest, "`")) {
		return 0, 0, 0, "", false
	}
	return indent, char, n, strings.Trim(rest, " \t"), true
}

// stripIndent removes up to cols columns of leading spaces and tabs.
func stripIndent(line string, cols int) string {
	col := 0
	for i := 0; i < len(line); i++ {
		if col >= cols {
			return line[i:]
		}
		switch line[i] {
		case ' ':
			col++
		case '\t':
			w := 4 - col%4
			if col+w > cols {
				return line[i:]
			}
			col += w
		default:
			return line[i:]
		}
	}
	return ""
}

// Fenced is code in a backtick fence one longer than its longest backtick
// run (at least three), with info (a language, and a path) after the
// opening fence: a block that Parse reads back as code. Backticks and line
// breaks are dropped from info.
func Fenced(info, code string) string {
	longest, run := 0, 0
	for _, r := range code {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	info = strings.Map(func(r rune) rune {
		if r == '`' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, info)
	var b strings.Builder
	b.WriteString(fence + info + "\n" + code)
	if !strings.HasSuffix(code, "\n") {
		b.WriteString("\n")
	}
	b.WriteString(fence + "\n")
	return b.String()
}
