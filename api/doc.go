// Package api serves Regent's HTTP API with orchestrator's paths, verbs and
// response shapes, so orchestrator-client scripts keep working: the
// {Code, Message, Details} envelope where orchestrator uses it (HTTP 500 on
// ERROR), bare JSON where orchestrator returns bare JSON, the raft-* and
// leader-check endpoints, authentication (basic, multi, proxy) and /metrics.
//
// Routes that change something are registered with HandleWrite: GET and
// POST, never HEAD (405), and no cross-site browser request (403; see
// guard.go). Every route's instance keys and free-text parameters are
// checked before its handler runs (400 with the envelope, naming the
// parameter).
//
// The package declares the small interfaces it reads (Cluster, Operations,
// …); cmd/regent wires the real implementations (the operations are
// control.Operator's; the audit is LogAudit, which pages the event log). The operator's request types (Takeover, ReplicaOp,
// Ack, Downtime, Maintenance) are control's: api imports control, never
// the reverse. Handlers never block on the fold
// (control.Fold): they read immutable snapshots.
package api
