// Package natstest starts embedded NATS JetStream nodes for tests: one node,
// or a cluster of n on 127.0.0.1 with free ports and t.TempDir() stores.
// Everything it starts is stopped by t.Cleanup.
package natstest
