package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/zocket/agent"
)

// ListQuery selects a page of a user's conversations, newest activity first.
type ListQuery struct {
	UserID string
	Limit  int
	// Search keeps titles containing it, case-insensitively.
	Search string
	// After continues after this position (from ListPage.Next); nil starts
	// at the newest.
	After *Position
	// Skip drops this many matches first (page numbers of the Node API).
	Skip int
}

// Position is where a listing stopped: the list key of the last
// conversation returned.
type Position struct {
	ActivityKey string // GSI1SK
	ID          string
}

// ListPage is one page of conversations.
type ListPage struct {
	Conversations []agent.Conversation
	// Next is set when more conversations match after this page.
	Next *Position
}

// filteredBatch is how many index entries one filtered Query reads at most:
// DynamoDB applies Limit before the filter, so a sparse search needs larger
// reads, and the loop below continues until the page is full.
const filteredBatch = 200

// ListConversations reads one page from GSI1 (plus one match, to know whether
// another page exists). With a search it reads batches of the user's index
// until it has them or the index runs out: DynamoDB may return short or
// empty pages for a filtered Query, since it applies Limit before the
// filter.
func (s *Store) ListConversations(ctx context.Context, q ListQuery) (ListPage, error) {
	need := q.Skip + q.Limit + 1
	in := s.queryInput(IndexGSI1, AttrGSI1PK, convListKey(q.UserID))
	in.ScanIndexForward = aws.Bool(false)
	in.Limit = aws.Int32(int32(need))
	if search := strings.ToLower(strings.TrimSpace(q.Search)); search != "" {
		in.FilterExpression = aws.String("contains(titleLower, :q)")
		in.ExpressionAttributeValues[":q"] = &types.AttributeValueMemberS{Value: search}
		in.Limit = aws.Int32(int32(max(need, filteredBatch)))
	}
	if q.After != nil {
		in.ExclusiveStartKey = listKey(q.UserID, *q.After)
	}
	var matches []conversationItem
	err := s.queryItems(ctx, in, func(item dynamo.Item) (bool, error) {
		var it conversationItem
		if err := dynamo.UnmarshalItem(item, &it); err != nil {
			return false, err
		}
		matches = append(matches, it)
		return len(matches) < need, nil
	})
	if err != nil {
		return ListPage{}, fmt.Errorf("list conversations of %s: %w", q.UserID, err)
	}
	var page ListPage
	for _, it := range matches[min(q.Skip, len(matches)):min(q.Skip+q.Limit, len(matches))] {
		page.Conversations = append(page.Conversations, it.conversation())
	}
	if len(matches) > q.Skip+q.Limit && len(page.Conversations) > 0 {
		last := matches[q.Skip+len(page.Conversations)-1]
		page.Next = &Position{ActivityKey: last.GSI1SK, ID: last.ID}
	}
	return page, nil
}

func listKey(userID string, p Position) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrGSI1PK: &types.AttributeValueMemberS{Value: convListKey(userID)},
		AttrGSI1SK: &types.AttributeValueMemberS{Value: p.ActivityKey},
		AttrPK:     &types.AttributeValueMemberS{Value: convKey(p.ID)},
		AttrSK:     &types.AttributeValueMemberS{Value: skMeta},
	}
}

// CountConversations counts the user's conversations whose title contains
// search. Without a search, use the user's counter instead: this reads the
// user's whole list index.
func (s *Store) CountConversations(ctx context.Context, userID, search string) (int, error) {
	in := s.queryInput(IndexGSI1, AttrGSI1PK, convListKey(userID))
	in.FilterExpression = aws.String("contains(titleLower, :q)")
	in.ExpressionAttributeValues[":q"] = &types.AttributeValueMemberS{Value: strings.ToLower(strings.TrimSpace(search))}
	in.Select = types.SelectCount
	n := 0
	pages := dynamodb.NewQueryPaginator(s.client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("count conversations of %s: %w", userID, err)
		}
		n += int(page.Count)
	}
	return n, nil
}
