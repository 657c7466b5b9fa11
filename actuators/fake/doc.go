// Package fake is an in-memory MariaDB topology that implements
// actuators.DB, for tests of the recovery engine that need many scenarios
// quickly. It models what a recovery depends on: per host the flavor,
// read_only, the configured source and credentials, the IO and SQL threads,
// the binlog, relay log and rows, MariaDB GTID positions per domain
// (gtid_binlog_pos, gtid_slave_pos, gtid_current_pos, Gtid_IO_Pos) with
// gtid_strict_mode, and whether the host is up.
//
// Replication follows MariaDB's rules closely enough to fail where the real
// one fails: a former primary whose last writes never reached the new
// primary asks for a GTID the source lacks and its IO thread stops (error
// 1236); a replica applying a transaction below its own binlog position
// stops on gtid_strict_mode's out-of-order error; its own transactions
// coming back (same server_id) are skipped; a duplicate row stops the SQL
// thread with Last_SQL_Error;
// a replica pointed at a host that is down keeps its IO thread
// "Connecting" (not running). Operations on a down host return Transient
// errors; a DB without READ_ONLY ADMIN gets MariaDB 10.11's error 1227 when it
// has to change read_only.
//
// By default replication is immediate: every operation and every Write first
// lets all running threads catch up. With SetManual(true) only Tick (and
// WaitRelayApplied, which drains the relay log as the SQL thread would)
// moves data, so tests can hold replicas behind. Calls are counted per
// operation and FailNth injects an error into the Nth call of one.
//
// The contract suite (actuators/contract) runs against this fake and
// against real MariaDB, so the two stay in step.
package fake
