// The shell examples of the README and of docs/*.md are code: these tests
// run them.
//
// A fenced sh block runs when the line right before its fence is the HTML
// comment
//
//	<!-- run: readme-test -->
//
// (invisible on GitHub). Marked blocks hold only commands against a running
// devserver: `make dev` and `make seed` stay in an unmarked block above
// them, and so do deploy commands. TestREADMEExamples does what that block
// tells the reader to do, on a fresh DEV_DATA_DIR: it runs cmd/seed, then
// starts cmd/devserver on a free loopback port (and DEBUG_ADDR on another)
// with the offline model and unlimited credits. Then, for each document (README.md, then docs/*.md),
// it runs every marked block, in order, as one `bash -euo pipefail` script
// from the repository root, so a variable such as TOKEN set in one block is
// there in the next (a document's examples stand on their own: the scripts
// share the devserver, not their variables). Before the run:
//   - localhost:3001 and 127.0.0.1:3001 become the address of a proxy to
//     the test server that checks every answer against the OpenAPI
//     document (checkedFront): a mismatch fails the document's test;
//     127.0.0.1:6060 becomes the test server's DEBUG_ADDR (pprof, /metrics);
//   - a <name> in a command (not in a comment) becomes the value of the last
//     "name":"value" pair (a non-empty JSON string) in the output of the
//     commands before it, SSE data lines included; output captured by $(...)
//     is not output. No such pair fails the run.
//
// A block fails when a command exits non-zero (so every curl must carry -f
// or --fail-with-body: one without fails, since an HTTP error would pass
// unnoticed), when a placeholder cannot be filled, or when its output holds
// an SSE error event. The script keeps the document's line numbers, so
// bash's own messages ("README.md: line 40: TOKEN: unbound variable") point
// at the document's line.
//
// Under CI=true a missing bash, curl or jq fails the test; elsewhere it skips.
package main_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/zocket/agent/internal/devtools/contract"
)

// readmeMarker marks an sh block that TestREADMEExamples runs.
const readmeMarker = "<!-- run: readme-test -->"

// readmeBlock is one marked block of a document.
type readmeBlock struct {
	n     int    // 1-based, in the document's order
	fence int    // line number of the opening fence
	text  string // the lines between the fences, each ending in "\n"
}

// TestREADMEMarksExamples keeps the examples test from being turned off by
// deleting or misspelling the markers; it needs no tool and no build, so it
// fails even where TestREADMEExamples skips.
func TestREADMEMarksExamples(t *testing.T) {
	for _, doc := range documents(t) {
		blocks, err := docBlocks(doc.name, doc.text)
		if err == nil && len(blocks) == 0 && doc.name == "README.md" {
			err = errors.New("README.md has no block marked " + readmeMarker + ": its shell examples would go untested")
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d marked blocks", doc.name, len(blocks))
	}
}

// TestREADMEPlaceholders pins how a <name> is quoted where it stands.
func TestREADMEPlaceholders(t *testing.T) {
	const fill = "$(readme_fill id)"
	tests := []struct{ in, want string }{
		{"curl host/x/<id> -H 'A: b'", `curl host/x/"` + fill + `" -H 'A: b'`},
		{`-d '{"id":"<id>"}'`, `-d '{"id":"'"` + fill + `"'"}'`},
		{`echo "id <id>"`, `echo "id ` + fill + `"`},
		{"# <id>: the stream's\ncurl x/<id>", "# <id>: the stream's\ncurl x/\"" + fill + "\""},
		{`echo \'<id>`, `echo \'"` + fill + `"`},
		{"jq . < in.json > <out", "jq . < in.json > <out"},
	}
	for _, tt := range tests {
		if got := fillPlaceholders(tt.in); got != tt.want {
			t.Errorf("fillPlaceholders(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

// TestREADMEMarkerRules pins what readmeBlocks refuses.
func TestREADMEMarkerRules(t *testing.T) {
	tests := []struct{ name, readme, want string }{
		{"gap", readmeMarker + "\n\n```sh\necho hi\n```\n", "line right before"},
		{"misspelt", "<!-- run: readme-tset -->\n```sh\necho hi\n```\n", "unknown marker"},
		{"not sh", readmeMarker + "\n```console\n$ echo hi\n```\n", `"console" block`},
		{"make", readmeMarker + "\n```sh\nmake dev\n```\n", "unmarked block"},
		{"unclosed", readmeMarker + "\n```sh\necho hi\n", "never closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := docBlocks("README.md", tt.readme)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	blocks, err := docBlocks("README.md", "x\n"+readmeMarker+"\n```sh\necho hi\n```\n```sh\nsam deploy\n```\n")
	if err != nil || len(blocks) != 1 || blocks[0].fence != 3 || blocks[0].text != "echo hi\n" {
		t.Errorf("got %+v, %v; want the one marked block at line 3", blocks, err)
	}
}

// TestREADMEExamples runs the marked blocks of each document against a
// fresh devserver.
func TestREADMEExamples(t *testing.T) {
	bash := requireTool(t, "bash")
	requireTool(t, "curl")
	requireTool(t, "jq")
	root := moduleRoot(t)
	dev := startDevserver(t, root)
	front := checkedFront(t, dev.api)
	for _, doc := range documents(t) {
		blocks, err := docBlocks(doc.name, doc.text)
		if err != nil {
			t.Fatal(err)
		}
		if len(blocks) == 0 {
			continue
		}
		t.Run(doc.name, func(t *testing.T) {
			front.test.Store(t)
			defer front.test.Store(nil)
			runExamples(t, bash, root, devserver{api: front.addr, debug: dev.debug}, doc.name, blocks)
		})
	}
	t.Log(contract.Totals())
}

// front is the address the examples call: a proxy to the devserver that
// checks every response against the OpenAPI document (package contract), as
// the examples receive it, streams included. A mismatch fails the test of
// the document whose examples made the request.
type front struct {
	addr string
	test atomic.Pointer[testing.T]
}

func checkedFront(t *testing.T, devserver string) *front {
	t.Helper()
	c, err := contract.Default()
	if err != nil {
		t.Fatal(err)
	}
	target := &url.URL{Scheme: "http", Host: devserver}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host // the links the API writes point back here
		},
		// The answers pass as they come, as they were sent. A connection
		// per request: a kept-alive connection passed from one request to
		// the next could be closed under the next by the end of the first,
		// whose client (curl) hangs up as soon as it has the body; under
		// load that cut a stream after its first event.
		Transport:     &http.Transport{DisableCompression: true, DisableKeepAlives: true},
		FlushInterval: -1,
	}
	f := &front{}
	srv := httptest.NewServer(c.Handler(proxy, func(m contract.Mismatch) {
		if dt := f.test.Load(); dt != nil {
			dt.Errorf("OpenAPI: %v", m)
			return
		}
		t.Errorf("OpenAPI: %v", m)
	}))
	t.Cleanup(func() {
		srv.Close()
		if err := contract.WriteTally(); err != nil {
			t.Errorf("OpenAPI tally: %v", err)
		}
	})
	f.addr = srv.Listener.Addr().String()
	return f
}

// runExamples runs one document's marked blocks as one script.
func runExamples(t *testing.T, bash, root string, addr devserver, name string, blocks []readmeBlock) {
	dir := t.TempDir()
	prelude := filepath.Join(dir, "prelude.sh")
	script := filepath.Join(dir, filepath.Base(name))
	outPath := filepath.Join(dir, "output")
	if err := os.WriteFile(prelude, []byte(readmePrelude), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, []byte(readmeScript(blocks, addr)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(outPath)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Started beside the script, so that bash's messages name README.md;
	// the prelude moves to the repository root.
	cmd := exec.CommandContext(ctx, bash, "-euo", "pipefail", filepath.Base(script))
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(), // no ~/.curlrc
		"README_TEST_DOC=" + name,
		"README_TEST_ROOT=" + root,
		"README_TEST_PRELUDE=" + prelude,
		"README_TEST_OUTPUT=" + outPath,
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	runErr := cmd.Run()
	output, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	outputs := blockOutputs(string(output))
	if ctx.Err() != nil {
		runErr = fmt.Errorf("%w (stopped after %v)", runErr, time.Minute)
	}
	if runErr != nil {
		last := len(outputs)
		if last == 0 {
			t.Fatalf("%s examples did not start: %v\n%s", name, runErr, output)
		}
		b := blocks[last-1]
		t.Fatalf("%s block %d (fence at line %d): %v\n%s", name, b.n, b.fence, runErr, outputs[last-1])
	}
	if len(outputs) != len(blocks) {
		t.Fatalf("ran %d of %d blocks of %s\n%s", len(outputs), len(blocks), name, output)
	}
	for i, b := range blocks {
		if sseError.MatchString(outputs[i]) {
			t.Errorf("%s block %d (fence at line %d): the stream ended in an error event\n%s", name, b.n, b.fence, outputs[i])
		}
	}
	t.Logf("ran %d blocks of %s in %v", len(blocks), name, time.Since(start).Round(time.Millisecond))
}

// sseError matches an SSE error event in a block's output.
var sseError = regexp.MustCompile(`(?m)^event: error$`)

// docBlocks returns the marked blocks of the document name. A marker that
// is not right before an sh fence, a misspelt marker and a make command in
// a marked block are errors.
func docBlocks(name, text string) ([]readmeBlock, error) {
	lines := strings.Split(text, "\n")
	var blocks []readmeBlock
	fence := ""   // the open fence's backticks or tildes; "" outside one
	marked := -1  // index in blocks of the open fence, if marked
	pending := -1 // line number of a marker waiting for its fence
	for i, line := range lines {
		n := i + 1
		trimmed := strings.TrimSpace(line)
		if fence != "" {
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				fence, marked = "", -1
				continue
			}
			if marked >= 0 {
				if f := strings.Fields(trimmed); len(f) > 0 && f[0] == "make" {
					return nil, fmt.Errorf("%s:%d: a marked block runs against a running devserver, so `make` belongs in an unmarked block above it", name, n)
				}
				blocks[marked].text += line + "\n"
			}
			continue
		}
		open := fenceOpener(trimmed)
		switch {
		case pending >= 0 && open == "":
			return nil, fmt.Errorf("%s:%d: %s must be the line right before an sh fence", name, pending, readmeMarker)
		case trimmed == readmeMarker:
			pending = n
			continue
		case strings.HasPrefix(trimmed, "<!-- run:"):
			return nil, fmt.Errorf("%s:%d: unknown marker %q; the one that runs a block is %s", name, n, trimmed, readmeMarker)
		case open == "":
			continue
		}
		fence = open
		if pending >= 0 {
			if info := strings.TrimSpace(strings.TrimLeft(trimmed, open[:1])); info != "sh" && info != "bash" {
				return nil, fmt.Errorf("%s:%d: %s marks a %q block; only sh blocks run", name, pending, readmeMarker, info)
			}
			blocks = append(blocks, readmeBlock{n: len(blocks) + 1, fence: n})
			marked, pending = len(blocks)-1, -1
		}
	}
	switch {
	case pending >= 0:
		return nil, fmt.Errorf("%s:%d: %s must be the line right before an sh fence", name, pending, readmeMarker)
	case fence != "":
		return nil, fmt.Errorf("%s: a code fence is never closed", name)
	}
	return blocks, nil
}

// fenceOpener returns the backticks or tildes that open a fenced code block
// on the (trimmed) line, or "".
func fenceOpener(line string) string {
	for _, c := range "`~" {
		n := len(line) - len(strings.TrimLeft(line, string(c)))
		if n >= 3 {
			return line[:n]
		}
	}
	return ""
}

// devserver is where the examples' devserver listens: its API (the docs'
// localhost:3001) and its debug address (their 127.0.0.1:6060, DEBUG_ADDR).
type devserver struct{ api, debug string }

// readmeScript is the bash script of the marked blocks: each block's lines at
// their README line numbers, addresses rewritten and placeholders filled.
func readmeScript(blocks []readmeBlock, addr devserver) string {
	host := strings.NewReplacer("localhost:3001", addr.api, "127.0.0.1:3001", addr.api, "127.0.0.1:6060", addr.debug)
	last := blocks[len(blocks)-1]
	lines := make([]string, last.fence+strings.Count(last.text, "\n"))
	lines[0] = `source "$README_TEST_PRELUDE"`
	for _, b := range blocks {
		lines[b.fence-1] = fmt.Sprintf("readme_block %d %d", b.n, b.fence)
		text := strings.TrimSuffix(fillPlaceholders(host.Replace(b.text)), "\n")
		for i, l := range strings.Split(text, "\n") {
			lines[b.fence+i] = l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// placeholder is a <name> at the start of the string.
var placeholder = regexp.MustCompile(`^<([A-Za-z][A-Za-z0-9_]*)>`)

// fillPlaceholders turns each <name> outside comments into a call of the
// prelude's readme_fill, quoted for where it stands (plain, in single or in
// double quotes). It follows plain shell quoting, not every bash construct.
func fillPlaceholders(text string) string {
	var b strings.Builder
	var quote byte // 0, '\'' or '"'
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == '<' {
			if m := placeholder.FindStringSubmatch(text[i:]); m != nil {
				call := "$(readme_fill " + m[1] + ")"
				switch quote {
				case 0:
					call = `"` + call + `"`
				case '\'':
					call = `'"` + call + `"'`
				}
				b.WriteString(call)
				i += len(m[0]) - 1
				continue
			}
		}
		b.WriteByte(c)
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			}
		case c == '\\' && i+1 < len(text):
			i++
			b.WriteByte(text[i])
		case quote == '"':
			if c == '"' {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || text[i-1] == ' ' || text[i-1] == '\t' || text[i-1] == '\n'):
			end := strings.IndexByte(text[i:], '\n')
			if end < 0 {
				end = len(text) - i
			}
			b.WriteString(text[i+1 : i+end])
			i += end - 1
		}
	}
	return b.String()
}

// blockOutputs splits the script's output at readme_block's headers: one
// entry per block that started.
func blockOutputs(output string) []string {
	parts := blockHeader.Split(output, -1)
	return parts[1:]
}

// blockHeader is the line readme_block prints.
var blockHeader = regexp.MustCompile(`(?m)^==> \S+ block \d+ .*$`)

// readmePrelude defines what the script's commands run with: the error
// report, the block headers, placeholder filling and the curl check.
const readmePrelude = `# The README test's prelude: see cmd/devserver/readme_test.go.
cd "$README_TEST_ROOT"
trap 'readme_failed $? $LINENO' ERR

readme_failed() {
  readme_newline
  echo "readme test: exit status $1 from the command ending at $README_TEST_DOC line $2" >&2
}

readme_block() {
  readme_newline
  printf '==> %s block %s (fence at line %s)\n' "$README_TEST_DOC" "$1" "$2"
}

# readme_newline ends the output's last line (curl prints JSON without a
# newline), so that what follows starts a line of its own.
readme_newline() {
  [[ -z $(tail -c 1 "$README_TEST_OUTPUT") ]] || echo >&2
}

# readme_fill NAME prints the value of the last "NAME":"value" in the output
# so far, or stops the whole script.
readme_fill() {
  local pair
  pair=$(grep -oE '"'"$1"'"[[:space:]]*:[[:space:]]*"[^"\]+"' "$README_TEST_OUTPUT" | tail -n 1) || true
  if [[ -z $pair ]]; then
    readme_newline
    echo "readme test: cannot fill <$1>: no \"$1\":\"...\" in the output of the commands before it" >&2
    kill -TERM $$
    exit 1
  fi
  pair=${pair%\"}
  printf '%s' "${pair##*\"}"
}

# Every curl must fail on an HTTP error.
curl() {
  local arg status=0
  for arg in "$@"; do
    case $arg in
      --fail | --fail-with-body | -[!-]*f*)
        command curl "$@" || status=$?
        readme_newline
        return $status ;;
    esac
  done
  echo "readme test: curl without -f or --fail-with-body: an HTTP error would go unnoticed" >&2
  return 2
}
`

// startDevserver builds cmd/devserver and cmd/seed, seeds a fresh data
// directory, starts the devserver on a free loopback port and returns its
// address once /health answers. The server stops with the test.
func startDevserver(t *testing.T, root string) devserver {
	t.Helper()
	start := time.Now()
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "./cmd/devserver", "./cmd/seed")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	built := time.Now()
	addr, debug := freeAddr(t), freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	// Only these variables: no GEMINI_API_KEY (the offline model), no AWS
	// profile or endpoint of the developer's.
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"TMPDIR=" + os.TempDir(),
		"DEV_DATA_DIR=" + t.TempDir(),
		"HOST=127.0.0.1",
		"PORT=" + port,
		"DEBUG_ADDR=" + debug,
		"DEFAULT_CREDITS=-1",
		// The examples are not about the abuse limits: they are off.
		"MAX_CONCURRENT_TURNS=0", "TURNS_PER_MINUTE=0", "REGISTRATIONS_PER_HOUR=0",
	}

	seed := exec.Command(filepath.Join(bin, "seed"))
	seed.Dir, seed.Env = root, env
	if out, err := seed.CombinedOutput(); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	seeded := time.Now()

	logPath := filepath.Join(t.TempDir(), "devserver.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	srv := exec.Command(filepath.Join(bin, "devserver"))
	srv.Dir, srv.Env = root, env
	srv.Stdout, srv.Stderr = logFile, logFile
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	t.Cleanup(func() {
		defer logFile.Close()
		_ = srv.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = srv.Process.Kill()
			<-exited
		}
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			t.Logf("devserver log:\n%s", log)
		}
	})

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("devserver exited before answering /health: %v", err)
		default:
		}
		resp, err := client.Get("http://" + addr + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Logf("devserver on %s: built in %v, seeded in %v, answering after %v", addr,
					built.Sub(start).Round(time.Millisecond), seeded.Sub(built).Round(time.Millisecond), time.Since(seeded).Round(time.Millisecond))
				return devserver{api: addr, debug: debug}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("devserver: no 200 from /health within 30 s (last: %v)", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// requireTool returns the path of a command the examples need. Missing, it
// fails the test under CI=true and skips it elsewhere.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("the README examples need %s, which is not installed (apt-get install -y %s)", name, name)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// moduleRoot is the directory of go.mod, where the README's commands run.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// document is a Markdown file whose examples run: its path from the
// repository root, and its text.
type document struct{ name, text string }

// documents are README.md and docs/*.md.
func documents(t *testing.T) []document {
	t.Helper()
	root := moduleRoot(t)
	names, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	names = append([]string{filepath.Join(root, "README.md")}, names...)
	var out []document
	for _, path := range names {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, path)
		out = append(out, document{name: rel, text: string(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")))})
	}
	return out
}

// TestDocLinks follows every relative link of README.md and docs/*.md: the
// file it names exists and, with a #fragment, holds a heading of that slug
// (GitHub's: lower case, punctuation dropped, spaces as hyphens).
func TestDocLinks(t *testing.T) {
	root := moduleRoot(t)
	for _, doc := range documents(t) {
		for _, m := range mdLink.FindAllStringSubmatch(doc.text, -1) {
			target, fragment, _ := strings.Cut(m[1], "#")
			if strings.Contains(target, "://") || strings.HasPrefix(m[1], "mailto:") {
				continue
			}
			path := filepath.Join(root, filepath.Dir(doc.name), target)
			if target == "" {
				path = filepath.Join(root, doc.name)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Errorf("%s: link %q: %v", doc.name, m[1], err)
				continue
			}
			if fragment != "" && !slices.Contains(headingSlugs(string(b)), fragment) {
				t.Errorf("%s: link %q: no heading %q in %s", doc.name, m[1], fragment, target)
			}
		}
	}
}

// mdLink matches a Markdown link's target.
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// headingSlugs are the anchors GitHub gives a document's headings.
func headingSlugs(text string) []string {
	var out []string
	fence := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fence = !fence
		}
		h, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " ")
		if fence || !ok || !strings.HasPrefix(line, "#") {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(h) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		out = append(out, b.String())
	}
	return out
}
