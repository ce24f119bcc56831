package chat

import (
	"context"
	"errors"
	"net/http"
	"sync"

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
	t := &turn{svc: s, caller: s.callerOf(r), again: true, assistantID: newID(), clock: s.detach(ctx)}
	// Two round trips before the model: the reply's turn beside the
	// reservation, then the conversation beside the new turn's record.
	var old agent.Turn
	err = t.begin(ctx, "", func(ctx context.Context) (err error) {
		old, err = s.Store.ReplyTurn(ctx, t.session.UserID, id)
		return err
	})
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	t.userMsg.ID = old.ReplyTo
	t.conv = agent.Conversation{ID: old.ConversationID}
	var readErr, startErr error
	var wg sync.WaitGroup
	wg.Go(func() { readErr = t.read(old.ConversationID)(ctx) })
	wg.Go(func() { startErr = t.start(ctx, t.user.ID, old.ConversationID) })
	wg.Wait()
	if err := errors.Join(readErr, startErr); err != nil {
		t.end()
		if startErr == nil {
			t.abandon("")
		}
		httpapi.Error(w, r, err)
		return
	}
	s.serve(w, r, t, stream, "Response regenerated successfully", nil)
}
