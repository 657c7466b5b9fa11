package mysql_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/actuators/mysql"
	"github.com/regent-ha/regent/mysqlconn"
	"github.com/regent-ha/regent/test/lab"
)

// TestLabReplicationControls checks the operator controls' edge cases on
// real MariaDB: a second SetSemiSync changes nothing (the IO thread is not
// restarted again), DelayReplication keeps a replica whose SQL thread alone
// runs that way, SkipQuery and PurgeBinaryLogs refuse with Precondition
// errors and change nothing.
func TestLabReplicationControls(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 2})
	db := newDB(t, mysql.Options{Conn: mysqlconn.Options{User: "regent", Password: "regent"}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, r := key(l, 1), key(l, 2)
	threads := func() string {
		return l.MustSQL(2, "SELECT IFNULL(GROUP_CONCAT(ID ORDER BY ID), '') FROM information_schema.PROCESSLIST WHERE COMMAND IN ('Slave_IO', 'Slave_SQL')")[0][0]
	}
	precond := func(what string, err error, want string) {
		t.Helper()
		var ae *actuators.Error
		if !errors.As(err, &ae) || ae.Kind != actuators.Precondition || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: %v, want a Precondition error containing %q", what, err, want)
		}
	}

	if err := db.SetSemiSync(ctx, r, false, true); err != nil {
		t.Fatal(err)
	}
	lab.Eventually(t, 5*time.Second, 50*time.Millisecond, func() error {
		if st := statusOf(t, db, r); !st.IORunning || !st.SQLRunning {
			return errors.New("replica not running again after the IO thread restart")
		}
		return nil
	})
	before := threads()
	if err := db.SetSemiSync(ctx, r, false, true); err != nil {
		t.Fatal(err)
	}
	if after := threads(); after != before {
		t.Fatalf("SetSemiSync to the current value restarted replication: threads %q, then %q", before, after)
	}
	if err := db.SetSemiSync(ctx, r, false, false); err != nil {
		t.Fatal(err)
	}

	precond("SkipQuery on a running replica", db.SkipQuery(ctx, r), "SQL thread is running")
	precond("SkipQuery on the primary", db.SkipQuery(ctx, p), "no source configured")
	precond("PurgeBinaryLogs of an unknown log", db.PurgeBinaryLogs(ctx, p, "nosuch.000001"), `no binary log "nosuch.000001"`)
	precond("DelayReplication on the primary", db.DelayReplication(ctx, p, 5), "no source configured")

	// The SQL thread alone runs: it still does after the change, the IO
	// thread stays stopped.
	if err := db.StopReplicaIO(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := db.DelayReplication(ctx, r, 3); err != nil {
		t.Fatal(err)
	}
	st := l.MustSQL(2, "SHOW SLAVE STATUS")[0]
	if st[10] != "No" || st[11] != "Yes" { // Slave_IO_Running, Slave_SQL_Running
		t.Fatalf("after DelayReplication with the SQL thread alone running: IO %q SQL %q", st[10], st[11])
	}
	if err := db.DelayReplication(ctx, r, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.StartReplica(ctx, r); err != nil {
		t.Fatal(err)
	}
}
