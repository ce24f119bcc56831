package store_test

import (
	"testing"
	"time"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/devtools/dynamotest"
)

// TestLineage saves versions of artifacts and lists, deletes and purges
// them: an artifact saved before versions existed is its lineage's first.
func TestLineage(t *testing.T) {
	dynamotest.Each(t, func(t *testing.T, tb dynamotest.Table) {
		dynamotest.RequireTransactions(t, tb)
		s := newStore(t, tb)
		user := id()
		now := time.Now()
		conv := agent.Conversation{ID: id(), UserID: user, Title: "t", CreatedAt: now, UpdatedAt: now}
		if err := s.PutConversationPlain(ctx, conv); err != nil {
			t.Fatal(err)
		}
		art := func(lineage *agent.Artifact, size int) agent.Artifact {
			a := agent.Artifact{ID: id(), UserID: user, ConversationID: conv.ID, MessageID: id(), Title: "A", Type: agent.TypeReact, FileSize: size, CreatedAt: now}
			if lineage != nil {
				a.LineageID, a.Version, a.Replaces = lineage.LineageID, lineage.Version+1, lineage.ID
			}
			return a
		}
		legacy := art(nil, 1)
		if err := s.PutArtifactPlain(ctx, legacy); err != nil { // saved before versions
			t.Fatal(err)
		}
		old, err := s.ArtifactByID(ctx, user, legacy.ID)
		if err != nil || old.LineageID != legacy.ID || old.Version != 1 {
			t.Fatalf("legacy artifact %+v %v", old, err)
		}
		v2 := art(&old, 2)
		v3 := art(&v2, 3)
		other := art(nil, 9)
		for _, a := range []agent.Artifact{v2, v3, other} {
			if err := s.PutArtifact(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		for _, a := range []agent.Artifact{old, v2, v3} {
			revs, err := s.Revisions(ctx, a)
			if err != nil || len(revs) != 3 {
				t.Fatalf("revisions of %d: %+v %v", a.Version, revs, err)
			}
			for i, want := range []agent.Artifact{old, v2, v3} {
				if r := revs[i]; r.ID != want.ID || r.Version != i+1 || r.Size != want.FileSize || r.MessageID != want.MessageID {
					t.Errorf("revision %d = %+v", i+1, r)
				}
			}
		}
		revs, err := s.DeleteLineage(ctx, v2)
		if err != nil || len(revs) != 3 {
			t.Fatalf("delete lineage: %d %v", len(revs), err)
		}
		for _, a := range []agent.Artifact{old, v2, v3} {
			if _, err := s.ArtifactByID(ctx, user, a.ID); !agent.IsCode(err, agent.NotFound) {
				t.Errorf("version %d after the delete: %v", a.Version, err)
			}
		}
		if n, err := s.PartitionSize(ctx, conv.ID); err != nil || n != 2 { // META and the other artifact
			t.Errorf("conversation partition has %d items (%v)", n, err)
		}
		if _, err := s.PurgeConversation(ctx, conv.ID); err != nil {
			t.Fatal(err)
		}
		if n, err := s.LineageSize(ctx, other.ID); err != nil || n != 0 {
			t.Errorf("after the purge the lineage has %d entries (%v)", n, err)
		}
	})
}
