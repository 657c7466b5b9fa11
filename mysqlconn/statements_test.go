package mysqlconn

import (
	"strings"
	"testing"
	"time"
)

// versions are the servers the statement tests cover: the user's 5.7, each
// MySQL version where syntax changed, 8.4, and the lab's MariaDB.
var versions = []Server{
	ParseServer("5.7.28-log", "MySQL Community Server (GPL)"),
	ParseServer("8.0.21", ""), ParseServer("8.0.22", ""), ParseServer("8.0.23", ""),
	ParseServer("8.0.26", ""), ParseServer("8.0.36", ""), ParseServer("8.2.0", ""),
	ParseServer("8.4.3", ""), ParseServer("9.1.0", ""),
	ParseServer("8.0.36-28", "Percona Server (GPL), Release 28"),
	ParseServer("10.4.32-MariaDB-log", "mariadb.org binary distribution"),
	ParseServer("10.11.6-MariaDB-0+deb12u1-log", "Debian 12"),
}

// TestEveryStatementValidForItsVersion lists every statement the builder
// produces per version and fails on one the validity table refuses.
func TestEveryStatementValidForItsVersion(t *testing.T) {
	for _, s := range versions {
		st := StatementsFor(s)
		all := st.All()
		if len(all) < 25 {
			t.Fatalf("%s: only %d statements listed", s, len(all))
		}
		for _, stmt := range all {
			if stmt == "" {
				t.Errorf("%s: an empty statement", s)
			}
			if err := Check(s, stmt); err != nil {
				t.Errorf("%s: %v", s, err)
			}
		}
	}
}

// TestStatementsByVersion pins the forms each version gets.
func TestStatementsByVersion(t *testing.T) {
	for _, c := range []struct {
		version                               string
		status, start, change, binlog, reset  string
		skip, semiSource, hosts, col, superRO string
	}{
		{"5.7.28-log", "SHOW SLAVE STATUS", "START SLAVE", "CHANGE MASTER TO MASTER_HOST=?", "SHOW MASTER STATUS", "RESET MASTER",
			"sql_slave_skip_counter", "rpl_semi_sync_master_enabled", "SHOW SLAVE HOSTS", "Master_Host", "SET GLOBAL super_read_only=1"},
		{"8.0.22", "SHOW REPLICA STATUS", "START REPLICA", "CHANGE MASTER TO MASTER_HOST=?", "SHOW MASTER STATUS", "RESET MASTER",
			"sql_slave_skip_counter", "rpl_semi_sync_master_enabled", "SHOW REPLICAS", "Source_Host", "SET GLOBAL super_read_only=1"},
		{"8.0.23", "SHOW REPLICA STATUS", "START REPLICA", "CHANGE REPLICATION SOURCE TO SOURCE_HOST=?", "SHOW MASTER STATUS", "RESET MASTER",
			"sql_slave_skip_counter", "rpl_semi_sync_master_enabled", "SHOW REPLICAS", "Source_Host", "SET GLOBAL super_read_only=1"},
		{"8.0.36", "SHOW REPLICA STATUS", "START REPLICA", "CHANGE REPLICATION SOURCE TO SOURCE_HOST=?", "SHOW MASTER STATUS", "RESET MASTER",
			"sql_replica_skip_counter", "rpl_semi_sync_source_enabled", "SHOW REPLICAS", "Source_Host", "SET GLOBAL super_read_only=1"},
		{"8.4.3", "SHOW REPLICA STATUS", "START REPLICA", "CHANGE REPLICATION SOURCE TO SOURCE_HOST=?", "SHOW BINARY LOG STATUS",
			"RESET BINARY LOGS AND GTIDS", "sql_replica_skip_counter", "rpl_semi_sync_source_enabled", "SHOW REPLICAS", "Source_Host", "SET GLOBAL super_read_only=1"},
		{"10.11.6-MariaDB", "SHOW SLAVE STATUS", "START SLAVE", "CHANGE MASTER TO MASTER_HOST=?", "SHOW MASTER STATUS", "RESET MASTER",
			"sql_slave_skip_counter", "rpl_semi_sync_master_enabled", "SHOW SLAVE HOSTS", "Master_Host", "SET GLOBAL read_only=1"},
	} {
		st := StatementsFor(ParseServer(c.version, ""))
		got := []string{st.ShowReplicaStatus, st.StartReplica, st.ChangeSourceHostSQL(), st.ShowBinaryLogStatus, st.ResetBinaryLogs,
			st.SkipCounter, st.SemiSyncSourceEnabled[0], st.ShowReplicas, st.ColHost, st.ReadOnlySQL(true, true)}
		want := []string{c.status, c.start, c.change, c.binlog, c.reset, c.skip, c.semiSource, c.hosts, c.col, c.superRO}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: got %q, want %q", c.version, got[i], want[i])
			}
		}
	}
}

// TestCheckRefusesInvalidSyntax: the validity table refuses what each
// version lacks, so the test above can fail.
func TestCheckRefusesInvalidSyntax(t *testing.T) {
	for _, c := range []struct {
		version, stmt, want string
	}{
		{"8.4.0", "SHOW SLAVE STATUS", "removed in MySQL 8.4.0"},
		{"8.4.0", "START SLAVE", "removed"},
		{"8.4.0", "STOP SLAVE IO_THREAD", "removed"},
		{"8.4.0", "RESET MASTER", "removed"},
		{"8.4.0", "SHOW MASTER STATUS", "removed"},
		{"8.4.0", "SET GLOBAL sql_slave_skip_counter=1", "removed"},
		{"8.4.0", "SHOW SLAVE HOSTS", "removed"},
		{"8.4.0", "CHANGE MASTER TO MASTER_HOST='a'", "removed"},
		{"8.4.0", "SET GLOBAL rpl_semi_sync_master_enabled=ON", "removed"},
		{"5.7.28", "SHOW REPLICA STATUS", "needs MySQL 8.0.22"},
		{"8.0.22", "CHANGE REPLICATION SOURCE TO SOURCE_HOST='a'", "needs MySQL 8.0.23"},
		{"8.0.25", "SET GLOBAL sql_replica_skip_counter=1", "needs MySQL 8.0.26"},
		{"8.0.36", "RESET BINARY LOGS AND GTIDS", "needs MySQL 8.2.0"},
		{"5.7.28", "SELECT @@gtid_slave_pos", "does not exist on MySQL"},
		{"5.7.28", "CHANGE MASTER TO MASTER_USE_GTID=slave_pos", "does not exist"},
		{"10.11.6-MariaDB", "SET GLOBAL super_read_only=1", "does not exist on MariaDB"},
		{"10.11.6-MariaDB", "SET gtid_next='x:1'", "does not exist"},
		{"10.11.6-MariaDB", "CHANGE MASTER TO MASTER_HOST=?, MASTER_AUTO_POSITION=1", "does not exist"},
		{"10.4.32-MariaDB", "SHOW REPLICA STATUS", "needs MariaDB 10.5.1"},
		{"5.7.28", "SELECT @@log_replica_updates", "needs MySQL 8.0.26"},
		{"5.6.40", "SELECT @@global.super_read_only", "needs MySQL 5.7.8"},
	} {
		err := Check(ParseServer(c.version, ""), c.stmt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s on %s: %v, want an error with %q", c.stmt, c.version, err, c.want)
		}
	}
	for _, ok := range []struct{ version, stmt string }{
		{"8.0.36", "SHOW SLAVE STATUS"}, {"8.0.26", "SET GLOBAL rpl_semi_sync_master_enabled=ON"},
		{"10.11.6-MariaDB", "SHOW REPLICA STATUS"}, {"8.4.0", "SELECT @@gtid_executed"},
		{"5.6.40", "SELECT NULL AS super_read_only, @@log_slave_updates AS log_replica_updates"}, // aliases are no use
	} {
		if err := Check(ParseServer(ok.version, ""), ok.stmt); err != nil {
			t.Errorf("%s on %s: %v", ok.stmt, ok.version, err)
		}
	}
}

func TestChangeSourceSQL(t *testing.T) {
	for _, c := range []struct {
		version string
		creds   bool
		mode    SourceMode
		want    string
	}{
		{"10.11.6-MariaDB", true, CurrentPos, "CHANGE MASTER TO MASTER_HOST=?, MASTER_PORT=?, MASTER_USER=?, MASTER_PASSWORD=?, MASTER_USE_GTID=current_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=0.500"},
		{"10.11.6-MariaDB", false, "", "CHANGE MASTER TO MASTER_HOST=?, MASTER_PORT=?, MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=0.500"},
		{"5.7.28-log", false, "", "CHANGE MASTER TO MASTER_HOST=?, MASTER_PORT=?, MASTER_AUTO_POSITION=1, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=0.500"},
		{"8.4.0", true, "", "CHANGE REPLICATION SOURCE TO SOURCE_HOST=?, SOURCE_PORT=?, SOURCE_USER=?, SOURCE_PASSWORD=?, SOURCE_AUTO_POSITION=1, SOURCE_CONNECT_RETRY=1, SOURCE_HEARTBEAT_PERIOD=0.500"},
	} {
		got, err := StatementsFor(ParseServer(c.version, "")).ChangeSourceSQL(c.creds, c.mode, 500*time.Millisecond)
		if err != nil || got != c.want {
			t.Errorf("%s: %q %v\nwant %q", c.version, got, err, c.want)
		}
	}
	if _, err := StatementsFor(ParseServer("10.11.6-MariaDB", "")).ChangeSourceSQL(false, "no_pos", time.Second); err == nil ||
		!strings.Contains(err.Error(), `"no_pos"`) {
		t.Errorf("unknown mode: %v", err)
	}
}

// TestReadOnlySQL: UseSuperReadOnly false (orchestrator's default) sets
// read_only only; true sets super_read_only where it exists; clearing
// clears both where super_read_only exists.
func TestReadOnlySQL(t *testing.T) {
	my, maria := StatementsFor(ParseServer("5.7.28-log", "")), StatementsFor(ParseServer("10.11.6-MariaDB", ""))
	for _, c := range []struct {
		st        Statements
		ro, super bool
		want      string
	}{
		{my, true, false, "SET GLOBAL read_only=1"},
		{my, true, true, "SET GLOBAL super_read_only=1"},
		{my, false, false, "SET GLOBAL super_read_only=0, read_only=0"},
		{maria, true, true, "SET GLOBAL read_only=1"},
		{maria, false, true, "SET GLOBAL read_only=0"},
	} {
		if got := c.st.ReadOnlySQL(c.ro, c.super); got != c.want {
			t.Errorf("%s ro=%v super=%v: %q, want %q", c.st.Server, c.ro, c.super, got, c.want)
		}
	}
}

func TestParseServer(t *testing.T) {
	for _, c := range []struct {
		version, comment, flavor string
		v                        Version
	}{
		{"5.7.28-log", "MySQL Community Server (GPL)", FlavorMySQL, Version{5, 7, 28}},
		{"10.11.6-MariaDB-0+deb12u1-log", "Debian 12", FlavorMariaDB, Version{10, 11, 6}},
		{"5.5.5-10.4.32-mariadb", "", FlavorMariaDB, Version{5, 5, 5}},
		{"8.0.36-28", "Percona Server (GPL), Release 28", FlavorPercona, Version{8, 0, 36}},
		{"8.4", "", FlavorMySQL, Version{8, 4, 0}},
		{"garbage", "", FlavorMySQL, Version{}},
	} {
		s := ParseServer(c.version, c.comment)
		if s.Flavor != c.flavor || s.Version != c.v {
			t.Errorf("%q %q: %+v, want %s %v", c.version, c.comment, s, c.flavor, c.v)
		}
	}
	if !(Version{8, 0, 22}).AtLeast(8, 0, 22) || (Version{8, 0, 21}).AtLeast(8, 0, 22) || !(Version{10, 0, 0}).AtLeast(8, 4, 0) {
		t.Error("AtLeast")
	}
}
