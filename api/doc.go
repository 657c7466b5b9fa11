// Package api serves Regent's HTTP API with orchestrator's paths, verbs and
// response shapes, so orchestrator-client scripts keep working: the
// {Code, Message, Details} envelope where orchestrator uses it (HTTP 500 on
// ERROR), bare JSON where orchestrator returns bare JSON, the raft-* and
// leader-check endpoints, authentication (basic, multi, proxy) and /metrics.
//
// The package declares the small interfaces it reads (Cluster, …); cmd/regent
// wires the real implementations. Handlers never block on the projection
// applier: they read immutable snapshots.
package api
