package probes

import (
	"strings"
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

// serverInfo is what the prober remembers about a server's dialect between
// probes: it picks the statements of the next batch.
type serverInfo struct {
	flavor  string
	version serverVersion
}

func (s serverInfo) mariaDB() bool { return s.flavor == FlavorMariaDB }

// describe is "MariaDB 10.11" for messages.
func (s serverInfo) describe() string { return s.flavor + " " + s.version.short() }

// identifySQL reads what picks the dialect, on the first probe of a server.
const identifySQL = "SELECT @@version AS version, @@version_comment AS version_comment"

// globalsColumn is one @@variable of the globals SELECT, read from
// minVersion on (zero: always); older servers get NULL.
type globalsColumn struct {
	expr, alias string
	min         serverVersion
}

var mariaDBGlobals = []globalsColumn{
	{expr: "@@gtid_current_pos", alias: "gtid_current_pos", min: serverVersion{10, 0, 2}},
	{expr: "@@gtid_slave_pos", alias: "gtid_slave_pos", min: serverVersion{10, 0, 2}},
	{expr: "@@gtid_binlog_pos", alias: "gtid_binlog_pos", min: serverVersion{10, 0, 2}},
	{expr: "@@gtid_binlog_state", alias: "gtid_binlog_state", min: serverVersion{10, 0, 2}},
	{expr: "@@gtid_strict_mode", alias: "gtid_strict_mode", min: serverVersion{10, 0, 2}},
	{expr: "@@gtid_domain_id", alias: "gtid_domain_id", min: serverVersion{10, 0, 2}},
	{expr: "@@log_slave_updates", alias: "log_replica_updates"},
}

var mysqlGlobals = []globalsColumn{
	{expr: "@@server_uuid", alias: "server_uuid", min: serverVersion{5, 6, 0}},
	{expr: "@@super_read_only", alias: "super_read_only", min: serverVersion{5, 7, 8}},
	{expr: "@@gtid_mode", alias: "gtid_mode", min: serverVersion{5, 6, 5}},
	{expr: "@@global.gtid_executed", alias: "gtid_executed", min: serverVersion{5, 6, 5}},
	{expr: "@@global.gtid_purged", alias: "gtid_purged", min: serverVersion{5, 6, 5}},
}

// globalsSQL is one SELECT of every @@variable the probe reads.
func globalsSQL(s serverInfo) string {
	var b strings.Builder
	b.WriteString("SELECT @@version AS version, @@version_comment AS version_comment, @@server_id AS server_id, " +
		"@@hostname AS hostname, @@report_host AS report_host, @@report_port AS report_port, " +
		"@@read_only AS read_only, @@log_bin AS log_bin, @@binlog_format AS binlog_format, " +
		"@@binlog_row_image AS binlog_row_image, TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW()) AS utc_offset")
	cols := mysqlGlobals
	if s.mariaDB() {
		cols = mariaDBGlobals
	} else {
		logUpdates := globalsColumn{expr: "@@log_slave_updates", alias: "log_replica_updates"}
		if s.version.atLeast(8, 0, 26) {
			logUpdates.expr = "@@log_replica_updates"
		}
		cols = append(cols[:len(cols):len(cols)], logUpdates)
	}
	for _, c := range cols {
		b.WriteString(", ")
		if s.version.atLeast(c.min.major, c.min.minor, c.min.patch) {
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
func batch(s serverInfo, byShowSlaveHosts bool) []statement {
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
	if !s.mariaDB() && s.version.atLeast(5, 7, 0) {
		stmts = append(stmts, statement{sql: mysqlHeartbeatSQL, name: "SELECT FROM performance_schema.replication_connection_status",
			needs: "SELECT on performance_schema", optional: true, part: partHeartbeat})
	}
	return stmts
}

// versioned describes a statement whose text and required privilege depend
// on flavor and version: MariaDB from mariaSince needs mariaNeeds (older
// MariaDB needs legacyNeeds), MySQL from mysqlSince says mysqlSQL; every
// other server runs legacySQL needing legacyNeeds.
type versioned struct {
	legacySQL, mysqlSQL     string
	mariaNeeds, legacyNeeds string
	mariaSince, mysqlSince  [3]int
	part                    batchPart
}

func (v versioned) pick(s serverInfo) statement {
	st := statement{sql: v.legacySQL, needs: v.legacyNeeds, part: v.part}
	switch {
	case s.mariaDB() && s.version.atLeast(v.mariaSince[0], v.mariaSince[1], v.mariaSince[2]):
		st.needs = v.mariaNeeds
	case !s.mariaDB() && s.version.atLeast(v.mysqlSince[0], v.mysqlSince[1], v.mysqlSince[2]):
		st.sql = v.mysqlSQL
	}
	st.name = st.sql
	return st
}

func binlogStatement(s serverInfo) statement {
	return versioned{legacySQL: "SHOW MASTER STATUS", mysqlSQL: "SHOW BINARY LOG STATUS",
		mariaNeeds: "BINLOG MONITOR", legacyNeeds: "REPLICATION CLIENT",
		mariaSince: [3]int{10, 5, 2}, mysqlSince: [3]int{8, 2, 0}, part: partBinlog}.pick(s)
}

func replicaStatusStatement(s serverInfo) statement {
	return versioned{legacySQL: "SHOW SLAVE STATUS", mysqlSQL: "SHOW REPLICA STATUS",
		mariaNeeds: "REPLICA MONITOR", legacyNeeds: "REPLICATION CLIENT",
		mariaSince: [3]int{10, 5, 9}, mysqlSince: [3]int{8, 0, 22}, part: partReplica}.pick(s)
}

func replicaHostsStatement(s serverInfo) statement {
	return versioned{legacySQL: "SHOW SLAVE HOSTS", mysqlSQL: "SHOW REPLICAS",
		mariaNeeds: "REPLICATION MASTER ADMIN", legacyNeeds: "REPLICATION SLAVE",
		mariaSince: [3]int{10, 5, 2}, mysqlSince: [3]int{8, 0, 22}, part: partReplicas}.pick(s)
}

// lightGlobalsSQL reads the @@variables that move or that a change of role
// shows in (server_id, read_only, the GTID positions).
func lightGlobalsSQL(s serverInfo) string {
	if s.mariaDB() {
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
		if s.version.atLeast(c.min.major, c.min.minor, c.min.patch) {
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
func lightBatch(s serverInfo) []statement {
	stmts := []statement{
		{sql: lightGlobalsSQL(s), name: "SELECT @@globals", part: partGlobals},
		{sql: statusSQL, name: "SHOW GLOBAL STATUS", part: partStatus},
		binlogStatement(s),
		replicaStatusStatement(s),
	}
	if !s.mariaDB() && s.version.atLeast(5, 7, 0) {
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
