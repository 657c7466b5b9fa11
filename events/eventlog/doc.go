// Package eventlog is Regent's event log on NATS JetStream: it creates the
// streams described by events.Streams, appends envelopes with deduplication
// (Nats-Msg-Id = event id) and optimistic concurrency (expected last sequence
// of a subject or of a cluster's subjects), and reads them back in order.
//
// It works the same against an embedded node (through an in-process
// connection) and against an external NATS deployment.
//
// Concurrency: a Log is safe for concurrent use. Follow runs until its
// context ends; the caller owns the goroutine that calls it. Read and Follow
// decode records in a small pool of goroutines they start and stop
// themselves (pipeline.go); the handler is always called on the caller's
// goroutine, one record at a time, in stream order.
package eventlog
