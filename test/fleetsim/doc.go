// Package fleetsim is a test-only MySQL-protocol server that stands for
// thousands of MariaDB 10.11 instances at once, so that Regent's probes,
// discovery and failure detection can be measured at fleet scale without
// thousands of mariadbd.
//
// Responsibilities:
//
//   - Fleet builds clusters of 3–5 simulated instances (one primary, the
//     others replicating from it with MASTER_USE_GTID=slave_pos), each
//     listening on its own loopback address (127.B.C.D:3306), so instance
//     keys look like real hosts.
//   - It answers exactly what Regent's probe sends: the identify SELECT, the
//     globals SELECT (any list of @@variables), SHOW GLOBAL STATUS,
//     SHOW GLOBAL VARIABLES, SHOW MASTER STATUS, SHOW SLAVE STATUS (MariaDB
//     columns), SHOW SLAVE HOSTS and the processlist's Binlog Dump threads,
//     one statement or a multi-statement batch per round trip. GTID and
//     binary log positions advance with time; replicas count replication
//     heartbeats.
//   - Failures are injectable: Kill closes a primary's listener and
//     connections (new connections are refused), and its replicas report
//     Slave_IO_Running=Connecting with heartbeats stopped, as a MariaDB
//     replica does when its primary is SIGKILLed.
//
// With Options.MySQL set, every instance is instead a stateful MySQL
// server of that version (5.7, 8.0, 8.4): UUID-based GTID sets,
// read_only/super_read_only, gtid_next, the replication statements and
// column names the version accepts (the others refused with the real
// error), replication that follows a live source while its threads run,
// the semi-sync switches of the version's plugins (Options.SemiSync),
// and a log of every statement received (Statements). The MySQL state of
// all instances is guarded by one mutex; each connection has its session
// (gtid_next). See docs/mysql-simulator.md.
//
// The wire protocol is a minimal server side of the MySQL client/server
// protocol (handshake v10 with mysql_native_password accepted without
// checking, COM_QUERY text result sets with EOF packets, COM_PING,
// COM_INIT_DB, COM_QUIT), written for low CPU per answer.
package fleetsim
