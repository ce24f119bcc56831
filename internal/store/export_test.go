package store

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Fixtures for the store's external tests. They write items with plain
// PutItem calls, in exactly the layout the transactional writers use, so
// read paths can be tested on backends without transactions (dynalite).

// PutConversationPlain writes c's META item as CreateConversation would,
// with its activity at c.UpdatedAt.
func (s *Store) PutConversationPlain(ctx context.Context, c Conversation) error {
	c.PK, c.SK = convKey(c.ID), skMeta
	c.GSI1PK, c.GSI1SK = convListKey(c.UserID), activityKey(c.UpdatedAt, c.ID)
	c.ActivityAt = c.UpdatedAt
	c.TitleLower = strings.ToLower(c.Title)
	return s.table.Put(c).Run(ctx)
}

// PutMessagePlain writes m as AppendMessage would, without touching the
// conversation.
func (s *Store) PutMessagePlain(ctx context.Context, m Message) error {
	m.PK, m.SK = convKey(m.ConversationID), messageSK(m.ID)
	return s.table.Put(m).Run(ctx)
}

// PutArtifactPlain writes both copies of a as PutArtifact would.
func (s *Store) PutArtifactPlain(ctx context.Context, a Artifact) error {
	own, inConv := a, a
	own.PK, own.SK = artifactKey(a.ID), skArtifact
	inConv.PK, inConv.SK = convKey(a.ConversationID), artifactSK(a.MessageID, a.ID)
	if err := s.table.Put(own).Run(ctx); err != nil {
		return err
	}
	return s.table.Put(inConv).Run(ctx)
}

// PartitionSize counts the items of a conversation's partition.
func (s *Store) PartitionSize(ctx context.Context, id string) (int, error) {
	n := 0
	err := s.queryPartition(ctx, convKey(id), true, func(map[string]types.AttributeValue) error { n++; return nil })
	return n, err
}
