package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/zocket/agent"
)

// Conversation is the META item of a conversation's partition. It appears in
// the owner's GSI1 partition, newest activity first, until it is deleted.
type Conversation struct {
	PK             string       `dynamo:"PK,hash" json:"-"`
	SK             string       `dynamo:"SK,range" json:"-"`
	GSI1PK         string       `dynamo:"GSI1PK,omitempty" json:"-"`
	GSI1SK         string       `dynamo:"GSI1SK,omitempty" json:"-"`
	ID             string       `dynamo:"id" json:"id"`
	UserID         string       `dynamo:"userId" json:"userId"`
	Title          string       `dynamo:"title" json:"title"`
	TitleLower     string       `dynamo:"titleLower" json:"-"`
	MessageCount   int          `dynamo:"messageCount" json:"messageCount"`
	LastMessage    *LastMessage `dynamo:"lastMessage,omitempty" json:"lastMessage"`
	Summary        string       `dynamo:"summary,omitempty" json:"-"`
	SummaryThrough string       `dynamo:"summaryThrough,omitempty" json:"-"` // id of the last message folded into Summary
	ActivityAt     string       `dynamo:"activityAt" json:"-"`
	CreatedAt      string       `dynamo:"createdAt" json:"createdAt"`
	UpdatedAt      string       `dynamo:"updatedAt" json:"updatedAt"`
	Deleting       bool         `dynamo:"deleting,omitempty" json:"-"`
}

// LastMessage is the preview of a conversation's newest message.
type LastMessage struct {
	Content   string `dynamo:"content" json:"content"`
	Role      string `dynamo:"role" json:"role"`
	CreatedAt string `dynamo:"createdAt" json:"createdAt"`
}

// Message roles.
const (
	RoleUser      = "USER"
	RoleAssistant = "ASSISTANT"
	RoleSystem    = "SYSTEM"
)

// Message is one turn of a conversation.
type Message struct {
	PK             string `dynamo:"PK,hash" json:"-"`
	SK             string `dynamo:"SK,range" json:"-"`
	ID             string `dynamo:"id" json:"id"`
	ConversationID string `dynamo:"conversationId" json:"conversationId"`
	Role           string `dynamo:"role" json:"role"`
	Content        string `dynamo:"content" json:"content"`
	CreatedAt      string `dynamo:"createdAt" json:"createdAt"`
	// Error is set when the model failed mid-reply: Content is partial.
	Error        string `dynamo:"error,omitempty" json:"error,omitempty"`
	PromptTokens int    `dynamo:"promptTokens,omitempty" json:"-"`
	OutputTokens int    `dynamo:"outputTokens,omitempty" json:"-"`
}

// Key prefixes of the conversation partition.
const (
	skMeta        = "META"
	skMessagePref = "MSG#"
)

func convKey(id string) string       { return "CONV#" + id }
func messageSK(id string) string     { return skMessagePref + id }
func convListKey(user string) string { return "USER#" + user + "#CONVS" }
func activityKey(at, id string) string {
	return at + "#" + id
}

// previewLen is how much of the newest message a list shows.
const previewLen = 200

func preview(s string) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) > previewLen {
		return string(r[:previewLen])
	}
	return string(r)
}

// CreateConversation writes a new conversation and counts it on its owner,
// in one transaction.
func (s *Store) CreateConversation(ctx context.Context, c Conversation) error {
	c.PK, c.SK = convKey(c.ID), skMeta
	c.GSI1PK, c.GSI1SK = convListKey(c.UserID), activityKey(c.CreatedAt, c.ID)
	c.ActivityAt, c.UpdatedAt = c.CreatedAt, c.CreatedAt
	c.TitleLower = strings.ToLower(c.Title)
	tx := s.db.WriteTx()
	tx.Put(s.table.Put(c).If("attribute_not_exists(PK)"))
	tx.Update(s.table.Update(AttrPK, userKey(c.UserID)).Range(AttrSK, skProfile).
		Add("conversationCount", 1).If("attribute_exists(PK)"))
	if err := tx.Run(ctx); err != nil {
		return fmt.Errorf("create conversation %s: %w", c.ID, err)
	}
	return nil
}

// AppendMessage saves m and, in the same transaction, counts it on its
// conversation and moves the conversation's activity forward. When another
// writer already moved it further (a concurrent, later message), the count
// still goes up and the newer preview stays. A missing or deleted
// conversation is agent.NotFound.
func (s *Store) AppendMessage(ctx context.Context, m Message) error {
	m.PK, m.SK = convKey(m.ConversationID), messageSK(m.ID)
	if err := checkItemSize(m); err != nil {
		return err
	}
	newest := s.table.Update(AttrPK, convKey(m.ConversationID)).Range(AttrSK, skMeta).Add("messageCount", 1).
		Set("lastMessage", LastMessage{Content: preview(m.Content), Role: m.Role, CreatedAt: m.CreatedAt}).
		Set("activityAt", m.CreatedAt).Set("updatedAt", m.CreatedAt).
		Set(AttrGSI1SK, activityKey(m.CreatedAt, m.ConversationID)).
		If("attribute_exists(PK) AND attribute_not_exists(deleting) AND activityAt <= ?", m.CreatedAt)
	err := s.db.WriteTx().Put(s.table.Put(m).If("attribute_not_exists(PK)")).Update(newest).Run(ctx)
	if err == nil {
		return nil
	}
	if !isConditionFailure(err) {
		return fmt.Errorf("append message %s: %w", m.ID, err)
	}
	// Either the conversation is gone or a later message won the preview:
	// count this one without touching the preview.
	count := s.table.Update(AttrPK, convKey(m.ConversationID)).Range(AttrSK, skMeta).Add("messageCount", 1).
		If("attribute_exists(PK) AND attribute_not_exists(deleting)")
	err = s.db.WriteTx().Put(s.table.Put(m).If("attribute_not_exists(PK)")).Update(count).Run(ctx)
	if isConditionFailure(err) {
		return agent.WrapError(err, agent.NotFound, "Conversation not found.")
	}
	if err != nil {
		return fmt.Errorf("append message %s: %w", m.ID, err)
	}
	return nil
}

func isConditionFailure(err error) bool {
	if err == nil {
		return false
	}
	var canceled *types.TransactionCanceledException
	if errors.As(err, &canceled) {
		for _, r := range canceled.CancellationReasons {
			if r.Code != nil && *r.Code == "ConditionalCheckFailed" {
				return true
			}
		}
		return strings.Contains(err.Error(), "ConditionalCheckFailed")
	}
	return dynamo.IsCondCheckFailed(err)
}

// ConversationMeta returns the caller's conversation without its messages.
// Another user's conversation, like a missing or deleted one, is
// agent.NotFound.
func (s *Store) ConversationMeta(ctx context.Context, userID, id string) (Conversation, error) {
	var c Conversation
	err := s.table.Get(AttrPK, convKey(id)).Range(AttrSK, dynamo.Equal, skMeta).Consistent(true).One(ctx, &c)
	if errors.Is(err, dynamo.ErrNotFound) || err == nil && (c.UserID != userID || c.Deleting) {
		return Conversation{}, errConversationNotFound
	}
	if err != nil {
		return Conversation{}, fmt.Errorf("get conversation %s: %w", id, err)
	}
	return c, nil
}

var errConversationNotFound = agent.NewError(agent.NotFound, "Conversation not found.")

// Thread is a conversation with all its messages (oldest first) and the
// artifacts of each message.
type Thread struct {
	Conversation Conversation
	Messages     []Message
	Artifacts    map[string][]Artifact // by message id, in creation order
}

// Thread reads a whole conversation partition with one Query (paged by
// DynamoDB's 1 MB limit) and checks ownership on the META item it contains.
func (s *Store) Thread(ctx context.Context, userID, id string) (Thread, error) {
	th := Thread{Artifacts: map[string][]Artifact{}}
	found := false
	err := s.queryPartition(ctx, convKey(id), false, func(item map[string]types.AttributeValue) error {
		sk := stringAttr(item, AttrSK)
		switch {
		case sk == skMeta:
			found = true
			return dynamo.UnmarshalItem(item, &th.Conversation)
		case strings.Contains(sk, artifactInfix):
			var a Artifact
			if err := dynamo.UnmarshalItem(item, &a); err != nil {
				return err
			}
			th.Artifacts[a.MessageID] = append(th.Artifacts[a.MessageID], a)
		case strings.HasPrefix(sk, skMessagePref):
			var m Message
			if err := dynamo.UnmarshalItem(item, &m); err != nil {
				return err
			}
			th.Messages = append(th.Messages, m)
		}
		return nil
	})
	if err != nil {
		return Thread{}, fmt.Errorf("read conversation %s: %w", id, err)
	}
	if !found || th.Conversation.UserID != userID || th.Conversation.Deleting {
		return Thread{}, errConversationNotFound
	}
	return th, nil
}

// queryPartition calls fn for every item of partition pk in key order,
// following LastEvaluatedKey. keysOnly fetches only PK and SK.
func (s *Store) queryPartition(ctx context.Context, pk string, keysOnly bool, fn func(map[string]types.AttributeValue) error) error {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.name),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
		ConsistentRead:            aws.Bool(true),
	}
	if keysOnly {
		in.ProjectionExpression = aws.String("PK, SK")
	}
	for {
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return err
		}
		for _, item := range out.Items {
			if err := fn(item); err != nil {
				return err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// RenameConversation sets the title of the caller's conversation in one
// conditional UpdateItem and returns the conversation as it now is.
func (s *Store) RenameConversation(ctx context.Context, userID, id, title string, now time.Time) (Conversation, error) {
	var c Conversation
	err := s.table.Update(AttrPK, convKey(id)).Range(AttrSK, skMeta).
		Set("title", title).Set("titleLower", strings.ToLower(title)).Set("updatedAt", Timestamp(now)).
		If("userId = ? AND attribute_not_exists(deleting)", userID).
		Value(ctx, &c)
	if dynamo.IsCondCheckFailed(err) {
		return Conversation{}, errConversationNotFound
	}
	if err != nil {
		return Conversation{}, fmt.Errorf("rename conversation %s: %w", id, err)
	}
	return c, nil
}

// RefineTitle replaces the title of a conversation only while it is still
// provisional: a title the user chose in the meantime is kept. It reports
// whether the title changed.
func (s *Store) RefineTitle(ctx context.Context, id, provisional, title string) (bool, error) {
	err := s.table.Update(AttrPK, convKey(id)).Range(AttrSK, skMeta).
		Set("title", title).Set("titleLower", strings.ToLower(title)).
		If("title = ? AND attribute_not_exists(deleting)", provisional).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("refine title of %s: %w", id, err)
	}
	return true, nil
}

// SetSummary stores the running summary of a conversation and the id of the
// newest message folded into it.
func (s *Store) SetSummary(ctx context.Context, id, summary, through string) error {
	err := s.table.Update(AttrPK, convKey(id)).Range(AttrSK, skMeta).
		Set("summary", summary).Set("summaryThrough", through).
		If("attribute_exists(PK) AND attribute_not_exists(deleting)").Run(ctx)
	if err != nil && !dynamo.IsCondCheckFailed(err) {
		return fmt.Errorf("set summary of %s: %w", id, err)
	}
	return nil
}
