// Package mysqlconn builds the go-sql-driver configuration of every MySQL
// connection Regent opens to a managed server: the probes' pools
// (probes.Prober), the actuators' pools (actuators/mysql, which recovery
// and the manual operations share), in one place, so that the topology
// credentials, the timeouts and orchestrator's MySQLTopologySSL* TLS rules
// are the same for each of them.
//
// Responsibilities:
//
//   - TLSOptions.Build turns the MySQLTopologySSL* settings into a
//     *tls.Config (nil: plain text) and whether plain text is allowed when
//     the server offers no TLS (MySQLTopologyUseMixedTLS).
//   - New loads the TLS files once; Dialer.Config returns a fresh
//     *mysql.Config for one server with the credentials, timeouts and TLS
//     set. The TLS config is passed in the struct, never registered by
//     name: there is no package-level state.
//
// The package imports no configuration (cmd/regent maps the Config onto
// Options) and opens no connection. A Dialer is immutable and safe for
// concurrent use.
package mysqlconn
