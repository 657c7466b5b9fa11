package probes

import (
	"strings"

	"github.com/regent-ha/regent/mysqlconn"
)

// statement is one statement of a probe's batch.
type statement struct {
	sql string
	// name is how errors call it; needs is the privilege it needs on this
	// flavor and version, for privilege errors.
	name  string
	needs string
	// optional statements may fail without failing the probe; they are
	// placed last in the batch.
	optional bool
	// part says which field of batchResult its rows fill.
	part batchPart
}

type batchPart int

const (
	partGlobals batchPart = iota
	partStatus
	partVariables
	partBinlog
	partReplica
	partReplicas
	partHeartbeat
	partCount // number of parts
)

// globalsColumn is one @@variable of the globals SELECT, read from
// minVersion on (zero: always); older servers get NULL.
type globalsColumn struct {
	expr, alias string
	min         mysqlconn.Version
}

var mariaDBGlobals = []globalsColumn{
	{expr: "@@gtid_current_pos", alias: "gtid_current_pos", min: mysqlconn.Version{Major: 10, Minor: 0, Patch: 2}},
	{expr: "@@gtid_slave_pos", alias: "gtid_slave_pos", min: mysqlconn.Version{Major: 10, Minor: 0, Patch: 2}},
	{expr: "@@gtid_binlog_pos", alias: "gtid_binlog_pos", min: mysqlconn.Version{Major: 10, Minor: 0, Patch: 2}},
	{expr: "@@gtid_binlog_state", alias: "gtid_binlog_state", min: mysqlconn.Version{Major: 10, Minor: 0, Patch: 2}},
	{expr: "@@gtid_strict_mode", alias: "gtid_strict_mode", min: mysqlconn.Version{Major: 10, Minor: 0, Patch: 2}},
	{expr: "@@gtid_domain_id", alias: "gtid_domain_id", min: mysqlconn.Version{Major: 10, Minor: 0, Patch: 2}},
	{expr: "@@log_slave_updates", alias: "log_replica_updates"}, // MariaDB keeps the name
}

var mysqlGlobals = []globalsColumn{
	{expr: "@@server_uuid", alias: "server_uuid", min: mysqlconn.Version{Major: 5, Minor: 6, Patch: 0}},
	{expr: "@@super_read_only", alias: "super_read_only", min: mysqlconn.Version{Major: 5, Minor: 7, Patch: 8}},
	{expr: "@@gtid_mode", alias: "gtid_mode", min: mysqlconn.Version{Major: 5, Minor: 6, Patch: 5}},
	{expr: "@@global.gtid_executed", alias: "gtid_executed", min: mysqlconn.Version{Major: 5, Minor: 6, Patch: 5}},
	{expr: "@@global.gtid_purged", alias: "gtid_purged", min: mysqlconn.Version{Major: 5, Minor: 6, Patch: 5}},
}

// globalsSQL is one SELECT of every @@variable the probe reads.
func globalsSQL(s mysqlconn.Server) string {
	var b strings.Builder
	b.WriteString("SELECT @@version AS version, @@version_comment AS version_comment, @@server_id AS server_id, " +
		"@@hostname AS hostname, @@report_host AS report_host, @@report_port AS report_port, " +
		"@@read_only AS read_only, @@log_bin AS log_bin, @@binlog_format AS binlog_format, " +
		"@@binlog_row_image AS binlog_row_image, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW()) AS utc_offset")
	cols := mysqlGlobals
	if s.MariaDB() {
		cols = mariaDBGlobals
	} else {
		logUpdates := globalsColumn{expr: mysqlconn.StatementsFor(s).LogReplicaUpdates, alias: "log_replica_updates"}
		cols = append(cols[:len(cols):len(cols)], logUpdates)
	}
	for _, c := range cols {
		b.WriteString(", ")
		if s.Version.AtLeast(c.min.Major, c.min.Minor, c.min.Patch) {
			b.WriteString(c.expr)
		} else {
			b.WriteString("NULL")
		}
		b.WriteString(" AS ")
		b.WriteString(c.alias)
	}
	return b.String()
}

const (
	// MariaDB's default connection reports its heartbeats as status
	// variables (SHOW SLAVE STATUS has no such columns in 10.11).
	statusSQL = "SHOW GLOBAL STATUS WHERE Variable_name IN ('Uptime', 'Slave_received_heartbeats', 'Slave_heartbeat_period', " +
		"'Slave_last_heartbeat') OR Variable_name LIKE 'Rpl_semi_sync%'"
	semiSyncVariablesSQL = "SHOW GLOBAL VARIABLES WHERE Variable_name LIKE 'rpl_semi_sync%'"
	binlogDumpSQL        = "SELECT HOST AS Host FROM information_schema.PROCESSLIST WHERE COMMAND IN ('Binlog Dump', 'Binlog Dump GTID')"
	mysqlHeartbeatSQL    = "SELECT s.COUNT_RECEIVED_HEARTBEATS AS heartbeats, s.LAST_HEARTBEAT_TIMESTAMP AS last_heartbeat, " +
		"c.HEARTBEAT_INTERVAL AS heartbeat_period FROM performance_schema.replication_connection_status s " +
		"JOIN performance_schema.replication_connection_configuration c USING (CHANNEL_NAME) WHERE s.CHANNEL_NAME = ''"
)

// batch returns the statements of one probe of a server of this dialect, to
// be sent in one round trip. Optional statements come last.
func batch(s mysqlconn.Server, byShowSlaveHosts bool) []statement {
	stmts := []statement{
		{sql: globalsSQL(s), name: "SELECT @@globals", part: partGlobals},
		{sql: statusSQL, name: "SHOW GLOBAL STATUS", part: partStatus},
		{sql: semiSyncVariablesSQL, name: "SHOW GLOBAL VARIABLES", part: partVariables},
		binlogStatement(s),
		replicaStatusStatement(s),
	}
	if byShowSlaveHosts {
		stmts = append(stmts, replicaHostsStatement(s))
	} else {
		stmts = append(stmts, statement{sql: binlogDumpSQL, name: "SELECT FROM information_schema.PROCESSLIST", needs: "PROCESS", part: partReplicas})
	}
	if !s.MariaDB() && s.Version.AtLeast(5, 7, 0) {
		stmts = append(stmts, statement{sql: mysqlHeartbeatSQL, name: "SELECT FROM performance_schema.replication_connection_status",
			needs: "SELECT on performance_schema", optional: true, part: partHeartbeat})
	}
	return stmts
}

// privileged is a statement of mysqlconn's builder with the privilege it
// needs: on MariaDB from mariaSince, mariaNeeds; elsewhere legacyNeeds.
func privileged(sqlText string, s mysqlconn.Server, mariaNeeds string, mariaSince mysqlconn.Version, legacyNeeds string, part batchPart) statement {
	st := statement{sql: sqlText, name: sqlText, needs: legacyNeeds, part: part}
	if s.MariaDB() && s.Version.AtLeast(mariaSince.Major, mariaSince.Minor, mariaSince.Patch) {
		st.needs = mariaNeeds
	}
	return st
}

func binlogStatement(s mysqlconn.Server) statement {
	return privileged(mysqlconn.StatementsFor(s).ShowBinaryLogStatus, s, "BINLOG MONITOR", mysqlconn.Version{Major: 10, Minor: 5, Patch: 2}, "REPLICATION CLIENT", partBinlog)
}

func replicaStatusStatement(s mysqlconn.Server) statement {
	return privileged(mysqlconn.StatementsFor(s).ShowReplicaStatus, s, "REPLICA MONITOR", mysqlconn.Version{Major: 10, Minor: 5, Patch: 9}, "REPLICATION CLIENT", partReplica)
}

func replicaHostsStatement(s mysqlconn.Server) statement {
	return privileged(mysqlconn.StatementsFor(s).ShowReplicas, s, "REPLICATION MASTER ADMIN", mysqlconn.Version{Major: 10, Minor: 5, Patch: 2}, "REPLICATION SLAVE", partReplicas)
}

// lightGlobalsSQL reads the @@variables that move or that a change of role
// shows in (server_id, read_only, the GTID positions).
func lightGlobalsSQL(s mysqlconn.Server) string {
	if s.MariaDB() {
		return "SELECT @@server_id AS server_id, @@read_only AS read_only, @@gtid_current_pos AS gtid_current_pos, " +
			"@@gtid_slave_pos AS gtid_slave_pos, @@gtid_binlog_pos AS gtid_binlog_pos, @@gtid_binlog_state AS gtid_binlog_state"
	}
	var b strings.Builder
	b.WriteString("SELECT @@server_id AS server_id, @@read_only AS read_only")
	for _, c := range mysqlGlobals {
		if c.alias != "super_read_only" && c.alias != "gtid_executed" {
			continue
		}
		b.WriteString(", ")
		if s.Version.AtLeast(c.min.Major, c.min.Minor, c.min.Patch) {
			b.WriteString(c.expr)
		} else {
			b.WriteString("NULL")
		}
		b.WriteString(" AS " + c.alias)
	}
	return b.String()
}

// lightBatch is the steady-state probe: the full batch without what only
// changes by configuration (versions, names, binary log format, semi-sync
// variables) or slowly (the replicas list), which the last full probe's
// answers stand in for. Everything a failure shows in is still read: the
// replica status, read_only, positions, heartbeats, uptime, semi-sync
// status.
func lightBatch(s mysqlconn.Server) []statement {
	stmts := []statement{
		{sql: lightGlobalsSQL(s), name: "SELECT @@globals", part: partGlobals},
		{sql: statusSQL, name: "SHOW GLOBAL STATUS", part: partStatus},
		binlogStatement(s),
		replicaStatusStatement(s),
	}
	if !s.MariaDB() && s.Version.AtLeast(5, 7, 0) {
		stmts = append(stmts, statement{sql: mysqlHeartbeatSQL, name: "SELECT FROM performance_schema.replication_connection_status",
			needs: "SELECT on performance_schema", optional: true, part: partHeartbeat})
	}
	return stmts
}

// batchSQL joins statements for a multi-statement round trip.
func batchSQL(stmts []statement) string {
	var b strings.Builder
	for i, s := range stmts {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(s.sql)
	}
	return b.String()
}
