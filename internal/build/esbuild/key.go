package esbuild

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"maps"
	"slices"
)

// builderVersion changes whenever the same input and runtime would give a
// different page (build options, page layout, the esbuild version in go.mod),
// so that old cache entries and saved vendor chunks retire.
const builderVersion = "1"

// runtimeDigest identifies the embedded preview runtime.
func runtimeDigest() string {
	h := sha256.New()
	for _, s := range []string{pageJS, pageCSS, mountJS} {
		writeField(h, s)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// key is the content address of a build: the sources, the package lock, the
// runtime and the builder version.
func (b *Builder) key(src *source) string {
	h := sha256.New()
	for _, s := range []string{builderVersion, b.lock, b.runtimeDigest, string(src.kind), src.language, src.title, src.entry} {
		writeField(h, s)
	}
	for _, p := range slices.Sorted(maps.Keys(src.files)) {
		writeField(h, p)
		writeField(h, src.files[p])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeField writes s length-prefixed, so that no two field lists collide.
func writeField(h hash.Hash, s string) {
	fmt.Fprintf(h, "%d:", len(s))
	h.Write([]byte(s))
}
