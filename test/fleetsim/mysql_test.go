package fleetsim

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/probes"
)

// simVersions are the MySQL versions the simulator answers as.
var simVersions = []string{"5.7.28-log", "8.0.36", "8.4.3"}

func startMySQL(t *testing.T, version string, n int) *Fleet {
	t.Helper()
	return Start(t, Options{Instances: n, MySQL: version, WritesPerSecond: 20}, zerolog.New(zerolog.NewTestWriter(t)))
}

// openSim opens one connection to key (one session: gtid_next is per
// connection).
func openSim(t *testing.T, key events.InstanceKey) *sql.Conn {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = "regent", "regent", "tcp", key.String()
	cfg.InterpolateParams, cfg.MultiStatements = true, true
	cfg.Timeout, cfg.ReadTimeout = time.Second, 5*time.Second
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	t.Cleanup(func() { _ = db.Close() })
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatalf("connect to %s: %v", key, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// errCode is the MySQL error number of err (0: none).
func errCode(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// TestMySQLDialectByVersion runs the replication statements of every
// version on a replica of each simulated version: each version accepts
// exactly its own syntax and refuses the rest with the real server's error
// number (and, for syntax, its message), and the statement log marks the
// refusals as invalid for the version.
func TestMySQLDialectByVersion(t *testing.T) {
	const ok = 0
	steps := []struct {
		sql  string
		want [3]uint16 // per simVersions
		near string    // the parse error's "near" text
	}{
		{"SHOW SLAVE STATUS", [3]uint16{ok, ok, 1064}, "SLAVE STATUS"},
		{"SHOW REPLICA STATUS", [3]uint16{1064, ok, ok}, "REPLICA STATUS"},
		{"SHOW MASTER STATUS", [3]uint16{ok, ok, 1064}, "MASTER STATUS"},
		{"SHOW BINARY LOG STATUS", [3]uint16{1064, 1064, ok}, ""},
		{"SHOW SLAVE HOSTS", [3]uint16{ok, ok, 1064}, "SLAVE HOSTS"},
		{"SHOW REPLICAS", [3]uint16{1064, ok, ok}, "REPLICAS"},
		{"SELECT @@log_slave_updates, @@super_read_only, @@server_uuid", [3]uint16{ok, ok, ok}, ""},
		{"SELECT @@log_replica_updates", [3]uint16{1193, ok, ok}, ""},
		{"SELECT @@gtid_current_pos", [3]uint16{1193, 1193, 1193}, ""},
		{"SELECT MASTER_GTID_WAIT('0-1-1', 1)", [3]uint16{1305, 1305, 1305}, ""},
		{"SET GLOBAL sql_slave_skip_counter=1", [3]uint16{1858, 1858, 1858}, ""},
		{"STOP SLAVE", [3]uint16{ok, ok, 1064}, "SLAVE"},
		{"STOP REPLICA", [3]uint16{1064, ok, ok}, "REPLICA"},
		{"CHANGE MASTER TO MASTER_AUTO_POSITION=1", [3]uint16{ok, ok, 1064}, "MASTER TO MASTER_AUTO_POSITION=1"},
		{"CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION=1", [3]uint16{1064, ok, ok}, "REPLICATION SOURCE TO SOURCE_AUTO_POSITION=1"},
		{"CHANGE REPLICATION SOURCE TO MASTER_AUTO_POSITION=1", [3]uint16{1064, ok, 1064}, ""},
		{"CHANGE MASTER TO MASTER_USE_GTID=slave_pos", [3]uint16{1064, 1064, 1064}, ""},
		{"START SLAVE", [3]uint16{ok, ok, 1064}, "SLAVE"},
		{"START REPLICA", [3]uint16{1064, ok, ok}, "REPLICA"},
		{"RESET SLAVE ALL", [3]uint16{1198, 1198, 1064}, ""},
		{"RESET REPLICA ALL", [3]uint16{1064, 1198, 1198}, ""},
		{"RESET MASTER", [3]uint16{ok, ok, 1064}, "MASTER"},
		{"RESET BINARY LOGS AND GTIDS", [3]uint16{1064, 1064, ok}, "BINARY LOGS AND GTIDS"},
	}
	for vi, version := range simVersions {
		t.Run(version, func(t *testing.T) {
			f := startMySQL(t, version, 3)
			replica := f.Clusters()[0][1]
			c := openSim(t, replica)
			ctx := context.Background()
			for _, s := range steps {
				rows, err := c.QueryContext(ctx, s.sql)
				if err == nil {
					_ = rows.Close()
				}
				if got := errCode(err); got != s.want[vi] {
					t.Errorf("%s on %s: error %d (%v), want %d", s.sql, version, got, err, s.want[vi])
					continue
				}
				if s.want[vi] == 1064 && s.near != "" && !strings.Contains(err.Error(), "near '"+s.near+"' at line 1") {
					t.Errorf("%s on %s: %v, want the parse error near %q", s.sql, version, err, s.near)
				}
			}
			log, err := f.Statements()
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range steps {
				i := slices.IndexFunc(log, func(st Statement) bool { return st.SQL == s.sql })
				if i < 0 {
					t.Errorf("%s not in the statement log", s.sql)
					continue
				}
				st := log[i]
				wantInvalid := s.want[vi] == 1064 || s.want[vi] == 1193 || s.want[vi] == 1305
				if st.Invalid != wantInvalid || st.Unsupported || st.Version != version || st.Instance != replica {
					t.Errorf("logged %+v, want invalid %v on %s", st, wantInvalid, replica)
				}
			}
		})
	}
}

// TestMySQLStatusColumns: SHOW SLAVE STATUS keeps the old column names
// (also on 8.0), SHOW REPLICA STATUS has the Source_/Replica_ names, and
// both show the GTID columns of an auto-positioned replica.
func TestMySQLStatusColumns(t *testing.T) {
	for _, tc := range []struct {
		version, stmt, host, io string
	}{
		{"5.7.28-log", "SHOW SLAVE STATUS", "Master_Host", "Slave_IO_Running"},
		{"8.0.36", "SHOW SLAVE STATUS", "Master_Host", "Slave_IO_Running"},
		{"8.0.36", "SHOW REPLICA STATUS", "Source_Host", "Replica_IO_Running"},
		{"8.4.3", "SHOW REPLICA STATUS", "Source_Host", "Replica_IO_Running"},
	} {
		f := startMySQL(t, tc.version, 3)
		cl := f.Clusters()[0]
		row := statusRow(t, openSim(t, cl[2]), tc.stmt)
		if row[tc.host] != cl[0].Hostname || row[tc.io] != "Yes" || row["Auto_Position"] != "1" {
			t.Errorf("%s %s: %s %q, %s %q, Auto_Position %q", tc.version, tc.stmt, tc.host, row[tc.host], tc.io, row[tc.io], row["Auto_Position"])
		}
		primary, err := f.MySQLState(cl[0])
		if err != nil {
			t.Fatal(err)
		}
		exec := strings.ReplaceAll(row["Executed_Gtid_Set"], "\n", "")
		if !strings.HasPrefix(exec, primary.UUID+":1-") {
			t.Errorf("%s: Executed_Gtid_Set %q, want the primary's %s", tc.version, exec, primary.UUID)
		}
		if _, ok := row["Retrieved_Gtid_Set"]; !ok {
			t.Errorf("%s: no Retrieved_Gtid_Set column", tc.version)
		}
	}
}

func statusRow(t *testing.T, c *sql.Conn, stmt string) map[string]string {
	t.Helper()
	rows, err := c.QueryContext(context.Background(), stmt)
	if err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	m := map[string]string{}
	if !rows.Next() {
		t.Fatalf("%s: no row", stmt)
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	for i, c := range cols {
		m[c] = vals[i].String
	}
	return m
}

func queryString(t *testing.T, c *sql.Conn, q string) string {
	t.Helper()
	var s string
	if err := c.QueryRowContext(context.Background(), q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return strings.ReplaceAll(s, "\n", "")
}

func exec(t *testing.T, c *sql.Conn, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := c.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// TestMySQLErrantInjectAndFollow: a replica follows its primary; an errant
// transaction on it is not on the primary; the empty transaction
// orchestrator's gtid-errant-inject-empty commits on the primary with
// gtid_next puts it there; gtid_next must be set again after COMMIT.
func TestMySQLErrantInjectAndFollow(t *testing.T) {
	f := startMySQL(t, "5.7.28-log", 3)
	cl := f.Clusters()[0]
	errant, err := f.Transact(cl[1], 1)
	if err != nil {
		t.Fatal(err)
	}
	p, r := openSim(t, cl[0]), openSim(t, cl[1])
	if sub := queryString(t, p, "SELECT GTID_SUBSET('"+errant+"', @@global.gtid_executed)"); sub != "0" {
		t.Fatalf("the primary holds the replica's errant %s", errant)
	}
	if sub := queryString(t, r, "SELECT GTID_SUBSET('"+errant+"', @@gtid_executed)"); sub != "1" {
		t.Fatalf("the replica lacks its own %s", errant)
	}
	exec(t, p, "SET gtid_next='"+errant+"'", "BEGIN", "COMMIT")
	if _, err := p.ExecContext(context.Background(), "BEGIN"); errCode(err) != 1837 {
		t.Errorf("BEGIN after COMMIT without a new gtid_next: %v, want 1837", err)
	}
	exec(t, p, "SET gtid_next='AUTOMATIC'")
	if sub := queryString(t, p, "SELECT GTID_SUBSET('"+errant+"', @@global.gtid_executed)"); sub != "1" {
		t.Errorf("the primary lacks the injected %s", errant)
	}
	// The primary's own writes reach the replica while it replicates.
	before := queryString(t, p, "SELECT @@global.gtid_executed")
	natsEventually(t, 5*time.Second, func() error {
		if queryString(t, r, "SELECT GTID_SUBSET('"+before+"', @@gtid_executed)") != "1" {
			return errors.New("the replica has not caught up")
		}
		return nil
	})
	// A replica whose SQL thread is stopped does not apply.
	exec(t, r, "STOP SLAVE SQL_THREAD")
	time.Sleep(200 * time.Millisecond)
	at := queryString(t, r, "SELECT @@gtid_executed")
	time.Sleep(200 * time.Millisecond)
	if now := queryString(t, r, "SELECT @@gtid_executed"); now != at {
		t.Errorf("applied with the SQL thread stopped: %s → %s", at, now)
	}
	if row := statusRow(t, r, "SHOW SLAVE STATUS"); row["Slave_IO_Running"] != "Yes" || row["Slave_SQL_Running"] != "No" {
		t.Errorf("after STOP SLAVE SQL_THREAD: io %q sql %q", row["Slave_IO_Running"], row["Slave_SQL_Running"])
	}
}

func natsEventually(t *testing.T, d time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMySQLGTIDPurgedByVersion: 5.7 sets gtid_purged only on an empty
// gtid_executed (after RESET MASTER); 8.0 and 8.4 accept a superset of the
// old value that holds no executed, unpurged GTID, and "+set" disjoint from
// gtid_executed.
func TestMySQLGTIDPurgedByVersion(t *testing.T) {
	const other, other2 = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5", "4e11fa47-71ca-11e1-9e33-c80aa9429562:1-2"
	for _, tc := range []struct {
		version, stop, reset string
		replace, plus        uint16
	}{{"5.7.28-log", "STOP SLAVE", "RESET MASTER", 1840, 1772}, {"8.0.36", "STOP REPLICA", "RESET MASTER", 0, 0},
		{"8.4.3", "STOP REPLICA", "RESET BINARY LOGS AND GTIDS", 0, 0}} {
		f := startMySQL(t, tc.version, 3)
		c := openSim(t, f.Clusters()[0][2])
		ctx := context.Background()
		if _, err := c.ExecContext(ctx, "SET GLOBAL gtid_purged='"+other+"'"); errCode(err) != tc.replace {
			t.Errorf("%s: SET gtid_purged over a non-empty gtid_executed: %v, want error %d", tc.version, err, tc.replace)
		}
		if _, err := c.ExecContext(ctx, "SET GLOBAL gtid_purged='+"+other2+"'"); errCode(err) != tc.plus {
			t.Errorf("%s: SET gtid_purged='+…': %v, want error %d", tc.version, err, tc.plus)
		}
		if _, err := c.ExecContext(ctx, "SET GLOBAL gtid_purged='+"+other2+"'"); errCode(err) == 0 {
			t.Errorf("%s: SET gtid_purged='+…' of executed GTIDs succeeded", tc.version)
		}
		// Stopped first: a running replica fetches the history again at once.
		exec(t, c, tc.stop, tc.reset)
		if got := queryString(t, c, "SELECT @@global.gtid_executed"); got != "" {
			t.Errorf("%s: gtid_executed %q after %s", tc.version, got, tc.reset)
		}
		exec(t, c, "SET GLOBAL gtid_purged='"+other+"'")
		if got := queryString(t, c, "SELECT @@global.gtid_purged"); got != other {
			t.Errorf("%s: gtid_purged %q, want %s", tc.version, got, other)
		}
	}
}

// TestMySQLKillAndProbe: the real Prober reads each version; a killed
// primary refuses connections and its replica's IO thread reports
// Connecting with error 2003.
func TestMySQLKillAndProbe(t *testing.T) {
	for _, version := range simVersions {
		f := startMySQL(t, version, 3)
		cl := f.Clusters()[0]
		// Replicas found by SHOW SLAVE HOSTS / SHOW REPLICAS.
		if got := probe(t, newProber(t, true), cl[0]).Replicas; !slices.Equal(got, cl[1:]) {
			t.Errorf("%s primary replicas by SHOW REPLICAS/SLAVE HOSTS %v, want %v", version, got, cl[1:])
		}
		p := newProber(t, false)
		po, ro := probe(t, p, cl[0]), probe(t, p, cl[1])
		ps, _ := f.MySQLState(cl[0])
		if po.Flavor != probes.FlavorMySQL || po.Version != version || po.ServerUUID != ps.UUID || po.ReadOnly || po.GTID.Mode != "ON" {
			t.Errorf("%s primary: flavor %q version %q uuid %q read_only %v gtid %+v", version, po.Flavor, po.Version, po.ServerUUID, po.ReadOnly, po.GTID)
		}
		r := ro.Replication
		if r == nil || r.SourceKey != cl[0] || !r.AutoPosition || r.SourceUUID != ps.UUID || !ro.ReadOnly || r.IOThread != events.ThreadRunning {
			t.Fatalf("%s replica: read_only %v replication %+v", version, ro.ReadOnly, r)
		}
		if !slices.Equal(po.Replicas, cl[1:]) {
			t.Errorf("%s primary replicas %v, want %v", version, po.Replicas, cl[1:])
		}
		if err := f.Kill(cl[0]); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := p.Probe(ctx, cl[0])
		cancel()
		var pe *probes.ProbeError
		if !errors.As(err, &pe) || (pe.Kind != probes.ErrRefused && pe.Kind != probes.ErrConnectionLost) {
			t.Errorf("%s: probe of the killed primary: %v", version, err)
		}
		if r := probe(t, p, cl[1]).Replication; r.IOThread != events.ThreadOther || r.LastIOErrno != 2003 {
			t.Errorf("%s: replica of the killed primary: io %v errno %d", version, r.IOThread, r.LastIOErrno)
		}
		log, err := f.Statements()
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range log {
			if st.Invalid || st.Unsupported {
				t.Errorf("%s: the prober sent %q: %d %s", version, st.SQL, st.Code, st.Error)
			}
		}
	}
}

// TestMySQLPurgeBinaryLogs: PURGE BINARY LOGS moves the purged files'
// transactions into gtid_purged; a replica that lacks some of them cannot
// auto-position (its IO thread stops with error 1236), and a replica's
// status names the source's current binary log.
func TestMySQLPurgeBinaryLogs(t *testing.T) {
	for _, tc := range []struct{ version, stop, start, purgeMaster string }{
		{"5.7.28-log", "STOP SLAVE", "START SLAVE", "PURGE MASTER LOGS TO 'mysql-bin.000001'"},
		{"8.4.3", "STOP REPLICA", "START REPLICA", ""},
	} {
		f := Start(t, Options{Instances: 3, MySQL: tc.version, WritesPerSecond: -1}, zerolog.New(zerolog.NewTestWriter(t)))
		cl := f.Clusters()[0]
		p, b := openSim(t, cl[0]), openSim(t, cl[2])
		exec(t, b, tc.stop)
		if _, err := f.Transact(cl[0], 3); err != nil {
			t.Fatal(err)
		}
		exec(t, p, "FLUSH BINARY LOGS", "PURGE BINARY LOGS TO 'mysql-bin.000002'")
		if tc.purgeMaster != "" {
			if _, err := p.ExecContext(context.Background(), tc.purgeMaster); errCode(err) != 1373 {
				t.Errorf("%s: %s of a purged file: %v, want 1373", tc.version, tc.purgeMaster, err)
			}
		} else if _, err := p.ExecContext(context.Background(), "PURGE MASTER LOGS TO 'mysql-bin.000002'"); errCode(err) != 1064 {
			t.Errorf("%s: PURGE MASTER LOGS: %v, want 1064", tc.version, err)
		}
		ps, _ := f.MySQLState(cl[0])
		if ps.Purged != ps.Executed {
			t.Errorf("%s: gtid_purged %s, want all of gtid_executed %s", tc.version, ps.Purged, ps.Executed)
		}
		if first := statusRow(t, p, "SHOW BINARY LOGS")["Log_name"]; first != "mysql-bin.000002" {
			t.Errorf("%s: first binary log %q, want mysql-bin.000002", tc.version, first)
		}
		exec(t, b, tc.start)
		col := map[bool]string{false: "Slave_", true: "Replica_"}[tc.version != "5.7.28-log"]
		stmt := map[bool]string{false: "SHOW SLAVE STATUS", true: "SHOW REPLICA STATUS"}[tc.version != "5.7.28-log"]
		if row := statusRow(t, b, stmt); row[col+"IO_Running"] != "No" || row["Last_IO_Errno"] != "1236" {
			t.Errorf("%s: replica lacking purged transactions: io %q errno %q", tc.version, row[col+"IO_Running"], row["Last_IO_Errno"])
		}
		mfile := map[bool]string{false: "Master_Log_File", true: "Source_Log_File"}[tc.version != "5.7.28-log"]
		if row := statusRow(t, openSim(t, cl[1]), stmt); row[mfile] != "mysql-bin.000002" {
			t.Errorf("%s: the caught-up replica reads %q, want mysql-bin.000002", tc.version, row[mfile])
		}
	}
}

// TestMySQLApplyLag: with ApplyLag a replica has received a transaction
// (Retrieved_Gtid_Set) before it applies it, and WAIT_FOR_EXECUTED_GTID_SET
// blocks until it has.
func TestMySQLApplyLag(t *testing.T) {
	f := Start(t, Options{Instances: 3, MySQL: "8.0.36", WritesPerSecond: -1, ApplyLag: 400 * time.Millisecond},
		zerolog.New(zerolog.NewTestWriter(t)))
	cl := f.Clusters()[0]
	gtid, err := f.Transact(cl[0], 1)
	if err != nil {
		t.Fatal(err)
	}
	r := openSim(t, cl[1])
	row := statusRow(t, r, "SHOW REPLICA STATUS")
	if row["Retrieved_Gtid_Set"] != gtid || queryString(t, r, "SELECT GTID_SUBSET('"+gtid+"', @@gtid_executed)") != "0" {
		t.Fatalf("right after the commit: retrieved %q executed %q, want %s received, not applied", row["Retrieved_Gtid_Set"], row["Executed_Gtid_Set"], gtid)
	}
	start := time.Now()
	if got := queryString(t, r, "SELECT WAIT_FOR_EXECUTED_GTID_SET('"+gtid+"', 5)"); got != "0" {
		t.Fatalf("WAIT_FOR_EXECUTED_GTID_SET: %s, want 0", got)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond || waited > 2*time.Second {
		t.Errorf("waited %s for a 400 ms lag", waited)
	}
	if sub := queryString(t, r, "SELECT GTID_SUBSET('"+gtid+"', @@gtid_executed)"); sub != "1" {
		t.Errorf("not applied after the wait")
	}
}

// TestMySQLMalformedStatements: truncated and malformed statements get an
// error answer (never a crash of the server), and the connection goes on
// serving; unknown statements are marked unsupported, not invalid.
func TestMySQLMalformedStatements(t *testing.T) {
	f := startMySQL(t, "8.4.3", 3)
	c := openSim(t, f.Clusters()[0][1])
	ctx := context.Background()
	for _, s := range []string{
		"SELECT", "SET", "SET GLOBAL", "SET x", "SHOW", "RESET", "CHANGE", "CHANGE REPLICATION SOURCE TO",
		"CHANGE REPLICATION SOURCE TO SOURCE_PORT='x'", "PURGE BINARY LOGS TO 'nope'", "START", "STOP REPLICA NOW",
		"SELECT WAIT_FOR_EXECUTED_GTID_SET(", "SELECT WAIT_FOR_EXECUTED_GTID_SET('x', 1)", "SELECT GTID_SUBSET('a')",
		"SELECT GTID_SUBSET('a', 'b')", "SET gtid_next='nonsense'", "SET GLOBAL gtid_next='AUTOMATIC'",
		"SET read_only=1", "SET GLOBAL read_only=maybe", "SELECT 1 FROM dual", "DROP TABLE t", "FLUSH TABLES",
	} {
		rows, err := c.QueryContext(ctx, s)
		if err == nil {
			_ = rows.Close()
			t.Errorf("%q accepted", s)
		}
	}
	if got := queryString(t, c, "SELECT @@server_uuid"); got == "" {
		t.Error("the connection stopped serving")
	}
	log, err := f.Statements()
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range log {
		if st.SQL == "DROP TABLE t" && (!st.Unsupported || st.Invalid) {
			t.Errorf("unknown statement logged %+v, want unsupported", st)
		}
		if st.SQL == "SET read_only=1" && (st.Code != 1229 || st.Invalid) {
			t.Errorf("SET read_only without GLOBAL logged %+v, want 1229", st)
		}
	}
}

// TestMySQLChangeWhileRunning: CHANGE … DELAY needs only the SQL thread
// stopped, a new host the IO thread, auto-positioning both (3085, 3021).
func TestMySQLChangeWhileRunning(t *testing.T) {
	f := startMySQL(t, "8.0.36", 3)
	c := openSim(t, f.Clusters()[0][1])
	ctx := context.Background()
	for _, s := range []struct {
		sql  string
		want uint16
	}{
		{"CHANGE REPLICATION SOURCE TO SOURCE_DELAY=5", 3085},
		{"STOP REPLICA SQL_THREAD", 0},
		{"CHANGE REPLICATION SOURCE TO SOURCE_DELAY=5", 0},
		{"CHANGE REPLICATION SOURCE TO SOURCE_HOST='127.0.0.9'", 3021},
		{"CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION=1", 3021},
		{"STOP REPLICA IO_THREAD", 0},
		{"START REPLICA SQL_THREAD", 0},
		{"CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION=1", 3085},
		{"CHANGE REPLICATION SOURCE TO SOURCE_HEARTBEAT_PERIOD=2", 0},
	} {
		if _, err := c.ExecContext(ctx, s.sql); errCode(err) != s.want {
			t.Errorf("%s: %v, want error %d", s.sql, err, s.want)
		}
	}
	if st, _ := f.MySQLState(f.Clusters()[0][1]); st.Delay != 5 {
		t.Errorf("SQL_Delay %d, want 5", st.Delay)
	}
}

// TestMySQLFailApplyAndSkip: after FailApply the replica's SQL thread
// stops on the next transaction with error 1062 (8.0.27 on: the
// coordinator's message names the GTID) and fails again at START; an empty
// transaction committed with that GTID skips it, as orchestrator's
// skip-query does with GTID, and replication goes on.
func TestMySQLFailApplyAndSkip(t *testing.T) {
	for _, tc := range []struct{ version, status, start, sqlCol string }{
		{"5.7.28-log", "SHOW SLAVE STATUS", "START SLAVE", "Slave_SQL_Running"},
		{"8.0.36", "SHOW REPLICA STATUS", "START REPLICA", "Replica_SQL_Running"},
	} {
		f := Start(t, Options{Instances: 3, MySQL: tc.version, WritesPerSecond: -1}, zerolog.New(zerolog.NewTestWriter(t)))
		cl := f.Clusters()[0]
		if err := f.FailApply(cl[1]); err != nil {
			t.Fatal(err)
		}
		gtid, err := f.Transact(cl[0], 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Transact(cl[0], 1); err != nil {
			t.Fatal(err)
		}
		r := openSim(t, cl[1])
		row := statusRow(t, r, tc.status)
		if row[tc.sqlCol] != "No" || row["Last_SQL_Errno"] != "1062" || row["Last_Errno"] != "1062" {
			t.Fatalf("%s: after the failure: sql %q errno %q", tc.version, row[tc.sqlCol], row["Last_SQL_Errno"])
		}
		if named := strings.Contains(row["Last_SQL_Error"], gtid); named != (tc.version == "8.0.36") {
			t.Errorf("%s: Last_SQL_Error %q names %s: %v", tc.version, row["Last_SQL_Error"], gtid, named)
		}
		exec(t, r, tc.start)
		if row := statusRow(t, r, tc.status); row[tc.sqlCol] != "No" || row["Last_SQL_Errno"] != "1062" {
			t.Errorf("%s: restarted over the failing transaction: sql %q errno %q", tc.version, row[tc.sqlCol], row["Last_SQL_Errno"])
		}
		exec(t, r, "SET gtid_next='"+gtid+"'", "BEGIN", "COMMIT", "SET gtid_next='AUTOMATIC'", tc.start)
		row = statusRow(t, r, tc.status)
		ps, _ := f.MySQLState(cl[0])
		if row[tc.sqlCol] != "Yes" || row["Last_SQL_Errno"] != "0" || strings.ReplaceAll(row["Executed_Gtid_Set"], "\n", "") != ps.Executed {
			t.Errorf("%s: after the skip: sql %q errno %q executed %q, want the primary's %s", tc.version, row[tc.sqlCol],
				row["Last_SQL_Errno"], row["Executed_Gtid_Set"], ps.Executed)
		}
	}
}

// TestMySQLBinlogEvents: SHOW BINLOG EVENTS shows each binary log's
// Previous_gtids (what was executed before it) and a Gtid event per
// transaction in it, which is how orchestrator locates errant GTIDs.
func TestMySQLBinlogEvents(t *testing.T) {
	f := startMySQL(t, "8.4.3", 3)
	cl := f.Clusters()[0]
	c := openSim(t, cl[1])
	exec(t, c, "FLUSH BINARY LOGS")
	errant, err := f.Transact(cl[1], 1)
	if err != nil {
		t.Fatal(err)
	}
	exec(t, c, "FLUSH BINARY LOGS")
	events := func(q string) [][2]string {
		rows, err := c.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		var out [][2]string
		for rows.Next() {
			var name, typ, info string
			var pos, sid, end int64
			if err := rows.Scan(&name, &pos, &typ, &sid, &end, &info); err != nil {
				t.Fatal(err)
			}
			out = append(out, [2]string{typ, strings.ReplaceAll(info, "\n", "")})
		}
		return out
	}
	second := events("SHOW BINLOG EVENTS IN 'mysql-bin.000002'")
	var gtids []string
	for _, e := range second {
		if e[0] == "Gtid" {
			gtids = append(gtids, e[1])
		}
	}
	if len(second) < 2 || second[1][0] != "Previous_gtids" || !slices.Contains(gtids, "SET @@SESSION.GTID_NEXT= '"+errant+"'") {
		t.Errorf("binary log 2 events %v, want Previous_gtids then the errant %s", second, errant)
	}
	if third := events("SHOW BINLOG EVENTS IN 'mysql-bin.000003' LIMIT 2"); len(third) != 2 || !strings.Contains(third[1][1], errant) {
		t.Errorf("binary log 3's Previous_gtids %v, want it to hold %s", third, errant)
	}
	if _, err := c.QueryContext(context.Background(), "SHOW BINLOG EVENTS IN 'mysql-bin.000009'"); errCode(err) != 1220 {
		t.Errorf("events of a missing file: %v, want 1220", err)
	}
}

// TestMySQLDeprecatedStatements: the log marks what a version accepts
// with a deprecation warning, and nothing on a version that has the
// statement undeprecated.
func TestMySQLDeprecatedStatements(t *testing.T) {
	for _, tc := range []struct {
		version string
		sql     string
		want    bool
	}{
		{"5.7.28-log", "SHOW SLAVE STATUS", false},
		{"5.7.28-log", "SELECT @@log_slave_updates", false},
		{"8.0.36", "SHOW SLAVE STATUS", true},
		{"8.0.36", "SHOW REPLICA STATUS", false},
		{"8.0.36", "SHOW MASTER STATUS", false},
		{"8.0.36", "SELECT @@log_slave_updates", true},
		{"8.0.36", "SELECT @@log_replica_updates", false},
		{"8.4.3", "SELECT @@log_slave_updates", true},
		{"8.4.3", "SHOW BINARY LOG STATUS", false},
	} {
		f := startMySQL(t, tc.version, 3)
		c := openSim(t, f.Clusters()[0][1])
		rows, err := c.QueryContext(context.Background(), tc.sql)
		if err != nil {
			t.Fatalf("%s on %s: %v", tc.sql, tc.version, err)
		}
		_ = rows.Close()
		log, err := f.Statements()
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(log, func(s Statement) bool { return s.SQL == tc.sql })
		if i < 0 || log[i].Deprecated != tc.want {
			t.Errorf("%s on %s: logged %+v, want deprecated %v", tc.sql, tc.version, log, tc.want)
		}
	}
}
