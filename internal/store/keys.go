package store

import (
	"fmt"
	"strings"
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

// activityKey is a conversation's sort key in its owner's list: newest
// activity last, ties broken by id.
func activityKey(at timestamp, id string) string { return at.String() + "#" + id }
