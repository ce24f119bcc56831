// Package metrics is what the service measures about what its users feel,
// and how a function reports it: the catalogue of metrics (each one's name,
// unit, dimension sets and meaningful statistics, in catalogue.go), the
// record a request, a chat turn or a build fills as it goes, and the sinks
// a finished record goes to.
//
// In Lambda the sink is EMF: the record becomes one line of CloudWatch
// Embedded Metric Format in the function's own JSON log, which CloudWatch
// Logs turns into metrics. That costs no API call and nothing on a
// request's path: a record is written once the response (or the turn) is
// over, from values already measured, into a buffer the sink reuses. The
// devserver keeps the same records in memory and serves them at /metrics
// (internal/devtools/livemetrics); tests read them back from the log.
//
// One catalogue is read by everything that names a metric: the code that
// emits them, the alarms and the dashboard of package deploy, the docs
// (docs/operating.md, checked by a test) and the proof of `make test-cloud`
// that every alarm watches a metric some function emitted.
//
// The conventions are Lambda Powertools': one namespace per stack
// (POWERTOOLS_METRICS_NAMESPACE, the stack's name), a "service" dimension
// on every metric (POWERTOOLS_SERVICE_NAME), few dimensions (function,
// route, outcome), never a user or request id among them: each distinct
// set of dimension values is a metric of its own, and billed as one.
package metrics
