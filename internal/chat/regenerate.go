package chat

import (
	"context"
	"errors"
	"net/http"
	"sync"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/httpapi"
)

// RegenerateRequest is the body of POST /api/chat/regenerate/{messageId}
// and POST /api/artifacts/{id}/fix, which may be left out: whether to
// stream (the default) or answer in one JSON body.
type RegenerateRequest struct {
	Stream *bool `json:"stream"`
}

// stream is whether the answer streams: it does unless stream is false.
func (req RegenerateRequest) stream() bool { return req.Stream == nil || *req.Stream }

// Regenerate handles POST /api/chat/regenerate/{messageId}: a new reply to
// the user message that messageId (a reply) answers, from the conversation
// up to that message. The old reply stays, as an alternative. It answers
// like send: SSE, or with stream false one JSON body. It costs a credit
// and obeys every limit send obeys.
func (s *Service) Regenerate(w http.ResponseWriter, r *http.Request) {
	id, err := messageID(r)
	var req RegenerateRequest
	if err == nil {
		err = httpapi.DecodeOptional(w, r, &req)
	}
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	p := s.newProducer(r, "")
	p.again = true
	// Two round trips before the model: the reply's turn beside the
	// reservation, then the conversation beside the new turn's record.
	var old agent.Turn
	err = p.reserve(r.Context(), "", func(ctx context.Context) (err error) {
		old, err = s.Store.ReplyTurn(ctx, p.session.UserID, id)
		return err
	})
	if err == nil {
		err = p.answerAgain(r.Context(), old)
	}
	if err != nil {
		httpapi.Error(w, r, err)
		return
	}
	s.serve(w, r, p, req.stream(), "Response regenerated successfully")
}

// answerAgain makes the turn another answer to the message that old
// answers: it reads the conversation and records the turn, at once. When
// either fails, the slot is released and the record removed.
func (p *producer) answerAgain(ctx context.Context, old agent.Turn) error {
	p.userMsg.ID = old.ReplyTo
	p.conv = agent.Conversation{ID: old.ConversationID}
	var readErr, recordErr error
	var wg sync.WaitGroup
	wg.Go(func() { readErr = p.readConversation(old.ConversationID)(ctx) })
	wg.Go(func() { recordErr = p.record(ctx, old.ConversationID) })
	wg.Wait()
	err := errors.Join(readErr, recordErr)
	if err != nil {
		p.release()
		if recordErr == nil {
			p.abandon("")
		}
	}
	return err
}
