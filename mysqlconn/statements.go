package mysqlconn

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Statements are the texts of the replication statements Regent sends to
// one server, chosen by its flavor and version (StatementsFor): MariaDB
// keeps the SLAVE/MASTER forms (valid in every version); MySQL takes the
// REPLICA forms from 8.0.22, CHANGE REPLICATION SOURCE TO … SOURCE_* from
// 8.0.23, the source/replica variable names from 8.0.26, and the binary
// log statements of 8.2 (8.4 removed the old ones). Check tells whether a
// text is valid for a server.
type Statements struct {
	Server Server

	ShowReplicaStatus   string // SHOW SLAVE STATUS / SHOW REPLICA STATUS
	StartReplica        string
	StopReplica         string
	StartReplicaIO      string
	StopReplicaIO       string
	StartReplicaSQL     string
	ResetReplicaAll     string
	ChangeSource        string // the statement's head: CHANGE MASTER TO / CHANGE REPLICATION SOURCE TO
	SourceOption        string // option prefix: MASTER_ or SOURCE_
	ShowBinaryLogStatus string // SHOW MASTER STATUS / SHOW BINARY LOG STATUS
	ShowReplicas        string // SHOW SLAVE HOSTS / SHOW REPLICAS
	ResetBinaryLogs     string // RESET MASTER / RESET BINARY LOGS AND GTIDS
	SkipCounter         string // sql_slave_skip_counter / sql_replica_skip_counter
	LogReplicaUpdates   string // @@log_slave_updates / @@log_replica_updates

	// SemiSyncSourceEnabled and SemiSyncReplicaEnabled list the semi-sync
	// switches' names the server may have, preferred first: 8.0.26–8.3
	// have either, after the plugin loaded (semisync_source or
	// semisync_master).
	SemiSyncSourceEnabled  []string
	SemiSyncReplicaEnabled []string

	// The replication status row's column names.
	ColHost, ColPort, ColUser, ColIO, ColSQL, ColSourceUUID string

	// SuperReadOnly: the server has super_read_only (MySQL ≥ 5.7.8).
	SuperReadOnly bool
	// GTIDNext: the server commits empty transactions under a chosen GTID
	// with gtid_next (MySQL).
	GTIDNext bool
}

// StatementsFor returns the statements of s's flavor and version.
func StatementsFor(s Server) Statements {
	st := Statements{
		Server:            s,
		ShowReplicaStatus: "SHOW SLAVE STATUS", StartReplica: "START SLAVE", StopReplica: "STOP SLAVE",
		StartReplicaIO: "START SLAVE IO_THREAD", StopReplicaIO: "STOP SLAVE IO_THREAD", StartReplicaSQL: "START SLAVE SQL_THREAD",
		ResetReplicaAll: "RESET SLAVE ALL", ChangeSource: "CHANGE MASTER TO", SourceOption: "MASTER_",
		ShowBinaryLogStatus: "SHOW MASTER STATUS", ShowReplicas: "SHOW SLAVE HOSTS", ResetBinaryLogs: "RESET MASTER",
		SkipCounter: "sql_slave_skip_counter", LogReplicaUpdates: "@@log_slave_updates",
		SemiSyncSourceEnabled: []string{"rpl_semi_sync_master_enabled"}, SemiSyncReplicaEnabled: []string{"rpl_semi_sync_slave_enabled"},
		ColHost: "Master_Host", ColPort: "Master_Port", ColUser: "Master_User", ColIO: "Slave_IO_Running", ColSQL: "Slave_SQL_Running",
		ColSourceUUID: "Master_UUID",
	}
	if s.MariaDB() {
		return st
	}
	v := s.Version
	st.SuperReadOnly, st.GTIDNext = v.AtLeast(5, 7, 8), v.AtLeast(5, 6, 5)
	if v.AtLeast(8, 0, 22) {
		st.ShowReplicaStatus, st.StartReplica, st.StopReplica = "SHOW REPLICA STATUS", "START REPLICA", "STOP REPLICA"
		st.StartReplicaIO, st.StopReplicaIO, st.StartReplicaSQL = "START REPLICA IO_THREAD", "STOP REPLICA IO_THREAD", "START REPLICA SQL_THREAD"
		st.ResetReplicaAll, st.ShowReplicas = "RESET REPLICA ALL", "SHOW REPLICAS"
		st.ColHost, st.ColPort, st.ColUser = "Source_Host", "Source_Port", "Source_User"
		st.ColIO, st.ColSQL, st.ColSourceUUID = "Replica_IO_Running", "Replica_SQL_Running", "Source_UUID"
	}
	if v.AtLeast(8, 0, 23) {
		st.ChangeSource, st.SourceOption = "CHANGE REPLICATION SOURCE TO", "SOURCE_"
	}
	if v.AtLeast(8, 0, 26) {
		st.SkipCounter, st.LogReplicaUpdates = "sql_replica_skip_counter", "@@log_replica_updates"
		st.SemiSyncSourceEnabled = []string{"rpl_semi_sync_source_enabled", "rpl_semi_sync_master_enabled"}
		st.SemiSyncReplicaEnabled = []string{"rpl_semi_sync_replica_enabled", "rpl_semi_sync_slave_enabled"}
	}
	if v.AtLeast(8, 2, 0) {
		st.ShowBinaryLogStatus, st.ResetBinaryLogs = "SHOW BINARY LOG STATUS", "RESET BINARY LOGS AND GTIDS"
	}
	if v.AtLeast(8, 4, 0) {
		st.SemiSyncSourceEnabled = st.SemiSyncSourceEnabled[:1]
		st.SemiSyncReplicaEnabled = st.SemiSyncReplicaEnabled[:1]
	}
	return st
}

// SourceMode is how a MariaDB replica positions itself by GTID
// (MASTER_USE_GTID); MySQL always uses auto-positioning.
type SourceMode string

// Source modes.
const (
	SlavePos   SourceMode = "slave_pos"
	CurrentPos SourceMode = "current_pos"
)

// ChangeSourceSQL is the statement that points a replica at host:port
// with GTID positioning, with placeholders for host, port and, when
// withCredentials, the user and password: the driver interpolates them
// (these statements cannot be prepared). mode is MariaDB's (empty:
// slave_pos).
func (st Statements) ChangeSourceSQL(withCredentials bool, mode SourceMode, heartbeat time.Duration) (string, error) {
	var b strings.Builder
	o := st.SourceOption
	fmt.Fprintf(&b, "%s %sHOST=?, %sPORT=?", st.ChangeSource, o, o)
	if withCredentials {
		fmt.Fprintf(&b, ", %sUSER=?, %sPASSWORD=?", o, o)
	}
	if st.Server.MariaDB() {
		switch mode {
		case SlavePos, "":
			b.WriteString(", MASTER_USE_GTID=slave_pos")
		case CurrentPos:
			b.WriteString(", MASTER_USE_GTID=current_pos")
		default:
			return "", fmt.Errorf("unknown source mode %q (want slave_pos or current_pos)", mode)
		}
	} else {
		fmt.Fprintf(&b, ", %sAUTO_POSITION=1", o)
	}
	fmt.Fprintf(&b, ", %sCONNECT_RETRY=1, %sHEARTBEAT_PERIOD=%s", o, o, strconv.FormatFloat(heartbeat.Seconds(), 'f', 3, 64))
	return b.String(), nil
}

// ChangeSourceHostSQL changes only the source host (detach, reattach),
// with a placeholder.
func (st Statements) ChangeSourceHostSQL() string {
	return st.ChangeSource + " " + st.SourceOption + "HOST=?"
}

// DelaySQL sets the SQL thread's delay.
func (st Statements) DelaySQL(seconds int) string {
	return st.ChangeSource + " " + st.SourceOption + "DELAY=" + strconv.Itoa(seconds)
}

// SkipCounterSQL skips the next event group of a stopped SQL thread
// without GTID.
func (st Statements) SkipCounterSQL() string { return "SET GLOBAL " + st.SkipCounter + "=1" }

// RestartSQL starts again the threads that ran: both, the IO or the SQL
// thread only; "" when none ran.
func (st Statements) RestartSQL(io, sql bool) string {
	switch {
	case io && sql:
		return st.StartReplica
	case io:
		return st.StartReplicaIO
	case sql:
		return st.StartReplicaSQL
	}
	return ""
}

// ReadOnlySQL is the statement that sets (readOnly) or clears read-only.
// With useSuper (UseSuperReadOnly) on a server that has super_read_only,
// setting sets super_read_only (which implies read_only); clearing always
// clears both where super_read_only exists, since read_only=0 cannot
// stand under super_read_only=1.
func (st Statements) ReadOnlySQL(readOnly, useSuper bool) string {
	switch {
	case readOnly && useSuper && st.SuperReadOnly:
		return "SET GLOBAL super_read_only=1"
	case readOnly:
		return "SET GLOBAL read_only=1"
	case st.SuperReadOnly:
		return "SET GLOBAL super_read_only=0, read_only=0"
	}
	return "SET GLOBAL read_only=0"
}

// ReadOnlyQuery reads read_only and super_read_only (0 where the server
// has none).
func (st Statements) ReadOnlyQuery() string {
	if st.SuperReadOnly {
		return "SELECT @@read_only, @@super_read_only"
	}
	return "SELECT @@read_only, 0"
}

// InjectEmptySQL are the statements, on one session, that commit an empty
// transaction under gtid (MySQL: "uuid:n").
func (st Statements) InjectEmptySQL(gtid string) []string {
	return []string{"SET gtid_next='" + gtid + "'", "BEGIN", "COMMIT", "SET gtid_next='AUTOMATIC'"}
}

// All lists every statement text these Statements produce (with
// example arguments), for the validity tests.
func (st Statements) All() []string {
	out := []string{st.ShowReplicaStatus, st.StartReplica, st.StopReplica, st.StartReplicaIO, st.StopReplicaIO,
		st.StartReplicaSQL, st.ResetReplicaAll, st.ShowBinaryLogStatus, st.ShowReplicas, st.ResetBinaryLogs,
		st.SkipCounterSQL(), "SELECT " + st.LogReplicaUpdates, st.ChangeSourceHostSQL(), st.DelaySQL(3600),
		st.ReadOnlyQuery(), "SHOW BINARY LOGS", "FLUSH BINARY LOGS", "PURGE BINARY LOGS TO ?"}
	for _, creds := range []bool{false, true} {
		s, _ := st.ChangeSourceSQL(creds, "", time.Second)
		out = append(out, s)
	}
	for _, ro := range []bool{false, true} {
		for _, super := range []bool{false, true} {
			out = append(out, st.ReadOnlySQL(ro, super))
		}
	}
	for _, n := range append(append([]string{}, st.SemiSyncSourceEnabled...), st.SemiSyncReplicaEnabled...) {
		out = append(out, "SET GLOBAL "+n+"=ON")
	}
	if st.GTIDNext {
		out = append(out, st.InjectEmptySQL("3e11fa47-71ca-11e1-9e33-c80aa9429562:7")...)
	}
	if st.Server.MariaDB() {
		out = append(out, "SET GLOBAL gtid_slave_pos='0-1-16'")
	}
	return out
}
