// Package natsnode embeds a NATS server with JetStream in a Regent process:
// one node alone, or one of three that cluster with each other (JetStream's
// Raft inside). It is the only package besides cmd/ that imports
// nats-server.
//
// A Node is started with Start and stopped with Shutdown, which waits until
// the file stores are closed. The embedded server installs no signal handlers
// (NoSigs): the process owns SIGTERM/SIGINT. Regent's own code talks to the
// node through an in-process connection (InProcessConn), which bypasses TCP;
// the NATS CLI, hook consumers and other nodes use the TCP listeners.
//
// It also derives the cluster's NATS credentials from one secret
// (Credentials, ClusterSecret: a single node generates and keeps its own),
// and serves a private, listener-less copy of a stopped node's streams for
// the offline audit commands (OpenOffline).
package natsnode
