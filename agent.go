// Package agent holds the domain of the AI coding agent: users and their
// usage, conversations, messages and artifacts, and the one error type every
// package returns for what a client did wrong. It depends on nothing but the
// standard library; storage (package store), HTTP (package httpapi and the
// endpoint packages) and the model (package llm) adapt to it.
package agent
