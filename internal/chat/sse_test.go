package chat

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSSEFramingAndPing(t *testing.T) {
	rec := httptest.NewRecorder()
	out := newSSE(rec)
	out.Metadata(Metadata{ConversationID: "c", MessageID: "m", UserMessageID: "u", Title: "<b>T</b>"})
	out.Delta("a\nb")
	s := &Service{PingEvery: 30 * time.Millisecond}
	stop := s.pinger(out)
	time.Sleep(150 * time.Millisecond)
	stop()
	out.done()

	body := rec.Body.String()
	want := "id: 1\nevent: metadata\ndata: {\"type\":\"metadata\",\"data\":{\"conversationId\":\"c\",\"messageId\":\"m\",\"userMessageId\":\"u\",\"title\":\"<b>T</b>\"}}\n\n" +
		"id: 2\nevent: chunk\ndata: {\"type\":\"chunk\",\"data\":{\"text\":\"a\\nb\"}}\n\n"
	if !strings.HasPrefix(body, want) {
		t.Errorf("framing:\n%s\nwant prefix:\n%s", body, want)
	}
	if !strings.Contains(body, ": ping\n\n") {
		t.Errorf("no ping while idle:\n%s", body)
	}
	if !strings.HasSuffix(body, "data: [DONE]\n\n") {
		t.Errorf("does not end with [DONE]:\n%s", body)
	}
	if got := rec.Header().Get("Content-Type"); got != "text/event-stream; charset=utf-8" {
		t.Errorf("content type %q", got)
	}
}

func TestProvisionalTitle(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Create a React button component", "Create a React button component"},
		{strings.Repeat("a", 50), strings.Repeat("a", 50)},
		{strings.Repeat("é", 51), strings.Repeat("é", 47) + "..."},
		{"  line one\n\nline   two ", "line one line two"},
		{"   ", "New conversation"},
	}
	for _, tt := range tests {
		if got := ProvisionalTitle(tt.in); got != tt.want {
			t.Errorf("ProvisionalTitle(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
