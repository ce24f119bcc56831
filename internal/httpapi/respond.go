// Package httpapi is the HTTP layer shared by every endpoint: JSON decoding
// with a size cap and strict fields, the error envelope of SPEC.md, request
// ids, panic recovery, CORS, access logs, and authentication of the bearer
// token. Handlers are plain http.Handlers; the devserver, the Lambda adapters
// and the tests all serve them through Chain.
package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/zocket/agent"
)

// JSON writes v with status.
func JSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// A value that cannot be encoded is a programming error.
		body = []byte(`{"error":"Internal error","message":"Something went wrong on our side. Please try again.","code":"internal"}`)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// MaxBodyBytes is the request body cap of SPEC.md.
const MaxBodyBytes = 1 << 20

// Decode reads one JSON object into dst: at most MaxBodyBytes of valid
// UTF-8, with no escape of half a surrogate pair (Go's decoder would
// silently turn either into U+FFFD), no fields dst does not declare,
// nothing after the object. The error is an
// *agent.Error with the right code (invalid_json, payload_too_large or
// validation_error naming the field).
func Decode(w http.ResponseWriter, r *http.Request, dst any) error {
	return decode(w, r, dst, false)
}

// DecodeOptional is Decode for a body that may be left out: an empty body
// leaves dst as it is.
func DecodeOptional(w http.ResponseWriter, r *http.Request, dst any) error {
	return decode(w, r, dst, true)
}

func decode(w http.ResponseWriter, r *http.Request, dst any, optional bool) error {
	if r.Body == nil || r.Body == http.NoBody {
		if optional {
			return nil
		}
		return agent.NewError(agent.InvalidJSON, "The request body must be a JSON object.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return decodeError(err)
	}
	if optional && len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if !utf8.Valid(body) || loneSurrogate(body) {
		return agent.NewError(agent.InvalidJSON, "The request body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return agent.NewError(agent.InvalidJSON, "The request body must hold exactly one JSON object.")
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err == nil {
		return agent.NewError(agent.InvalidJSON, "The request body must hold exactly one JSON object.")
	} else if !errors.Is(err, io.EOF) {
		return decodeError(err)
	}
	return nil
}
