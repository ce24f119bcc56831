package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/zocket/agent"
)

// BeginDeleteConversation hides the caller's conversation (it leaves the
// list index and every read answers 404) and uncounts it from its owner, in
// one transaction. Called again for a conversation already being deleted (a
// retry after a failure half-way), it succeeds without counting twice, so
// the caller can finish the job.
func (s *Store) BeginDeleteConversation(ctx context.Context, userID, id string) error {
	hide := s.table.Update(AttrPK, convKey(id)).Range(AttrSK, skMeta).
		Set("deleting", true).Remove(AttrGSI1PK, AttrGSI1SK).
		If("userId = ? AND attribute_not_exists(deleting)", userID)
	uncount := s.table.Update(AttrPK, userKey(userID)).Range(AttrSK, skProfile).Add("conversationCount", -1)
	err := s.db.WriteTx().Update(hide).Update(uncount).Run(ctx)
	if err == nil {
		return nil
	}
	if !isConditionFailure(err) {
		return fmt.Errorf("begin delete of conversation %s: %w", id, err)
	}
	var c conversationItem
	if err := s.table.Get(AttrPK, convKey(id)).Range(AttrSK, dynamo.Equal, skMeta).Consistent(true).One(ctx, &c); err != nil || c.UserID != userID {
		return errConversationNotFound
	}
	if !c.Deleting {
		return fmt.Errorf("begin delete of conversation %s: condition failed on a live conversation", id)
	}
	return nil
}

// PurgeConversation deletes every item of a conversation being deleted (its
// messages and their records, its artifacts with their own items and
// lineage entries, its replies' journals not yet expired), keeping the META item for
// FinishDeleteConversation. It returns the ids of the artifacts it removed.
// Deletes go in batches of 25 whose unprocessed items guregu/dynamo retries
// with backoff, so conversations of any length are removed completely.
func (s *Store) PurgeConversation(ctx context.Context, id string) ([]string, error) {
	var keys []dynamo.Keyed
	var artifacts, recent []string
	in := s.queryInput("", AttrPK, convKey(id))
	in.ProjectionExpression = aws.String("PK, SK, #r, createdAt, lineageId, #v")
	in.ExpressionAttributeNames["#r"] = "role"
	in.ExpressionAttributeNames["#v"] = "version"
	journals := s.now().Add(-journalWindow)
	err := s.queryItems(ctx, in, func(item dynamo.Item) (bool, error) {
		var k struct {
			PK, SK    string
			Role      string    `dynamo:"role"`
			CreatedAt timestamp `dynamo:"createdAt"`
			LineageID string    `dynamo:"lineageId"`
			Version   int       `dynamo:"version"`
		}
		if err := dynamo.UnmarshalItem(item, &k); err != nil || k.SK == skMeta {
			return err == nil, err
		}
		keys = append(keys, dynamo.Keys{k.PK, k.SK})
		if _, art, ok := strings.Cut(k.SK, artifactInfix); ok {
			artifacts = append(artifacts, art)
			keys = append(keys, dynamo.Keys{artifactKey(art), skArtifact})
			if k.LineageID != "" {
				keys = append(keys, dynamo.Keys{lineageKey(k.LineageID), revisionSK(k.Version)})
			}
		} else if msg, ok := strings.CutPrefix(k.SK, skMessagePrefix); ok && !strings.Contains(msg, partInfix) {
			keys = append(keys, dynamo.Keys{turnKey(msg), skTurn})
			if k.Role == string(agent.RoleAssistant) && time.Time(k.CreatedAt).After(journals) {
				recent = append(recent, msg)
			}
		}
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list items of conversation %s: %w", id, err)
	}
	for _, msg := range recent {
		batches, err := s.batchKeys(ctx, msg)
		if err != nil {
			return nil, err
		}
		keys = append(keys, batches...)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	if _, err := s.table.Batch(AttrPK, AttrSK).Write().Delete(keys...).Run(ctx); err != nil {
		return nil, fmt.Errorf("purge conversation %s: %w", id, err)
	}
	return artifacts, nil
}

// journalWindow is how long after a reply was saved its journal may hold
// batches: their TTL, past the longest turn.
const journalWindow = JournalTTL + 15*time.Minute

// batchKeys are the keys of a turn's event batches.
func (s *Store) batchKeys(ctx context.Context, messageID string) ([]dynamo.Keyed, error) {
	in := s.queryInput("", AttrPK, turnKey(messageID))
	in.KeyConditionExpression = aws.String("#k = :k AND begins_with(#s, :ev)")
	in.ExpressionAttributeNames["#s"] = AttrSK
	in.ExpressionAttributeValues[":ev"] = &types.AttributeValueMemberS{Value: skEventPrefix}
	in.ProjectionExpression = aws.String("PK, SK")
	var keys []dynamo.Keyed
	err := s.queryItems(ctx, in, func(item dynamo.Item) (bool, error) {
		var k struct{ PK, SK string }
		if err := dynamo.UnmarshalItem(item, &k); err != nil {
			return false, err
		}
		keys = append(keys, dynamo.Keys{k.PK, k.SK})
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list journal of turn %s: %w", messageID, err)
	}
	return keys, nil
}

// DropJournal removes a turn and its event batches: the turn lost the race
// with its conversation's delete, whose purge could not see its reply.
func (s *Store) DropJournal(ctx context.Context, messageID string) error {
	keys, err := s.batchKeys(ctx, messageID)
	if err != nil {
		return err
	}
	keys = append(keys, dynamo.Keys{turnKey(messageID), skTurn})
	if _, err := s.table.Batch(AttrPK, AttrSK).Write().Delete(keys...).Run(ctx); err != nil {
		return fmt.Errorf("drop journal of turn %s: %w", messageID, err)
	}
	return nil
}

// FinishDeleteConversation removes the META item of a purged conversation.
func (s *Store) FinishDeleteConversation(ctx context.Context, id string) error {
	if err := s.table.Delete(AttrPK, convKey(id)).Range(AttrSK, skMeta).Run(ctx); err != nil {
		return fmt.Errorf("finish delete of conversation %s: %w", id, err)
	}
	return nil
}
