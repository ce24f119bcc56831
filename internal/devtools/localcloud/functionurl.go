package localcloud

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/zocket/agent/internal/devtools/runtimeapi"
)

// urlFront is a function's Function URL: every method and path goes to the
// function, as a Function URL event; a RESPONSE_STREAM function's answer is
// passed on as it arrives, a BUFFERED one's whole.
type urlFront struct {
	spec *urlSpec
	pool *pool
	logf func(format string, args ...any)
	now  func() time.Time
}

func (u *urlFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if u.spec.cors != nil && isPreflight(r) {
		u.spec.cors.preflight(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, runtimeapi.MaxPayload+1))
	if err != nil {
		return
	}
	if len(body) > runtimeapi.MaxPayload {
		urlMessage(w, http.StatusRequestEntityTooLarge, "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
		return
	}
	ev := newEvent(r, body, eventKind{
		accountID: "anonymous", apiID: u.spec.id, routeKey: "$default", stage: "$default",
		requestID: urlRequestID,
	}, u.now())
	payload, err := json.Marshal(ev)
	if err != nil {
		urlMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	resp, err := u.pool.invoke(r.Context(), payload)
	if err != nil {
		switch {
		case errors.Is(err, errThrottled):
			u.logf("%s %s: %v", r.Method, r.URL.Path, err)
			urlMessage(w, http.StatusTooManyRequests, "Rate Exceeded.")
		case r.Context().Err() != nil:
		default:
			u.logf("%s %s: %v", r.Method, r.URL.Path, err)
			urlMessage(w, http.StatusBadGateway, "Internal Server Error")
		}
		return
	}
	defer resp.Body.Close()
	stop := context.AfterFunc(r.Context(), func() { resp.Body.Close() }) // the client has gone
	defer stop()
	if !u.spec.stream {
		out, err := resp.Payload()
		var res httpResponse
		if err == nil {
			res, err = decodeResponse(out)
		}
		if err != nil {
			u.logf("%s %s: %v", r.Method, r.URL.Path, err)
			urlMessage(w, http.StatusBadGateway, "Internal Server Error")
			return
		}
		u.writeHead(w, r, res.status, res.header)
		_, _ = w.Write(res.body)
		return
	}
	br := bufio.NewReaderSize(resp.Body, 32<<10)
	status, header := http.StatusOK, http.Header{}
	if resp.ContentType == runtimeapi.HTTPIntegrationContentType {
		p, err := runtimeapi.ReadPrelude(br)
		if err != nil {
			u.logf("%s %s: function %s: %v", r.Method, r.URL.Path, u.pool.fn.name, err)
			urlMessage(w, http.StatusBadGateway, "Internal Server Error")
			return
		}
		status = p.StatusCode
		for k, v := range p.Headers {
			header.Set(k, v)
		}
		for _, c := range p.Cookies {
			header.Add("Set-Cookie", c)
		}
	} else if resp.ContentType != "" {
		header.Set("Content-Type", resp.ContentType)
	}
	u.writeHead(w, r, status, header)
	// The head goes out at once, as Lambda sends the prelude when it comes.
	_ = http.NewResponseController(w).Flush()
	if err := streamBody(w, br); err != nil && r.Context().Err() == nil {
		u.logf("%s %s: the response was cut: %v", r.Method, r.URL.Path, err)
		// The client sees the connection end early, as from Lambda.
		panic(http.ErrAbortHandler)
	}
}

func (u *urlFront) writeHead(w http.ResponseWriter, r *http.Request, status int, header http.Header) {
	h := w.Header()
	for k, vs := range header {
		h[k] = vs
	}
	h.Set("X-Amzn-Requestid", urlRequestID())
	if u.spec.cors != nil {
		u.spec.cors.decorate(h, r.Header.Get("Origin"))
	}
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
}

// streamBody copies body to w, flushing what arrives as it arrives.
func streamBody(w http.ResponseWriter, body io.Reader) error {
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return nil // the client has gone
			}
			if ferr := rc.Flush(); ferr != nil {
				return nil
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// urlMessage answers the way a Function URL does when it answers itself.
func urlMessage(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Message": msg})
}
