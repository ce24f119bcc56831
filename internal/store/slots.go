package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/guregu/dynamo/v2"

	"github.com/zocket/agent"
)

// TurnLimits limit a user's turns; 0 disables a limit.
type TurnLimits struct {
	// MaxConcurrent is how many turns may be in flight at once.
	MaxConcurrent int
	// PerMinute is how many turns may start in a minute window.
	PerMinute int
}

// A turn holds a slot on its user's item from ReserveSlot to ReleaseSlot: the
// slot is the turn's place among MaxConcurrent and the credit it may cost
// (a limited user's turns in flight never outnumber their credits). A slot
// whose Lambda died is free once its expiry passes. The slots are the map
// attribute "turns" of the user's item.
//
// The slots map always holds one more key, slotSentinel: minidyn (the local
// stand-in) turns a map whose last key is removed into that key's value,
// and evaluates size() of a missing attribute as an error rather than
// false. So the conditions read size(turns) <= n for "fewer than n slots".

// slotSentinel is the key the slots map always holds.
const slotSentinel = "_"

// windows remembers, per user, the minute window of the user's last turn
// seen by this process: which of ReserveSlot's two writes to try first.
type windows struct {
	mu   sync.Mutex
	last map[string]int64
}

func (w *windows) get(userID string) int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.last[userID]
}

func (w *windows) set(userID string, start int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last == nil || len(w.last) >= 10000 {
		w.last = make(map[string]int64)
	}
	w.last[userID] = start
}

// maxReserveAttempts bounds ReserveSlot's writes: a wrong guess of the
// window, a user item without slots (created before them) and expired
// slots each cost one more.
const maxReserveAttempts = 4

// ReserveSlot reserves a slot for turn turnID on the session's user in one
// conditional UpdateItem on the user's item, and returns the user as it is
// after: the slot until expires, held against the user's credits and
// MaxConcurrent, and a count against PerMinute. The same write checks the
// session: a session older than the user's token version (a logout, a
// password change) is agent.Unauthorized, so a turn needs no read of its
// own for that. Out of credits it is agent.CreditsExhausted; past a limit,
// agent.RateLimited with the wait. Nothing is written then.
func (s *Store) ReserveSlot(ctx context.Context, sess agent.Session, turnID string, expires time.Time, limits TurnLimits) (agent.User, error) {
	userID := sess.UserID
	now := s.now()
	window := now.Truncate(time.Minute).Unix()
	sameWindow := s.windows.get(userID) == window
	for range maxReserveAttempts {
		var it userItem
		err := s.reserve(sess, turnID, expires, limits, window, sameWindow).Value(ctx, &it)
		if err == nil {
			s.windows.set(userID, it.MinuteStart)
			return it.user(), nil
		}
		if !dynamo.IsCondCheckFailed(err) {
			return agent.User{}, fmt.Errorf("reserve turn of %s: %w", userID, err)
		}
		// Find out why, from the item as it is now.
		var cur userItem
		if err := s.table.Get(AttrPK, userKey(userID)).Range(AttrSK, dynamo.Equal, skProfile).Consistent(true).One(ctx, &cur); err != nil {
			if errors.Is(err, dynamo.ErrNotFound) {
				return agent.User{}, agent.NewError(agent.Unauthorized, "Your account no longer exists. Please sign in again.")
			}
			return agent.User{}, fmt.Errorf("reserve turn of %s: %w", userID, err)
		}
		if _, ok := cur.Slots[turnID]; ok {
			// The write was applied and its answer lost: the SDK's retry
			// found the slot taken, by this very reservation.
			s.windows.set(userID, cur.MinuteStart)
			return cur.user(), nil
		}
		if cur.TokenVersion > sess.Version {
			return agent.User{}, agent.WrapError(agent.ErrSessionEnded, agent.Unauthorized, "Your session is invalid or has expired. Please sign in again.")
		}
		live, expired := cur.slotsAt(now)
		mended, err := s.mendSlots(ctx, userID, cur, expired)
		switch {
		case err != nil:
			return agent.User{}, fmt.Errorf("reserve turn of %s: %w", userID, err)
		case mended:
			continue
		}
		if err := refusal(cur, live, limits, window, now); err != nil {
			return agent.User{}, err
		}
		sameWindow = cur.MinuteStart == window // the guess was wrong
	}
	return agent.User{}, fmt.Errorf("reserve turn of %s: the user item kept changing", userID)
}

// slotsAt counts the slots of it that are live at now, and lists those
// that expired.
func (it userItem) slotsAt(now time.Time) (live int, expired []string) {
	expired = []string{}
	for id, exp := range it.Slots {
		switch {
		case id == slotSentinel:
		case exp > now.Unix():
			live++
		default:
			expired = append(expired, id)
		}
	}
	return live, expired
}

// mendSlots makes the slots of userID's item cur able to take one more, if they cannot: a
// user item without slots (created before them) gets them, slots without
// slotSentinel get it, and expired slots are freed. It reports whether it
// wrote anything (a write that lost a race to another counts: the next try
// reads the item again).
func (s *Store) mendSlots(ctx context.Context, userID string, cur userItem, expired []string) (bool, error) {
	u := s.table.Update(AttrPK, userKey(userID)).Range(AttrSK, skProfile)
	_, sentinel := cur.Slots[slotSentinel]
	var err error
	switch {
	case cur.Slots == nil:
		err = u.Set("turns", map[string]int64{slotSentinel: 0}).If("attribute_exists(PK) AND attribute_not_exists(turns)").Run(ctx)
	case !sentinel:
		err = u.SetExpr("turns.$ = ?", slotSentinel, 0).If("attribute_not_exists(turns.$)", slotSentinel).Run(ctx)
	case len(expired) > 0:
		err = s.freeSlots(ctx, userID, cur.Slots, expired)
	default:
		return false, nil
	}
	if dynamo.IsCondCheckFailed(err) {
		err = nil
	}
	return true, err
}

// refusal is the error of a reservation that cur, with live slots, cannot
// take in the minute window starting at window: no credit left for another
// slot, or a limit reached; nil when it can.
func refusal(cur userItem, live int, limits TurnLimits, window int64, now time.Time) error {
	switch {
	case cur.Credits >= 0 && cur.Credits <= live:
		return agent.NewError(agent.CreditsExhausted, agent.CreditsExhaustedMessage)
	case limits.MaxConcurrent > 0 && live >= limits.MaxConcurrent:
		e := agent.Errorf(agent.RateLimited, "You already have %d replies in progress. Wait for one to finish.", live)
		e.RetryAfter = 5 * time.Second
		return e
	case limits.PerMinute > 0 && cur.MinuteStart == window && cur.MinuteTurns >= limits.PerMinute:
		e := agent.Errorf(agent.RateLimited, "You have started %d replies this minute. Please wait a moment.", cur.MinuteTurns)
		e.RetryAfter = time.Unix(window, 0).Add(time.Minute).Sub(now)
		return e
	}
	return nil
}

// reserve is ReserveSlot's write, for a turn in the minute window starting
// at window: one that counts on in the window the user's last turn started
// (sameWindow), or one that starts the count of a new window.
func (s *Store) reserve(sess agent.Session, turnID string, expires time.Time, limits TurnLimits, window int64, sameWindow bool) *dynamo.Update {
	u := s.table.Update(AttrPK, userKey(sess.UserID)).Range(AttrSK, skProfile).
		SetExpr("turns.$ = ?", turnID, expires.Unix()).
		If("attribute_exists(turns.$)", slotSentinel).
		// Applied once: a retry after a lost answer finds its own slot
		// and counts nothing again.
		If("attribute_not_exists(turns.$)", turnID).
		If("(attribute_not_exists(tokenVersion) OR tokenVersion <= ?)", sess.Version).
		If("(credits < ? OR size(turns) <= credits)", 0)
	if limits.MaxConcurrent > 0 {
		u = u.If("size(turns) <= ?", limits.MaxConcurrent)
	}
	switch {
	case limits.PerMinute <= 0:
	case sameWindow:
		u = u.Add("minuteTurns", 1).If("minuteStart = ? AND minuteTurns < ?", window, limits.PerMinute)
	default:
		u = u.Set("minuteStart", window).Set("minuteTurns", 1).If("(attribute_not_exists(minuteStart) OR minuteStart < ?)", window)
	}
	return u
}

// freeSlots removes the expired slots ids, each only if it still holds the
// expiry it had in turns.
func (s *Store) freeSlots(ctx context.Context, userID string, turns map[string]int64, ids []string) error {
	u := s.table.Update(AttrPK, userKey(userID)).Range(AttrSK, skProfile)
	for _, id := range slices.Sorted(slices.Values(ids)) {
		u = u.RemoveExpr("turns.$", id).If("turns.$ = ?", id, turns[id])
	}
	return u.Run(ctx)
}

// Charge is what a turn costs as it ends. The zero Charge is a refund: the
// turn costs nothing and is not counted.
type Charge struct {
	// Charged takes the credit the turn held and counts the turn, with
	// that credit, on its user's usage of the UTC day of At (zero: now).
	Charged bool
	At      time.Time
	// Unlimited says the user's credits are unlimited, as the turn's
	// reservation read them: the turn is counted, and no credit taken.
	Unlimited bool
}

// ReleaseSlot frees turn turnID's slot and returns the user as it is after. A
// refund is one UpdateItem. A charge is one transaction of the user's item
// (the slot freed, the credit taken) and the day's usage (the turn and its
// credit counted), so that a credit is counted exactly when it is taken;
// then one GetItem reads the balance. A user with no credit left to take
// (unlimited, or whose expired slot's credit another turn took) has the
// turn counted without one. Either is safe to retry after a lost answer: a
// charge is conditional on the slot it frees, so it is taken once (DynamoDB
// also answers a transaction sent again with its ClientRequestToken, which
// the SDK keeps across its retries, as it answered the first; the local
// stand-ins do not, and the condition does not rely on it).
func (s *Store) ReleaseSlot(ctx context.Context, userID, turnID string, c Charge) (agent.User, error) {
	if !c.Charged {
		var it userItem
		err := s.table.Update(AttrPK, userKey(userID)).Range(AttrSK, skProfile).
			RemoveExpr("turns.$", turnID).If("attribute_exists(PK)").Value(ctx, &it)
		if err != nil {
			return agent.User{}, fmt.Errorf("end turn %s of %s: %w", turnID, userID, err)
		}
		return it.user(), nil
	}
	at := c.At
	if at.IsZero() {
		at = s.now()
	}
	err := s.chargeOnce(ctx, userID, turnID, at, !c.Unlimited)
	if err != nil {
		return agent.User{}, fmt.Errorf("end turn %s of %s: %w", turnID, userID, err)
	}
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return agent.User{}, fmt.Errorf("end turn %s: %w", turnID, err)
	}
	return u, nil
}

// chargeOnce charges turnID, with its credit when credit says so and there
// is one left, unless its slot is gone: then the charge (or a release) was
// done already, by an attempt whose answer was lost. A slot outlives its
// turn's last save (slotMargin), so no one else frees it first.
func (s *Store) chargeOnce(ctx context.Context, userID, turnID string, at time.Time, credit bool) error {
	err := s.charge(ctx, userID, turnID, at, credit)
	if !isConditionFailure(err) {
		return err
	}
	var cur userItem
	if err := s.table.Get(AttrPK, userKey(userID)).Range(AttrSK, dynamo.Equal, skProfile).Consistent(true).One(ctx, &cur); err != nil {
		return fmt.Errorf("read user: %w", err)
	}
	if _, held := cur.Slots[turnID]; !held || !credit {
		return nil
	}
	// No credit left to take: the turn is counted without one.
	err = s.charge(ctx, userID, turnID, at, false)
	if isConditionFailure(err) {
		return nil
	}
	return err
}

// charge frees the turn's slot, if it still holds it, and counts the turn
// on the user's usage of at's day, in one transaction; with credit, it
// takes the credit too and counts it, on the condition that there is one.
func (s *Store) charge(ctx context.Context, userID, turnID string, at time.Time, credit bool) error {
	user := s.table.Update(AttrPK, userKey(userID)).Range(AttrSK, skProfile).
		RemoveExpr("turns.$", turnID).If("attribute_exists(turns.$)", turnID)
	usage := s.table.Update(AttrPK, userKey(userID)).Range(AttrSK, usageSK(at)).Add("chargedTurns", 1)
	if credit {
		user = user.Add("credits", -1).If("credits > ?", 0)
		usage = usage.Add("spentCredits", 1)
	}
	return s.db.WriteTx().Update(user).Update(usage).Run(ctx)
}
