package esbuild

// ESBuildCalls reports how many times b has run esbuild, so that tests can
// show a cached build compiles nothing.
func (b *Builder) ESBuildCalls() int64 { return b.esbuild.Load() }

// ForgetSavedChunks makes b build its vendor chunks instead of reading those
// an earlier process saved, as a process without prebuilt chunks would.
func (b *Builder) ForgetSavedChunks() { b.vendor.saved = "" }
