// Package consumer runs hook commands from Regent's event log: one durable
// JetStream pull consumer on REGENT_EVENTS, one command run per event (the
// `regent hooks consume` command; see docs/operations.md).
//
// Delivery. Each event is fetched one at a time (so several processes with
// the same durable name share the work) and the command gets the event's
// JSON on stdin and REGENT_* and ORC_* variables in its environment. Exit 0
// acknowledges the event with a double ack (the server confirmed it); a
// non-zero exit or a timeout naks it with the next backoff delay. After
// MaxDeliver failed runs a dead-letter event (events.KindDeadLetter) is
// appended on the failed event's cluster subject and the message is
// terminated, so it is never delivered again. Dead-letter events are never
// dead-lettered themselves, so a command that fails on everything cannot
// make the log grow without bound.
//
// The guarantee is at-least-once: an event acknowledged is never run again,
// but one whose command ran and whose acknowledgement did not reach the
// server (the consumer was killed in between, or the server was
// unreachable) is delivered again after AckWait.
//
// Server-side consumer settings. AckWait, MaxDeliver and the filters are set
// on the server. JetStream's own BackOff field is not used: the server
// reads it as the ack wait of each delivery (it replaces AckWait), so a
// command still running would be redelivered elsewhere. The backoff is
// applied with NakWithDelay instead, and a command running longer than
// AckWait is kept assigned with progress acknowledgements. The server's
// MaxDeliver is one more than the number of runs: the extra delivery only
// happens when the last run got no answer (the consumer died), and it
// writes the dead letter without running the command again.
//
// Processes. Commands run without a shell, in their own process group (so
// a terminal's Ctrl-C does not reach them); on timeout the group gets
// SIGTERM, then SIGKILL after a grace period. When Run's context ends, no
// further event is fetched, the running command finishes (bounded by its
// timeout) and is acknowledged, and Run returns nil.
package consumer
