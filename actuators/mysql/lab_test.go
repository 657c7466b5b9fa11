package mysql_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/actuators/contract"
	"github.com/regent-ha/regent/actuators/mysql"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/mysqlconn"
	"github.com/regent-ha/regent/test/lab"
)

// labEnv builds the contract's Env on a 3-host lab. The DBs are closed by
// the test's cleanup.
func labEnv(t testing.TB, l *lab.Lab) contract.Env {
	db := newDB(t, mysql.Options{Conn: mysqlconn.Options{User: "regent", Password: "regent"}})
	noRO := newDB(t, mysql.Options{Conn: mysqlconn.Options{User: "regent_noro", Password: "regent"}})
	exec := func(i int, q string) error { _, err := l.SQL(i, q); return err }
	env := contract.Env{
		DB: db, NoReadOnlyAdmin: noRO,
		Repl: actuators.Credentials{User: "repl", Password: "repl"},
		Write: func(i int, id int64) error {
			return exec(i, fmt.Sprintf("INSERT INTO regent_lab.acked (id, written_at) VALUES (%d, NOW(6))", id))
		},
		WriteLocal: func(i int, id int64) error {
			return exec(i, fmt.Sprintf("SET SESSION sql_log_bin=0; INSERT INTO regent_lab.acked (id, written_at) VALUES (%d, NOW(6)); SET SESSION sql_log_bin=1", id))
		},
		DeleteLocal: func(i int, id int64) error {
			return exec(i, fmt.Sprintf("SET SESSION sql_log_bin=0; DELETE FROM regent_lab.acked WHERE id=%d; SET SESSION sql_log_bin=1", id))
		},
		Has: func(i int, id int64) (bool, error) {
			rows, err := l.SQL(i, fmt.Sprintf("SELECT COUNT(*) FROM regent_lab.acked WHERE id=%d", id))
			if err != nil {
				return false, err
			}
			return len(rows) == 1 && rows[0][0] == "1", nil
		},
		ReplicaSession: func(i int) (string, error) {
			rows, err := l.SQL(i, "SELECT GROUP_CONCAT(ID ORDER BY ID) FROM information_schema.PROCESSLIST WHERE COMMAND IN ('Slave_IO', 'Slave_SQL')")
			if err != nil || len(rows) != 1 {
				return "", fmt.Errorf("read replication threads: %v (%d rows)", err, len(rows))
			}
			return rows[0][0], nil
		},
		KillHost: func(i int) { l.Kill(i) },
	}
	for i := range env.Keys {
		env.Keys[i] = key(l, i+1)
	}
	return env
}

func key(l *lab.Lab, i int) events.InstanceKey {
	return events.InstanceKey{Hostname: l.Host(i).IP, Port: 3306}
}

// TestLabContract runs the actuator contract against real MariaDB.
func TestLabContract(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3})
	contract.RunDBContract(t, labEnv(t, l))
}

// TestLabHeartbeatAndRetry checks that ChangeSource sets the heartbeat
// period (failure detection relies on it) and the connect retry.
func TestLabHeartbeatAndRetry(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3})
	db := newDB(t, mysql.Options{Conn: mysqlconn.Options{User: "regent", Password: "regent"}, HeartbeatPeriod: 250 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.ChangeSource(ctx, key(l, 3), key(l, 2), actuators.SlavePos, nil); err != nil {
		t.Fatal(err)
	}
	var host, retry, gtid string
	rows := l.MustSQL(3, "SHOW SLAVE STATUS")
	if len(rows) != 1 {
		t.Fatalf("SHOW SLAVE STATUS on host 3: %d rows", len(rows))
	}
	// Columns: Slave_IO_State, Master_Host, Master_User, Master_Port, Connect_Retry, …
	host, retry, gtid = rows[0][1], rows[0][4], ""
	for _, v := range rows[0] {
		if v == "Slave_Pos" {
			gtid = v
		}
	}
	if host != "198.18.0.2" || retry != "1" || gtid != "Slave_Pos" {
		t.Errorf("after ChangeSource: host %q connect retry %q using gtid %q", host, retry, gtid)
	}
	hb := l.MustSQL(3, "SHOW GLOBAL STATUS LIKE 'Slave_heartbeat_period'")
	if len(hb) != 1 || hb[0][1] != "0.250" {
		t.Errorf("Slave_heartbeat_period %q, want 0.250", hb)
	}
}

// BenchmarkSetReadOnlyNoop measures SetReadOnly to the current value: one
// read of @@read_only on a pooled connection.
func BenchmarkSetReadOnlyNoop(b *testing.B) {
	l := lab.Up(b, lab.Options{Hosts: 2})
	db := newDB(b, mysql.Options{Conn: mysqlconn.Options{User: "regent", Password: "regent"}})
	ctx := context.Background()
	k := key(l, 2)
	if err := db.SetReadOnly(ctx, k, true); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := db.SetReadOnly(ctx, k, true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPromoteLab measures the promote flow of a replica (stop IO, wait
// for the relay log, stop, reset, clear read_only); between iterations the
// replica is put back under host 1, outside the timer.
func BenchmarkPromoteLab(b *testing.B) {
	l := lab.Up(b, lab.Options{Hosts: 2})
	db := newDB(b, mysql.Options{Conn: mysqlconn.Options{User: "regent", Password: "regent"}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p, r := key(l, 1), key(l, 2)
	repl := &actuators.Credentials{User: "repl", Password: "repl"}
	for b.Loop() {
		b.StopTimer()
		if err := demote(ctx, db, r, p, repl); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := promote(ctx, db, r); err != nil {
			b.Fatal(err)
		}
	}
}

func promote(ctx context.Context, db *mysql.DB, k events.InstanceKey) error {
	steps := []func() error{
		func() error { return db.StopReplicaIO(ctx, k) },
		func() error { return db.WaitRelayApplied(ctx, k) },
		func() error { return db.StopReplica(ctx, k) },
		func() error { return db.ResetReplica(ctx, k) },
		func() error { return db.SetReadOnly(ctx, k, false) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// demote makes k a running read-only replica of p again.
func demote(ctx context.Context, db *mysql.DB, k, p events.InstanceKey, repl *actuators.Credentials) error {
	if err := db.SetReadOnly(ctx, k, true); err != nil {
		return err
	}
	if err := db.ChangeSource(ctx, k, p, actuators.SlavePos, repl); err != nil {
		return err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		st, err := db.Status(ctx, k)
		if err != nil {
			return err
		}
		if st.IORunning && st.SQLRunning {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return errors.New("demoted replica did not start replicating within 10 s")
}

// TestLabDivergedOldPrimary: a former primary whose last write never
// reached the new primary cannot replicate from it: ChangeSource succeeds as
// a statement, but the IO thread stops (error 1236) and Status says so. The
// fake models the same (actuators/fake TestDivergedOldPrimary).
func TestLabDivergedOldPrimary(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 2})
	env := labEnv(t, l)
	db := env.DB
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, r := key(l, 1), key(l, 2)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(env.Write(1, 1))
	must(db.WaitGTID(ctx, r, statusOf(t, db, p).GTIDBinlogPos))
	must(db.StopReplica(ctx, r))
	must(env.Write(1, 2)) // lost: host 2 never gets it
	must(db.ResetReplica(ctx, r))
	must(db.SetReadOnly(ctx, r, false))
	must(env.Write(2, 3))
	must(db.SetReadOnly(ctx, p, true))
	must(db.ChangeSource(ctx, p, r, actuators.CurrentPos, &env.Repl))
	lab.Eventually(t, 10*time.Second, 20*time.Millisecond, func() error {
		rows, err := l.SQL(1, "SHOW SLAVE STATUS")
		if err != nil || len(rows) != 1 {
			return fmt.Errorf("slave status: %v", err)
		}
		if rows[0][10] != "No" { // Slave_IO_Running
			return fmt.Errorf("IO thread %q", rows[0][10])
		}
		return nil
	})
	st := statusOf(t, db, p)
	if st.IORunning || st.Source != r {
		t.Fatalf("diverged old primary: io %v source %v", st.IORunning, st.Source)
	}
	if ok, err := env.Has(1, 3); err != nil || ok {
		t.Fatalf("diverged old primary applied the new primary's write: %v %v", ok, err)
	}
}

func statusOf(t *testing.T, db actuators.DB, k events.InstanceKey) actuators.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := db.Status(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
