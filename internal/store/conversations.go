package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/zocket/agent"
)

// previewLen is how much of the newest message a list shows.
const previewLen = 200

func preview(s string) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) > previewLen {
		return string(r[:previewLen])
	}
	return string(r)
}

// CreateConversation writes a new conversation, listed at its creation,
// with its first messages (oldest first; a chat turn's: the user's), and
// counts it on its owner, all in one transaction: a turn that starts a
// conversation saves it and the user's message in one round trip. The
// messages carry no usage (a reply's tokens are counted by AppendMessage).
func (s *Store) CreateConversation(ctx context.Context, c agent.Conversation, first ...agent.Message) error {
	c.UpdatedAt = c.CreatedAt
	at := c.CreatedAt
	if n := len(first); n > 0 {
		c.MessageCount = n
		last := first[n-1]
		at = last.CreatedAt
		c.UpdatedAt = at
		c.LastMessage = &agent.LastMessage{Content: preview(last.Content), Role: last.Role, CreatedAt: at}
	}
	tx := s.db.WriteTx()
	tx.Put(s.table.Put(newConversationItem(c, at)).If("attribute_not_exists(PK)"))
	for _, m := range first {
		puts, _, err := s.messagePuts(m)
		if err != nil {
			return err
		}
		for _, p := range puts {
			tx.Put(p)
		}
	}
	tx.Update(s.table.Update(AttrPK, userKey(c.UserID)).Range(AttrSK, skProfile).
		Add("conversationCount", 1).If("attribute_exists(PK)"))
	err := tx.Run(ctx)
	if isConditionFailure(err) {
		// Sent again after its answer was lost (ids are new: nobody else
		// writes this conversation)?
		if _, rerr := s.ConversationMeta(ctx, c.UserID, c.ID); rerr == nil {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("create conversation %s: %w", c.ID, err)
	}
	return nil
}

// AppendMessage saves m in userID's conversation and, in the same
// transaction, counts it on the conversation and moves the conversation's
// activity forward; a message with tokens (a reply) adds them to the user's
// usage of the UTC day of m.CreatedAt. When another writer already moved
// the activity further (a concurrent, later message), the count still goes
// up and the newer preview stays. It is idempotent: m appended again (a
// commit whose answer was lost, which the SDK sent again) is neither an
// error nor counted twice. A missing or deleted conversation, or another
// user's, is agent.NotFound.
func (s *Store) AppendMessage(ctx context.Context, userID string, m agent.Message) error {
	puts, item, err := s.messagePuts(m)
	if err != nil {
		return err
	}
	// write is the transaction: the message (its item and the parts of a
	// long content), update on its conversation and, for a reply, its
	// tokens on the user's day.
	write := func(update *dynamo.Update) *dynamo.WriteTx {
		tx := s.db.WriteTx()
		for _, p := range puts {
			tx.Put(p)
		}
		tx.Update(update)
		if m.PromptTokens > 0 || m.OutputTokens > 0 {
			tx.Update(s.replyUsage(userID, m))
		}
		return tx
	}
	at := item.CreatedAt
	newest := s.table.Update(AttrPK, convKey(m.ConversationID)).Range(AttrSK, skMeta).Add("messageCount", 1).
		Set("lastMessage", lastMessageItem{Content: preview(m.Content), Role: string(m.Role), CreatedAt: at}).
		Set("activityAt", at).Set("updatedAt", at).
		Set(AttrGSI1SK, activityKey(at, m.ConversationID)).
		If("attribute_exists(PK) AND userId = ? AND attribute_not_exists(deleting) AND activityAt <= ?", userID, at)
	err = write(newest).Run(ctx)
	if err == nil {
		return nil
	}
	if !isConditionFailure(err) {
		return fmt.Errorf("append message %s: %w", m.ID, err)
	}
	// Either the conversation is gone or a later message won the preview:
	// count this one without touching the preview.
	count := s.table.Update(AttrPK, convKey(m.ConversationID)).Range(AttrSK, skMeta).Add("messageCount", 1).
		If("attribute_exists(PK) AND userId = ? AND attribute_not_exists(deleting)", userID)
	err = write(count).Run(ctx)
	if isConditionFailure(err) {
		// Or the message is there already. DynamoDB answers a commit sent
		// again with the same ClientRequestToken as it answered the first;
		// the local stand-ins ignore the token and fail the condition.
		saved, rerr := s.hasMessage(ctx, item)
		if rerr != nil {
			return fmt.Errorf("append message %s: %w", m.ID, rerr)
		}
		if saved {
			return nil
		}
		return agent.WrapError(err, agent.NotFound, "Conversation not found.")
	}
	if err != nil {
		return fmt.Errorf("append message %s: %w", m.ID, err)
	}
	return nil
}

// messagePuts are the conditional puts that save m (its item, and the
// parts of a long content), each checked for DynamoDB's item size; item is
// m's item.
func (s *Store) messagePuts(m agent.Message) ([]*dynamo.Put, messageItem, error) {
	item, parts, err := newMessageItems(m)
	if err != nil {
		return nil, messageItem{}, err
	}
	if err := checkItemSize(item); err != nil {
		return nil, messageItem{}, err
	}
	puts := []*dynamo.Put{s.table.Put(item).If("attribute_not_exists(PK)")}
	for _, p := range parts {
		if err := checkItemSize(p); err != nil {
			return nil, messageItem{}, err
		}
		puts = append(puts, s.table.Put(p).If("attribute_not_exists(PK)"))
	}
	return puts, item, nil
}

// hasMessage reports whether want is saved. Another message under its key
// is an error.
func (s *Store) hasMessage(ctx context.Context, want messageItem) (bool, error) {
	var it messageItem
	err := s.table.Get(AttrPK, want.PK).Range(AttrSK, dynamo.Equal, want.SK).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read back: %w", err)
	}
	if it.ID != want.ID || it.Content != want.Content {
		return false, errors.New("another message is saved under this id")
	}
	return true, nil
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
func (s *Store) ConversationMeta(ctx context.Context, userID, id string) (agent.Conversation, error) {
	var it conversationItem
	err := s.table.Get(AttrPK, convKey(id)).Range(AttrSK, dynamo.Equal, skMeta).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) || err == nil && (it.UserID != userID || it.Deleting) {
		return agent.Conversation{}, errConversationNotFound
	}
	if err != nil {
		return agent.Conversation{}, fmt.Errorf("get conversation %s: %w", id, err)
	}
	return it.conversation(), nil
}

var errConversationNotFound = agent.NewError(agent.NotFound, "Conversation not found.")

// Thread is a conversation with all its messages (oldest first) and the
// artifacts of each message.
type Thread struct {
	Conversation agent.Conversation
	Messages     []agent.Message
	Artifacts    map[string][]agent.Artifact // by message id, in creation order
}

// Thread reads a whole conversation partition with one Query (paged by
// DynamoDB's 1 MB limit) and checks ownership on the META item it contains.
func (s *Store) Thread(ctx context.Context, userID, id string) (Thread, error) {
	raw, err := s.ReadThread(ctx, userID, id)
	if err != nil {
		return Thread{}, err
	}
	return raw.Decode()
}

// RawThread is a conversation as read, its messages and artifacts not
// decoded yet: a turn decodes them while it makes its next call.
type RawThread struct {
	Conversation agent.Conversation
	id           string
	items        []dynamo.Item
}

// ReadThread is Thread with the decoding of the messages and artifacts left
// to RawThread.Decode.
func (s *Store) ReadThread(ctx context.Context, userID, id string) (RawThread, error) {
	raw := RawThread{id: id}
	var meta *conversationItem
	err := s.queryItems(ctx, s.queryInput("", AttrPK, convKey(id)), func(item dynamo.Item) (bool, error) {
		if sk, _ := item[AttrSK].(*types.AttributeValueMemberS); sk != nil && sk.Value == skMeta {
			meta = new(conversationItem)
			return true, dynamo.UnmarshalItem(item, meta)
		}
		raw.items = append(raw.items, item)
		return true, nil
	})
	if err != nil {
		return RawThread{}, fmt.Errorf("read conversation %s: %w", id, err)
	}
	if meta == nil || meta.UserID != userID || meta.Deleting {
		return RawThread{}, errConversationNotFound
	}
	raw.Conversation = meta.conversation()
	return raw, nil
}

// Decode decodes the thread's messages (oldest first) and the artifacts of
// each message.
func (raw RawThread) Decode() (Thread, error) {
	th := Thread{Conversation: raw.Conversation, Artifacts: map[string][]agent.Artifact{}}
	var parts messageParts
	for _, item := range raw.items {
		sk, _ := item[AttrSK].(*types.AttributeValueMemberS)
		switch {
		case sk == nil:
		case strings.Contains(sk.Value, partInfix):
			if err := parts.add(item); err != nil {
				return Thread{}, fmt.Errorf("read conversation %s: %w", raw.id, err)
			}
		case strings.Contains(sk.Value, artifactInfix):
			var it artifactItem
			if err := dynamo.UnmarshalItem(item, &it); err != nil {
				return Thread{}, fmt.Errorf("read conversation %s: %w", raw.id, err)
			}
			th.Artifacts[it.MessageID] = append(th.Artifacts[it.MessageID], it.artifact())
		case strings.HasPrefix(sk.Value, skMessagePrefix):
			var it messageItem
			if err := dynamo.UnmarshalItem(item, &it); err != nil {
				return Thread{}, fmt.Errorf("read conversation %s: %w", raw.id, err)
			}
			th.Messages = append(th.Messages, it.message())
		}
	}
	for i := range th.Messages {
		th.Messages[i].Content += parts.of(th.Messages[i].ID)
	}
	return th, nil
}

// messageParts gathers the parts of long messages' content, read in the
// order of their keys.
type messageParts map[string]*strings.Builder

func (p *messageParts) add(item dynamo.Item) error {
	var it messagePartItem
	if err := dynamo.UnmarshalItem(item, &it); err != nil {
		return err
	}
	if *p == nil {
		*p = messageParts{}
	}
	b := (*p)[it.MessageID]
	if b == nil {
		b = &strings.Builder{}
		(*p)[it.MessageID] = b
	}
	b.WriteString(it.Content)
	return nil
}

// of is the content of messageID after its item's.
func (p messageParts) of(messageID string) string {
	if b := p[messageID]; b != nil {
		return b.String()
	}
	return ""
}

// RenameConversation sets the title of the caller's conversation in one
// conditional UpdateItem and returns the conversation as it now is.
func (s *Store) RenameConversation(ctx context.Context, userID, id, title string, now time.Time) (agent.Conversation, error) {
	var it conversationItem
	err := s.table.Update(AttrPK, convKey(id)).Range(AttrSK, skMeta).
		Set("title", title).Set("titleLower", strings.ToLower(title)).Set("updatedAt", stamp(now)).
		If("userId = ? AND attribute_not_exists(deleting)", userID).
		Value(ctx, &it)
	if dynamo.IsCondCheckFailed(err) {
		return agent.Conversation{}, errConversationNotFound
	}
	if err != nil {
		return agent.Conversation{}, fmt.Errorf("rename conversation %s: %w", id, err)
	}
	return it.conversation(), nil
}

// RefineTitle replaces the title of a conversation only while it is still
// provisional: a title the user chose in the meantime is kept. It reports
// whether the title changed.
func (s *Store) RefineTitle(ctx context.Context, id, provisional, title string) (bool, error) {
	err := s.table.Update(AttrPK, convKey(id)).Range(AttrSK, skMeta).
		Set("title", title).Set("titleLower", strings.ToLower(title)).
		If("title = ? AND attribute_not_exists(deleting)", provisional).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		// Renamed meanwhile, or this very write applied and its answer lost.
		var it conversationItem
		rerr := s.table.Get(AttrPK, convKey(id)).Range(AttrSK, dynamo.Equal, skMeta).Consistent(true).One(ctx, &it)
		return rerr == nil && it.Title == title && !it.Deleting, nil
	}
	if err != nil {
		return false, fmt.Errorf("refine title of %s: %w", id, err)
	}
	return true, nil
}

// SetSummary stores the running summary of a conversation and the id of the
// newest message folded into it. It only moves forward: a fold that lands
// after one covering later messages is dropped.
func (s *Store) SetSummary(ctx context.Context, id, summary, through string) error {
	err := s.table.Update(AttrPK, convKey(id)).Range(AttrSK, skMeta).
		Set("summary", summary).Set("summaryThrough", through).
		If("attribute_exists(PK) AND attribute_not_exists(deleting)").
		If("(attribute_not_exists(summaryThrough) OR summaryThrough < ?)", through).Run(ctx)
	if err != nil && !dynamo.IsCondCheckFailed(err) {
		return fmt.Errorf("set summary of %s: %w", id, err)
	}
	return nil
}
