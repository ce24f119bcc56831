package chat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/build"
	"github.com/zocket/agent/internal/codeblock"
)

// artifactSaver turns a reply's closed code blocks into saved artifacts as
// the reply streams: code to S3 first, then the metadata, then the event, so
// an artifact announced is an artifact whose code can be read at once.
// A draft that a later block changes is saved again under the same id.
type artifactSaver struct {
	p       *producer
	sink    Sink
	scanner codeblock.Scanner
	cons    codeblock.Consolidator
	ids     map[int]saved
}

type saved struct {
	id        string
	createdAt time.Time
	// The draft's place in a lineage, decided when it is first saved.
	lineage, replaces string
	version           int
}

// scan reads the next delta of the reply and saves the blocks it closes.
func (a *artifactSaver) scan(ctx context.Context, delta string) {
	for _, b := range a.scanner.Write(delta) {
		a.add(ctx, b)
	}
}

// close saves the blocks the reply's end closes.
func (a *artifactSaver) close(ctx context.Context) {
	for _, b := range a.scanner.Close() {
		a.add(ctx, b)
	}
}

func (a *artifactSaver) add(ctx context.Context, b codeblock.Block) {
	idx, _ := a.cons.Add(b)
	if idx < 0 {
		return
	}
	d := a.cons.Drafts()[idx]
	fix := a.p.fix
	fixed := fix != nil && (fix.draft == idx || fix.draft < 0 && fix.takes(d))
	if fixed {
		fix.draft, d = idx, fix.version(d)
	}
	sv := a.place(idx, d, fixed)
	art, err := a.save(ctx, sv, d)
	if err != nil {
		a.p.log.Error("save artifact", "artifactId", sv.id, "err", err)
		a.sink.ArtifactFailed(sv.id, d.Title)
		return
	}
	a.p.kept++
	a.announce(ctx, art, fixed)
}

// place is where draft idx is saved: where it was first saved; else, for
// the fix's draft, the fixed artifact's next version; else a new version
// (newVersion).
func (a *artifactSaver) place(idx int, d codeblock.Draft, fixed bool) saved {
	if sv, ok := a.ids[idx]; ok {
		return sv
	}
	var sv saved
	if fixed {
		sv = a.p.fix.next
	} else {
		sv = a.p.newVersion(d)
	}
	if a.ids == nil {
		a.ids = map[int]saved{}
	}
	a.ids[idx] = sv
	return sv
}

// announce sends the event of saved artifact art and, when the request
// asked for it, its build. A fix's version is built once the reply is over.
func (a *artifactSaver) announce(ctx context.Context, art agent.Artifact, fixed bool) {
	p := a.p
	view, err := p.svc.Artifacts.View(ctx, p.viewer, art)
	if err != nil {
		p.log.Error("render artifact", "artifactId", art.ID, "err", err)
		return
	}
	a.sink.Artifact(view)
	if fixed {
		p.fix.saved = &art
		return
	}
	if p.building && p.svc.Builder != nil && art.Type == agent.TypeReact {
		res, err := p.svc.Builder.BuildArtifact(ctx, art)
		a.sink.Build(buildResult(art.ID, res, err))
	}
}

// buildResult is the build event of an artifact built with res and err.
func buildResult(id string, res build.Result, err error) BuildResult {
	if err != nil {
		return BuildResult{ArtifactID: id, Errors: build.ErrorLines(err), Warnings: []string{}}
	}
	out := BuildResult{Success: true, ArtifactID: id, BundleSize: res.Size, BuildTime: int64(res.DurationMS), Errors: []string{}, Warnings: []string{}}
	for _, w := range res.Warnings {
		out.Warnings = append(out.Warnings, w.String())
	}
	return out
}

func (a *artifactSaver) save(ctx context.Context, sv saved, d codeblock.Draft) (agent.Artifact, error) {
	p := a.p
	prefix := fmt.Sprintf("%s%s/%s/%s/", p.svc.CodePrefix, p.user.ID, p.conv.ID, sv.id)
	art := agent.Artifact{
		ID: sv.id, UserID: p.user.ID, ConversationID: p.conv.ID, MessageID: p.replyID,
		Title: d.Title, Language: d.Language, Type: d.Type, Entry: d.Entry, Path: d.Path,
		LineageID: sv.lineage, Version: sv.version, Replaces: sv.replaces,
		CreatedAt: sv.createdAt, UpdatedAt: p.svc.Now(),
	}
	if err := a.putCode(ctx, &art, prefix, d); err != nil {
		return agent.Artifact{}, err
	}
	if err := p.svc.Store.PutArtifact(ctx, art); err != nil {
		if agent.IsCode(err, agent.NotFound) {
			// The conversation was deleted meanwhile, and its delete may have
			// swept S3 before this code arrived: nothing else would remove it.
			if _, derr := p.svc.Blobs.DeletePrefix(ctx, prefix); derr != nil {
				err = errors.Join(err, fmt.Errorf("remove code of artifact %s: %w", art.ID, derr))
			}
		}
		return agent.Artifact{}, err
	}
	return art, nil
}

// putCode writes d's code to S3 under prefix (a PROJECT's files one by one)
// and sets art's keys, size and content hash.
func (a *artifactSaver) putCode(ctx context.Context, art *agent.Artifact, prefix string, d codeblock.Draft) error {
	blobs := a.p.svc.Blobs
	h := sha256.New()
	if len(d.Files) == 0 {
		art.S3Key = prefix + codeblock.FileName(d.Title, d.Language)
		art.FileSize = len(d.Code)
		h.Write([]byte(d.Code))
		if err := blobs.Put(ctx, art.S3Key, []byte(d.Code), contentType(d.Language)); err != nil {
			return err
		}
	}
	for _, f := range d.Files {
		key := prefix + "files/" + f.Path
		if err := blobs.Put(ctx, key, []byte(f.Code), contentType(f.Language)); err != nil {
			return err
		}
		art.Files = append(art.Files, agent.File{Path: f.Path, Language: f.Language, Size: len(f.Code), S3Key: key})
		art.FileSize += len(f.Code)
		fmt.Fprintf(h, "%s\x00%d\x00%s", f.Path, len(f.Code), f.Code)
		if f.Path == d.Entry {
			art.S3Key = key
		}
	}
	art.ContentHash = hex.EncodeToString(h.Sum(nil))
	return nil
}

func contentType(language string) string {
	switch language {
	case "html":
		return "text/html; charset=utf-8"
	case "css":
		return "text/css; charset=utf-8"
	case "json":
		return "application/json"
	}
	return "text/plain; charset=utf-8"
}

// newVersion places a new draft: the next version of the latest artifact of
// the conversation it matches (agent.MatchKey), or version 1 of its own
// lineage. The turn's latest versions then count it, so a later draft
// matching it follows it.
func (p *producer) newVersion(d codeblock.Draft) saved {
	sv := saved{id: newID(), createdAt: p.svc.Now(), version: 1}
	sv.lineage = sv.id
	key := agent.MatchKey(d.Type, d.Entry, d.Path, d.Title)
	if prev, ok := p.latest[key]; ok {
		sv.lineage, sv.version, sv.replaces = prev.LineageID, prev.Version+1, prev.ID
	}
	if p.latest == nil {
		p.latest = map[string]agent.Artifact{}
	}
	p.latest[key] = agent.Artifact{ID: sv.id, LineageID: sv.lineage, Version: sv.version}
	return sv
}

// latestVersions indexes a conversation's artifacts by match key, keeping
// the one created last (of two lineages with one key, the latest wins).
func latestVersions(byMessage map[string][]agent.Artifact) map[string]agent.Artifact {
	out := map[string]agent.Artifact{}
	for _, arts := range byMessage {
		for _, a := range arts {
			k := a.MatchKey()
			if prev, ok := out[k]; !ok || a.CreatedAt.After(prev.CreatedAt) || a.CreatedAt.Equal(prev.CreatedAt) && a.Version > prev.Version {
				out[k] = a
			}
		}
	}
	return out
}

// nextVersion places the next version of lineage: after its latest version
// among the conversation's artifacts.
func (p *producer) nextVersion(byMessage map[string][]agent.Artifact, lineage string) saved {
	sv := saved{id: newID(), createdAt: p.svc.Now(), lineage: lineage, version: 1}
	for _, arts := range byMessage {
		for _, a := range arts {
			if a.LineageID == lineage && a.Version >= sv.version {
				sv.version, sv.replaces = a.Version+1, a.ID
			}
		}
	}
	return sv
}
