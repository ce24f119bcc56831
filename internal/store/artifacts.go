package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/guregu/dynamo/v2"

	"github.com/zocket/agent"
)

// PutArtifact writes (or replaces) both copies of a and its entry in its
// lineage, only while its conversation exists.
func (s *Store) PutArtifact(ctx context.Context, a agent.Artifact) error {
	if a.LineageID == "" {
		a.LineageID, a.Version = a.ID, 1
	}
	own, inConv := newArtifactItems(a)
	if err := checkItemSize(own); err != nil {
		return err
	}
	err := s.db.WriteTx().
		Put(s.table.Put(own)).
		Put(s.table.Put(inConv)).
		Put(s.table.Put(newRevisionItem(a))).
		Check(s.table.Check(AttrPK, convKey(a.ConversationID)).Range(AttrSK, skMeta).
			If("userId = ? AND attribute_not_exists(deleting)", a.UserID)).
		Run(ctx)
	if isConditionFailure(err) {
		return agent.WrapError(err, agent.NotFound, "Conversation not found.")
	}
	if err != nil {
		return fmt.Errorf("put artifact %s: %w", a.ID, err)
	}
	return nil
}

// ArtifactByID returns the caller's artifact; another user's is
// agent.NotFound.
func (s *Store) ArtifactByID(ctx context.Context, userID, id string) (agent.Artifact, error) {
	var it artifactItem
	err := s.table.Get(AttrPK, artifactKey(id)).Range(AttrSK, dynamo.Equal, skArtifact).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) || err == nil && it.UserID != userID {
		return agent.Artifact{}, agent.NewError(agent.NotFound, "Artifact not found.")
	}
	if err != nil {
		return agent.Artifact{}, fmt.Errorf("get artifact %s: %w", id, err)
	}
	return it.artifact(), nil
}

// Revisions lists the versions of the caller's artifact a's lineage,
// oldest first, in one Query. A first version saved before versions
// existed has no entry: it is listed from its own item (one GetItem more).
func (s *Store) Revisions(ctx context.Context, a agent.Artifact) ([]agent.Revision, error) {
	var out []agent.Revision
	err := s.queryItems(ctx, s.queryInput("", AttrPK, lineageKey(a.LineageID)), func(item dynamo.Item) (bool, error) {
		var it revisionItem
		if err := dynamo.UnmarshalItem(item, &it); err != nil {
			return false, err
		}
		if it.UserID == a.UserID {
			out = append(out, it.revision())
		}
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list versions of %s: %w", a.LineageID, err)
	}
	if len(out) > 0 && out[0].Version == 1 {
		return out, nil
	}
	first := a
	if a.ID != a.LineageID {
		if first, err = s.ArtifactByID(ctx, a.UserID, a.LineageID); agent.IsCode(err, agent.NotFound) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
	}
	v1 := agent.Revision{ID: first.ID, Version: 1, MessageID: first.MessageID, CreatedAt: first.CreatedAt, Size: first.FileSize}
	return append([]agent.Revision{v1}, out...), nil
}

// DeleteLineage removes every version of the caller's artifact a (its two
// copies and its lineage entry each), in batches of 25 whose unprocessed
// items are retried. It returns the versions it removed; a failure half-way
// leaves versions that a retry removes.
func (s *Store) DeleteLineage(ctx context.Context, a agent.Artifact) ([]agent.Revision, error) {
	revs, err := s.Revisions(ctx, a)
	if err != nil {
		return nil, err
	}
	var keys []dynamo.Keyed
	for _, r := range revs {
		keys = append(keys,
			dynamo.Keys{artifactKey(r.ID), skArtifact},
			dynamo.Keys{convKey(a.ConversationID), artifactSK(r.MessageID, r.ID)},
			dynamo.Keys{lineageKey(a.LineageID), revisionSK(r.Version)})
	}
	if len(keys) == 0 {
		return nil, agent.NewError(agent.NotFound, "Artifact not found.")
	}
	if _, err := s.table.Batch(AttrPK, AttrSK).Write().Delete(keys...).Run(ctx); err != nil {
		return nil, fmt.Errorf("delete versions of %s: %w", a.LineageID, err)
	}
	return revs, nil
}

// SetBundledHTML records the key of an artifact's built page, and the CSP
// hashes of its scripts, on both copies, only while the artifact's content
// is the one that was built (contentHash).
func (s *Store) SetBundledHTML(ctx context.Context, a agent.Artifact, key string, scriptHashes []string) error {
	set := func(u *dynamo.Update) *dynamo.Update {
		u = u.Set("bundledHtmlKey", key)
		if len(scriptHashes) > 0 {
			u = u.Set("bundledScriptHashes", scriptHashes)
		} else {
			u = u.Remove("bundledScriptHashes")
		}
		return u.If("attribute_exists(PK) AND contentHash = ?", a.ContentHash)
	}
	err := s.db.WriteTx().
		Update(set(s.table.Update(AttrPK, artifactKey(a.ID)).Range(AttrSK, skArtifact))).
		Update(set(s.table.Update(AttrPK, convKey(a.ConversationID)).Range(AttrSK, artifactSK(a.MessageID, a.ID)))).
		Run(ctx)
	if isConditionFailure(err) {
		return agent.WrapError(err, agent.NotFound, "Artifact not found.")
	}
	if err != nil {
		return fmt.Errorf("set bundled html of %s: %w", a.ID, err)
	}
	return nil
}
