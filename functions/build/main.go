// Command build is the build Lambda: it runs esbuild in process and answers
// the artifact functions' typed build requests (Invoke API), keeping pages
// in S3 under builds/, content-addressed.
package main

import "github.com/zocket/agent/internal/build/esbuild"

func main() { esbuild.Start() }
