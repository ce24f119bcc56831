package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/zocket/agent/internal/devtools/runtimeapi"
)

// invokeAPI is the Lambda Invoke API of the stack's functions, reached by
// name, ARN or partial ARN as in AWS (POST
// /2015-03-31/functions/{name}/invocations): RequestResponse answers the
// payload (a function error with X-Amz-Function-Error), Event answers 202
// and runs on, DryRun answers 204.
type invokeAPI struct {
	pools map[string]*pool // by function name
	logf  func(format string, args ...any)
}

func (a *invokeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions/")
	name, ok2 := strings.CutSuffix(rest, "/invocations")
	if !ok || !ok2 || r.Method != http.MethodPost {
		lambdaError(w, http.StatusNotFound, "UnknownOperationException", "the local Lambda serves Invoke only")
		return
	}
	p := a.lookup(name)
	if q := r.URL.Query().Get("Qualifier"); q != "" && q != "$LATEST" {
		p = nil
	}
	if p == nil {
		lambdaError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, runtimeapi.MaxPayload+1))
	if err != nil {
		return
	}
	if len(payload) > runtimeapi.MaxPayload {
		lambdaError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	switch typ := r.Header.Get("X-Amz-Invocation-Type"); typ {
	case "", "RequestResponse":
	case "Event":
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), p.fn.timeout+time.Minute)
			defer cancel()
			if resp, err := p.invoke(ctx, payload); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			} else {
				a.logf("async invocation of %s: %v", p.fn.name, err)
			}
		}()
		w.WriteHeader(http.StatusAccepted)
		return
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		lambdaError(w, http.StatusBadRequest, "InvalidParameterValueException", "unknown invocation type "+typ)
		return
	}
	resp, err := p.invoke(r.Context(), payload)
	var out []byte
	if err == nil {
		out, err = resp.Payload()
	}
	var fe *runtimeapi.FunctionError
	switch {
	case err == nil:
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	case errors.As(err, &fe):
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(fe.Payload)
	case errors.Is(err, errThrottled):
		lambdaError(w, http.StatusTooManyRequests, "TooManyRequestsException", "Rate Exceeded.")
	case r.Context().Err() != nil:
	default:
		a.logf("invocation of %s: %v", p.fn.name, err)
		lambdaError(w, http.StatusInternalServerError, "ServiceException", err.Error())
	}
}

// lookup finds a function by name, ARN or partial ARN, with or without
// a :$LATEST qualifier.
func (a *invokeAPI) lookup(name string) *pool {
	name = strings.TrimSuffix(name, ":$LATEST")
	if i := strings.LastIndex(name, ":function:"); i >= 0 {
		name = name[i+len(":function:"):]
	}
	return a.pools[name]
}

func lambdaError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg})
}
