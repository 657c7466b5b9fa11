// Package mysqlconn is Regent's one MySQL/MariaDB client layer: the
// probes (probes.Prober) and the actuators (actuators/mysql, which recovery
// and the manual operations share) connect to managed servers only through
// it, and no other package imports the MySQL driver.
//
// Responsibilities:
//
//   - TLSOptions.Build turns the MySQLTopologySSL* settings into a
//     *tls.Config (nil: plain text) and whether plain text is allowed when
//     the server offers no TLS (MySQLTopologyUseMixedTLS).
//   - New loads the TLS files once; Dialer.Config returns a fresh driver
//     configuration for one server with the credentials, timeouts and TLS
//     set, Dialer.Connector a connector from it. The TLS config is passed
//     in the struct, never registered by name: there is no package-level
//     mutable state.
//   - Pools holds one bounded connection pool per server, closed by
//     Forget or Close, each with its server's flavor and version read once.
//   - ParseServer reads the flavor (MySQL, MariaDB, Percona) and version;
//     Classify is the one error classifier (Kind).
//   - StatementsFor gives the statements of a flavor and version (5.7,
//     8.0.22/23/26, 8.2, 8.4, MariaDB); Check tells whether a statement is
//     valid for a server (the validity table the tests hold them to).
//
// The package imports no configuration and no other package of Regent
// (cmd/regent maps the Config onto Options). A Dialer is immutable; Pools
// and Pool are safe for concurrent use.
package mysqlconn
