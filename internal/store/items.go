package store

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zocket/agent"
)

// The items of the table. They are private: callers see the domain types of
// package agent, and only this package knows keys, index attributes and
// flags such as deleting.

// timestamp is a time stored in agent.TimeFormat, whose strings sort in
// time order (activityAt is the list index's sort key).
type timestamp time.Time

func stamp(t time.Time) timestamp { return timestamp(t.UTC().Truncate(time.Millisecond)) }

// MarshalText implements encoding.TextMarshaler for guregu/dynamo.
func (t timestamp) MarshalText() ([]byte, error) {
	return []byte(agent.FormatTime(time.Time(t))), nil
}

// UnmarshalText implements encoding.TextUnmarshaler for guregu/dynamo.
func (t *timestamp) UnmarshalText(b []byte) error {
	parsed, err := time.Parse(agent.TimeFormat, string(b))
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", b, err)
	}
	*t = timestamp(parsed)
	return nil
}

func (t timestamp) String() string { return agent.FormatTime(time.Time(t)) }

type userItem struct {
	PK                string    `dynamo:"PK,hash"`
	SK                string    `dynamo:"SK,range"`
	ID                string    `dynamo:"id"`
	Email             string    `dynamo:"email"`
	Username          string    `dynamo:"username"`
	Credits           int       `dynamo:"credits"`
	ConversationCount int       `dynamo:"conversationCount"`
	TokenVersion      int       `dynamo:"tokenVersion,omitempty"`
	CreatedAt         timestamp `dynamo:"createdAt"`
	UpdatedAt         timestamp `dynamo:"updatedAt"`
	// Slots are the user's turns in flight: turn id → when its slot
	// expires (Unix seconds), should its Lambda die holding it; and
	// slotSentinel.
	Slots map[string]int64 `dynamo:"turns"`
	// MinuteStart and MinuteTurns count the turns started in the minute
	// window starting at MinuteStart (Unix seconds).
	MinuteStart int64 `dynamo:"minuteStart,omitempty"`
	MinuteTurns int   `dynamo:"minuteTurns,omitempty"`
}

func newUserItem(u agent.User) userItem {
	return userItem{
		PK: userKey(u.ID), SK: skProfile, ID: u.ID, Email: u.Email, Username: u.Username,
		Credits: u.Credits, ConversationCount: u.ConversationCount, TokenVersion: u.TokenVersion,
		CreatedAt: stamp(u.CreatedAt), UpdatedAt: stamp(u.UpdatedAt), Slots: map[string]int64{slotSentinel: 0},
	}
}

func (it userItem) user() agent.User {
	return agent.User{
		ID: it.ID, Email: it.Email, Username: it.Username, Credits: it.Credits,
		ConversationCount: it.ConversationCount, TokenVersion: it.TokenVersion,
		CreatedAt: time.Time(it.CreatedAt), UpdatedAt: time.Time(it.UpdatedAt),
	}
}

// credentialsItem is the email record (which holds the password hash) and
// the username record: what makes an email or a username unique.
type credentialsItem struct {
	PK           string `dynamo:"PK,hash"`
	SK           string `dynamo:"SK,range"`
	UserID       string `dynamo:"userId"`
	PasswordHash string `dynamo:"passwordHash,omitempty"`
}

type conversationItem struct {
	PK             string           `dynamo:"PK,hash"`
	SK             string           `dynamo:"SK,range"`
	GSI1PK         string           `dynamo:"GSI1PK,omitempty"`
	GSI1SK         string           `dynamo:"GSI1SK,omitempty"`
	ID             string           `dynamo:"id"`
	UserID         string           `dynamo:"userId"`
	Title          string           `dynamo:"title"`
	TitleLower     string           `dynamo:"titleLower"`
	MessageCount   int              `dynamo:"messageCount"`
	LastMessage    *lastMessageItem `dynamo:"lastMessage,omitempty"`
	Summary        string           `dynamo:"summary,omitempty"`
	SummaryThrough string           `dynamo:"summaryThrough,omitempty"` // id of the last message folded into Summary
	ActivityAt     timestamp        `dynamo:"activityAt"`
	CreatedAt      timestamp        `dynamo:"createdAt"`
	UpdatedAt      timestamp        `dynamo:"updatedAt"`
	Deleting       bool             `dynamo:"deleting,omitempty"`
}

type lastMessageItem struct {
	Content   string    `dynamo:"content"`
	Role      string    `dynamo:"role"`
	CreatedAt timestamp `dynamo:"createdAt"`
}

// newConversationItem is c's META item, listed at activity at.
func newConversationItem(c agent.Conversation, at time.Time) conversationItem {
	it := conversationItem{
		PK: convKey(c.ID), SK: skMeta,
		GSI1PK: convListKey(c.UserID), GSI1SK: activityKey(stamp(at), c.ID),
		ID: c.ID, UserID: c.UserID, Title: c.Title, TitleLower: strings.ToLower(c.Title),
		MessageCount: c.MessageCount, Summary: c.Summary, SummaryThrough: c.SummaryThrough,
		ActivityAt: stamp(at), CreatedAt: stamp(c.CreatedAt), UpdatedAt: stamp(c.UpdatedAt),
	}
	if m := c.LastMessage; m != nil {
		it.LastMessage = &lastMessageItem{Content: m.Content, Role: string(m.Role), CreatedAt: stamp(m.CreatedAt)}
	}
	return it
}

func (it conversationItem) conversation() agent.Conversation {
	c := agent.Conversation{
		ID: it.ID, UserID: it.UserID, Title: it.Title, MessageCount: it.MessageCount,
		Summary: it.Summary, SummaryThrough: it.SummaryThrough,
		CreatedAt: time.Time(it.CreatedAt), UpdatedAt: time.Time(it.UpdatedAt),
	}
	if m := it.LastMessage; m != nil {
		c.LastMessage = &agent.LastMessage{Content: m.Content, Role: agent.Role(m.Role), CreatedAt: time.Time(m.CreatedAt)}
	}
	return c
}

type messageItem struct {
	PK             string    `dynamo:"PK,hash"`
	SK             string    `dynamo:"SK,range"`
	ID             string    `dynamo:"id"`
	ConversationID string    `dynamo:"conversationId"`
	Role           string    `dynamo:"role"`
	Content        string    `dynamo:"content"`
	CreatedAt      timestamp `dynamo:"createdAt"`
	ReplyTo        string    `dynamo:"replyTo,omitempty"`
	Error          string    `dynamo:"error,omitempty"`
	Stopped        bool      `dynamo:"stopped,omitempty"`
	PromptTokens   int       `dynamo:"promptTokens,omitempty"`
	OutputTokens   int       `dynamo:"outputTokens,omitempty"`
}

// newMessageItems are m's item and, for content longer than partBytes, the
// parts of its content after the first: a reply longer than an item may
// be is kept whole, in items of its conversation's partition that every
// read of the conversation returns with it.
func newMessageItems(m agent.Message) (messageItem, []messagePartItem, error) {
	if len(m.Content) > MaxContentBytes {
		return messageItem{}, nil, agent.Errorf(agent.TooLarge, "The content is too large to save (%d KB; the limit is %d KB).", len(m.Content)/1024, MaxContentBytes/1024)
	}
	chunks := splitContent(m.Content, partBytes)
	it := messageItem{
		PK: convKey(m.ConversationID), SK: messageSK(m.ID),
		ID: m.ID, ConversationID: m.ConversationID, Role: string(m.Role), Content: chunks[0],
		CreatedAt: stamp(m.CreatedAt), ReplyTo: m.ReplyTo, Error: m.Error, Stopped: m.Stopped,
		PromptTokens: m.PromptTokens, OutputTokens: m.OutputTokens,
	}
	var parts []messagePartItem
	for i, c := range chunks[1:] {
		parts = append(parts, messagePartItem{PK: it.PK, SK: partSK(m.ID, i+1), MessageID: m.ID, Content: c})
	}
	return it, parts, nil
}

// messagePartItem is a part of a message's content after the first (which
// its item holds), in order of its sort key.
type messagePartItem struct {
	PK        string `dynamo:"PK,hash"`
	SK        string `dynamo:"SK,range"`
	MessageID string `dynamo:"messageId"`
	Content   string `dynamo:"content"`
}

// How a message's content is kept: up to partBytes in its item, the rest
// in parts of up to partBytes each (an item may hold 400 KB with its
// attributes' names). MaxContentBytes is the longest content saved: what
// one transaction (4 MB) carries with the message's other writes.
const (
	partBytes       = 256 << 10
	MaxContentBytes = 3 << 20
)

// splitContent cuts s into pieces of at most n bytes, between runes; it
// returns one piece, maybe empty, for a short s.
func splitContent(s string, n int) []string {
	var out []string
	for len(s) > n {
		i := n
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return append(out, s)
}

func (it messageItem) message() agent.Message {
	return agent.Message{
		ID: it.ID, ConversationID: it.ConversationID, Role: agent.Role(it.Role), Content: it.Content,
		CreatedAt: time.Time(it.CreatedAt), ReplyTo: it.ReplyTo, Error: it.Error, Stopped: it.Stopped,
		PromptTokens: it.PromptTokens, OutputTokens: it.OutputTokens,
	}
}

// artifactItem is an artifact's metadata. It is stored twice, written in
// one transaction: in its conversation's partition (so a conversation reads
// in one Query) and under its own key (so an artifact reads in one GetItem).
type artifactItem struct {
	PK                  string     `dynamo:"PK,hash"`
	SK                  string     `dynamo:"SK,range"`
	ID                  string     `dynamo:"id"`
	UserID              string     `dynamo:"userId"`
	ConversationID      string     `dynamo:"conversationId"`
	MessageID           string     `dynamo:"messageId"`
	Title               string     `dynamo:"title"`
	Language            string     `dynamo:"language"`
	Type                string     `dynamo:"type"`
	S3Key               string     `dynamo:"s3Key"`
	FileSize            int        `dynamo:"fileSize"`
	Files               []fileItem `dynamo:"files,omitempty"`
	Entry               string     `dynamo:"entry,omitempty"`
	Path                string     `dynamo:"path,omitempty"`
	LineageID           string     `dynamo:"lineageId,omitempty"`
	Version             int        `dynamo:"version,omitempty"`
	Replaces            string     `dynamo:"replaces,omitempty"`
	ContentHash         string     `dynamo:"contentHash,omitempty"`
	BundledHTMLKey      string     `dynamo:"bundledHtmlKey,omitempty"`
	BundledScriptHashes []string   `dynamo:"bundledScriptHashes,omitempty"`
	CreatedAt           timestamp  `dynamo:"createdAt"`
	UpdatedAt           timestamp  `dynamo:"updatedAt"`
}

type fileItem struct {
	Path     string `dynamo:"path"`
	Language string `dynamo:"language"`
	Size     int    `dynamo:"size"`
	S3Key    string `dynamo:"s3Key"`
}

// newArtifactItems are a's own item and its copy in its conversation.
func newArtifactItems(a agent.Artifact) (own, inConversation artifactItem) {
	it := artifactItem{
		ID: a.ID, UserID: a.UserID, ConversationID: a.ConversationID, MessageID: a.MessageID,
		Title: a.Title, Language: a.Language, Type: string(a.Type), S3Key: a.S3Key, FileSize: a.FileSize,
		Entry: a.Entry, Path: a.Path, LineageID: a.LineageID, Version: a.Version, Replaces: a.Replaces,
		ContentHash: a.ContentHash, BundledHTMLKey: a.BundledHTMLKey,
		BundledScriptHashes: a.BundledScriptHashes, CreatedAt: stamp(a.CreatedAt), UpdatedAt: stamp(a.UpdatedAt),
	}
	for _, f := range a.Files {
		it.Files = append(it.Files, fileItem(f))
	}
	own, inConversation = it, it
	own.PK, own.SK = artifactKey(a.ID), skArtifact
	inConversation.PK, inConversation.SK = convKey(a.ConversationID), artifactSK(a.MessageID, a.ID)
	return own, inConversation
}

func (it artifactItem) artifact() agent.Artifact {
	a := agent.Artifact{
		ID: it.ID, UserID: it.UserID, ConversationID: it.ConversationID, MessageID: it.MessageID,
		Title: it.Title, Language: it.Language, Type: agent.ArtifactType(it.Type), S3Key: it.S3Key,
		FileSize: it.FileSize, Entry: it.Entry, Path: it.Path, LineageID: it.LineageID, Version: it.Version, Replaces: it.Replaces,
		ContentHash: it.ContentHash, BundledHTMLKey: it.BundledHTMLKey, BundledScriptHashes: it.BundledScriptHashes,
		CreatedAt: time.Time(it.CreatedAt), UpdatedAt: time.Time(it.UpdatedAt),
	}
	// An artifact saved before versions is the first of its own lineage.
	if a.LineageID == "" {
		a.LineageID, a.Version = a.ID, 1
	}
	for _, f := range it.Files {
		a.Files = append(a.Files, agent.File(f))
	}
	return a
}

// revisionItem is a version's entry in its lineage (LIN#<lineageId> /
// V#<version>): what the list of versions shows, and the id to read the
// rest by. It never changes after it is written.
type revisionItem struct {
	PK             string    `dynamo:"PK,hash"`
	SK             string    `dynamo:"SK,range"`
	ID             string    `dynamo:"id"`
	UserID         string    `dynamo:"userId"`
	ConversationID string    `dynamo:"conversationId"`
	MessageID      string    `dynamo:"messageId"`
	Version        int       `dynamo:"version"`
	Size           int       `dynamo:"size"`
	CreatedAt      timestamp `dynamo:"createdAt"`
}

func newRevisionItem(a agent.Artifact) revisionItem {
	return revisionItem{
		PK: lineageKey(a.LineageID), SK: revisionSK(a.Version), ID: a.ID, UserID: a.UserID,
		ConversationID: a.ConversationID, MessageID: a.MessageID, Version: a.Version, Size: a.FileSize,
		CreatedAt: stamp(a.CreatedAt),
	}
}

func (it revisionItem) revision() agent.Revision {
	return agent.Revision{ID: it.ID, Version: it.Version, MessageID: it.MessageID, CreatedAt: time.Time(it.CreatedAt), Size: it.Size}
}

// usageItem is a user's usage on one UTC day: counters that only ever go
// up, by ADD, in the transactions that save a reply (tokens) and that charge
// a turn (the turn and its credit). Its day is in its sort key.
type usageItem struct {
	PK           string `dynamo:"PK,hash"`
	SK           string `dynamo:"SK,range"`
	PromptTokens int    `dynamo:"promptTokens"`
	OutputTokens int    `dynamo:"outputTokens"`
	ChargedTurns int    `dynamo:"chargedTurns"`
	SpentCredits int    `dynamo:"spentCredits"`
}

func (it usageItem) dayUsage() (agent.DayUsage, error) {
	day, err := time.Parse(agent.DateFormat, strings.TrimPrefix(it.SK, skUsagePrefix))
	if err != nil {
		return agent.DayUsage{}, fmt.Errorf("usage item %s: %w", it.SK, err)
	}
	return agent.DayUsage{Day: day, Usage: agent.Usage{
		PromptTokens: it.PromptTokens, OutputTokens: it.OutputTokens, Turns: it.ChargedTurns, Credits: it.SpentCredits,
	}}, nil
}
