// Package natsclient builds every NATS client connection Regent opens: the
// node's own (to an external NATS or in-process to its embedded server),
// the audit commands' (replay, topology --at, why) and the hook
// consumers'. One Options value says who connects (user and password, a
// token, or a credentials file), over what (TLS files), and how long it
// keeps trying; Connect checks it and connects. It also loads the TLS
// files of the embedded server's listeners, so that a node's server and its
// clients read certificates the same way.
//
// It imports nats.go, never nats-server. It keeps no state: every function
// is safe for concurrent use.
package natsclient
