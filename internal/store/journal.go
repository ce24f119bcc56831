package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/guregu/dynamo/v2"

	"github.com/zocket/agent"
)

// A turn's journal lets any instance follow a reply while it is written:
//
//	TURN#<msgId>  EV#<seq>   a batch of the turn's events, or a stop; expires by TTL
//	TURN#<msgId>  TURN       the turn: owner, conversation, state, stop flag
//	TURN#<msgId>  TURN       for a user message: owner and conversation
//
// So every message of a turn is found by its id alone (to resume, stop or
// regenerate it).
// Batch sort keys sort before the turn's ("EV#" < "TURN"), so one Query
// from a batch on returns the batches after it and, last, the turn's state.
// The turn item stays as long as its conversation (it finds a reply by its
// id); batches expire JournalTTL after they were written, and a reader past
// that rebuilds the stream from the saved message.
//
// A stop is a slot of the batch sequence: StopTurn writes an empty batch
// marked stop at the first free seq, and each batch is a PutItem on the
// condition that its slot is free. So the producer learns of a stop from
// the batch it could not write, a stop lands between two batches, and a
// batch costs one plain conditional write (a write unit for up to 1 KB),
// not a transaction with a condition check (four).

const (
	skTurn        = "TURN"
	skEventPrefix = "EV#"
)

func turnKey(messageID string) string { return "TURN#" + messageID }

// eventSK is batch seq's sort key: zero-padded, so batches sort in order.
func eventSK(seq int) string { return fmt.Sprintf("%s%08d", skEventPrefix, seq) }

// JournalTTL is how long a turn's event batches are kept after they are
// written.
const JournalTTL = time.Hour

type turnItem struct {
	PK             string    `dynamo:"PK,hash"`
	SK             string    `dynamo:"SK,range"`
	MessageID      string    `dynamo:"messageId"`
	UserID         string    `dynamo:"userId"`
	ConversationID string    `dynamo:"conversationId"`
	ReplyTo        string    `dynamo:"replyTo,omitempty"`
	Role           string    `dynamo:"role"`
	State          string    `dynamo:"state,omitempty"`
	StopRequested  bool      `dynamo:"stopRequested,omitempty"`
	StartedAt      timestamp `dynamo:"startedAt"`
	Deadline       int64     `dynamo:"deadline,omitempty"` // Unix milliseconds
}

// isTurn reports whether the item is a reply's turn (not a user message's
// record).
func (it turnItem) isTurn() bool { return it.Role == string(agent.RoleAssistant) }

func (it turnItem) turn() agent.Turn {
	return agent.Turn{
		MessageID: it.MessageID, UserID: it.UserID, ConversationID: it.ConversationID, ReplyTo: it.ReplyTo,
		State: agent.TurnState(it.State), StopRequested: it.StopRequested,
		StartedAt: time.Time(it.StartedAt), Deadline: time.UnixMilli(it.Deadline),
	}
}

type batchItem struct {
	PK        string   `dynamo:"PK,hash"`
	SK        string   `dynamo:"SK,range"`
	Seq       int      `dynamo:"seq"`
	Events    []string `dynamo:"events,omitempty"`
	Stop      bool     `dynamo:"stop,omitempty"`   // the slot a stop took: no events
	ExpiresAt int64    `dynamo:"expiresAt"`        // Unix seconds (the table's TTL attribute)
	SentAt    int64    `dynamo:"sentAt,omitempty"` // Unix milliseconds
}

// Batch is a run of a turn's events, encoded by their producer.
type Batch struct {
	Seq    int // from 1, in order
	Events []string
	// Expires is when the batch may be gone: a reader past it does not
	// trust what it reads (TTL deletion is late, and absent locally).
	Expires time.Time
	// Sent is when the batch's first event went to the producing stream's
	// own client (to the millisecond): a reader that receives it later is
	// that far behind. Zero for a batch of no event.
	Sent time.Time
}

// ErrTurnStopped is what a batch write answers when the turn was stopped.
var ErrTurnStopped = errors.New("the turn was stopped")

var errTurnNotFound = agent.NewError(agent.NotFound, "Message not found.")

// StartTurn records a running turn and, when it answers a user message,
// that message's record, in one BatchWriteItem (ids are new: nothing to
// overwrite).
func (s *Store) StartTurn(ctx context.Context, t agent.Turn) error {
	items := []any{turnItem{
		PK: turnKey(t.MessageID), SK: skTurn, MessageID: t.MessageID, UserID: t.UserID,
		ConversationID: t.ConversationID, ReplyTo: t.ReplyTo, Role: string(agent.RoleAssistant),
		State: string(agent.TurnRunning), StartedAt: stamp(t.StartedAt), Deadline: t.Deadline.UnixMilli(),
	}}
	if t.ReplyTo != "" {
		items = append(items, turnItem{
			PK: turnKey(t.ReplyTo), SK: skTurn, MessageID: t.ReplyTo, UserID: t.UserID,
			ConversationID: t.ConversationID, Role: string(agent.RoleUser), StartedAt: stamp(t.StartedAt),
		})
	}
	if _, err := s.table.Batch(AttrPK, AttrSK).Write().Put(items...).Run(ctx); err != nil {
		return fmt.Errorf("start turn %s: %w", t.MessageID, err)
	}
	return nil
}

// AbandonTurn removes what StartTurn wrote for a turn that never ran (its
// reservation, its conversation's read or its message's save failed): the
// turn, and the record of newMessageID, the user message it was to be saved
// with (empty: none, for another answer to a saved message), in one
// BatchWriteItem.
func (s *Store) AbandonTurn(ctx context.Context, messageID, newMessageID string) error {
	keys := []dynamo.Keyed{dynamo.Keys{turnKey(messageID), skTurn}}
	if newMessageID != "" {
		keys = append(keys, dynamo.Keys{turnKey(newMessageID), skTurn})
	}
	if _, err := s.table.Batch(AttrPK, AttrSK).Write().Delete(keys...).Run(ctx); err != nil {
		return fmt.Errorf("abandon turn %s: %w", messageID, err)
	}
	return nil
}

func (s *Store) putBatch(messageID string, b Batch, stop bool) *dynamo.Put {
	return s.table.Put(batchItem{
		PK: turnKey(messageID), SK: eventSK(b.Seq), Seq: b.Seq, Events: b.Events, Stop: stop, ExpiresAt: b.Expires.Unix(),
		SentAt: unixMilli(b.Sent),
	}).If("attribute_not_exists(PK)")
}

// AppendEvents writes a batch of a running turn's events in one PutItem, on
// the condition that its slot is free: when a stop took it, nothing is
// written and the error is ErrTurnStopped. A batch written again (the SDK
// retried a write whose answer was lost) is not an error.
func (s *Store) AppendEvents(ctx context.Context, messageID string, b Batch) error {
	err := s.putBatch(messageID, b, false).Run(ctx)
	if dynamo.IsCondCheckFailed(err) {
		err = s.slotTaken(ctx, messageID, b)
	}
	if err != nil {
		return fmt.Errorf("journal batch %d of turn %s: %w", b.Seq, messageID, err)
	}
	return nil
}

// slotTaken explains why batch b's slot was not free: a stop took it
// (ErrTurnStopped), or b itself is there already (nil).
func (s *Store) slotTaken(ctx context.Context, messageID string, b Batch) error {
	var it batchItem
	err := s.table.Get(AttrPK, turnKey(messageID)).Range(AttrSK, dynamo.Equal, eventSK(b.Seq)).Consistent(true).One(ctx, &it)
	switch {
	case err != nil:
		return fmt.Errorf("read slot: %w", err)
	case it.Stop:
		return ErrTurnStopped
	case slices.Equal(it.Events, b.Events):
		return nil
	}
	return errors.New("another batch holds this slot")
}

// maxSlotAttempts bounds the writes that look for a free slot: each stop
// takes one, and the producer's batches race a stop for theirs.
const maxSlotAttempts = 5

// EndTurnJournal writes a turn's last batch (when it has events), in the
// first slot a stop did not take, then its final state: a reader that sees
// the state can read every batch. A turn that is gone (its conversation
// was deleted) is left gone.
func (s *Store) EndTurnJournal(ctx context.Context, messageID string, last Batch, state agent.TurnState) error {
	for n := 0; len(last.Events) > 0; n++ {
		err := s.AppendEvents(ctx, messageID, last)
		if !errors.Is(err, ErrTurnStopped) {
			if err != nil {
				return fmt.Errorf("end journal: %w", err)
			}
			break
		}
		if n == maxSlotAttempts {
			return fmt.Errorf("end journal of turn %s: no free slot after %d stops", messageID, n)
		}
		last.Seq++
	}
	err := s.table.Update(AttrPK, turnKey(messageID)).Range(AttrSK, skTurn).
		Set("state", string(state)).If("attribute_exists(PK)").Run(ctx)
	if err != nil && !dynamo.IsCondCheckFailed(err) {
		return fmt.Errorf("end journal of turn %s: %w", messageID, err)
	}
	return nil
}

// StopRequested reports whether the turn was stopped, or removed.
func (s *Store) StopRequested(ctx context.Context, messageID string) (bool, error) {
	var it turnItem
	err := s.table.Get(AttrPK, turnKey(messageID)).Range(AttrSK, dynamo.Equal, skTurn).
		Project(AttrPK, "stopRequested").Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("read turn %s: %w", messageID, err)
	}
	return it.StopRequested, nil
}

// StopTurn asks the caller's running turn to stop: one transaction sets
// its stop flag and takes the next free slot of its batch sequence (see the
// journal's layout), so its producer's next batch is refused. Another
// user's turn, or a missing one, is agent.NotFound; a finished one (or one
// whose producer died) is agent.Conflict.
func (s *Store) StopTurn(ctx context.Context, userID, messageID string) error {
	for n := range maxSlotAttempts {
		seq, err := s.lastSeq(ctx, messageID)
		if err != nil {
			return fmt.Errorf("stop turn %s: %w", messageID, err)
		}
		now := s.now()
		flag := s.table.Update(AttrPK, turnKey(messageID)).Range(AttrSK, skTurn).Set("stopRequested", true).
			If("userId = ? AND $ = ? AND deadline > ?", userID, "state", string(agent.TurnRunning), now.UnixMilli())
		// A producer that took the slot first is writing fast: the stop
		// aims further ahead each time (a slot it skips is the producer's
		// next batch).
		slot := s.putBatch(messageID, Batch{Seq: seq + 1<<n, Expires: now.Add(JournalTTL)}, true)
		err = s.db.WriteTx().Update(flag).Put(slot).Run(ctx)
		if err == nil {
			return nil
		}
		if !isConditionFailure(err) {
			return fmt.Errorf("stop turn %s: %w", messageID, err)
		}
		// The turn is not one to stop, or a batch took the slot first.
		t, err := s.Turn(ctx, userID, messageID)
		if err != nil {
			return err
		}
		if !t.Running(now) {
			return agent.NewError(agent.Conflict, "This reply is already finished.")
		}
	}
	return fmt.Errorf("stop turn %s: the journal kept moving", messageID)
}

// lastSeq is the seq of a turn's newest batch (0 before the first).
func (s *Store) lastSeq(ctx context.Context, messageID string) (int, error) {
	in := s.queryInput("", AttrPK, turnKey(messageID))
	in.KeyConditionExpression = aws.String("#k = :k AND begins_with(#s, :ev)")
	in.ExpressionAttributeNames["#s"] = AttrSK
	in.ExpressionAttributeValues[":ev"] = &types.AttributeValueMemberS{Value: skEventPrefix}
	in.ScanIndexForward = aws.Bool(false)
	in.Limit = aws.Int32(1)
	in.ProjectionExpression = aws.String("#q")
	in.ExpressionAttributeNames["#q"] = "seq"
	seq := 0
	err := s.queryItems(ctx, in, func(item dynamo.Item) (bool, error) {
		var b batchItem
		if err := dynamo.UnmarshalItem(item, &b); err != nil {
			return false, err
		}
		seq = b.Seq
		return false, nil
	})
	if err != nil {
		return 0, fmt.Errorf("read last batch: %w", err)
	}
	return seq, nil
}

// Turn returns the caller's turn; another user's, or a missing one, is
// agent.NotFound.
func (s *Store) Turn(ctx context.Context, userID, messageID string) (agent.Turn, error) {
	var it turnItem
	err := s.table.Get(AttrPK, turnKey(messageID)).Range(AttrSK, dynamo.Equal, skTurn).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) || err == nil && (it.UserID != userID || !it.isTurn()) {
		return agent.Turn{}, errTurnNotFound
	}
	if err != nil {
		return agent.Turn{}, fmt.Errorf("read turn %s: %w", messageID, err)
	}
	return it.turn(), nil
}

// ReplyTurn returns the turn of the caller's reply messageID, to answer its
// message again. A user message's id is a validation error; another
// user's message, or a missing one, agent.NotFound.
func (s *Store) ReplyTurn(ctx context.Context, userID, messageID string) (agent.Turn, error) {
	var it turnItem
	err := s.table.Get(AttrPK, turnKey(messageID)).Range(AttrSK, dynamo.Equal, skTurn).Consistent(true).One(ctx, &it)
	if errors.Is(err, dynamo.ErrNotFound) || err == nil && it.UserID != userID {
		return agent.Turn{}, errTurnNotFound
	}
	if err != nil {
		return agent.Turn{}, fmt.Errorf("read turn %s: %w", messageID, err)
	}
	if !it.isTurn() {
		return agent.Turn{}, agent.NewError(agent.Invalid, "Only assistant replies can be regenerated.")
	}
	return it.turn(), nil
}

// Journal reads the caller's turn and its batches after seq (all of them
// for 0), oldest first, in one Query. Batches past their expiry are left
// out. Another user's turn, or a missing one, is agent.NotFound.
func (s *Store) Journal(ctx context.Context, userID, messageID string, after int) (agent.Turn, []Batch, error) {
	in := s.queryInput("", AttrPK, turnKey(messageID))
	in.KeyConditionExpression = aws.String("#k = :k AND #s > :after")
	in.ExpressionAttributeNames["#s"] = AttrSK
	in.ExpressionAttributeValues[":after"] = &types.AttributeValueMemberS{Value: eventSK(after)}
	now := s.now()
	var turn *turnItem
	var batches []Batch
	err := s.queryItems(ctx, in, func(item dynamo.Item) (bool, error) {
		sk, _ := item[AttrSK].(*types.AttributeValueMemberS)
		switch {
		case sk == nil:
		case sk.Value == skTurn:
			turn = new(turnItem)
			return true, dynamo.UnmarshalItem(item, turn)
		default:
			var b batchItem
			if err := dynamo.UnmarshalItem(item, &b); err != nil {
				return false, err
			}
			if expires := time.Unix(b.ExpiresAt, 0); now.Before(expires) {
				batches = append(batches, Batch{Seq: b.Seq, Events: b.Events, Expires: expires, Sent: fromUnixMilli(b.SentAt)})
			}
		}
		return true, nil
	})
	if err != nil {
		return agent.Turn{}, nil, fmt.Errorf("read journal of turn %s: %w", messageID, err)
	}
	if turn == nil || turn.UserID != userID || !turn.isTurn() {
		return agent.Turn{}, nil, errTurnNotFound
	}
	return turn.turn(), batches, nil
}

// Reply returns a turn's saved message with its artifacts, in one Query of
// the message's keys in its conversation. A reply not saved (yet) is
// agent.NotFound.
func (s *Store) Reply(ctx context.Context, t agent.Turn) (agent.Message, []agent.Artifact, error) {
	in := s.queryInput("", AttrPK, convKey(t.ConversationID))
	in.KeyConditionExpression = aws.String("#k = :k AND begins_with(#s, :msg)")
	in.ExpressionAttributeNames["#s"] = AttrSK
	in.ExpressionAttributeValues[":msg"] = &types.AttributeValueMemberS{Value: messageSK(t.MessageID)}
	var msg *messageItem
	var arts []agent.Artifact
	var parts messageParts
	err := s.queryItems(ctx, in, func(item dynamo.Item) (bool, error) {
		sk, _ := item[AttrSK].(*types.AttributeValueMemberS)
		switch {
		case sk == nil:
		case strings.Contains(sk.Value, partInfix):
			return true, parts.add(item)
		case sk.Value == messageSK(t.MessageID):
			msg = new(messageItem)
			return true, dynamo.UnmarshalItem(item, msg)
		default:
			var it artifactItem
			if err := dynamo.UnmarshalItem(item, &it); err != nil {
				return false, err
			}
			arts = append(arts, it.artifact())
		}
		return true, nil
	})
	if err != nil {
		return agent.Message{}, nil, fmt.Errorf("read reply %s: %w", t.MessageID, err)
	}
	if msg == nil {
		return agent.Message{}, nil, errTurnNotFound
	}
	m := msg.message()
	m.Content += parts.of(m.ID)
	return m, arts, nil
}

// unixMilli is t in Unix milliseconds, 0 for the zero time.
func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromUnixMilli is the time of Unix milliseconds ms, the zero time for 0.
func fromUnixMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
