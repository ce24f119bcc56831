package agent

import "time"

// Artifact is code taken from an assistant reply. The code itself is in S3
// under S3Key (for a PROJECT, one object per file; S3Key is the entry's).
type Artifact struct {
	ID             string
	UserID         string
	ConversationID string
	MessageID      string
	Title          string
	Language       string // canonical and lower case: tsx, python, ...
	Type           ArtifactType
	S3Key          string
	FileSize       int
	Files          []File // a PROJECT's files, in order
	Entry          string // a PROJECT's entry file
	// ContentHash identifies the code, so a build is recorded only on the
	// content it was made from.
	ContentHash string
	// BundledHTMLKey is the S3 key of the built page, once built, and
	// BundledScriptHashes the CSP hashes of its scripts.
	BundledHTMLKey      string
	BundledScriptHashes []string
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// File is one file of a PROJECT artifact.
type File struct {
	Path     string
	Language string
	Size     int
	S3Key    string
}

// ArtifactType is what kind of code an artifact holds.
type ArtifactType string

// The artifact types of SPEC.md.
const (
	TypeCode       ArtifactType = "CODE"
	TypeHTML       ArtifactType = "HTML"
	TypeCSS        ArtifactType = "CSS"
	TypeReact      ArtifactType = "REACT"
	TypeJavaScript ArtifactType = "JAVASCRIPT"
	TypeTypeScript ArtifactType = "TYPESCRIPT"
	TypePython     ArtifactType = "PYTHON"
	TypeProject    ArtifactType = "PROJECT"
	TypeOther      ArtifactType = "OTHER"
)

// BuildKind says how an artifact is built into a preview.
type BuildKind string

// The build kinds: one file, or a project bundled from its entry.
const (
	BuildSingle  BuildKind = "single"
	BuildProject BuildKind = "project"
)

// BuildKind is how a is built: a PROJECT (or any artifact with files) from
// its entry, anything else as one file.
func (a Artifact) BuildKind() BuildKind {
	if a.Type == TypeProject || len(a.Files) > 0 {
		return BuildProject
	}
	return BuildSingle
}
