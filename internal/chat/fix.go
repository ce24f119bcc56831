package chat

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/codeblock"
	"github.com/zocket/agent/internal/httpapi"
)

// fixing is what a fix turn knows of the artifact it fixes.
type fixing struct {
	art    agent.Artifact // the version that does not build
	src    agent.Source   // its code
	errors []agent.Detail // esbuild's messages: file, line, column, text
	// next places the new version: after the lineage's latest.
	next saved
	// draft is the index of the reply's draft that is the new version;
	// -1 until a draft of the artifact's kind arrives. saved is that
	// version as last saved.
	draft int
	saved *agent.Artifact
}

// takes reports whether d, a draft of the reply, can be the new version:
// a draft of the artifact's type; for a PROJECT, any draft of files with
// paths (the files it changes).
func (f *fixing) takes(d codeblock.Draft) bool {
	if f.art.Type == agent.TypeProject {
		return d.Type == agent.TypeProject || d.Path != ""
	}
	return d.Type == f.art.Type
}

// version is d as the new version of the artifact: same title; for a
// PROJECT, its files with those of d in place of theirs (and d's new ones
// after them).
func (f *fixing) version(d codeblock.Draft) codeblock.Draft {
	d.Title = f.art.Title
	if f.art.Type != agent.TypeProject {
		d.Path = f.art.Path
		return d
	}
	changed := d.Files
	if len(changed) == 0 {
		changed = []codeblock.File{{Path: d.Path, Language: d.Language, Code: d.Code}}
	}
	files := make([]codeblock.File, len(f.src.Files))
	for i, sf := range f.src.Files {
		files[i] = codeblock.File{Path: sf.Path, Language: sf.Language, Code: sf.Code}
	}
	for _, c := range changed {
		if i := slices.IndexFunc(files, func(x codeblock.File) bool { return x.Path == c.Path }); i >= 0 {
			files[i] = c
		} else {
			files = append(files, c)
		}
	}
	out := codeblock.Draft{Title: f.art.Title, Language: f.art.Language, Type: agent.TypeProject, Entry: f.art.Entry, Files: files}
	for _, x := range files {
		if x.Path == out.Entry {
			out.Code = x.Code
		}
	}
	return out
}

// message is the user message a fix saves: what is asked, with the errors.
func (f *fixing) message() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Fix the build errors in %q (version %d):\n", f.art.Title, f.art.Version)
	for _, e := range f.errors {
		if e.File != "" {
			fmt.Fprintf(&b, "\n- %s:%d:%d: %s", e.File, e.Line, e.Column, e.Text)
		} else {
			fmt.Fprintf(&b, "\n- %s", e.Text)
		}
	}
	return b.String()
}

// context is what the model reads after that message and the conversation
// does not keep: the code, and how to answer.
func (f *fixing) context() string {
	var b strings.Builder
	b.WriteString("\n\nThe current code:\n")
	if len(f.src.Files) == 0 {
		b.WriteString("\n" + codeblock.Fenced(f.art.Language, f.src.Code))
		b.WriteString("\nReply with the complete corrected code in one code block, then a sentence on what was wrong.")
		return b.String()
	}
	for _, sf := range f.src.Files {
		b.WriteString("\n" + codeblock.Fenced(sf.Language+" "+sf.Path, sf.Code))
	}
	b.WriteString("\nReply with each file you change, complete, in its own code block whose info string names its path (```tsx src/App.tsx), then a sentence on what was wrong.")
	return b.String()
}

// Fix handles POST /api/artifacts/{id}/fix `{stream?}`: the server side of
// "Try fixing". It builds the artifact; one that builds is a 409, one that
// cannot be previewed a 422. Otherwise the model gets the code and its build
// errors, in the artifact's conversation (a user message naming the errors,
// and the reply, so the history stays true), and the reply's first block of
// the artifact's kind becomes its next version, built or not: the stream
// ends with that version's build result, so a client can fix again. It
// answers like send, costs a credit and obeys every limit send obeys.
func (s *Service) Fix(w http.ResponseWriter, r *http.Request) {
	var req RegenerateRequest
	err := httpapi.DecodeOptional(w, r, &req)
	var a agent.Artifact
	if err == nil {
		a, err = s.artifact(r, httpapi.UserID(r.Context()))
	}
	if err == nil && s.Builder == nil {
		err = agent.NewError(agent.NotPreviewable, "Nothing can be built here.")
	}
	var f *fixing
	if err == nil {
		f, err = s.fixing(r, a)
	}
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	p := s.newProducer(r, newID())
	p.message, p.fix = f.message(), f
	if err := p.reserve(r.Context(), a.ConversationID, p.readConversation(a.ConversationID)); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	s.serve(w, r, p, req.stream(), "Fix sent successfully")
}

// artifact reads the {id} artifact of the caller; a malformed id is a 404.
func (s *Service) artifact(r *http.Request, userID string) (agent.Artifact, error) {
	id := strings.ToLower(r.PathValue("id"))
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return agent.Artifact{}, agent.NewError(agent.NotFound, "Artifact not found.")
	}
	return s.Store.ArtifactByID(r.Context(), userID, id)
}

// fixing builds a and, when it fails, gathers what its fix needs.
func (s *Service) fixing(r *http.Request, a agent.Artifact) (*fixing, error) {
	ctx := r.Context()
	_, err := s.Builder.BuildArtifact(ctx, a)
	if err == nil {
		return nil, agent.NewError(agent.Conflict, "This artifact already builds: there is nothing to fix.")
	}
	if !agent.IsCode(err, agent.BuildFailed) {
		return nil, err
	}
	src, serr := s.Builder.Source(ctx, a)
	if serr != nil {
		return nil, serr
	}
	details := agent.AsError(err).Details
	if len(details) == 0 {
		details = []agent.Detail{{Text: agent.AsError(err).Message}}
	}
	return &fixing{art: a, src: src, errors: details, draft: -1}, nil
}
