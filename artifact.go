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
	// Path is the file path a single-file artifact's reply named, if any.
	Path string
	// LineageID is the id of version 1 of the artifact (itself, for
	// version 1): a later reply that rewrites an artifact makes its next
	// Version, an artifact of its own that Replaces the one before.
	LineageID string
	Version   int
	Replaces  string
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

// Revision is one version of an artifact, as its lineage lists it.
type Revision struct {
	ID        string
	Version   int
	MessageID string
	CreatedAt time.Time
	Size      int
}

// MatchKey is what a later artifact must share with a to be its next
// version: a PROJECT's entry file, else the file path its reply named,
// else its type and title.
func (a Artifact) MatchKey() string {
	return MatchKey(a.Type, a.Entry, a.Path, a.Title)
}

// MatchKey is the match key of an artifact of type typ with entry (a
// PROJECT's), path (a single file's) and title.
func MatchKey(typ ArtifactType, entry, path, title string) string {
	switch {
	case typ == TypeProject && entry != "":
		return "path:" + entry
	case path != "":
		return "path:" + path
	}
	return "title:" + string(typ) + "\x00" + title
}

// File is one file of a PROJECT artifact.
type File struct {
	Path     string
	Language string
	Size     int
	S3Key    string
}

// Source is an artifact's code, as stored: one file, or every file of a
// PROJECT.
type Source struct {
	Code  string       // the file, or a PROJECT's entry
	Files []SourceFile // a PROJECT's files, in order
}

// SourceFile is one file of a PROJECT, with its code.
type SourceFile struct {
	Path     string
	Language string
	Code     string
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

// ArtifactTypes are the artifact types, as SPEC.md lists them.
func ArtifactTypes() []ArtifactType {
	return []ArtifactType{TypeCode, TypeHTML, TypeCSS, TypeReact, TypeJavaScript, TypeTypeScript, TypePython, TypeProject, TypeOther}
}

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
