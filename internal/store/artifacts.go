package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/guregu/dynamo/v2"

	"github.com/zocket/agent"
)

// Artifact is the metadata of code taken from an assistant reply; the code
// itself is in S3 under S3Key (and, for a PROJECT, one object per file).
// It is stored twice, written in one transaction: in its conversation's
// partition (so a conversation reads in one Query) and under its own key (so
// an artifact reads in one GetItem).
type Artifact struct {
	PK             string     `dynamo:"PK,hash" json:"-"`
	SK             string     `dynamo:"SK,range" json:"-"`
	ID             string     `dynamo:"id" json:"id"`
	UserID         string     `dynamo:"userId" json:"-"`
	ConversationID string     `dynamo:"conversationId" json:"conversationId"`
	MessageID      string     `dynamo:"messageId" json:"messageId"`
	Title          string     `dynamo:"title" json:"title"`
	Language       string     `dynamo:"language" json:"language"`
	Type           string     `dynamo:"type" json:"type"`
	S3Key          string     `dynamo:"s3Key" json:"s3Key"`
	FileSize       int        `dynamo:"fileSize" json:"fileSize"`
	Files          []FileMeta `dynamo:"files,omitempty" json:"files,omitempty"`
	Entry          string     `dynamo:"entry,omitempty" json:"entry,omitempty"`
	ContentHash    string     `dynamo:"contentHash,omitempty" json:"-"`
	BundledHTMLKey string     `dynamo:"bundledHtmlKey,omitempty" json:"bundledHtmlKey"`
	// BundledScriptHashes are the CSP hashes of the built page's scripts.
	BundledScriptHashes []string `dynamo:"bundledScriptHashes,omitempty" json:"-"`
	CreatedAt           string   `dynamo:"createdAt" json:"createdAt"`
	UpdatedAt           string   `dynamo:"updatedAt" json:"updatedAt"`
}

// FileMeta is one file of a PROJECT artifact.
type FileMeta struct {
	Path     string `dynamo:"path" json:"path"`
	Language string `dynamo:"language" json:"language"`
	Size     int    `dynamo:"size" json:"size"`
	S3Key    string `dynamo:"s3Key" json:"-"`
}

const (
	artifactInfix = "#ART#"
	skArtifact    = "ARTIFACT"
)

func artifactKey(id string) string { return "ART#" + id }
func artifactSK(messageID, id string) string {
	return messageSK(messageID) + artifactInfix + id
}

// PutArtifact writes (or replaces) both copies of a, only while its
// conversation exists.
func (s *Store) PutArtifact(ctx context.Context, a Artifact) error {
	own, inConv := a, a
	own.PK, own.SK = artifactKey(a.ID), skArtifact
	inConv.PK, inConv.SK = convKey(a.ConversationID), artifactSK(a.MessageID, a.ID)
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
func (s *Store) ArtifactByID(ctx context.Context, userID, id string) (Artifact, error) {
	var a Artifact
	err := s.table.Get(AttrPK, artifactKey(id)).Range(AttrSK, dynamo.Equal, skArtifact).Consistent(true).One(ctx, &a)
	if errors.Is(err, dynamo.ErrNotFound) || err == nil && a.UserID != userID {
		return Artifact{}, agent.NewError(agent.NotFound, "Artifact not found.")
	}
	if err != nil {
		return Artifact{}, fmt.Errorf("get artifact %s: %w", id, err)
	}
	return a, nil
}

// DeleteArtifact removes both copies of the caller's artifact in one
// transaction; another user's (or a missing) artifact is agent.NotFound.
func (s *Store) DeleteArtifact(ctx context.Context, userID string, a Artifact) error {
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
func (s *Store) SetBundledHTML(ctx context.Context, a Artifact, key string, scriptHashes []string) error {
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
