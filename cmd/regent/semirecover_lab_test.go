package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/lab"
)

// labGlobal is one global variable (SHOW GLOBAL VARIABLES) or, with
// status, one status variable of host i, or the error text.
func labGlobal(l *lab.Lab, i int, name string, status bool) string {
	kind := "VARIABLES"
	if status {
		kind = "STATUS"
	}
	rows, err := l.SQL(i, fmt.Sprintf("SHOW GLOBAL %s LIKE '%s'", kind, name))
	if err != nil || len(rows) != 1 {
		return fmt.Sprintf("(%v %v)", rows, err)
	}
	return rows[0][1]
}

// labAppWrite inserts id into regent_lab.acked on host 1 as the lab's app
// user (no SUPER: read_only applies to it), from controller 1's namespace.
func labAppWrite(l *lab.Lab, id int) error {
	ns, _ := l.Controller(1)
	db, err := lab.OpenFrom(ns, l.Host(1).Addr, "app", "app")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = db.ExecContext(ctx, "INSERT INTO regent_lab.acked (id) VALUES (?)", id)
	return err
}

// labAnalysisOf is the analysis code and structure warnings node i shows
// for instance key (GET /api/replication-analysis).
func labAnalysisOf(c *labCluster, i int, key string) (string, []string, error) {
	code, body, err := httpGet(c.http[i] + "/api/replication-analysis")
	if err != nil || code != 200 {
		return "", nil, fmt.Errorf("replication-analysis: %d %v", code, err)
	}
	var r struct {
		Details []struct {
			AnalyzedInstanceKey struct {
				Hostname string
				Port     int
			}
			Analysis          string
			StructureAnalysis []string
		}
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return "", nil, fmt.Errorf("replication-analysis: %w: %s", err, body)
	}
	for _, a := range r.Details {
		if fmt.Sprintf("%s:%d", a.AnalyzedInstanceKey.Hostname, a.AnalyzedInstanceKey.Port) == key {
			return a.Analysis, a.StructureAnalysis, nil
		}
	}
	return "", nil, fmt.Errorf("no analysis of %s: %s", key, body)
}

// labOneRecovery waits until the log holds exactly one recovery, started
// and completed by the leader, of analysis on 198.18.0.1:3306, and returns
// the recovery's start, its steps and when it started.
func labOneRecovery(t *testing.T, c *labCluster, analysis events.AnalysisCode) (events.RecoveryStarted, []events.RecoveryStep, time.Time) {
	t.Helper()
	leader, _ := labFollower(t, c)
	var started events.RecoveryStarted
	var completed events.RecoveryCompleted
	var steps []events.RecoveryStep
	var at time.Time
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		counts, all := eventKinds(t, "198.18.0.101:4222")
		if counts[events.KindRecoveryStarted] != 1 || counts[events.KindRecoveryCompleted] != 1 || counts[events.KindRecoveryFailed] != 0 {
			return fmt.Errorf("recoveries in the log: %v", counts)
		}
		for _, e := range all {
			host, _, _ := strings.Cut(e.Origin, ":") // the node's Raft address
			if (e.Kind == events.KindRecoveryStarted || e.Kind == events.KindRecoveryCompleted) && !strings.Contains(leader, "//"+host+":") {
				return fmt.Errorf("%s written by %s, not by the leader %s", e.Kind, e.Origin, leader)
			}
			switch e.Kind {
			case events.KindRecoveryStarted:
				if err := e.Decode(&started); err != nil {
					return err
				}
				at = e.Time
			case events.KindRecoveryCompleted:
				if err := e.Decode(&completed); err != nil {
					return err
				}
			}
		}
		if started.Analysis != analysis || started.Failed.String() != "198.18.0.1:3306" {
			return fmt.Errorf("recovery %+v: want %s of 198.18.0.1:3306", started, analysis)
		}
		steps = stepsOf(all)
		return nil
	})
	var line []string
	for _, s := range steps {
		line = append(line, fmt.Sprintf("%s=%s(%s)", s.Step, s.Outcome, s.Took.Round(time.Millisecond)))
	}
	t.Logf("recovery %s (%s) completed in %s, successor %s; steps: %s", started.RecoveryID, started.Type,
		completed.Took.Round(time.Millisecond), completed.Successor, strings.Join(line, ", "))
	if completed.RecoveryID != started.RecoveryID || completed.Successor != started.Failed {
		t.Errorf("recovery-completed %+v: want recovery %s with the primary as successor", completed, started.RecoveryID)
	}
	return started, steps, at
}

// TestLabNonWriteableMasterRecovery: a primary with replicas set
// read_only=1 by hand. With RecoverNonWriteableMaster off the nodes show
// NoWriteableMasterStructureWarning and change nothing: no detection or
// recovery in the log, read_only stays 1, the app's writes are refused.
// With it on (a new cluster on the same servers) the leader detects
// NoWriteableMaster, runs one NonWriteableMasterRecovery whose set-writeable
// step clears read_only, and the app writes again.
func TestLabNonWriteableMasterRecovery(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3})
	c := startLabCluster(t, l, 3, `"RecoverNonWriteableMaster": false,`)
	discoverLab(t, c)
	l.MustSQL(1, "SET GLOBAL read_only = 1")
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		code, structure, err := labAnalysisOf(c, 0, "198.18.0.1:3306")
		if err != nil || code != string(events.AnalysisNoProblem) || !strings.Contains(strings.Join(structure, ","), string(events.NoWriteableMasterStructureWarning)) {
			return fmt.Errorf("analysis of host 1 %q %v %v, want NoProblem with NoWriteableMasterStructureWarning", code, structure, err)
		}
		return nil
	})
	time.Sleep(3 * time.Second) // 15 polls: time for a recovery that must not come
	counts, all := eventKinds(t, "198.18.0.101:4222")
	for _, e := range all {
		var d events.FailureDetected
		if e.Kind == events.KindFailureDetected && e.Decode(&d) == nil && d.Analysis == events.AnalysisNoWriteableMaster {
			t.Errorf("NoWriteableMaster detected with RecoverNonWriteableMaster off: %+v", d)
		}
	}
	if counts[events.KindRecoveryStarted] != 0 {
		t.Errorf("a recovery started with RecoverNonWriteableMaster off: %v", counts)
	}
	if v := labGlobal(l, 1, "read_only", false); v != "ON" {
		t.Errorf("host 1 read_only %s with RecoverNonWriteableMaster off, want ON", v)
	}
	var me *mysql.MySQLError
	if err := labAppWrite(l, 1); !errors.As(err, &me) || me.Number != 1290 {
		t.Errorf("app write on the read-only primary: %v, want error 1290 (--read-only)", err)
	}
	for i := range c.N() {
		c.Stop(i)
	}

	c = startLabCluster(t, l, 3, `"RecoverNonWriteableMaster": true,`)
	set := time.Now()
	discoverLab(t, c)
	lab.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
		if v := labGlobal(l, 1, "read_only", false); v != "OFF" {
			return fmt.Errorf("host 1 read_only %s", v)
		}
		return nil
	})
	t.Logf("host 1 writeable %s after the discover request to the new cluster", time.Since(set).Round(time.Millisecond))
	if err := labAppWrite(l, 2); err != nil {
		t.Errorf("app write on the recovered primary: %v", err)
	}
	started, steps, _ := labOneRecovery(t, c, events.AnalysisNoWriteableMaster)
	if started.Type != events.RecoveryNonWriteableMaster || started.Successor.String() != "198.18.0.1:3306" {
		t.Errorf("recovery %+v: want NonWriteableMasterRecovery with host 1 as successor", started)
	}
	if len(steps) != 1 || steps[0].Step != "set-writeable" || steps[0].Outcome != events.StepOK || steps[0].Target.String() != "198.18.0.1:3306" {
		t.Errorf("steps %+v: want one set-writeable ok on host 1", steps)
	}
	for h := 2; h <= 3; h++ {
		if v := labGlobal(l, h, "read_only", false); v != "ON" {
			t.Errorf("replica %d read_only %s, want ON (only the primary changes)", h, v)
		}
	}
}

// labBlockedWrite runs an INSERT on host 1 as root over its socket, with a
// read timeout long enough to wait for a semi-sync ACK, and reports its
// result on the returned channel. The context bounds it.
func labBlockedWrite(ctx context.Context, t *testing.T, l *lab.Lab) <-chan error {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr = "root", "unix", l.Host(1).Socket
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 2*time.Second, time.Minute, time.Minute
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	done := make(chan error, 1)
	go func() { // owned: ends with ctx at the latest; the test waits for it
		defer db.Close()
		_, err := db.ExecContext(ctx, "INSERT INTO regent_lab.acked (id) VALUES (100)")
		done <- err
	}()
	return done
}

// TestLabLockedSemiSyncMasterRecovery: the primary has the source side of
// semi-sync on with a 10-minute timeout and wait_no_slave on, the replicas
// have the replica side off: a write blocks, waiting for an ACK nobody
// sends. With RecoverLockedSemiSyncMaster the leader detects
// LockedSemiSyncMaster (MariaDB has no wait-count variable: it waits for
// one ACK, probes.TestSemiSyncWaitCount) and runs one
// LockedSemiSyncMasterRecovery that turns the replica side on on one
// replica (the first by name; both have priority 1) and restarts its IO
// thread. The primary then has a semi-sync client and never fell back to
// asynchronous replication; the blocked write completes, acknowledged, long
// before the timeout, released by the ACK of the next write (labReleased:
// the replica already had the waiting transaction, so it never ACKs that
// one itself).
func TestLabLockedSemiSyncMasterRecovery(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3})
	c := startLabCluster(t, l, 3, `"RecoverLockedSemiSyncMaster": true, "DetectSemiSyncEnforcedQuery": "SELECT 1",
  "ReasonableLockedSemiSyncMasterSeconds": 2,`)
	discoverLab(t, c)
	for h := 2; h <= 3; h++ {
		if m, r := labGlobal(l, h, "rpl_semi_sync_master_enabled", false), labGlobal(l, h, "rpl_semi_sync_slave_enabled", false); m != "OFF" || r != "OFF" {
			t.Fatalf("replica %d: semi-sync source side %s, replica side %s; want both OFF", h, m, r)
		}
	}
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		for h := 1; h <= 3; h++ {
			code, v := c.api(t, 0, fmt.Sprintf("/api/instance/198.18.0.%d/3306", h))
			m, _ := v.(map[string]any)
			if code != 200 || m["SemiSyncPriority"] != float64(1) {
				return fmt.Errorf("host %d not yet seen with semi-sync priority 1: %d %v", h, code, m["SemiSyncPriority"])
			}
		}
		return nil
	})
	l.MustSQL(1, "SET GLOBAL rpl_semi_sync_master_timeout = 600000; SET GLOBAL rpl_semi_sync_master_wait_no_slave = ON; "+
		"SET GLOBAL rpl_semi_sync_master_enabled = ON")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	written := time.Now()
	done := labBlockedWrite(ctx, t, l)
	// The write waits for an ACK: the primary is locked.
	lab.Eventually(t, 5*time.Second, 50*time.Millisecond, func() error {
		if w := labGlobal(l, 1, "Rpl_semi_sync_master_wait_sessions", true); w != "1" {
			return fmt.Errorf("semi-sync wait sessions on host 1: %s", w)
		}
		return nil
	})
	select {
	case err := <-done:
		t.Fatalf("the write on the locked primary returned at once (%v): not locked", err)
	default:
	}
	if s, cl := labGlobal(l, 1, "Rpl_semi_sync_master_status", true), labGlobal(l, 1, "Rpl_semi_sync_master_clients", true); s != "ON" || cl != "0" {
		t.Fatalf("host 1 locked with status %s, clients %s; want ON, 0", s, cl)
	}
	started, steps, at := labOneRecovery(t, c, events.AnalysisLockedSemiSyncMaster)
	t.Logf("recovery started %s after the write was sent", at.Sub(written).Round(time.Millisecond))
	labBlockedReasons(t)
	labReleased(t, l, done, written)
	if started.Type != events.RecoveryLockedSemiSyncMaster || len(started.Replicas) != 1 || started.Replicas[0].String() != "198.18.0.2:3306" {
		t.Errorf("recovery %+v: want LockedSemiSyncMasterRecovery enabling 198.18.0.2:3306", started)
	}
	if len(steps) != 1 || steps[0].Step != "enable-semi-sync 198.18.0.2:3306" || steps[0].Outcome != events.StepOK {
		t.Errorf("steps %+v: want one enable-semi-sync 198.18.0.2:3306 ok", steps)
	}
	for _, w := range []struct {
		host       int
		name, want string
		status     bool
	}{
		{2, "rpl_semi_sync_slave_enabled", "ON", false},
		{3, "rpl_semi_sync_slave_enabled", "OFF", false},
		{1, "Rpl_semi_sync_master_clients", "1", true},
		{1, "Rpl_semi_sync_master_status", "ON", true},
		{1, "Rpl_semi_sync_master_no_tx", "0", true},
	} {
		if got := labGlobal(l, w.host, w.name, w.status); got != w.want {
			t.Errorf("host %d %s = %s, want %s", w.host, w.name, got, w.want)
		}
	}
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		if h := l.Status()[1]; !h.Replicating() {
			return fmt.Errorf("host 2 after its IO thread restart: %s", h)
		}
		return nil
	})
}

// labBlockedReasons logs the recovery-blocked events of the log (a
// detection the recovery's own block period held back).
func labBlockedReasons(t *testing.T) {
	t.Helper()
	_, all := eventKinds(t, "198.18.0.101:4222")
	for _, e := range all {
		var b events.RecoveryBlocked
		if e.Kind == events.KindRecoveryBlocked && e.Decode(&b) == nil {
			t.Logf("recovery-blocked %s: %s", e.Time.Format("15:04:05.000"), b.Reason)
		}
	}
}

// TestLabSemiSyncExactRecovery: every host has both sides of semi-sync on
// (lab.EnableSemiSync), so the primary has two semi-sync clients while
// MariaDB waits for one ACK. With EnforceExactSemiSyncReplicas the leader
// detects MasterWithTooManySemiSyncReplicas (only since the probe records
// MariaDB's wait count as 1) and runs one SemiSyncExactRecovery that keeps
// semi-sync on the first replica by name and turns it off on the other;
// the primary then has one client and its writes are still acknowledged.
func TestLabSemiSyncExactRecovery(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3})
	l.EnableSemiSync()
	c := startLabCluster(t, l, 3, `"EnforceExactSemiSyncReplicas": true, "DetectSemiSyncEnforcedQuery": "SELECT 1",`)
	discoverLab(t, c)
	lab.Eventually(t, 20*time.Second, 100*time.Millisecond, func() error {
		if v := labGlobal(l, 3, "rpl_semi_sync_slave_enabled", false); v != "OFF" {
			code, structure, err := labAnalysisOf(c, 0, "198.18.0.1:3306")
			_, inst := c.api(t, 0, "/api/instance/198.18.0.1/3306")
			m, _ := inst.(map[string]any)
			return fmt.Errorf("host 3 rpl_semi_sync_slave_enabled %s; analysis of host 1 %q %v %v; semi-sync enabled %v status %v wait %v clients %v; log: %s",
				v, code, structure, err, m["SemiSyncMasterEnabled"], m["SemiSyncMasterStatus"], m["SemiSyncMasterWaitForReplicaCount"], m["SemiSyncMasterClients"],
				labRecoveryEvents(t))
		}
		return nil
	})
	started, steps, _ := labOneRecovery(t, c, events.AnalysisMasterWithTooManySemiSyncReplicas)
	if started.Type != events.RecoverySemiSyncExact || len(started.Replicas) != 0 ||
		len(started.SemiSyncDisable) != 1 || started.SemiSyncDisable[0].String() != "198.18.0.3:3306" {
		t.Errorf("recovery %+v: want SemiSyncExactRecovery turning semi-sync off on 198.18.0.3:3306 only", started)
	}
	if len(steps) != 1 || steps[0].Step != "disable-semi-sync 198.18.0.3:3306" || steps[0].Outcome != events.StepOK {
		t.Errorf("steps %+v: want one disable-semi-sync 198.18.0.3:3306 ok", steps)
	}
	if v := labGlobal(l, 2, "rpl_semi_sync_slave_enabled", false); v != "ON" {
		t.Errorf("host 2 rpl_semi_sync_slave_enabled %s, want ON", v)
	}
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		if v := labGlobal(l, 1, "Rpl_semi_sync_master_clients", true); v != "1" {
			return fmt.Errorf("host 1 semi-sync clients %s", v)
		}
		return nil
	})
	noTx := labGlobal(l, 1, "Rpl_semi_sync_master_no_tx", true)
	begin := time.Now()
	l.MustSQL(1, "INSERT INTO regent_lab.acked (id) VALUES (200)")
	took := time.Since(begin)
	if after := labGlobal(l, 1, "Rpl_semi_sync_master_no_tx", true); after != noTx || took > 5*time.Second {
		t.Errorf("a write after the recovery took %s, unacknowledged transactions %s → %s: want acknowledged by host 2", took, noTx, after)
	}
	for _, h := range []int{2, 3} {
		if s := l.Status()[h-1]; !s.Replicating() {
			t.Errorf("host %d after the recovery: %s", h, s)
		}
	}
}

// labRecoveryEvents describes the detections, blocks and recoveries of the
// log, for a failure message.
func labRecoveryEvents(t *testing.T) string {
	t.Helper()
	counts, all := eventKinds(t, "198.18.0.101:4222")
	out := []string{fmt.Sprint(counts)}
	for _, e := range all {
		switch e.Kind {
		case events.KindFailureDetected, events.KindRecoveryBlocked, events.KindRecoveryFailed:
			out = append(out, fmt.Sprintf("%s %s", e.Kind, e.Payload))
		}
	}
	return strings.Join(out, "; ")
}

// labReleased waits for the blocked write (done, sent at written) after the
// recovery. The waiting transaction is on both replicas already (they
// replicate asynchronously): the restarted IO thread asks for what follows
// it, so nothing ACKs it. The ACK of the next transaction acknowledges
// everything before it and releases the waiting commit too.
func labReleased(t *testing.T, l *lab.Lab, done <-chan error, written time.Time) {
	t.Helper()
	select {
	case err := <-done:
		t.Logf("the blocked write returned (%v) %s after it was sent, before any other write", err, time.Since(written).Round(time.Millisecond))
		if err != nil {
			t.Fatalf("the blocked write failed: %v", err)
		}
	case <-time.After(time.Second):
		next := time.Now()
		l.MustSQL(1, "INSERT INTO regent_lab.acked (id) VALUES (101)")
		acked := time.Since(next)
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("the blocked write failed: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the blocked write is still blocked 10 s after the next write was acknowledged")
		}
		t.Logf("the blocked write stayed blocked after the recovery; the next write was acknowledged in %s and released it %s after it was sent",
			acked.Round(time.Millisecond), time.Since(written).Round(time.Millisecond))
		if acked > 5*time.Second {
			t.Errorf("the next write took %s: not acknowledged by host 2 but timed out?", acked)
		}
	}
}
