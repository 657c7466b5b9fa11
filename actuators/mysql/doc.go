// Package mysql is the actuators.DB of MySQL (5.7, 8.0, 8.4) and MariaDB
// (10.x): the statements a recovery runs on one server — stop, start and
// reset replication, flip read_only, point a replica at a new source, and
// wait for the relay log or a GTID position.
//
// A DB connects through package mysqlconn: one small connection pool per
// server (mysqlconn.Pools), opened on first use and closed by Close, with
// the server's flavor and version read once; they pick the statements
// (mysqlconn.StatementsFor): SHOW SLAVE STATUS or SHOW REPLICA STATUS,
// CHANGE MASTER TO … MASTER_USE_GTID (MariaDB), CHANGE MASTER TO …
// MASTER_AUTO_POSITION=1 (MySQL < 8.0.23) or CHANGE REPLICATION SOURCE TO …
// SOURCE_AUTO_POSITION=1 (MySQL ≥ 8.0.23), RESET BINARY LOGS AND GTIDS on
// MySQL ≥ 8.2, and so on (docs/mysql.md).
//
// Every operation reads the server's state first and acts only when needed,
// so re-running a step is safe: stopping a stopped replica, setting read_only
// to its current value or pointing a healthy replica at the source it already
// replicates from does nothing and returns nil.
//
// Errors are *actuators.Error: connection failures and lock timeouts are
// Transient; missing privileges and rejected credentials are Permanent and
// keep the server's text (e.g. MariaDB 10.11's "Access denied; you need (at
// least one of) the READ_ONLY ADMIN privilege(s) for this operation"); a
// server in the wrong state (a wait that timed out, an SQL thread stopped on
// an error, no replication credentials) is a Precondition error.
package mysql
