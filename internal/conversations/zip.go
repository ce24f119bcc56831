package conversations

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/blob"
	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/codeblock"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/store"
)

// ZipLimits bound the ZIP export.
type ZipLimits struct {
	// Inline is the largest ZIP answered in the response itself: Lambda
	// answers at most 6 MB, and API Gateway carries a ZIP base64-encoded
	// (4 MB becomes 5.3 MB).
	Inline int
	// PartSize is the part size of a larger ZIP's upload (blob.MinPartSize).
	PartSize int
	// Pages is how many pages are read or built at once, and how many the
	// export holds at most.
	Pages int
	// PageTime is the time all pages may take; a page not ready by then is
	// left out, with a note. The function's deadline, less finishTime,
	// shortens it.
	PageTime time.Duration
	// LinkTTL is the lifetime of a larger ZIP's download link.
	LinkTTL time.Duration
}

// DefaultZipLimits are the ZIP export's limits in production.
var DefaultZipLimits = ZipLimits{Inline: 4_000_000, PartSize: blob.MinPartSize, Pages: 4, PageTime: 20 * time.Second, LinkTTL: 15 * time.Minute}

// finishTime is what a ZIP needs once its pages are in: writing the rest,
// uploading the last part and completing the upload.
const finishTime = 5 * time.Second

// ExportPrefix is the key prefix of ZIP exports too large to answer inline,
// under which the bucket's lifecycle rule expires them after a day.
const ExportPrefix = "exports/"

// Pages makes artifacts' standalone pages.
type Pages interface {
	StandalonePage(ctx context.Context, a agent.Artifact) ([]byte, error)
}

// The ZIP's layout: the Markdown export, then each artifact in a directory
// named after its title, holding its file (named after its title and
// language) or a PROJECT's files at their paths, and its page.
const (
	zipConversation = "conversation.md"
	zipPage         = "preview.html"      // the built page, standalone
	zipPageError    = "preview-error.txt" // why a previewable artifact has no page
)

// zipArtifact is an artifact of the export with its code.
type zipArtifact struct {
	doc ExportArtifact
	art agent.Artifact
}

// zipArtifacts pairs each artifact of doc, in order, with its metadata in th.
func zipArtifacts(th store.Thread, doc Export) []zipArtifact {
	messages, _ := agent.Linear(th.Messages)
	var out []zipArtifact
	for mi, m := range messages {
		for ai, a := range th.Artifacts[m.ID] {
			out = append(out, zipArtifact{doc: doc.Messages[mi].Artifacts[ai], art: a})
		}
	}
	return out
}

// exportZip answers the ZIP of a conversation: in the response when it is at
// most Inline bytes, else as a download link to the ZIP in S3. The ZIP goes
// into S3 as it is written, a part at a time, so no more than a part is held.
func (s *Service) exportZip(w http.ResponseWriter, r *http.Request, th store.Thread, doc Export) {
	ctx, c := r.Context(), th.Conversation
	key := ExportPrefix + c.UserID + "/" + c.ID + "/" + uuid.NewString() + ".zip"
	spool := s.Blobs.NewSpool(ctx, key, "application/zip", blob.SpoolOptions{Keep: s.Zip.Inline, PartSize: s.Zip.PartSize})
	defer func() {
		if err := spool.Abort(); err != nil {
			httpapi.Logger(ctx).Error("abort export upload", "key", key, "err", err)
		}
	}()
	err := s.writeZip(ctx, spool, doc, zipArtifacts(th, doc))
	var res blob.SpoolResult
	if err == nil {
		res, err = spool.Finish()
	}
	if err != nil {
		httpapi.Error(w, r, fmt.Errorf("export %s as zip: %w", c.ID, err))
		return
	}
	name := "conversation-" + c.ID + ".zip"
	if !res.Uploaded {
		h := w.Header()
		h.Set("Content-Type", "application/zip")
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
		h.Set("Content-Length", strconv.Itoa(len(res.Data)))
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(res.Data)
		return
	}
	signed := time.Now()
	u, err := s.Blobs.PresignAttachment(ctx, key, name, "application/zip", s.Zip.LinkTTL)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, ZipLink{URL: u, ExpiresAt: agent.FormatTime(signed.Add(s.Zip.LinkTTL)), Size: res.Size, FileName: name})
}

// ZipLink answers a ZIP export too large to answer inline: a presigned
// download of it, until ExpiresAt.
type ZipLink struct {
	URL       string `json:"url"`
	ExpiresAt string `json:"expiresAt"`
	Size      int64  `json:"size"`
	FileName  string `json:"fileName"`
}

// writeZip writes the ZIP of doc to w. Pages are made while the ZIP is
// written, at most Pages at a time and within PageTime; one that does not
// build, or not in time, leaves a note in its place. Any other failure, and
// the end of ctx, fails the ZIP.
func (s *Service) writeZip(ctx context.Context, w io.Writer, doc Export, arts []zipArtifact) error {
	pctx, cancel := context.WithDeadline(ctx, s.pageDeadline(ctx))
	defer cancel()
	pages := s.fetchPages(pctx, arts)
	zw := zip.NewWriter(w)
	names := zipNames{}
	if err := writeEntry(zw, names.file(zipConversation), s.Now(), []byte(Markdown(doc))); err != nil {
		return err
	}
	for i, za := range arts {
		dir, at := names.dir(codeblock.Slug(za.doc.Title)), za.art.CreatedAt
		if len(za.doc.Files) == 0 {
			if err := writeEntry(zw, names.file(dir+"/"+codeblock.FileName(za.doc.Title, za.doc.Language)), at, []byte(za.doc.Code)); err != nil {
				return err
			}
		}
		for fi, f := range za.doc.Files {
			p, ok := entryPath(f.Path)
			if !ok {
				p = "file-" + strconv.Itoa(fi+1)
			}
			if err := writeEntry(zw, names.file(dir+"/"+p), at, []byte(f.Code)); err != nil {
				return err
			}
		}
		if pages[i] == nil {
			continue
		}
		res := <-pages[i]
		err := writePage(ctx, zw, names, dir, at, za.art.ID, res)
		res.release()
		if err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	return nil
}

// writePage writes an artifact's page into its directory, or the note that
// takes its place. A page lost because ctx ended fails the ZIP.
func writePage(ctx context.Context, zw *zip.Writer, names zipNames, dir string, at time.Time, id string, res pageResult) error {
	if res.err == nil {
		return writeEntry(zw, names.file(dir+"/"+zipPage), at, res.page)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("page of %s: %w", id, err)
	}
	note := pageNote(res.err)
	if note == "" {
		return nil
	}
	httpapi.Logger(ctx).Info("export without a page", "artifactId", id, "err", res.err)
	return writeEntry(zw, names.file(dir+"/"+zipPageError), at, []byte(note))
}

// pageDeadline is when the pages must be in: PageTime from now, or
// finishTime before the function's deadline when that comes first.
func (s *Service) pageDeadline(ctx context.Context) time.Time {
	at := time.Now().Add(s.Zip.PageTime)
	if d, ok := ctx.Deadline(); ok && d.Add(-finishTime).Before(at) {
		at = d.Add(-finishTime)
	}
	return at
}

// pageResult is an artifact's page, or why it has none. release gives its
// slot back once the ZIP holds the page.
type pageResult struct {
	page    []byte
	err     error
	release func()
}

// fetchPages starts making the pages of the artifacts a browser may run, in
// order, each taking a slot of Pages until the ZIP has written it: so at most
// Pages pages are made at once or held. Each arrives on its own channel (nil
// for an artifact without one). A page not started when ctx ends is ctx's
// error.
func (s *Service) fetchPages(ctx context.Context, arts []zipArtifact) []chan pageResult {
	out := make([]chan pageResult, len(arts))
	for i, za := range arts {
		if mayPreview(za.art) {
			out[i] = make(chan pageResult, 1)
		}
	}
	slots := make(chan struct{}, max(1, s.Zip.Pages))
	release := func() { <-slots }
	go func() {
		for i, za := range arts {
			if out[i] == nil {
				continue
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				out[i] <- pageResult{err: ctx.Err(), release: func() {}}
				continue
			}
			go func() {
				page, err := s.Pages.StandalonePage(ctx, za.art)
				out[i] <- pageResult{page: page, err: err, release: release}
			}()
		}
	}()
	return out
}

// mayPreview reports whether a browser may run a. The builder has the last
// word; code in a language no browser runs is not sent to it.
func mayPreview(a agent.Artifact) bool {
	switch a.Type {
	case agent.TypePython, agent.TypeCode, agent.TypeOther:
		return false
	}
	return true
}

// pageNote is what the ZIP holds in place of a page that failed: the build's
// messages, or why there is none; nothing for an artifact no browser runs.
func pageNote(err error) string {
	switch e := agent.AsError(err); {
	case e.Code == agent.NotPreviewable:
		return ""
	case e.Code == agent.BuildFailed:
		return strings.Join(build.ErrorLines(err), "\n") + "\n"
	case errors.Is(err, context.DeadlineExceeded):
		return "This page was not built: the export ran out of time. Open the artifact's preview, then export again.\n"
	default:
		return "This page could not be built: " + e.Message + "\n"
	}
}

// writeEntry writes body as the ZIP entry name, deflated.
func writeEntry(zw *zip.Writer, name string, modified time.Time, body []byte) error {
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: modified})
	if err == nil {
		_, err = fw.Write(body)
	}
	if err != nil {
		return fmt.Errorf("zip %s: %w", name, err)
	}
	return nil
}

// entryPath is a project file's path as it goes in the ZIP: relative, with
// forward slashes and no . or .. segments, so that unzipping writes nothing
// outside the artifact's directory, and UTF-8 without control characters
// (each of those, and each run of bytes that is not UTF-8, becomes _); ok
// is false when nothing is left.
func entryPath(p string) (string, bool) {
	p = strings.Map(func(r rune) rune {
		switch {
		case r == '\\':
			return '/'
		case unicode.IsControl(r):
			return '_'
		}
		return r
	}, strings.ToValidUTF8(p, "_"))
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	return p, p != ""
}

// zipNames are the names taken in a ZIP, files' and directories', compared
// without case, as the file systems of macOS and Windows compare them. A
// name is a file's or a directory's, never both: unzipping could not make
// it both. The value is whether the name is a directory's.
type zipNames map[string]bool

// dir returns name, or when anything has it the first free name-2,
// name-3, ..., as a directory of its own.
func (n zipNames) dir(name string) string {
	base := name
	for i := 2; n.taken(name); i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	n[strings.ToLower(name)] = true
	return name
}

// file returns the slash-separated name, or when anything has it the first
// free name-2, name-3, ... (before the extension), as a file's. Its
// directories may already be there; one a file has is renamed as a file
// would be, without the extension.
func (n zipNames) file(name string) string {
	dir, base := "", name
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		dir, base = n.parents(name[:i])+"/", name[i+1:]
	}
	stem, ext := base, path.Ext(base)
	if ext != base {
		stem = strings.TrimSuffix(base, ext)
	} else {
		ext = "" // a dotfile's name is all stem
	}
	name = dir + base
	for i := 2; n.taken(name); i++ {
		name = dir + stem + "-" + strconv.Itoa(i) + ext
	}
	n[strings.ToLower(name)] = false
	return name
}

// parents takes every directory of the path p as a directory, renaming one
// a file has to its first name no file has, and returns p so renamed.
func (n zipNames) parents(p string) string {
	out := ""
	for seg := range strings.SplitSeq(p, "/") {
		d := path.Join(out, seg)
		for i := 2; n.isFile(d); i++ {
			d = path.Join(out, seg+"-"+strconv.Itoa(i))
		}
		n[strings.ToLower(d)] = true
		out = d
	}
	return out
}

func (n zipNames) taken(name string) bool {
	_, ok := n[strings.ToLower(name)]
	return ok
}

func (n zipNames) isFile(name string) bool {
	dir, ok := n[strings.ToLower(name)]
	return ok && !dir
}
