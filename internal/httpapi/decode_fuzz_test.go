package httpapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/zocket/agent"
	"github.com/zocket/agent/internal/httpapi"
)

// FuzzDecode decodes arbitrary bodies, as a value of any shape and as a
// request struct, with Decode and DecodeOptional: none panics, every
// refusal is an *agent.Error of the decoding codes, invalid UTF-8 is always
// refused, what is accepted holds no U+FFFD the body did not (nothing was
// silently replaced) and encodes back to a body that decodes to the same.
func FuzzDecode(f *testing.F) {
	for _, body := range []string{
		`{"email":"a@b.io"}`,
		`{"email":"a@b.io","n":3,"tags":["x","y"]}`,
		"{\"email\":\"\xff\xfe@x.io\"}",
		`{"email":"\ud83d\ude00"}`,
		`{"email":"\ud800"}`,
		`{"email":"\udc00x"}`,
		`{"email":"\\ud800"}`,
		`{"email":"\ufffd"}`,
		`{"e\u006dail":"a"}`,
		`{"n":1e400}`,
		`{"n":"3"}`,
		`{"mail":"a"}`,
		`{"email":"a"}{"email":"b"}`,
		`{"email":"a"} x`,
		`[1,2]`,
		`"\ud83d"`,
		`null`,
		``,
		`  `,
		`{`,
		`{"email":"\u`,
	} {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		decode := func(optional bool, dst any) error {
			t.Helper()
			req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			var err error
			if optional {
				err = httpapi.DecodeOptional(httptest.NewRecorder(), req, dst)
			} else {
				err = httpapi.Decode(httptest.NewRecorder(), req, dst)
			}
			if err == nil {
				return nil
			}
			e, ok := errors.AsType[*agent.Error](err)
			if !ok || e.Code != agent.InvalidJSON && e.Code != agent.Invalid && e.Code != agent.TooLarge {
				t.Fatalf("Decode(%q) = %v, want an invalid_json, validation_error or payload_too_large error", body, err)
			}
			if !utf8.Valid(body) && e.Code != agent.InvalidJSON {
				t.Fatalf("Decode(%q) = %v for invalid UTF-8, want invalid_json", body, err)
			}
			return err
		}

		var request struct {
			Email *string  `json:"email"`
			N     *int     `json:"n"`
			Tags  []string `json:"tags"`
		}
		decode(false, &request)
		decode(true, &request)

		var v any
		if decode(true, &v) != nil || v == nil {
			return
		}
		if !utf8.Valid(body) {
			t.Fatalf("Decode(%q) accepted invalid UTF-8", body)
		}
		if strings.Contains(allStrings(v), "\uFFFD") && !bytes.Contains(body, []byte("\uFFFD")) && !bytes.Contains(bytes.ToLower(body), []byte(`\ufffd`)) {
			t.Fatalf("Decode(%q) = %#v: a replacement character the body did not hold", body, v)
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("encode %#v: %v", v, err)
		}
		var w any
		req := httptest.NewRequest("POST", "/", bytes.NewReader(again))
		if err := httpapi.Decode(httptest.NewRecorder(), req, &w); err != nil {
			t.Fatalf("Decode(%q), which encodes %#v, = %v", again, v, err)
		}
		if !reflect.DeepEqual(v, w) {
			t.Fatalf("Decode(%q) = %#v, encoded %q, decoded again %#v", body, v, again, w)
		}
	})
}

// allStrings joins every string of a decoded JSON value, keys included.
func allStrings(v any) string {
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			b.WriteString(v)
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for k, x := range v {
				b.WriteString(k)
				walk(x)
			}
		}
	}
	walk(v)
	return b.String()
}
