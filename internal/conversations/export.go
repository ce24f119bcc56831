package conversations

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/codeblock"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/store"
)

// ExportFormats are the formats of an export: JSON (the default), Markdown
// (md is its short name) and a ZIP.
var ExportFormats = []string{"json", "markdown", "md", "zip"}

// ExportSchemaVersion versions the JSON export format.
const ExportSchemaVersion = 1

// Export is the JSON export document.
type Export struct {
	SchemaVersion int             `json:"schemaVersion"`
	ExportedAt    string          `json:"exportedAt"`
	Conversation  ExportedConv    `json:"conversation"`
	Messages      []ExportMessage `json:"messages"`
}

// ExportedConv is the conversation part of an export.
type ExportedConv struct {
	ID        string     `json:"id"`
	Title     string     `json:"title"`
	CreatedAt string     `json:"createdAt"`
	UpdatedAt string     `json:"updatedAt"`
	User      ExportUser `json:"user"`
}

// ExportUser names the conversation's owner.
type ExportUser struct {
	Username string `json:"username"`
	Email    string `json:"email"`
}

// ExportMessage is one message with its artifacts and their code.
type ExportMessage struct {
	ID        string           `json:"id"`
	Role      agent.Role       `json:"role"`
	Content   string           `json:"content"`
	CreatedAt string           `json:"createdAt"`
	Artifacts []ExportArtifact `json:"artifacts"`
	// Alternatives are, on a reply that was regenerated, the ids of every
	// reply to the same message, oldest first (this one last).
	Alternatives []string `json:"alternatives,omitempty"`
}

// ExportArtifact is an artifact with its code (and, for a PROJECT, every file).
type ExportArtifact struct {
	ID        string             `json:"id"`
	Title     string             `json:"title"`
	Language  string             `json:"language"`
	Type      agent.ArtifactType `json:"type"`
	FileSize  int                `json:"fileSize"`
	Code      string             `json:"code"`
	Files     []ExportFile       `json:"files,omitempty"`
	CreatedAt string             `json:"createdAt"`
}

// ExportFile is one file of an exported PROJECT.
type ExportFile struct {
	Path     string `json:"path"`
	Language string `json:"language"`
	Code     string `json:"code"`
}

// Export handles GET /api/conversations/{id}/export?format=json|markdown|zip
// (see exportZip for the ZIP).
func (s *Service) Export(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	if !slices.Contains(ExportFormats, format) {
		httpapi.Error(w, r, agent.ValidationError(agent.Detail{Field: "format", Message: "must be json, markdown or zip"}))
		return
	}
	ctx, uid := r.Context(), httpapi.UserID(r.Context())
	th, err := s.Store.Thread(ctx, uid, id)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	u, err := s.Store.UserByID(ctx, uid)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	doc, err := s.exportDoc(ctx, th, u)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	if format == "zip" {
		s.exportZip(w, r, th, doc)
		return
	}
	var body []byte
	ext, ctype := "json", "application/json; charset=utf-8"
	if format == "json" {
		body, err = json.MarshalIndent(doc, "", "  ")
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
	} else {
		ext, ctype = "md", "text/markdown; charset=utf-8"
		body = []byte(Markdown(doc))
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="conversation-%s.%s"`, id, ext))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// exportDoc assembles the export of the conversation as it reads (the
// newest of regenerated replies), reading every artifact's code from S3
// (eight at a time).
func (s *Service) exportDoc(ctx context.Context, th store.Thread, u agent.User) (Export, error) {
	c := th.Conversation
	messages, alts := agent.Linear(th.Messages)
	doc := Export{
		SchemaVersion: ExportSchemaVersion,
		ExportedAt:    agent.FormatTime(s.Now()),
		Conversation:  ExportedConv{ID: c.ID, Title: title(c.Title), CreatedAt: agent.FormatTime(c.CreatedAt), UpdatedAt: agent.FormatTime(c.UpdatedAt), User: ExportUser{Username: u.Username, Email: u.Email}},
		Messages:      make([]ExportMessage, 0, len(messages)),
	}
	// Code is read once for all artifacts, eight objects at a time; dsts
	// point into doc, taken after every append, so they stay valid.
	var keys []string
	var dsts []*string
	for _, m := range messages {
		em := ExportMessage{ID: m.ID, Role: m.Role, Content: m.Content, CreatedAt: agent.FormatTime(m.CreatedAt), Artifacts: []ExportArtifact{}, Alternatives: alts[m.ID].IDs}
		for _, a := range th.Artifacts[m.ID] {
			em.Artifacts = append(em.Artifacts, ExportArtifact{ID: a.ID, Title: a.Title, Language: a.Language, Type: a.Type, FileSize: a.FileSize, CreatedAt: agent.FormatTime(a.CreatedAt)})
		}
		doc.Messages = append(doc.Messages, em)
	}
	for mi, m := range messages {
		for ai, a := range th.Artifacts[m.ID] {
			ea := &doc.Messages[mi].Artifacts[ai]
			if len(a.Files) == 0 {
				keys, dsts = append(keys, a.S3Key), append(dsts, &ea.Code)
				continue
			}
			ea.Files = make([]ExportFile, len(a.Files))
			for fi, f := range a.Files {
				ea.Files[fi] = ExportFile{Path: f.Path, Language: f.Language}
				keys, dsts = append(keys, f.S3Key), append(dsts, &ea.Files[fi].Code)
			}
		}
	}
	codes, err := s.Blobs.GetAll(ctx, keys)
	if err != nil {
		return Export{}, fmt.Errorf("export: read artifact code: %w", err)
	}
	for i, code := range codes {
		*dsts[i] = string(code)
	}
	// A PROJECT's code is its entry file's.
	for mi, m := range messages {
		for ai, a := range th.Artifacts[m.ID] {
			for _, f := range doc.Messages[mi].Artifacts[ai].Files {
				if f.Path == a.Entry {
					doc.Messages[mi].Artifacts[ai].Code = f.Code
				}
			}
		}
	}
	return doc, nil
}

// Markdown renders an export as a Markdown document: title, timestamps,
// each message under its role, each artifact's code in a fenced block with
// its language. Fences are longer than any backtick run in the code, so
// code cannot close its block early.
func Markdown(doc Export) string {
	var b strings.Builder
	c := doc.Conversation
	fmt.Fprintf(&b, "# %s\n\n", oneLine(c.Title))
	fmt.Fprintf(&b, "- Created: %s\n- Updated: %s\n- Exported: %s\n- User: %s\n\n", c.CreatedAt, c.UpdatedAt, doc.ExportedAt, oneLine(c.User.Username))
	for _, m := range doc.Messages {
		fmt.Fprintf(&b, "## %s\n\n_%s_\n\n", roleHeading(m.Role), m.CreatedAt)
		b.WriteString(closeOpenFence(strings.TrimRight(m.Content, "\n")))
		b.WriteString("\n\n")
		for _, a := range m.Artifacts {
			fmt.Fprintf(&b, "### Artifact: %s\n\n", oneLine(a.Title))
			if len(a.Files) == 0 {
				writeFence(&b, a.Language, a.Code)
				continue
			}
			for _, f := range a.Files {
				fmt.Fprintf(&b, "`%s`\n\n", strings.ReplaceAll(f.Path, "`", ""))
				writeFence(&b, f.Language, f.Code)
			}
		}
	}
	return b.String()
}

func roleHeading(role agent.Role) string {
	switch role {
	case agent.RoleUser:
		return "User"
	case agent.RoleAssistant:
		return "Assistant"
	}
	return "System"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// writeFence writes code in a fence Parse reads back whatever it holds,
// and a blank line.
func writeFence(b *strings.Builder, lang, code string) {
	b.WriteString(codeblock.Fenced(strings.ReplaceAll(lang, " ", ""), code) + "\n")
}

// closeOpenFence closes a code fence a message leaves open (a reply cut off
// mid-block), so the rest of the document is not swallowed into it.
func closeOpenFence(content string) string {
	blocks := codeblock.Parse(content)
	if len(blocks) == 0 || blocks[len(blocks)-1].Closed {
		return content
	}
	opening := strings.TrimLeft(content[blocks[len(blocks)-1].Start:], " \t")
	fence := opening[:len(opening)-len(strings.TrimLeft(opening, opening[:1]))]
	return content + "\n" + fence
}
