package probes

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/mysqlconn"
)

// mkRow builds a row as the driver would hand it over; "NULL" is NULL.
func mkRow(kv ...string) row {
	var names []string
	var vals [][]byte
	for i := 0; i+1 < len(kv); i += 2 {
		names = append(names, kv[i])
		if kv[i+1] == "NULL" {
			vals = append(vals, nil)
			continue
		}
		vals = append(vals, append([]byte{}, kv[i+1]...))
	}
	return row{ix: newColIndex(names), vals: vals}
}

func i64(n int64) *int64 { return &n }

func TestParseReplicaStatus(t *testing.T) {
	hb := time.Date(2026, 3, 1, 10, 0, 5, 0, time.UTC)
	tests := []struct {
		name string
		in   row
		off  time.Duration
		want events.Replication
	}{{
		name: "MySQL 8.0.22+ SHOW REPLICA STATUS (Source_* names)",
		in: mkRow(
			"Replica_IO_State", "Waiting for source to send event",
			"Source_Host", "db1.example", "Source_Port", "3306", "Source_User", "repl",
			"Source_Log_File", "binlog.000007", "Read_Source_Log_Pos", "1234",
			"Relay_Log_File", "relay.000003", "Relay_Log_Pos", "900",
			"Relay_Source_Log_File", "binlog.000007", "Exec_Source_Log_Pos", "1200",
			"Replica_IO_Running", "Yes", "Replica_SQL_Running", "Yes",
			"Replicate_Do_DB", "", "Replicate_Wild_Ignore_Table", "",
			"Last_IO_Errno", "0", "Last_IO_Error", "", "Last_SQL_Errno", "0", "Last_SQL_Error", "",
			"Seconds_Behind_Source", "3", "SQL_Delay", "0",
			"Source_SSL_Allowed", "Yes", "Source_Server_Id", "1",
			"Source_UUID", "3e11fa47-71ca-11e1-9e33-c80aa9429562",
			"Retrieved_Gtid_Set", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5",
			"Executed_Gtid_Set", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,\n4e11fa47-71ca-11e1-9e33-c80aa9429562:1-2",
			"Auto_Position", "1", "Channel_Name", ""),
		want: events.Replication{
			SourceKey: events.InstanceKey{Hostname: "db1.example", Port: 3306}, SourceUUID: "3e11fa47-71ca-11e1-9e33-c80aa9429562",
			SourceServerID: 1, IOThread: events.ThreadRunning, SQLThread: events.ThreadRunning,
			IOState: "Waiting for source to send event", SecondsBehind: i64(3),
			ReadCoordinates:  events.BinlogCoordinates{LogFile: "binlog.000007", LogPos: 1234},
			ExecCoordinates:  events.BinlogCoordinates{LogFile: "binlog.000007", LogPos: 1200},
			RelayCoordinates: events.BinlogCoordinates{LogFile: "relay.000003", LogPos: 900},
			AutoPosition:     true, RetrievedGTIDSet: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5",
			ExecutedGTIDSet: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,4e11fa47-71ca-11e1-9e33-c80aa9429562:1-2",
			AllowTLS:        true, HasCredentials: true,
		},
	}, {
		name: "MySQL 5.7 SHOW SLAVE STATUS, IO connecting, SQL error, NULL lag, filter",
		in: mkRow(
			"Slave_IO_State", "Connecting to master", "Master_Host", "10.1.1.1", "Master_Port", "3307",
			"Master_User", "repl", "Master_Log_File", "mysql-bin.000002", "Read_Master_Log_Pos", "4",
			"Relay_Master_Log_File", "mysql-bin.000001", "Exec_Master_Log_Pos", "154",
			"Slave_IO_Running", "Connecting", "Slave_SQL_Running", "No",
			"Replicate_Ignore_DB", "mysql", "Last_SQL_Errno", "1062", "Last_SQL_Error", "Duplicate entry",
			"Last_IO_Errno", "2003", "Last_IO_Error", "error connecting to master",
			"Seconds_Behind_Master", "NULL", "SQL_Delay", "3600", "Master_SSL_Allowed", "No",
			"Master_Server_Id", "7", "Master_UUID", "", "Auto_Position", "0"),
		want: events.Replication{
			SourceKey: events.InstanceKey{Hostname: "10.1.1.1", Port: 3307}, SourceServerID: 7,
			IOThread: events.ThreadOther, SQLThread: events.ThreadStopped, IOState: "Connecting to master",
			LastIOError: "error connecting to master", LastIOErrno: 2003, LastSQLError: "Duplicate entry", LastSQLErrno: 1062,
			SQLDelay:        3600,
			ReadCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 4},
			ExecCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000001", LogPos: 154},
			HasFilters:      true, HasCredentials: true,
		},
	}, {
		name: "MariaDB 10.11 SHOW SLAVE STATUS with GTID and heartbeats (server at UTC+2)",
		off:  2 * time.Hour,
		in: mkRow(
			"Slave_IO_State", "Waiting for master to send event", "Master_Host", "198.18.0.1", "Master_Port", "3306",
			"Master_User", "repl", "Master_Log_File", "binlog.000002", "Read_Master_Log_Pos", "5000",
			"Relay_Log_File", "relay.000004", "Relay_Log_Pos", "700", "Relay_Master_Log_File", "binlog.000002",
			"Slave_IO_Running", "Yes", "Slave_SQL_Running", "Yes", "Exec_Master_Log_Pos", "5000",
			"Seconds_Behind_Master", "0", "Master_SSL_Allowed", "No", "Master_Server_Id", "1",
			"Using_Gtid", "Slave_Pos", "Gtid_IO_Pos", "0-1-42", "Replicate_Do_Domain_Ids", "", "Replicate_Ignore_Domain_Ids", "",
			"Slave_received_heartbeats", "17", "Slave_heartbeat_period", "2.000", "Slave_last_heartbeat", "2026-03-01 12:00:05",
			"Gtid_Slave_Pos", "0-1-42", "Connection_name", ""),
		want: events.Replication{
			SourceKey: events.InstanceKey{Hostname: "198.18.0.1", Port: 3306}, SourceServerID: 1,
			IOThread: events.ThreadRunning, SQLThread: events.ThreadRunning, IOState: "Waiting for master to send event",
			SecondsBehind:    i64(0),
			ReadCoordinates:  events.BinlogCoordinates{LogFile: "binlog.000002", LogPos: 5000},
			ExecCoordinates:  events.BinlogCoordinates{LogFile: "binlog.000002", LogPos: 5000},
			RelayCoordinates: events.BinlogCoordinates{LogFile: "relay.000004", LogPos: 700},
			UsingMariaDBGTID: true, MariaDBGTIDMode: "Slave_Pos", GTIDIOPos: "0-1-42", HasCredentials: true,
			HeartbeatsReceived: 17, HeartbeatPeriod: 2, LastHeartbeat: &hb,
		},
	}, {
		name: "MariaDB without GTID, negative lag clamps to 0, zero heartbeat time",
		in: mkRow("Master_Host", "db9", "Master_Port", "3306", "Slave_IO_Running", "No", "Slave_SQL_Running", "No",
			"Using_Gtid", "No", "Seconds_Behind_Master", "-1", "Slave_last_heartbeat", "0000-00-00 00:00:00"),
		want: events.Replication{
			SourceKey: events.InstanceKey{Hostname: "db9", Port: 3306}, IOThread: events.ThreadStopped, SQLThread: events.ThreadStopped,
			MariaDBGTIDMode: "No", SecondsBehind: i64(0),
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := parseReplicaStatus(tc.in, tc.off, nil)
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("parseReplicaStatus:\n got %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}

func TestParseReplicaStatusResolvesSource(t *testing.T) {
	got := parseReplicaStatus(mkRow("Master_Host", "db1", "Master_Port", "3306"), 0, func(h string) string { return h + ".example" })
	if got.SourceKey.Hostname != "db1.example" {
		t.Fatalf("source host = %q, want db1.example", got.SourceKey.Hostname)
	}
}

func TestThreadStateMissingColumnIsNone(t *testing.T) {
	got := parseReplicaStatus(mkRow("Master_Host", "x"), 0, nil)
	if got.IOThread != events.ThreadNone || got.SQLThread != events.ThreadNone {
		t.Fatalf("threads = %v/%v, want none", got.IOThread, got.SQLThread)
	}
}

// TestProbeStatementsValidForEachVersion: every statement of the full and
// the light batch, for each version, passes mysqlconn's validity table
// (8.4's removals included).
func TestProbeStatementsValidForEachVersion(t *testing.T) {
	for _, v := range []string{"5.6.40", "5.7.28-log", "8.0.21", "8.0.22", "8.0.26", "8.0.36", "8.2.0", "8.4.3", "9.1.0",
		"10.4.32-MariaDB", "10.5.9-MariaDB", "10.11.6-MariaDB-log", "11.4.2-MariaDB"} {
		srv := mysqlconn.ParseServer(v, "")
		for _, hosts := range []bool{false, true} {
			for _, st := range append(batch(srv, hosts), lightBatch(srv)...) {
				if err := mysqlconn.Check(srv, st.sql); err != nil {
					t.Errorf("%s: %v", v, err)
				}
			}
		}
	}
}

func TestBatchFollowsDialect(t *testing.T) {
	sqlOf := func(info mysqlconn.Server, hosts bool) string { return batchSQL(batch(info, hosts)) }
	tests := []struct {
		name       string
		info       mysqlconn.Server
		hosts      bool
		want, deny []string
	}{
		{"MariaDB 10.11", mysqlconn.ParseServer("10.11.6-MariaDB", ""), true,
			[]string{"SHOW MASTER STATUS", "SHOW SLAVE STATUS", "SHOW SLAVE HOSTS", "@@gtid_current_pos", "@@gtid_strict_mode", "@@log_slave_updates"},
			[]string{"@@server_uuid", "@@gtid_mode", "performance_schema", "@@super_read_only"}},
		{"MySQL 8.4", mysqlconn.ParseServer("8.4.0", ""), true,
			[]string{"SHOW BINARY LOG STATUS", "SHOW REPLICA STATUS", "SHOW REPLICAS", "@@server_uuid", "@@super_read_only", "@@log_replica_updates", "performance_schema.replication_connection_status"},
			[]string{"SHOW MASTER STATUS", "SHOW SLAVE", "@@gtid_current_pos"}},
		{"MySQL 8.0.21", mysqlconn.ParseServer("8.0.21", ""), false,
			[]string{"SHOW MASTER STATUS", "SHOW SLAVE STATUS", "information_schema.PROCESSLIST", "@@log_slave_updates"},
			[]string{"SHOW REPLICA", "SHOW SLAVE HOSTS"}},
		{"MySQL 5.6", mysqlconn.ParseServer("5.6.40", "Percona Server"), false,
			[]string{"NULL AS super_read_only", "@@gtid_mode"},
			[]string{"performance_schema"}},
	}
	for _, tc := range tests {
		s := sqlOf(tc.info, tc.hosts)
		for _, w := range tc.want {
			if !strings.Contains(s, w) {
				t.Errorf("%s: batch lacks %q:\n%s", tc.name, w, s)
			}
		}
		for _, d := range tc.deny {
			if strings.Contains(s, d) {
				t.Errorf("%s: batch has %q:\n%s", tc.name, d, s)
			}
		}
	}
	// Optional statements come last, so their failure cannot hide others.
	stmts := batch(mysqlconn.ParseServer("8.0.36", ""), true)
	if !stmts[len(stmts)-1].optional {
		t.Errorf("last statement %q should be optional", stmts[len(stmts)-1].name)
	}
	for _, s := range stmts[:len(stmts)-1] {
		if s.optional {
			t.Errorf("optional statement %q is not last", s.name)
		}
	}
}

func TestBuildObservationMySQL(t *testing.T) {
	res := batchResult{
		globals: mkRow("version", "8.0.36", "version_comment", "MySQL Community Server - GPL", "server_id", "2",
			"server_uuid", "4e11fa47-71ca-11e1-9e33-c80aa9429562", "hostname", "db2", "report_host", "NULL", "report_port", "3306",
			"read_only", "1", "super_read_only", "1", "log_bin", "1", "log_replica_updates", "1", "binlog_format", "ROW",
			"binlog_row_image", "FULL", "gtid_mode", "ON", "gtid_executed", "a:1-10", "gtid_purged", "a:1-2", "utc_offset", "0"),
		status: []row{mkRow("Variable_name", "Uptime", "Value", "1234"), mkRow("Variable_name", "Rpl_semi_sync_replica_status", "Value", "ON")},
		variables: []row{mkRow("Variable_name", "rpl_semi_sync_replica_enabled", "Value", "ON"),
			mkRow("Variable_name", "rpl_semi_sync_source_timeout", "Value", "10000")},
		binlog:    []row{mkRow("File", "binlog.000003", "Position", "157")},
		replica:   []row{mkRow("Source_Host", "db1", "Source_Port", "3306", "Replica_IO_Running", "Yes", "Replica_SQL_Running", "Yes", "Seconds_Behind_Source", "1", "Channel_Name", "")},
		heartbeat: []row{mkRow("heartbeats", "12", "last_heartbeat", "2026-03-01 10:00:05.123456", "heartbeat_period", "30.000")},
	}
	obs, id := buildObservation(events.InstanceKey{Hostname: "10.0.0.2", Port: 3306}, res)
	if obs.Flavor != FlavorMySQL || obs.ServerID != 2 || !obs.ReadOnly || !obs.SuperReadOnly || !obs.LogBin || !obs.LogReplicaUpdates {
		t.Errorf("basic fields wrong: %+v", obs)
	}
	if obs.GTID.Mode != "ON" || obs.GTID.Executed != "a:1-10" || obs.GTID.Purged != "a:1-2" || obs.GTID.CurrentPos != "" {
		t.Errorf("GTID = %+v", obs.GTID)
	}
	if obs.Uptime != 1234 || obs.SelfCoordinates.LogPos != 157 {
		t.Errorf("uptime/coords = %d %+v", obs.Uptime, obs.SelfCoordinates)
	}
	want := events.SemiSync{Available: true, ReplicaEnabled: true, ReplicaStatus: true, MasterTimeout: 10000}
	if obs.SemiSync != want {
		t.Errorf("semi-sync = %+v, want %+v", obs.SemiSync, want)
	}
	if obs.Replication == nil || obs.Replication.HeartbeatsReceived != 12 || obs.Replication.HeartbeatPeriod != 30 ||
		obs.Replication.LastHeartbeat == nil || obs.Replication.LastHeartbeat.Nanosecond() != 123456000 {
		t.Errorf("replication/heartbeat = %+v", obs.Replication)
	}
	if obs.LagSeconds == nil || *obs.LagSeconds != 1 {
		t.Errorf("lag = %v, want 1", obs.LagSeconds)
	}
	if id != (serverIdentity{Hostname: "db2", ReportPort: 3306}) {
		t.Errorf("identity = %+v", id)
	}
}

func TestSemiSyncAbsentPlugin(t *testing.T) {
	res := batchResult{globals: mkRow("version", "8.0.36"), status: []row{mkRow("Variable_name", "Uptime", "Value", "5")}}
	obs, _ := buildObservation(events.InstanceKey{Hostname: "h", Port: 1}, res)
	if obs.SemiSync.Available || obs.Replication != nil || obs.LagSeconds != nil {
		t.Errorf("no plugin, no replica: semi-sync %+v, replication %v, lag %v", obs.SemiSync, obs.Replication, obs.LagSeconds)
	}
}

func TestReplicaKeysAndProcesslist(t *testing.T) {
	rows := []row{
		mkRow("Server_id", "3", "Host", "198.18.0.3", "Port", "3306", "Master_id", "1"),
		mkRow("Server_id", "2", "Host", "198.18.0.2", "Port", "0", "Master_id", "1"),
		mkRow("Server_id", "4", "Host", "", "Port", "3306"),
	}
	got, bad := replicaKeys(rows, 3307, nil)
	want := []events.InstanceKey{{Hostname: "198.18.0.2", Port: 3307}, {Hostname: "198.18.0.3", Port: 3306}}
	if !reflect.DeepEqual(got, want) || len(bad) != 0 {
		t.Errorf("replicaKeys = %v (bad %v), want %v", got, bad, want)
	}
	for in, want := range map[string]string{"10.0.0.2:51234": "10.0.0.2", "[::1]:5000": "::1", "db2": "db2", "db2.example:40000": "db2.example"} {
		if got := processlistHost(in); got != want {
			t.Errorf("processlistHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseIntLikeStrconv(t *testing.T) {
	for _, s := range []string{"", "0", "42", " 42 ", "-7", "+7", "4 2", "x", "12x", "9223372036854775807", "-9223372036854775808",
		"9223372036854775808", "123456789012345678", "1234567890123456789", "-", "\t5\n"} {
		want, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		got, ok := parseInt([]byte(s))
		if ok != (err == nil) || (ok && got != want) {
			t.Errorf("parseInt(%q) = %d, %v; strconv says %d, %v", s, got, ok, want, err)
		}
	}
}

// BenchmarkSortKeys10k is the scheduler's Keys() at 10,000 instances
// (called on every inventory reconcile).
func BenchmarkSortKeys10k(b *testing.B) {
	keys := make([]events.InstanceKey, 10000)
	for i := range keys {
		keys[i] = events.InstanceKey{Hostname: "127.1." + strconv.Itoa((i*7919)%10000/250) + "." + strconv.Itoa(1+(i*7919)%250), Port: 3306}
	}
	work := make([]events.InstanceKey, len(keys))
	for b.Loop() {
		copy(work, keys)
		sortKeys(work)
	}
}

// TestSemiSyncWaitCount: MariaDB has no rpl_semi_sync_master_wait_for_slave_count
// and waits for one acknowledgement, so its wait count is 1 (0 hid
// LockedSemiSyncMaster on MariaDB, found by TestLabLockedSemiSyncMasterRecovery);
// a server that has the variable keeps its value, and one without the
// source side keeps 0.
func TestSemiSyncWaitCount(t *testing.T) {
	mariadb := map[string]string{"rpl_semi_sync_master_enabled": "ON", "rpl_semi_sync_slave_enabled": "OFF",
		"rpl_semi_sync_master_timeout": "120000", "rpl_semi_sync_master_wait_no_slave": "ON"}
	for _, tc := range []struct {
		name string
		vars map[string]string
		want int
	}{
		{"MariaDB (no wait-count variable)", mariadb, 1},
		{"MySQL 5.7 wait count 2", map[string]string{"rpl_semi_sync_master_enabled": "ON", "rpl_semi_sync_master_wait_for_slave_count": "2"}, 2},
		{"MySQL 8.0.26+ wait count 3", map[string]string{"rpl_semi_sync_source_enabled": "OFF", "rpl_semi_sync_source_wait_for_replica_count": "3"}, 3},
		{"replica side only", map[string]string{"rpl_semi_sync_replica_enabled": "ON"}, 0},
		{"no plugin", map[string]string{}, 0},
	} {
		got := semiSync(tc.vars, map[string]string{"rpl_semi_sync_master_status": "ON", "rpl_semi_sync_master_clients": "0"})
		if got.MasterWaitForCount != tc.want {
			t.Errorf("%s: wait count %d, want %d (%+v)", tc.name, got.MasterWaitForCount, tc.want, got)
		}
	}
}
