// Package apicompat tells the changes between two versions of the API's
// OpenAPI document that break a client, with oasdiff, and holds them
// against the list of breaking changes marked as intended.
//
// It is a module of its own: oasdiff's requirements (cloud.google.com/go,
// and through it gRPC and protobuf) would, by minimal version selection,
// move the versions of what the chat functions link through the Gemini SDK.
// It reads the document as a file and imports nothing of the API.
package apicompat

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oasdiff/oasdiff/checker"
	"github.com/oasdiff/oasdiff/diff"
	"github.com/oasdiff/oasdiff/load"
)

// Change is a change that breaks a client.
type Change struct {
	// Operation is the method and path of the operation it is in
	// ("POST /api/chat/send").
	Operation string `json:"operation"`
	// Rule is oasdiff's name of the change
	// ("request-property-max-length-decreased").
	Rule string `json:"rule"`
	// Text says what changed, as oasdiff words it.
	Text string `json:"text"`
}

func (c Change) String() string { return fmt.Sprintf("%s: %s (%s)", c.Operation, c.Text, c.Rule) }

// Raised are the rules oasdiff counts as information that this API counts
// as breaking: a client may read a response field even where it is
// optional, and may act on an enum value of a response.
var Raised = []string{
	checker.ResponseOptionalPropertyRemovedId,
	checker.ResponsePropertyEnumValueRemovedId,
	checker.ResponseMediaTypeEnumValueRemovedId,
}

// Breaking returns the changes from base to revision, two OpenAPI
// documents (JSON or YAML), that break a client: those oasdiff's checks
// rate errors (an operation, a required response field or a success status
// removed, a request tightened: a new required field or parameter, a
// length, range or pattern narrowed, an enum value removed, a type
// changed, ...), and those of Raised.
func Breaking(base, revision []byte) ([]Change, error) {
	s1, err := load.NewSpecInfoFromData(openapi3.NewLoader(), base, "base")
	if err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	s2, err := load.NewSpecInfoFromData(openapi3.NewLoader(), revision, "revision")
	if err != nil {
		return nil, fmt.Errorf("revision: %w", err)
	}
	d, sources, err := diff.GetWithOperationsSourcesMap(diff.NewConfig(), s1, s2)
	if err != nil {
		return nil, err
	}
	levels := map[string]checker.Level{}
	for _, id := range Raised {
		levels[id] = checker.ERR
	}
	cfg := checker.NewConfig(checker.GetAllChecks(), checker.WithSeverityLevels(levels))
	l := checker.NewDefaultLocalizer()
	var out []Change
	for _, c := range checker.CheckBackwardCompatibilityUntilLevel(cfg, d, sources, checker.ERR) {
		out = append(out, Change{Operation: c.GetOperation() + " " + c.GetPath(), Rule: c.GetId(), Text: c.GetUncolorizedText(l)})
	}
	slices.SortFunc(out, func(a, b Change) int { return strings.Compare(a.String(), b.String()) })
	return slices.Compact(out), nil
}

// Intended is a breaking change marked as intended, and why.
type Intended struct {
	Change
	Reason string `json:"reason"`
}

// ReadIntended reads a list of intended changes (a JSON array).
func ReadIntended(path string) ([]Intended, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Intended
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, i := range out {
		if strings.TrimSpace(i.Reason) == "" {
			return nil, fmt.Errorf("%s: %v is marked intended without a reason", path, i.Change)
		}
	}
	return out, nil
}

// Unintended returns the changes that no intended mark matches (by
// operation, rule and text), and the marks that match no change (stale:
// the change was undone, or released into the baseline).
func Unintended(changes []Change, intended []Intended) (left []Change, stale []Intended) {
	marked := map[Change]bool{}
	for _, i := range intended {
		marked[i.Change] = true
	}
	seen := map[Change]bool{}
	for _, c := range changes {
		seen[c] = true
		if !marked[c] {
			left = append(left, c)
		}
	}
	for _, i := range intended {
		if !seen[i.Change] {
			stale = append(stale, i)
		}
	}
	return left, stale
}
