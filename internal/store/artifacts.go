package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/guregu/dynamo/v2"

	"github.com/zocket/agent"
)

// PutArtifact writes (or replaces) both copies of a, only while its
// conversation exists.
func (s *Store) PutArtifact(ctx context.Context, a agent.Artifact) error {
	own, inConv := newArtifactItems(a)
	if err := checkItemSize(own); err != nil {
		return err
	}
	err := s.db.WriteTx().
		Put(s.table.Put(own)).
		Put(s.table.Put(inConv)).
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

// DeleteArtifact removes both copies of the caller's artifact in one
// transaction; another user's (or a missing) artifact is agent.NotFound.
func (s *Store) DeleteArtifact(ctx context.Context, userID string, a agent.Artifact) error {
	err := s.db.WriteTx().
		Delete(s.table.Delete(AttrPK, artifactKey(a.ID)).Range(AttrSK, skArtifact).If("userId = ?", userID)).
		Delete(s.table.Delete(AttrPK, convKey(a.ConversationID)).Range(AttrSK, artifactSK(a.MessageID, a.ID))).
		Run(ctx)
	if isConditionFailure(err) {
		return agent.WrapError(err, agent.NotFound, "Artifact not found.")
	}
	if err != nil {
		return fmt.Errorf("delete artifact %s: %w", a.ID, err)
	}
	return nil
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
