// Package iamproof proves locally what only shows once deployed: it records
// the IAM action and resource ARN of every AWS call each function makes and
// checks them against the policy statements the templates give its role.
package iamproof

import (
	"fmt"
	"strings"
)

// Statement is one IAM policy statement of a function's role, with its
// intrinsic functions resolved to concrete ARNs.
type Statement struct {
	Effect    string   // "Allow" or "Deny"
	Actions   []string // action names, "service:Name", wildcards allowed
	Resources []string // ARNs, wildcards allowed
	Source    string   // where the template writes it, for reports
}

// Policies are the statements of each function's role, by the function's
// logical ID in the templates (routes.Function.LogicalID).
type Policies map[string][]Statement

// Allows evaluates IAM's rule for one request of function: an explicit deny
// wins, then any allow; nothing matching is an implicit deny. The reason
// names the deciding statement, or says why none decided.
func (p Policies) Allows(function, action, resource string) (bool, string) {
	stmts, ok := p[function]
	if !ok {
		return false, fmt.Sprintf("the templates give %s no role", function)
	}
	allowedBy := ""
	for _, s := range stmts {
		if !s.matches(action, resource) {
			continue
		}
		if s.Effect == "Deny" {
			return false, "explicitly denied by " + s.Source
		}
		if allowedBy == "" {
			allowedBy = s.Source
		}
	}
	if allowedBy == "" {
		return false, "no statement allows it"
	}
	return true, "allowed by " + allowedBy
}

func (s Statement) matches(action, resource string) bool {
	return anyMatch(s.Actions, action, MatchAction) && anyMatch(s.Resources, resource, MatchResource)
}

func anyMatch(patterns []string, s string, match func(pattern, s string) bool) bool {
	for _, p := range patterns {
		if match(p, s) {
			return true
		}
	}
	return false
}

// MatchAction reports whether an action pattern of a policy ("dynamodb:Get*")
// covers action: IAM compares action names ignoring case, with * standing
// for any characters and ? for one.
func MatchAction(pattern, action string) bool {
	return wildcard(strings.ToLower(pattern), strings.ToLower(action))
}

// MatchResource reports whether a resource pattern of a policy covers the
// ARN: IAM compares ARNs case-sensitively, with * standing for any
// characters (slashes and colons included) and ? for one.
func MatchResource(pattern, arn string) bool {
	return wildcard(pattern, arn)
}

// wildcard matches s against a pattern of * and ?, rune by rune, going back
// to the last * on a mismatch.
func wildcard(pattern, s string) bool {
	p, r := []rune(pattern), []rune(s)
	pi, ri := 0, 0
	star, mark := -1, 0
	for ri < len(r) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == r[ri]):
			pi++
			ri++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ri
			pi++
		case star >= 0:
			pi, mark = star+1, mark+1
			ri = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
