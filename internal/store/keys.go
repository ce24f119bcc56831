package store

import (
	"fmt"
	"strings"
	"time"

	"github.com/zocket/agent"
)

// Keys of the single-table layout (see the package doc).
const (
	skProfile  = "PROFILE"
	skEmail    = "EMAIL"
	skUsername = "USERNAME"
	skMeta     = "META"
	skArtifact = "ARTIFACT"

	skMessagePrefix = "MSG#"
	artifactInfix   = "#ART#"
	partInfix       = "#PART#"
	skUsagePrefix   = "USAGE#"
)

func userKey(id string) string           { return "USER#" + id }
func emailKey(email string) string       { return "EMAIL#" + email }
func usernameKey(username string) string { return "USERNAME#" + strings.ToLower(username) }
func convKey(id string) string           { return "CONV#" + id }
func convListKey(user string) string     { return "USER#" + user + "#CONVS" }
func messageSK(id string) string         { return skMessagePrefix + id }
func artifactKey(id string) string       { return "ART#" + id }
func lineageKey(id string) string        { return "LIN#" + id }
func revisionSK(version int) string      { return fmt.Sprintf("V#%06d", version) }
func artifactSK(messageID, id string) string {
	return messageSK(messageID) + artifactInfix + id
}

// partSK is the sort key of part n (from 1) of a message's content: after
// the message and its artifacts.
func partSK(messageID string, n int) string {
	return fmt.Sprintf("%s%s%03d", messageSK(messageID), partInfix, n)
}

// usageSK is the sort key of a user's usage on the UTC day of t, under the
// user's key: key order is day order.
func usageSK(t time.Time) string { return skUsagePrefix + t.UTC().Format(agent.DateFormat) }

// activityKey is a conversation's sort key in its owner's list: newest
// activity last, ties broken by id.
func activityKey(at timestamp, id string) string { return at.String() + "#" + id }
