// Package lambdatest runs the service's real bootstrap binaries as Lambda
// functions, for tests and benchmarks that need more than the handlers, and
// replays the sample events of events/ against them.
//
// An Emulator runs a bootstrap under the AWS Lambda Runtime Interface
// Emulator (aws-lambda-rie) bound to 127.0.0.1: the same runtime loop,
// environment and invoke API as Lambda, one invoke at a time (the emulator
// fails on concurrent ones), with the whole response at the end. A
// response that must be read as it streams comes from package runtimeapi
// instead.
//
// Build compiles a function for the machine the tests run on.
package lambdatest
