// Package control is Regent's application layer: what one controller node
// does with the log, between the HTTP API (above it) and the actuators
// (below it). It owns the live fold runtime (Fold), the read path that
// probes, discovers and keeps the probes in step with the folded inventory
// (ReadPath, the API's Inventory), the operator's operations (each run as
// an intent with an outcome event), and the decisions that are neither a
// probe's nor a recovery's (ForgetUnseen: forgetting unseen instances).
//
// Concurrency: every type with goroutines has Run(ctx), which owns them and
// returns when ctx ends (cmd/regent runs them in one errgroup); the other
// methods are safe for concurrent use. The cluster names observation
// subjects carry are a result of the fold: Fold.ClusterOf is the probes'
// one way to ask for them.
//
// It imports events, projections, projections/analysis, probes and
// actuators; it never imports api, config or anything under cmd/ (the
// caller maps the config onto plain options).
package control
