package localcloud_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zocket/agent/internal/devtools/geminitest"
)

// The components of a fix: one that does not build (a brace too many),
// the model's first fix, which still does not (a closing tag that does not
// match), and its second, which builds.
const (
	brokenGreeting = "```tsx\nexport default function Greeting() {\n  return <h1 id=\"hello\">Hello, fixed world</h1>\n}}\n```\n"
	stillBroken    = "The brace is gone:\n\n```tsx\nexport default function Greeting() {\n  return <h1 id=\"hello\">Hello, fixed world</h2>;\n}\n```\n"
	fixedGreeting  = "The tags now match:\n\n```tsx\nexport default function Greeting() {\n  return <h1 id=\"hello\">Hello, fixed world</h1>;\n}\n```\n"
)

// noiseTurns replies of noiseSize characters each make a ZIP export of
// more than 5 MiB (about 6 MB): each reply's component holds that many
// random characters, which deflate hardly shrinks, and the ZIP holds them
// at least three times (the code, the page, conversation.md). A reply stays within
// DynamoDB's 400 KB item; past the fourth turn the conversation's summary
// is folded beside the reply.
const (
	noiseTurns = 5
	noiseSize  = 360_000
)

// noiseAlphabet has no quote, backslash, backtick or angle bracket: the
// noise is a JavaScript string in a code fence, inlined in an HTML page.
const noiseAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#%()*+,-./:;=?@[]^_{|}~"

var noiseAsk = regexp.MustCompile(`Noise (\d+)`)

// noiseMarker opens the noise of reply n: it finds the reply's code and
// page in the ZIP.
func noiseMarker(n int) string { return fmt.Sprintf("noise-%d:", n) }

// noiseReply is the model's answer to "Noise n": a component holding
// noiseSize random characters (the same for the same n), in chunks.
func noiseReply(n int) geminitest.Reply {
	rnd := rand.New(rand.NewChaCha8([32]byte{byte(n)}))
	noise := make([]byte, noiseSize)
	for i := range noise {
		noise[i] = noiseAlphabet[rnd.IntN(len(noiseAlphabet))]
	}
	chunks := []string{fmt.Sprintf("Noise number %d:\n\n```tsx\nconst noise =\n  \"%s", n, noiseMarker(n))}
	for len(noise) > 0 {
		k := min(len(noise), 40_000)
		chunks, noise = append(chunks, string(noise[:k])), noise[k:]
	}
	chunks = append(chunks, fmt.Sprintf("\";\n\nexport default function Noise%d() {\n  return <pre id=\"noise\">{noise}</pre>;\n}\n```\n", n))
	return geminitest.Reply{Chunks: chunks}
}

// noiseModel answers each streamed "Noise n" with noiseReply(n), and every
// other request (the title, the summary's folds) as the offline model
// does: a fold runs beside a reply, so a queue could give it the reply.
func noiseModel(r geminitest.Request) geminitest.Reply {
	if m := noiseAsk.FindStringSubmatch(r.LastUserText()); r.Stream && m != nil {
		n, _ := strconv.Atoi(m[1])
		return noiseReply(n)
	}
	return geminitest.OfflineReply(r)
}

// zipLink is the answer to a ZIP export too large to answer inline.
type zipLink struct {
	URL, ExpiresAt, FileName string
	Size                     int
}

// exportZip asks the one URL for a conversation's ZIP and returns the ZIP
// when it comes inline, or the link to it, checking the answer's headers.
func (s *scenario) exportZip(conversationID string) ([]byte, *zipLink) {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.cloud.URL+"/api/conversations/"+conversationID+"/export?format=zip", nil)
	req.Header.Set("Origin", frontend)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	h := resp.Header
	if resp.StatusCode != 200 || h.Get("Access-Control-Allow-Origin") != frontend {
		s.t.Fatalf("ZIP export: %d %v %.300s", resp.StatusCode, h, body)
	}
	name := "conversation-" + conversationID + ".zip"
	switch ct := h.Get("Content-Type"); {
	case ct == "application/zip":
		if h.Get("Content-Disposition") != "attachment; filename="+name || h.Get("Cache-Control") != "no-store" {
			s.t.Errorf("inline ZIP export headers %v", h)
		}
		return body, nil
	case strings.HasPrefix(ct, "application/json"):
		var link zipLink
		if err := json.Unmarshal(body, &link); err != nil || link.URL == "" || link.FileName != name || link.ExpiresAt == "" {
			s.t.Fatalf("ZIP export link %s: %v", body, err)
		}
		return nil, &link
	default:
		s.t.Fatalf("ZIP export: Content-Type %q", ct)
		return nil, nil
	}
}

// unzip returns the entries of a ZIP, by name.
func (s *scenario) unzip(data []byte) map[string]string {
	s.t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		s.t.Fatalf("unzip %d bytes: %v", len(data), err)
	}
	files := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			s.t.Fatalf("unzip %s: %v", f.Name, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			s.t.Fatalf("unzip %s: %v", f.Name, err)
		}
		files[f.Name] = string(b)
	}
	return files
}

// pages are the ZIP's pages (preview.html entries) and notes in their place.
func pages(files map[string]string) (pages, notes []string) {
	for name, body := range files {
		switch {
		case strings.HasSuffix(name, "/preview.html"):
			pages = append(pages, body)
		case strings.HasSuffix(name, "/preview-error.txt"):
			notes = append(notes, name+": "+body)
		}
	}
	return pages, notes
}

// loseRace sends a turn to u, the HTTP API's buffered route, and deletes
// the conversation while the model holds the reply: the turn writes its
// code after the delete's sweep, then fails to save and removes the code
// again. It returns the turn's answer.
func (s *scenario) loseRace(u string, body any, conversationID string) (int, string) {
	s.t.Helper()
	hold := make(chan struct{})
	released := false
	defer func() {
		if !released {
			close(hold)
		}
	}()
	asked := len(s.gemini.Requests())
	s.gemini.Enqueue(geminitest.Reply{Chunks: []string{"Here is a counter.\n\n", counter, "Click it."}, Hold: hold, HoldAfter: 1})
	type answer struct {
		status int
		body   string
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", u, bytes.NewReader(b))
		req.Header.Set("Origin", frontend)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+s.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		done <- answer{resp.StatusCode, string(data), err}
	}()
	// The turn is under way once the model is asked for the reply.
	deadline := time.Now().Add(time.Minute)
	for !slices.ContainsFunc(s.gemini.Requests()[asked:], func(r geminitest.Request) bool { return r.Stream }) {
		select {
		case a := <-done:
			s.t.Fatalf("POST %s ended before the model was asked: %d %s %v", u, a.status, a.body, a.err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("POST %s: the model was never asked", u)
		}
	}
	s.call("DELETE", "/api/conversations/"+conversationID, nil, 200, nil)
	close(hold)
	released = true
	a := <-done
	if a.err != nil {
		s.t.Fatalf("POST %s: %v", u, a.err)
	}
	return a.status, a.body
}
