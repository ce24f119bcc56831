package codeblock

// IsDirectoryTree exposes isDirectoryTree to the external tests: a block
// that Add ignores is blank or a directory tree.
var IsDirectoryTree = isDirectoryTree
