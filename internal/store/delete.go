package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
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
	var c Conversation
	if err := s.table.Get(AttrPK, convKey(id)).Range(AttrSK, dynamo.Equal, skMeta).Consistent(true).One(ctx, &c); err != nil || c.UserID != userID {
		return errConversationNotFound
	}
	if !c.Deleting {
		return fmt.Errorf("begin delete of conversation %s: condition failed on a live conversation", id)
	}
	return nil
}

// PurgeConversation deletes every item of a conversation being deleted (its
// messages, its artifacts and their own items), keeping the META item for
// FinishDeleteConversation. It returns the ids of the artifacts it removed.
// Deletes go in batches of 25 and unprocessed items are retried with
// backoff, so conversations of any length are removed completely.
func (s *Store) PurgeConversation(ctx context.Context, id string) ([]string, error) {
	var keys []map[string]types.AttributeValue
	var artifacts []string
	err := s.queryPartition(ctx, convKey(id), true, func(item map[string]types.AttributeValue) error {
		sk := stringAttr(item, AttrSK)
		if sk == skMeta {
			return nil
		}
		keys = append(keys, item)
		if _, art, ok := strings.Cut(sk, artifactInfix); ok {
			artifacts = append(artifacts, art)
			keys = append(keys, keyOf(artifactKey(art), skArtifact))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list items of conversation %s: %w", id, err)
	}
	if err := s.deleteKeys(ctx, keys); err != nil {
		return nil, fmt.Errorf("purge conversation %s: %w", id, err)
	}
	return artifacts, nil
}

// FinishDeleteConversation removes the META item of a purged conversation.
func (s *Store) FinishDeleteConversation(ctx context.Context, id string) error {
	if err := s.table.Delete(AttrPK, convKey(id)).Range(AttrSK, skMeta).Run(ctx); err != nil {
		return fmt.Errorf("finish delete of conversation %s: %w", id, err)
	}
	return nil
}

func keyOf(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: pk},
		AttrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// maxBatchRetries bounds the retries of unprocessed items per batch.
const maxBatchRetries = 8

// deleteKeys deletes items with BatchWriteItem, 25 at a time, retrying
// unprocessed items with exponential backoff.
func (s *Store) deleteKeys(ctx context.Context, keys []map[string]types.AttributeValue) error {
	for start := 0; start < len(keys); start += 25 {
		var reqs []types.WriteRequest
		for _, k := range keys[start:min(start+25, len(keys))] {
			reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}})
		}
		pending := map[string][]types.WriteRequest{s.name: reqs}
		for attempt := 0; len(pending[s.name]) > 0; attempt++ {
			if attempt > maxBatchRetries {
				return fmt.Errorf("%d deletes still unprocessed after %d retries", len(pending[s.name]), maxBatchRetries)
			}
			if attempt > 0 {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(time.Duration(25<<min(attempt, 6)) * time.Millisecond):
				}
			}
			out, err := s.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return err
			}
			pending = out.UnprocessedItems
		}
	}
	return nil
}
