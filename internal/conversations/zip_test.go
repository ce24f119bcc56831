package conversations_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/app"
	"github.com/zocket/agent/internal/app/chatapp"
	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/conversations"
	"github.com/zocket/agent/internal/devtools/apitest"
	"github.com/zocket/agent/internal/devtools/dynamotest"
	"github.com/zocket/agent/internal/settings"
)

const counter = `import { useState } from "react";

export default function Counter() {
  const [n, setN] = useState(0);
  return <button onClick={() => setN(n + 1)}>{n}</button>;
}`

// file is one file of a fixture artifact.
type file struct{ path, lang, code string }

// put saves an artifact of m: its files in S3 under the conversation's
// prefix, its metadata in the table. One file without a path is a single
// artifact; a PROJECT has paths.
func put(t *testing.T, env *apitest.Env, u apitest.User, m agent.Message, title string, typ agent.ArtifactType, files ...file) agent.Artifact {
	t.Helper()
	a := agent.Artifact{ID: newID(), UserID: u.ID, ConversationID: m.ConversationID, MessageID: m.ID, Title: title, Type: typ,
		Language: files[0].lang, CreatedAt: m.CreatedAt, UpdatedAt: m.CreatedAt, ContentHash: newID()}
	prefix := fmt.Sprintf("%s%s/%s/%s/", env.Deps.Config.CodePrefix, u.ID, m.ConversationID, a.ID)
	for i, f := range files {
		key := fmt.Sprintf("%sfile-%d", prefix, i)
		if err := env.Deps.Blob.Put(ctx, key, []byte(f.code), "text/plain"); err != nil {
			t.Fatal(err)
		}
		a.FileSize += len(f.code)
		if f.path == "" {
			a.S3Key = key
			continue
		}
		a.Files = append(a.Files, agent.File{Path: f.path, Language: f.lang, Size: len(f.code), S3Key: key})
		if a.S3Key == "" {
			a.S3Key, a.Entry = key, f.path
		}
	}
	if err := env.Deps.Store.PutArtifact(ctx, a); err != nil {
		t.Fatal(err)
	}
	return a
}

// zipFixture is a conversation with an artifact of each kind the ZIP
// lays out differently, and the entries its ZIP must hold, in order.
type zipFixture struct {
	conv  agent.Conversation
	arts  map[string]agent.Artifact // by directory
	names []string
	code  map[string]string // entry → its exact content
}

func newZipFixture(t *testing.T, env *apitest.Env, u apitest.User) zipFixture {
	t.Helper()
	at := time.Now().Add(-time.Minute)
	c := conversation(t, env, u, "Zip me", at)
	message(t, env, c, agent.RoleUser, "Make things", at.Add(time.Second))
	reply := message(t, env, c, agent.RoleAssistant, "Here they are.", at.Add(2*time.Second))
	second := "export default function Counter() {\n  return <b>two</b>;\n}"
	broken := "export default function Broken() {\n  return <div>\n}"
	f := zipFixture{conv: c, arts: map[string]agent.Artifact{}, code: map[string]string{
		"Counter/Counter.tsx":     counter,
		"counter-2/counter.tsx":   second,
		"script/script.py":        "print('no browser runs me')",
		"Broken/Broken.tsx":       broken,
		"Todo-App/src/main.tsx":   "import { createRoot } from \"react-dom/client\";\nimport App from \"./App\";\ncreateRoot(document.getElementById(\"root\")!).render(<App />);",
		"Todo-App/src/App.tsx":    "import \"./styles.css\";\nexport default function App() { return <h1 className=\"title\">Todo</h1>; }",
		"Todo-App/src/styles.css": ".title { color: rebeccapurple; }",
		// A file named as the page would be keeps its name; the page moves.
		"Todo-App/preview.html": "<p>mine</p>",
		// Paths that would write outside the folder, made relative.
		"Weird-paths/outside.txt":  "up",
		"Weird-paths/abs/path.txt": "absolute",
		"Weird-paths/a/b.txt":      "backslash",
	}}
	f.arts["Counter"] = put(t, env, u, reply, "Counter", agent.TypeReact, file{"", "tsx", counter})
	// Names compare without case: "counter" is a second Counter.
	f.arts["counter-2"] = put(t, env, u, reply, "counter", agent.TypeReact, file{"", "tsx", second})
	f.arts["script"] = put(t, env, u, reply, "script", agent.TypePython, file{"", "python", f.code["script/script.py"]})
	f.arts["Broken"] = put(t, env, u, reply, "Broken", agent.TypeReact, file{"", "tsx", broken})
	f.arts["Todo-App"] = put(t, env, u, reply, "Todo App", agent.TypeProject,
		file{"src/main.tsx", "tsx", f.code["Todo-App/src/main.tsx"]}, file{"src/App.tsx", "tsx", f.code["Todo-App/src/App.tsx"]},
		file{"src/styles.css", "css", f.code["Todo-App/src/styles.css"]}, file{"preview.html", "html", "<p>mine</p>"})
	// Its entry is its first file: a text module, for esbuild.
	f.arts["Weird-paths"] = put(t, env, u, reply, "Weird paths", agent.TypeProject,
		file{"../../outside.txt", "text", "up"}, file{"/abs/path.txt", "text", "absolute"}, file{`a\b.txt`, "text", "backslash"})
	f.names = []string{
		"conversation.md",
		"Counter/Counter.tsx", "Counter/preview.html",
		"counter-2/counter.tsx", "counter-2/preview.html",
		"script/script.py",
		"Broken/Broken.tsx", "Broken/preview-error.txt",
		"Todo-App/src/main.tsx", "Todo-App/src/App.tsx", "Todo-App/src/styles.css", "Todo-App/preview.html", "Todo-App/preview-2.html",
		"Weird-paths/outside.txt", "Weird-paths/abs/path.txt", "Weird-paths/a/b.txt", "Weird-paths/preview.html",
	}
	return f
}

// zipPages are the fixture ZIP's built pages.
var zipPages = []string{"Counter/preview.html", "counter-2/preview.html", "Todo-App/preview-2.html"}

// unzip returns a ZIP's entries in order and their contents.
func unzip(t *testing.T, data []byte) ([]string, map[string]string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a zip (%d bytes): %v", len(data), err)
	}
	var names []string
	files := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		names = append(names, f.Name)
		files[f.Name] = string(b)
	}
	return names, files
}

// checkZip checks a ZIP of the fixture: its entries, in order, the code,
// the Markdown export and the pages.
func (f zipFixture) checkZip(t *testing.T, env *apitest.Env, u apitest.User, data []byte) map[string]string {
	t.Helper()
	names, files := unzip(t, data)
	if !slices.Equal(names, f.names) {
		t.Fatalf("entries\n  %s\nwant\n  %s", strings.Join(names, "\n  "), strings.Join(f.names, "\n  "))
	}
	for name, want := range f.code {
		if files[name] != want {
			t.Errorf("%s = %q, want %q", name, files[name], want)
		}
	}
	md := env.Do(t, "GET", "/api/conversations/"+f.conv.ID+"/export?format=markdown", u.Token, nil)
	exported := regexp.MustCompile(`(?m)^- Exported: .*$`)
	if got, want := exported.ReplaceAllString(files["conversation.md"], ""), exported.ReplaceAllString(string(md.Body), ""); got != want {
		t.Errorf("conversation.md is not the Markdown export:\n%s\nwant\n%s", got, want)
	}
	for _, name := range zipPages {
		page := files[name]
		if !strings.HasPrefix(page, "<!doctype html>") || !strings.Contains(page, `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-`) {
			t.Errorf("%s is not a standalone page: %.200s", name, page)
		}
	}
	if !strings.Contains(files["counter-2/preview.html"], "two") || !strings.Contains(files["Todo-App/preview-2.html"], "rebeccapurple") {
		t.Error("a page does not hold its artifact's code")
	}
	if note := files["Broken/preview-error.txt"]; !strings.HasPrefix(note, "The code did not build") || !strings.Contains(note, "\nApp.tsx:") {
		t.Errorf("Broken's note = %q", note)
	}
	if note := files["Weird-paths/preview-error.txt"]; note != "" {
		t.Errorf("a project without an entry has a note: %q", note)
	}
	return files
}

// withDeps serves env's API again with deps adjusted by adjust, as a second
// environment on the same stack.
func withDeps(t *testing.T, env *apitest.Env, adjust func(*app.Deps)) *apitest.Env {
	t.Helper()
	deps := *env.Deps
	adjust(&deps)
	h, err := app.Handler(&deps, app.HTTPFunctions(), chatapp.Constructors())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(apitest.Checked(t, h))
	t.Cleanup(srv.Close)
	adjusted := *env
	adjusted.Deps, adjusted.URL = &deps, srv.URL
	return &adjusted
}

// small are limits under which the fixture's ZIP (about 230 kB) is stored in
// S3, in parts of 32 KiB (S3 would refuse parts under 5 MiB; gofakes3 takes
// them).
var small = conversations.ZipLimits{Inline: 16 << 10, PartSize: 32 << 10, Pages: 2, PageTime: 20 * time.Second, LinkTTL: 15 * time.Minute}

func TestZipExport(t *testing.T) {
	apitest.RequirePackages(t)
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		f := newZipFixture(t, env, u)
		path := "/api/conversations/" + f.conv.ID + "/export?format=zip"

		t.Run("inline", func(t *testing.T) {
			env.Calls.Take()
			resp := env.Do(t, "GET", path, u.Token, nil)
			// Reads only: the page of an artifact never built is built, not
			// recorded.
			if got, want := env.Calls.Take(), map[string]int{"Query": 1, "GetItem": 1 + 1}; !equal(got, want) {
				t.Errorf("export calls = %v, want %v", got, want)
			}
			h := resp.Header
			if resp.Status != 200 || h.Get("Content-Type") != "application/zip" || h.Get("X-Content-Type-Options") != "nosniff" ||
				h.Get("Content-Disposition") != "attachment; filename=conversation-"+f.conv.ID+".zip" {
				t.Fatalf("export = %d %v %.300s", resp.Status, h, resp.Body)
			}
			f.checkZip(t, env, u, resp.Body)
		})

		t.Run("stored in parts", func(t *testing.T) {
			big := withDeps(t, env, func(d *app.Deps) { d.ZipLimits = small })
			before := time.Now()
			resp := big.Do(t, "GET", path, u.Token, nil)
			var link struct {
				URL, ExpiresAt, FileName string
				Size                     int
			}
			resp.Decode(t, &link)
			if resp.Status != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || link.FileName != "conversation-"+f.conv.ID+".zip" {
				t.Fatalf("export = %d %v %.300s", resp.Status, resp.Header, resp.Body)
			}
			if want := "/exports/" + u.ID + "/" + f.conv.ID + "/"; !strings.Contains(link.URL, want) || !strings.Contains(link.URL, "X-Amz-Expires=900") {
				t.Errorf("url %s: want a 15-minute link under %s", link.URL, want)
			}
			expires, err := time.Parse(time.RFC3339, link.ExpiresAt)
			if err != nil || expires.Before(before.Add(15*time.Minute-time.Second)) || expires.After(time.Now().Add(15*time.Minute)) {
				t.Errorf("expiresAt %s (%v), want 15 minutes from now", link.ExpiresAt, err)
			}
			dl := apitest.Send(t, mustRequest(t, link.URL))
			if dl.Status != 200 || dl.Header.Get("Content-Type") != "application/zip" ||
				dl.Header.Get("Content-Disposition") != "attachment; filename=conversation-"+f.conv.ID+".zip" || len(dl.Body) != link.Size {
				t.Fatalf("download = %d %v, %d bytes of %d", dl.Status, dl.Header, len(dl.Body), link.Size)
			}
			if link.Size <= 3*small.PartSize {
				t.Errorf("the ZIP is %d bytes: it should span more than three parts", link.Size)
			}
			f.checkZip(t, env, u, dl.Body)
			if n := uploadsInProgress(t, env); n != 0 {
				t.Errorf("%d uploads left in progress", n)
			}
		})

		t.Run("out of time", func(t *testing.T) {
			late := withDeps(t, env, func(d *app.Deps) { d.ZipLimits.PageTime = time.Nanosecond })
			resp := late.Do(t, "GET", path, u.Token, nil)
			if resp.Status != 200 {
				t.Fatalf("export = %d %.300s", resp.Status, resp.Body)
			}
			names, files := unzip(t, resp.Body)
			for _, dir := range []string{"Counter", "counter-2", "Broken", "Todo-App", "Weird-paths"} {
				if note := files[dir+"/preview-error.txt"]; !strings.Contains(note, "ran out of time") {
					t.Errorf("%s's note = %q, want one saying time ran out", dir, note)
				}
			}
			if slices.ContainsFunc(zipPages, func(n string) bool { return slices.Contains(names, n) }) {
				t.Errorf("a page was made after its time: %v", names)
			}
			if files["Counter/Counter.tsx"] != counter {
				t.Error("the code is missing from a ZIP without pages")
			}
		})

		t.Run("unknown format", func(t *testing.T) {
			resp := env.Do(t, "GET", "/api/conversations/"+f.conv.ID+"/export?format=tar", u.Token, nil)
			if e := resp.Err(t); resp.Status != 400 || e.Code != "validation_error" || !strings.Contains(e.Message, "zip") {
				t.Errorf("tar: %d %s", resp.Status, resp.Body)
			}
		})
	})
}

// TestZipRebuildsExpiredPages exports a conversation whose pages were built
// and recorded, after the bucket's lifecycle rule removed them from builds/:
// the export builds them again through the build function (the Lambda
// Invoke API, as deployed), and the page is the one built before.
func TestZipRebuildsExpiredPages(t *testing.T) {
	apitest.RequirePackages(t)
	each(t, func(t *testing.T, env *apitest.Env) {
		u := env.Register(t)
		f := newZipFixture(t, env, u)
		a := f.arts["Counter"]
		if resp := env.Do(t, "POST", "/api/artifacts/"+a.ID+"/build", u.Token, nil); resp.Status != 200 {
			t.Fatalf("build = %d %s", resp.Status, resp.Body)
		}
		rec, err := env.Deps.Store.ArtifactByID(ctx, u.ID, a.ID)
		if err != nil || rec.BundledHTMLKey == "" {
			t.Fatalf("the build is not recorded: %+v, %v", rec, err)
		}
		built, err := env.Deps.Blob.Get(ctx, rec.BundledHTMLKey)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.Deps.Blob.DeletePrefix(ctx, "builds/"); err != nil {
			t.Fatal(err)
		}

		var invokes atomic.Int64
		remote := withDeps(t, env, func(d *app.Deps) {
			counted := builderFunc(func(ctx context.Context, req build.Request) (build.Result, error) {
				invokes.Add(1)
				return env.Deps.Builder.Build(ctx, req)
			})
			cfg, err := settings.LoadAWS(ctx, "us-east-1", settings.Endpoints{Lambda: "http://127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			d.Builder = build.Remote{Client: settings.LambdaClient(cfg, apitest.InvokeServer(t, "build", counted)), Function: "build"}
		})
		resp := remote.Do(t, "GET", "/api/conversations/"+f.conv.ID+"/export?format=zip", u.Token, nil)
		if resp.Status != 200 {
			t.Fatalf("export = %d %.300s", resp.Status, resp.Body)
		}
		files := f.checkZip(t, env, u, resp.Body)
		if files["Counter/preview.html"] != string(built) {
			t.Error("the rebuilt page is not the page built before")
		}
		if _, err := env.Deps.Blob.Get(ctx, rec.BundledHTMLKey); err != nil {
			t.Errorf("the page is not in builds/ again: %v", err)
		}
		// Counter, counter-2, Broken, Todo-App and Weird-paths; not the script.
		if n := invokes.Load(); n != 5 {
			t.Errorf("build function invoked %d times, want 5", n)
		}
	})
}

type builderFunc func(context.Context, build.Request) (build.Result, error)

func (f builderFunc) Build(ctx context.Context, req build.Request) (build.Result, error) {
	return f(ctx, req)
}

// TestZipAbortsItsUpload exports through an S3 that refuses the upload's
// third part: the export fails, and neither the upload nor an object stays.
func TestZipAbortsItsUpload(t *testing.T) {
	apitest.RequirePackages(t)
	target, err := url.Parse(apitest.S3Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "PUT" && r.URL.Query().Get("partNumber") == "3" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidArgument</Code><Message>refused by the test</Message></Error>`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(refusing.Close)
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		env := withDeps(t, apitest.New(t, tb, map[string]string{"S3_ENDPOINT": refusing.URL}), func(d *app.Deps) { d.ZipLimits = small })
		u := env.Register(t)
		f := newZipFixture(t, env, u)
		resp := env.Do(t, "GET", "/api/conversations/"+f.conv.ID+"/export?format=zip", u.Token, nil)
		if resp.Status != 500 || resp.Err(t).Code != "internal" {
			t.Fatalf("export = %d %s, want 500", resp.Status, resp.Body)
		}
		if !strings.Contains(env.Logs(), "upload part 3") {
			t.Fatal("the export did not fail on the refused part (the test would prove nothing)")
		}
		if n := uploadsInProgress(t, env); n != 0 {
			t.Errorf("%d uploads left in progress", n)
		}
		if n, err := env.Deps.Blob.DeletePrefix(ctx, conversations.ExportPrefix); err != nil || n != 0 {
			t.Errorf("%d objects under exports/ (%v), want none", n, err)
		}
	})
}

// uploadsInProgress lists the multipart uploads of env's bucket neither
// completed nor aborted.
func uploadsInProgress(t *testing.T, env *apitest.Env) int {
	t.Helper()
	cfg, err := settings.LoadAWS(ctx, "us-east-1", settings.Endpoints{S3: apitest.S3Endpoint()})
	if err != nil {
		t.Fatal(err)
	}
	out, err := settings.S3Client(cfg, apitest.S3Endpoint()).ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(env.Deps.Config.BucketName)})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Uploads)
}

func mustRequest(t *testing.T, rawURL string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
