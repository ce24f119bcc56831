package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/zocket/agent"
)

// Usage returns the user's usage on each UTC day from from to to, both
// included, that has any, oldest first: one Query of the user's partition.
func (s *Store) Usage(ctx context.Context, userID string, from, to time.Time) ([]agent.DayUsage, error) {
	in := s.queryInput("", AttrPK, userKey(userID))
	in.KeyConditionExpression = aws.String("#k = :k AND #s BETWEEN :from AND :to")
	in.ExpressionAttributeNames["#s"] = AttrSK
	in.ExpressionAttributeValues[":from"] = &types.AttributeValueMemberS{Value: usageSK(from)}
	in.ExpressionAttributeValues[":to"] = &types.AttributeValueMemberS{Value: usageSK(to)}
	var days []agent.DayUsage
	err := s.queryItems(ctx, in, func(item dynamo.Item) (bool, error) {
		var it usageItem
		if err := dynamo.UnmarshalItem(item, &it); err != nil {
			return false, err
		}
		d, err := it.dayUsage()
		if err != nil {
			return false, err
		}
		days = append(days, d)
		return true, nil
	})
	if err != nil {
		return nil, fmt.Errorf("usage of %s, %s to %s: %w", userID, usageSK(from), usageSK(to), err)
	}
	return days, nil
}

// replyUsage adds the tokens of reply m to its user's usage of m's day: an
// item of the transaction that saves m.
func (s *Store) replyUsage(userID string, m agent.Message) *dynamo.Update {
	return s.table.Update(AttrPK, userKey(userID)).Range(AttrSK, usageSK(m.CreatedAt)).
		Add("promptTokens", m.PromptTokens).Add("outputTokens", m.OutputTokens)
}
