package iamproof

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Denial is a recorded call the policies do not allow, or could not check.
type Denial struct {
	Call
	Reason string // the deciding deny, "no statement allows it", or the call's Problem
	Count  int    // how many times the call was recorded
}

// Check returns the calls that the deployed stack would refuse, one Denial
// per distinct call: those no statement of the function allows, those a
// statement denies, and those the recorder could not attribute or
// understand.
func Check(calls []Call, p Policies) []Denial {
	var out []Denial
	seen := map[Call]int{} // index in out
	for _, c := range calls {
		if i, ok := seen[c]; ok {
			out[i].Count++
			continue
		}
		reason := c.Problem
		if reason == "" {
			allowed, why := p.Allows(c.Function, c.Action, c.Resource)
			if allowed {
				continue
			}
			reason = why
		}
		seen[c] = len(out)
		out = append(out, Denial{Call: c, Reason: reason, Count: 1})
	}
	slices.SortStableFunc(out, func(a, b Denial) int {
		return cmp.Or(cmp.Compare(a.Function, b.Function), cmp.Compare(a.Action, b.Action), cmp.Compare(a.Resource, b.Resource))
	})
	return out
}

// Grant is one action on one resource that an Allow statement gives a
// function, as the statement writes them (wildcards included).
type Grant struct {
	Function  string
	Statement string // the statement's Source
	Action    string
	Resource  string
}

// Unused returns every grant of the policies that no allowed call
// exercised: privilege the recorded calls do not need, or paths the tests
// do not reach.
func Unused(calls []Call, p Policies) []Grant {
	var out []Grant
	for _, fn := range slices.Sorted(maps.Keys(p)) {
		for _, s := range p[fn] {
			if s.Effect != "Allow" {
				continue
			}
			for _, action := range s.Actions {
				for _, res := range s.Resources {
					if !exercised(calls, p, fn, action, res) {
						out = append(out, Grant{Function: fn, Statement: s.Source, Action: action, Resource: res})
					}
				}
			}
		}
	}
	return out
}

func exercised(calls []Call, p Policies, fn, action, resource string) bool {
	for _, c := range calls {
		if c.Function == fn && c.Problem == "" && MatchAction(action, c.Action) && MatchResource(resource, c.Resource) {
			if ok, _ := p.Allows(c.Function, c.Action, c.Resource); ok {
				return true
			}
		}
	}
	return false
}

// Report summarizes the proof for a test log: how many calls were checked
// and denied, then each denial and each unused grant.
func Report(calls []Call, p Policies) string {
	denials := Check(calls, p)
	denied := 0
	for _, d := range denials {
		denied += d.Count
	}
	var b strings.Builder
	fmt.Fprintf(&b, "IAM: %d calls checked, %d denied\n", len(calls), denied)
	for _, d := range denials {
		fn := cmp.Or(d.Function, "(unknown caller)")
		fmt.Fprintf(&b, "  denied: %s %s on %s (%s, %d×): %s\n", fn, d.Action, d.Resource, d.Operation, d.Count, d.Reason)
	}
	for _, g := range Unused(calls, p) {
		fmt.Fprintf(&b, "  unused: %s %s on %s (%s)\n", g.Function, g.Action, g.Resource, g.Statement)
	}
	return b.String()
}
