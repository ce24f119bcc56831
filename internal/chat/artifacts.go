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
	turn *turn
	sink Sink
	cons codeblock.Consolidator
	ids  map[int]saved
}

type saved struct {
	id        string
	createdAt time.Time
	// The draft's place in a lineage, decided when it is first saved.
	lineage, replaces string
	version           int
}

func (a *artifactSaver) add(ctx context.Context, b codeblock.Block) {
	idx, _ := a.cons.Add(b)
	if idx < 0 {
		return
	}
	d := a.cons.Drafts()[idx]
	fix := a.turn.fix
	fixed := fix != nil && (fix.draft == idx || fix.draft < 0 && fix.takes(d))
	if fixed {
		fix.draft, d = idx, fix.version(d)
	}
	if a.ids == nil {
		a.ids = map[int]saved{}
	}
	sv, ok := a.ids[idx]
	if !ok {
		if fixed {
			sv = fix.next
		} else {
			sv = a.turn.newVersion(d)
		}
		a.ids[idx] = sv
	}
	art, err := a.save(ctx, sv, d)
	if err != nil {
		a.turn.log.Error("save artifact", "artifactId", sv.id, "err", err)
		a.sink.ArtifactFailed(sv.id, d.Title)
		return
	}
	a.turn.kept++
	view, err := a.turn.svc.Artifacts.View(ctx, a.turn.viewer, art)
	if err != nil {
		a.turn.log.Error("render artifact", "artifactId", art.ID, "err", err)
		return
	}
	a.sink.Artifact(view)
	if fixed {
		fix.saved = &art // built once the reply is over
		return
	}
	if a.turn.building && a.turn.svc.Builder != nil && art.Type == agent.TypeReact {
		res, err := a.turn.svc.Builder.BuildArtifact(ctx, art)
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
	t := a.turn
	prefix := fmt.Sprintf("%s%s/%s/%s/", t.svc.CodePrefix, t.user.ID, t.conv.ID, sv.id)
	art := agent.Artifact{
		ID: sv.id, UserID: t.user.ID, ConversationID: t.conv.ID, MessageID: t.assistantID,
		Title: d.Title, Language: d.Language, Type: d.Type, Entry: d.Entry, Path: d.Path,
		LineageID: sv.lineage, Version: sv.version, Replaces: sv.replaces,
		CreatedAt: sv.createdAt, UpdatedAt: t.svc.Now(),
	}
	h := sha256.New()
	if len(d.Files) == 0 {
		art.S3Key = prefix + codeblock.FileName(d.Title, d.Language)
		art.FileSize = len(d.Code)
		h.Write([]byte(d.Code))
		if err := t.svc.Blobs.Put(ctx, art.S3Key, []byte(d.Code), contentType(d.Language)); err != nil {
			return agent.Artifact{}, err
		}
	} else {
		for _, f := range d.Files {
			key := prefix + "files/" + f.Path
			if err := t.svc.Blobs.Put(ctx, key, []byte(f.Code), contentType(f.Language)); err != nil {
				return agent.Artifact{}, err
			}
			art.Files = append(art.Files, agent.File{Path: f.Path, Language: f.Language, Size: len(f.Code), S3Key: key})
			art.FileSize += len(f.Code)
			fmt.Fprintf(h, "%s\x00%d\x00%s", f.Path, len(f.Code), f.Code)
			if f.Path == d.Entry {
				art.S3Key = key
			}
		}
	}
	art.ContentHash = hex.EncodeToString(h.Sum(nil))
	if err := t.svc.Store.PutArtifact(ctx, art); err != nil {
		if agent.IsCode(err, agent.NotFound) {
			// The conversation was deleted meanwhile, and its delete may have
			// swept S3 before this code arrived: nothing else would remove it.
			if _, derr := t.svc.Blobs.DeletePrefix(ctx, prefix); derr != nil {
				err = errors.Join(err, fmt.Errorf("remove code of artifact %s: %w", art.ID, derr))
			}
		}
		return agent.Artifact{}, err
	}
	return art, nil
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
func (t *turn) newVersion(d codeblock.Draft) saved {
	sv := saved{id: newID(), createdAt: t.svc.Now(), version: 1}
	sv.lineage = sv.id
	key := agent.MatchKey(d.Type, d.Entry, d.Path, d.Title)
	if prev, ok := t.latest[key]; ok {
		sv.lineage, sv.version, sv.replaces = prev.LineageID, prev.Version+1, prev.ID
	}
	if t.latest == nil {
		t.latest = map[string]agent.Artifact{}
	}
	t.latest[key] = agent.Artifact{ID: sv.id, LineageID: sv.lineage, Version: sv.version}
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
func (t *turn) nextVersion(byMessage map[string][]agent.Artifact, lineage string) saved {
	sv := saved{id: newID(), createdAt: t.svc.Now(), lineage: lineage, version: 1}
	for _, arts := range byMessage {
		for _, a := range arts {
			if a.LineageID == lineage && a.Version >= sv.version {
				sv.version, sv.replaces = a.Version+1, a.ID
			}
		}
	}
	return sv
}
