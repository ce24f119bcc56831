package chat

import (
	"net/http"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/httpapi"
)

type regenerateRequest struct {
	Stream *bool `json:"stream"`
}

// Regenerate handles POST /api/chat/regenerate/{messageId}: a new reply to
// the user message that messageId (a reply) answers, from the conversation
// up to that message. The old reply stays, as an alternative. It answers
// like send: SSE, or with stream false one JSON body. It costs a credit
// and obeys every limit send obeys.
func (s *Service) Regenerate(w http.ResponseWriter, r *http.Request) {
	id, err := messageID(r)
	var req regenerateRequest
	if err == nil {
		err = httpapi.DecodeOptional(w, r, &req)
	}
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	stream := req.Stream == nil || *req.Stream
	ctx := r.Context()
	userID := httpapi.UserID(ctx)
	old, err := s.Store.ReplyTurn(ctx, userID, id)
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	t := &turn{svc: s, r: r, again: true, chargeOnText: stream,
		userMsg: agent.Message{ID: old.ReplyTo}, assistantID: newID(), clock: s.detach(ctx)}
	if err := t.begin(ctx, userID, old.ConversationID); err != nil {
		httpapi.Error(w, r, err)
		return
	}
	if err := t.start(ctx); err != nil {
		t.end(false)
		httpapi.Error(w, r, err)
		return
	}
	s.serve(w, r, t, stream, "Response regenerated successfully")
}
