package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"
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
	Conversations []Conversation
	// Next is set when more conversations match after this page.
	Next *Position
}

// filteredBatch is how many index entries one filtered Query reads at most:
// DynamoDB applies Limit before the filter, so a sparse search needs larger
// reads, and the loop below continues until the page is full.
const filteredBatch = 200

// ListConversations reads one page from GSI1. With a search it loops on
// LastEvaluatedKey until it has the page (plus one match, to know whether
// another page exists) or the user's conversations run out: DynamoDB may
// return short or empty pages for a filtered Query.
func (s *Store) ListConversations(ctx context.Context, q ListQuery) (ListPage, error) {
	need := q.Skip + q.Limit + 1
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.name),
		IndexName:              aws.String(IndexGSI1),
		KeyConditionExpression: aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: convListKey(q.UserID)},
		},
		ScanIndexForward: aws.Bool(false),
	}
	search := strings.ToLower(strings.TrimSpace(q.Search))
	if search != "" {
		in.FilterExpression = aws.String("contains(titleLower, :q)")
		in.ExpressionAttributeValues[":q"] = &types.AttributeValueMemberS{Value: search}
	}
	if q.After != nil {
		in.ExclusiveStartKey = listKey(q.UserID, *q.After)
	}
	var matches []Conversation
	for len(matches) < need {
		limit := need - len(matches)
		if search != "" {
			limit = max(limit, filteredBatch)
		}
		in.Limit = aws.Int32(int32(limit))
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return ListPage{}, fmt.Errorf("list conversations of %s: %w", q.UserID, err)
		}
		for _, item := range out.Items {
			var c Conversation
			if err := dynamo.UnmarshalItem(item, &c); err != nil {
				return ListPage{}, fmt.Errorf("decode conversation: %w", err)
			}
			matches = append(matches, c)
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	var page ListPage
	if q.Skip < len(matches) {
		page.Conversations = matches[q.Skip:min(len(matches), q.Skip+q.Limit)]
	}
	if len(matches) > q.Skip+q.Limit && len(page.Conversations) > 0 {
		last := page.Conversations[len(page.Conversations)-1]
		page.Next = &Position{ActivityKey: last.GSI1SK, ID: last.ID}
	}
	return page, nil
}

func listKey(userID string, p Position) map[string]types.AttributeValue {
	str := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	return map[string]types.AttributeValue{
		AttrGSI1PK: str(convListKey(userID)), AttrGSI1SK: str(p.ActivityKey),
		AttrPK: str(convKey(p.ID)), AttrSK: str(skMeta),
	}
}

// CountConversations counts the user's conversations whose title contains
// search. Without a search, use the user's counter instead: this reads the
// user's whole list index.
func (s *Store) CountConversations(ctx context.Context, userID, search string) (int, error) {
	in := &dynamodb.QueryInput{
		TableName:              aws.String(s.name),
		IndexName:              aws.String(IndexGSI1),
		KeyConditionExpression: aws.String("GSI1PK = :pk"),
		FilterExpression:       aws.String("contains(titleLower, :q)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: convListKey(userID)},
			":q":  &types.AttributeValueMemberS{Value: strings.ToLower(strings.TrimSpace(search))},
		},
		Select: types.SelectCount,
	}
	n := 0
	for {
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return 0, fmt.Errorf("count conversations of %s: %w", userID, err)
		}
		n += int(out.Count)
		if len(out.LastEvaluatedKey) == 0 {
			return n, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}
