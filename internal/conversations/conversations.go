// Package conversations serves a user's conversations: the list (newest
// activity first, paged by an opaque signed cursor or by page number, with
// case-insensitive title search), one conversation with its messages and
// artifacts, rename, delete (every item and every S3 object, resumable) and
// export as JSON, Markdown, or a ZIP of the Markdown, the artifacts' files
// and their pages, streamed into S3 when it is large.
package conversations

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/artifactview"
	"github.com/zocket/agent/internal/blob"
	"github.com/zocket/agent/internal/httpapi"
	"github.com/zocket/agent/internal/store"
)

// Store is the storage the endpoints need.
type Store interface {
	UserByID(ctx context.Context, id string) (agent.User, error)
	ListConversations(ctx context.Context, q store.ListQuery) (store.ListPage, error)
	CountConversations(ctx context.Context, userID, search string) (int, error)
	Thread(ctx context.Context, userID, id string) (store.Thread, error)
	RenameConversation(ctx context.Context, userID, id, title string, now time.Time) (agent.Conversation, error)
	BeginDeleteConversation(ctx context.Context, userID, id string) error
	PurgeConversation(ctx context.Context, id string) ([]string, error)
	FinishDeleteConversation(ctx context.Context, id string) error
}

// Blobs is the object storage the endpoints need.
type Blobs interface {
	GetAll(ctx context.Context, keys []string) ([][]byte, error)
	DeletePrefix(ctx context.Context, prefix string) (int, error)
	NewSpool(ctx context.Context, key, contentType string, opts blob.SpoolOptions) *blob.Spool
	PresignAttachment(ctx context.Context, key, filename, contentType string, ttl time.Duration) (string, error)
}

var (
	_ Store = (*store.Store)(nil)
	_ Blobs = (*blob.Store)(nil)
)

// Service implements the conversation endpoints.
type Service struct {
	Store     Store
	Blobs     Blobs
	Artifacts *artifactview.Presenter
	// Pages makes the pages of the ZIP export, within Zip.
	Pages      Pages
	Zip        ZipLimits
	Cursors    *Cursors
	CodePrefix string // S3_CODE_PREFIX
	Now        func() time.Time
}

// Paging limits of SPEC.md.
const (
	DefaultLimit   = 20
	MaxLimit       = 50
	MaxSearchRunes = 100
	// MaxPage is the furthest page a page number reaches (a cursor goes on
	// from there).
	MaxPage = 100000
)

// ListResponse is the answer of GET /api/conversations.
type ListResponse struct {
	Conversations []ListItem `json:"conversations"`
	Pagination    Pagination `json:"pagination"`
}

// ListItem is one conversation of the list.
type ListItem struct {
	ID           string       `json:"id"`
	Title        string       `json:"title"`
	MessageCount int          `json:"messageCount"`
	LastMessage  *LastMessage `json:"lastMessage"`
	CreatedAt    string       `json:"createdAt"`
	UpdatedAt    string       `json:"updatedAt"`
}

// LastMessage is the start of a conversation's latest message.
type LastMessage struct {
	Content   string     `json:"content"`
	Role      agent.Role `json:"role"`
	CreatedAt string     `json:"createdAt"`
}

func newListItem(c agent.Conversation) ListItem {
	it := ListItem{
		ID: c.ID, Title: title(c.Title), MessageCount: c.MessageCount,
		CreatedAt: agent.FormatTime(c.CreatedAt), UpdatedAt: agent.FormatTime(c.UpdatedAt),
	}
	if m := c.LastMessage; m != nil {
		it.LastMessage = &LastMessage{Content: m.Content, Role: m.Role, CreatedAt: agent.FormatTime(m.CreatedAt)}
	}
	return it
}

// Pagination says where a page of the list is.
type Pagination struct {
	Page       int     `json:"page"`
	Limit      int     `json:"limit"`
	TotalCount int     `json:"totalCount"`
	TotalPages int     `json:"totalPages"`
	HasNext    bool    `json:"hasNext"`
	HasPrev    bool    `json:"hasPrev"`
	NextCursor *string `json:"nextCursor"`
}

// List handles GET /api/conversations.
func (s *Service) List(w http.ResponseWriter, r *http.Request) {
	ctx, uid := r.Context(), httpapi.UserID(r.Context())
	q := r.URL.Query()
	var c httpapi.Checker
	page, pageErr := intParam(q.Get("page"), 1)
	c.Check(pageErr == nil && page >= 1 && page <= MaxPage, "page", fmt.Sprintf("must be a whole number from 1 to %d", MaxPage))
	limit, limitErr := intParam(q.Get("limit"), DefaultLimit)
	c.Check(limitErr == nil && limit >= 1 && limit <= MaxLimit, "limit", fmt.Sprintf("must be a whole number from 1 to %d", MaxLimit))
	search := strings.TrimSpace(q.Get("search"))
	c.Check(utf8.RuneCountInString(search) <= MaxSearchRunes, "search", fmt.Sprintf("must be at most %d characters", MaxSearchRunes))
	if err := c.Err(); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	lq := store.ListQuery{UserID: uid, Limit: limit, Search: search, Skip: (page - 1) * limit}
	if raw := q.Get("cursor"); raw != "" {
		cur, err := s.Cursors.Open(raw, uid, search)
		if err != nil {
			httpapi.Error(w, r, err)
			return
		}
		lq.After, lq.Skip, page = &cur.Position, 0, cur.Page
	}
	res, err := s.Store.ListConversations(ctx, lq)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	total, err := s.total(ctx, uid, search)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	items := make([]ListItem, 0, len(res.Conversations))
	for _, cv := range res.Conversations {
		items = append(items, newListItem(cv))
	}
	p := Pagination{
		Page: page, Limit: limit, TotalCount: total,
		TotalPages: int(math.Ceil(float64(total) / float64(limit))),
		HasNext:    res.Next != nil, HasPrev: page > 1,
	}
	if res.Next != nil {
		next := s.Cursors.Seal(Cursor{UserID: uid, Search: search, Position: *res.Next, Page: page + 1})
		p.NextCursor = &next
	}
	httpapi.JSON(w, http.StatusOK, ListResponse{Conversations: items, Pagination: p})
}

func (s *Service) total(ctx context.Context, uid, search string) (int, error) {
	if search != "" {
		return s.Store.CountConversations(ctx, uid, search)
	}
	u, err := s.Store.UserByID(ctx, uid)
	if err != nil {
		return 0, err
	}
	return max(u.ConversationCount, 0), nil
}

func intParam(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	return strconv.Atoi(s)
}

// title is never empty in responses.
func title(t string) string {
	if strings.TrimSpace(t) == "" {
		return "New conversation"
	}
	return t
}

// ThreadResponse is the answer of GET /api/conversations/{id}.
type ThreadResponse struct {
	Conversation Thread `json:"conversation"`
}

// Thread is a conversation with its messages, oldest first.
type Thread struct {
	ID           string    `json:"id"`
	Title        string    `json:"title"`
	UserID       string    `json:"userId"`
	CreatedAt    string    `json:"createdAt"`
	UpdatedAt    string    `json:"updatedAt"`
	MessageCount int       `json:"messageCount"`
	Messages     []Message `json:"messages"`
}

// Message is one message of a conversation, with its artifacts.
type Message struct {
	ID             string              `json:"id"`
	ConversationID string              `json:"conversationId"`
	Role           agent.Role          `json:"role"`
	Content        string              `json:"content"`
	CreatedAt      string              `json:"createdAt"`
	Error          string              `json:"error,omitempty"`
	Stopped        bool                `json:"stopped,omitempty"`
	Artifacts      []artifactview.View `json:"artifacts"`
	// Alternatives is set on a reply that was regenerated: every reply to
	// the same message, and which one this is.
	Alternatives *Alternatives `json:"alternatives,omitempty"`
}

// Alternatives are every reply to one message, and which one a reply is.
type Alternatives struct {
	Count int      `json:"count"`
	Index int      `json:"index"`
	IDs   []string `json:"ids"`
}

// Get handles GET /api/conversations/{id}: one Query for the whole
// conversation, ownership checked on the items it returns. It shows the
// conversation as it reads: of a regenerated reply, the newest, with its
// alternatives.
func (s *Service) Get(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	th, err := s.Store.Thread(r.Context(), httpapi.UserID(r.Context()), id)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	messages, alts := agent.Linear(th.Messages)
	msgs := make([]Message, 0, len(messages))
	viewer := s.Artifacts.ViewerOf(r)
	for _, m := range messages {
		mv := Message{ID: m.ID, ConversationID: m.ConversationID, Role: m.Role, Content: m.Content, CreatedAt: agent.FormatTime(m.CreatedAt), Error: m.Error, Stopped: m.Stopped, Artifacts: []artifactview.View{}}
		if a, ok := alts[m.ID]; ok {
			mv.Alternatives = &Alternatives{Count: len(a.IDs), Index: a.Index, IDs: a.IDs}
		}
		for _, a := range th.Artifacts[m.ID] {
			v, err := s.Artifacts.View(r.Context(), viewer, a)
			if err != nil {
				httpapi.Error(w, r, err)
				return
			}
			mv.Artifacts = append(mv.Artifacts, v)
		}
		msgs = append(msgs, mv)
	}
	c := th.Conversation
	httpapi.JSON(w, http.StatusOK, ThreadResponse{Conversation: Thread{
		ID: c.ID, Title: title(c.Title), UserID: c.UserID, CreatedAt: agent.FormatTime(c.CreatedAt),
		UpdatedAt: agent.FormatTime(c.UpdatedAt), MessageCount: c.MessageCount, Messages: msgs,
	}})
}

// RenameRequest is the body of PUT /api/conversations/{id}.
type RenameRequest struct {
	Title *string `json:"title"`
}

// MaxTitleRunes is the longest title accepted.
const MaxTitleRunes = 200

// RenameResponse is the answer of PUT /api/conversations/{id}.
type RenameResponse struct {
	Message      string  `json:"message"`
	Conversation Renamed `json:"conversation"`
}

// Renamed is a conversation as a rename leaves it.
type Renamed struct {
	ID           string `json:"id"`
	Title        string `json:"title"`
	CreatedAt    string `json:"createdAt"`
	UpdatedAt    string `json:"updatedAt"`
	MessageCount int    `json:"messageCount"`
}

// DeleteResponse is the answer of DELETE /api/conversations/{id}.
type DeleteResponse struct {
	Message          string `json:"message"`
	DeletedArtifacts int    `json:"deletedArtifacts"`
}

// Rename handles PUT /api/conversations/{id}.
func (s *Service) Rename(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var req RenameRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	t := strings.TrimSpace(httpapi.Value(req.Title))
	var c httpapi.Checker
	c.Check(req.Title != nil, "title", "is required")
	n := utf8.RuneCountInString(t)
	c.Check(req.Title == nil || n >= 1 && n <= MaxTitleRunes, "title", fmt.Sprintf("must be 1-%d characters", MaxTitleRunes))
	if err := c.Err(); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	cv, err := s.Store.RenameConversation(r.Context(), httpapi.UserID(r.Context()), id, t, s.Now())
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, RenameResponse{
		Message: "Conversation updated successfully",
		Conversation: Renamed{
			ID: cv.ID, Title: cv.Title, CreatedAt: agent.FormatTime(cv.CreatedAt), UpdatedAt: agent.FormatTime(cv.UpdatedAt), MessageCount: cv.MessageCount,
		},
	})
}

// Delete handles DELETE /api/conversations/{id}. The conversation is hidden
// first (a read answers 404 from then on), then its items and S3 objects are
// removed, then its META item: a failure half-way leaves a hidden
// conversation that a retry of the delete finishes.
func (s *Service) Delete(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	ctx, uid := r.Context(), httpapi.UserID(r.Context())
	if err := s.Store.BeginDeleteConversation(ctx, uid, id); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	arts, err := s.Store.PurgeConversation(ctx, id)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	if _, err := s.Blobs.DeletePrefix(ctx, s.CodePrefix+uid+"/"+id+"/"); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	if err := s.Store.FinishDeleteConversation(ctx, id); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	httpapi.JSON(w, http.StatusOK, DeleteResponse{Message: "Conversation deleted successfully", DeletedArtifacts: len(arts)})
}

// pathID reads the {id} path value; anything but a UUID is a 404.
func pathID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		httpapi.Error(w, r, agent.NewError(agent.NotFound, "Conversation not found."))
		return "", false
	}
	return strings.ToLower(id), true
}
