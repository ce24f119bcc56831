// Package lambdatest runs the service's real bootstrap binaries as Lambda
// functions, for tests and benchmarks that need more than the handlers.
//
// Two hosts are provided. An Emulator runs a bootstrap under the AWS Lambda
// Runtime Interface Emulator (aws-lambda-rie) bound to 127.0.0.1: the same
// runtime loop, environment and invoke API as Lambda, one invoke at a time
// (the emulator fails on concurrent ones), with the whole response at the
// end. Stream runs a bootstrap under a Runtime API server of this package's
// own, which, unlike the emulator, passes on a streamed response as it
// arrives: a Function URL handler in RESPONSE_STREAM mode (lambdaurl) can be
// read event by event while it still runs.
//
// Build compiles a function for the machine the tests run on.
package lambdatest
