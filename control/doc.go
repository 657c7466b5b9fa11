// Package control is Regent's application layer: what one controller node
// does with the log, between the HTTP API (above it) and the actuators
// (below it). It owns the live fold runtime, the operator's operations
// (each run as an intent with an outcome event), and the decisions that are
// neither a probe's nor a recovery's (forgetting unseen instances).
//
// It imports events, projections, projections/analysis and actuators; it
// never imports api or anything under cmd/.
package control
