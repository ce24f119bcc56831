package store

import (
	"context"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/zocket/agent"
)

// Fixtures for the store's external tests. They write items with plain
// PutItem calls, in exactly the layout the transactional writers use, so
// read paths can be tested on backends without transactions (dynalite).

// PutConversationPlain writes c's META item as CreateConversation would,
// with its activity at c.UpdatedAt.
func (s *Store) PutConversationPlain(ctx context.Context, c agent.Conversation) error {
	return s.table.Put(newConversationItem(c, c.UpdatedAt)).Run(ctx)
}

// PutMessagePlain writes m as AppendMessage would, without touching the
// conversation.
func (s *Store) PutMessagePlain(ctx context.Context, m agent.Message) error {
	item, parts, err := newMessageItems(m)
	if err != nil {
		return err
	}
	if err := s.table.Put(item).Run(ctx); err != nil {
		return err
	}
	for _, p := range parts {
		if err := s.table.Put(p).Run(ctx); err != nil {
			return err
		}
	}
	return nil
}

// PutArtifactPlain writes both copies of a as PutArtifact would.
func (s *Store) PutArtifactPlain(ctx context.Context, a agent.Artifact) error {
	own, inConv := newArtifactItems(a)
	if err := s.table.Put(own).Run(ctx); err != nil {
		return err
	}
	return s.table.Put(inConv).Run(ctx)
}

// PartitionSize counts the items of a conversation's partition.
func (s *Store) PartitionSize(ctx context.Context, id string) (int, error) {
	n := 0
	err := s.queryItems(ctx, s.queryInput("", AttrPK, convKey(id)), func(dynamo.Item) (bool, error) { n++; return true, nil })
	return n, err
}

// DropTurnsPlain removes the slots attribute of a user, as on a user
// created before turns had slots.
func (s *Store) DropTurnsPlain(ctx context.Context, userID string) error {
	return s.table.Update(AttrPK, userKey(userID)).Range(AttrSK, skProfile).Remove("turns").Run(ctx)
}

// PutUserPlain writes u's profile item as CreateUser would, without its
// credentials.
func (s *Store) PutUserPlain(ctx context.Context, u agent.User) error {
	return s.table.Put(newUserItem(u)).Run(ctx)
}

// TurnPartitionSize counts the items of a turn's partition.
func (s *Store) TurnPartitionSize(ctx context.Context, messageID string) (int, error) {
	n := 0
	err := s.queryItems(ctx, s.queryInput("", AttrPK, turnKey(messageID)), func(dynamo.Item) (bool, error) { n++; return true, nil })
	return n, err
}

// LineageSize counts the entries of an artifact lineage.
func (s *Store) LineageSize(ctx context.Context, lineageID string) (int, error) {
	n := 0
	err := s.queryItems(ctx, s.queryInput("", AttrPK, lineageKey(lineageID)), func(dynamo.Item) (bool, error) { n++; return true, nil })
	return n, err
}

// AddUsagePlain adds u to the user's usage of day's UTC day with one
// UpdateItem, in the layout the transactional writers use.
func (s *Store) AddUsagePlain(ctx context.Context, userID string, day time.Time, u agent.Usage) error {
	return s.table.Update(AttrPK, userKey(userID)).Range(AttrSK, usageSK(day)).
		Add("promptTokens", u.PromptTokens).Add("outputTokens", u.OutputTokens).
		Add("chargedTurns", u.Turns).Add("spentCredits", u.Credits).Run(ctx)
}
