package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/lab"
)

// semiTakeoverConf: every server has semi-sync priority 1, the legacy
// replica rule (every replica with a priority ACKs), replicas discovered
// from the processlist (so that a topology user without REPLICATION MASTER
// ADMIN is still probed: only SHOW SLAVE HOSTS needs it, docs/lab.md).
const semiTakeoverConf = `"DetectSemiSyncEnforcedQuery": "SELECT 1", "DiscoverByShowSlaveHosts": false,`

// semiSides is one host's two semi-sync switches as "source/replica",
// e.g. "ON/OFF".
func semiSides(l *lab.Lab, i int) string {
	return labGlobal(l, i, "rpl_semi_sync_master_enabled", false) + "/" + labGlobal(l, i, "rpl_semi_sync_slave_enabled", false)
}

// wantSemiSides checks the semi-sync switches of hosts 1..3 (index 0 is
// host 1) against want, reporting every difference.
func wantSemiSides(t *testing.T, l *lab.Lab, when string, want [3]string) {
	t.Helper()
	for i, w := range want {
		if got := semiSides(l, i+1); got != w {
			t.Errorf("%s: host %d semi-sync source/replica %s, want %s", when, i+1, got, w)
		}
	}
}

// waitSemiClients waits until host i's source side has status ON and n
// semi-sync clients.
func waitSemiClients(t *testing.T, l *lab.Lab, i int, n string) {
	t.Helper()
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		if s, c := labGlobal(l, i, "Rpl_semi_sync_master_status", true), labGlobal(l, i, "Rpl_semi_sync_master_clients", true); s != "ON" || c != n {
			return fmt.Errorf("host %d semi-sync status %s, clients %s; want ON, %s", i, s, c, n)
		}
		return nil
	})
}

// semiTakeover runs cmd (graceful-master-takeover-auto, or
// graceful-master-takeover followed by start-replica on the demoted
// primary) from host `from` to host `to` under a write load through the VIP (lab.StartWriteLoad) watched by
// the oracle, waits until the lab converged on `to`, and checks that every
// acknowledged write is on every host and the oracle's invariants with
// `recoveries` recoveries in the log. It returns the client's wall time.
func semiTakeover(t *testing.T, l *lab.Lab, bin, cmd string, from, to, recoveries int) time.Duration {
	t.Helper()
	o := l.Oracle()
	o.Watch()
	load := l.StartWriteLoad(lab.VIPTarget, 10*time.Second)
	if err := load.WaitAcked(20, 10*time.Second); err != nil { // writes flow through the VIP before
		t.Fatal(err)
	}
	before, _ := load.Acked()
	start := time.Now()
	out := mustClient(t, bin, "-c", cmd, "-a", fmt.Sprintf("198.18.0.%d:3306", from), "-d", fmt.Sprintf("198.18.0.%d:3306", to))
	took := time.Since(start)
	if out != fmt.Sprintf("198.18.0.%d:3306", to) {
		t.Fatalf("%s printed %q, want the successor 198.18.0.%d:3306", cmd, out, to)
	}
	if cmd == "graceful-master-takeover" {
		if st := l.Status()[from-1]; st.Source != fmt.Sprintf("198.18.0.%d", to) || st.IORunning == "Yes" {
			t.Errorf("demoted host %d after %s: %s, want pointed at host %d, replication stopped", from, cmd, st, to)
		}
		if out := mustClient(t, bin, "-c", "start-replica", "-i", fmt.Sprintf("198.18.0.%d:3306", from)); out != fmt.Sprintf("198.18.0.%d:3306", from) {
			t.Fatalf("start-replica printed %q", out)
		}
	}
	lab.Eventually(t, 10*time.Second, 20*time.Millisecond, func() error {
		p, err := converged(l, 0)
		if err == nil && p != to {
			return fmt.Errorf("converged on host %d, want %d", p, to)
		}
		return err
	})
	acked, err := load.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(acked) <= len(before)+20 {
		t.Fatalf("%d writes acknowledged, %d of them before the takeover: the load did not go on through the VIP on host %d", len(acked), len(before), to)
	}
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		for h := 1; h <= 3; h++ {
			have, err := l.IDs(h)
			if err != nil {
				return err
			}
			for _, id := range acked {
				if !have[id] {
					return fmt.Errorf("acknowledged write %d is not on host %d", id, h)
				}
			}
		}
		return nil
	})
	o.StopWatch()
	rep := o.CheckInvariants(lab.Expect{Primary: to, Acked: acked, CatchUp: 10 * time.Second, Incidents: recoveries,
		Recoveries: func() (int, error) {
			counts, _ := eventKinds(t, "198.18.0.101:4222")
			return counts[events.KindRecoveryStarted], nil
		}})
	if !rep.OK() {
		t.Fatalf("oracle after the takeover %d→%d:\n%s", from, to, rep)
	}
	t.Logf("%s %d→%d: client returned after %s; %d writes acknowledged (%d before the takeover), every one on every host",
		cmd, from, to, took.Round(time.Millisecond), len(acked), len(before))
	return took
}

// labTakeoverRecovery waits until the log holds n recoveries, all
// completed, and returns the last one's start and completion and its steps
// (in log order); the last one's events were written by the leader.
func labTakeoverRecovery(t *testing.T, c *labCluster, n int) (events.RecoveryStarted, events.RecoveryCompleted, []events.RecoveryStep) {
	t.Helper()
	leader, _ := labFollower(t, c)
	var started events.RecoveryStarted
	var completed events.RecoveryCompleted
	var steps []events.RecoveryStep
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		counts, all := eventKinds(t, "198.18.0.101:4222")
		if counts[events.KindRecoveryStarted] != n || counts[events.KindRecoveryCompleted] != n || counts[events.KindRecoveryFailed] != 0 {
			return fmt.Errorf("recoveries in the log: %v, want %d started and completed", counts, n)
		}
		steps = nil
		for _, e := range all {
			switch e.Kind {
			case events.KindRecoveryStarted:
				if err := e.Decode(&started); err != nil {
					return err
				}
				steps = nil
			case events.KindRecoveryCompleted:
				if err := e.Decode(&completed); err != nil {
					return err
				}
			case events.KindRecoveryStep:
				var s events.RecoveryStep
				if err := e.Decode(&s); err != nil {
					return err
				}
				steps = append(steps, s)
			default:
				continue
			}
			host, _, _ := strings.Cut(e.Origin, ":") // the node's Raft address
			if e.Kind != events.KindRecoveryStep && !strings.Contains(leader, "//"+host+":") {
				return fmt.Errorf("%s written by %s, not by the leader %s", e.Kind, e.Origin, leader)
			}
		}
		if completed.RecoveryID != started.RecoveryID {
			return fmt.Errorf("the last recovery %s has not completed (last completed %s)", started.RecoveryID, completed.RecoveryID)
		}
		return nil
	})
	var line []string
	for _, s := range steps {
		line = append(line, fmt.Sprintf("%s=%s(%s)", s.Step, s.Outcome, s.Took.Round(time.Millisecond)))
	}
	t.Logf("recovery %s (%s) of %s completed in %s, successor %s; steps: %s", started.RecoveryID, started.Type, started.Failed,
		completed.Took.Round(time.Millisecond), completed.Successor, strings.Join(line, ", "))
	return started, completed, steps
}

// stepNamed is the step of steps named name (zero when none) and its index.
func stepNamed(steps []events.RecoveryStep, name string) (events.RecoveryStep, int) {
	i := slices.IndexFunc(steps, func(s events.RecoveryStep) bool { return s.Step == name })
	if i < 0 {
		return events.RecoveryStep{}, -1
	}
	return steps[i], i
}

// TestLabGracefulTakeoverMovesSemiSync: three Regent nodes, MariaDB 10.11,
// every server with semi-sync priority 1 (legacy rule). Before: host 1, the
// primary, has the source side on, hosts 2 and 3 the replica side on; host
// 1 has two semi-sync clients. graceful-master-takeover-auto 1→2 under a
// write load through the VIP: host 2 turns its source side on before it is
// promoted, host 3 keeps its replica side on, the demoted host 1 turns its
// source side off and its replica side on and replicates from host 2, which
// then has two semi-sync clients and status ON. No acknowledged write is
// lost (each is on every host), and the log holds one recovery, completed,
// written by the leader, each semi-sync step ok.
//
// Then the plain form, graceful-master-takeover 2→3 and start-replica on
// host 2 (semiPlainTakeover), and the failure docs/recovery.md describes:
// host 1's topology user loses REPLICATION MASTER ADMIN (so SET GLOBAL
// rpl_semi_sync_master_enabled fails with error 1227), and a takeover
// 3→1: its step
// "semi-sync 198.18.0.1:3306" is failed with the error, the promotion goes
// on (unlike orchestrator, whose SetReadOnly would return before clearing
// read_only), host 1 is the writable primary with the source side still
// off, its writes asynchronous, and none of the acknowledged writes is lost.
func TestLabGracefulTakeoverMovesSemiSync(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3})
	l.VIPAdd(1)
	bin := buildClient(t)
	c := startLabCluster(t, l, 3, recoveryConf(t, l, filepath.Join(t.TempDir(), "hooks.log"), semiTakeoverConf))
	discoverLab(t, c)
	l.MustSQL(1, "SET GLOBAL rpl_semi_sync_master_enabled = ON")
	for h := 2; h <= 3; h++ {
		l.MustSQL(h, "SET GLOBAL rpl_semi_sync_slave_enabled = ON; STOP SLAVE IO_THREAD; START SLAVE IO_THREAD")
	}
	wantSemiSides(t, l, "before", [3]string{"ON/OFF", "OFF/ON", "OFF/ON"})
	waitSemiClients(t, l, 1, "2")
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		for h := 1; h <= 3; h++ {
			code, v := c.api(t, 0, fmt.Sprintf("/api/instance/198.18.0.%d/3306", h))
			if m, _ := v.(map[string]any); code != 200 || m["SemiSyncPriority"] != float64(1) {
				return fmt.Errorf("host %d not yet seen with semi-sync priority 1: %d %v", h, code, m["SemiSyncPriority"])
			}
		}
		return nil
	})
	yes := labGlobal(l, 1, "Rpl_semi_sync_master_yes_tx", true)
	semiTakeover(t, l, bin, "graceful-master-takeover-auto", 1, 2, 1)
	t.Logf("host 1 semi-sync acknowledged transactions: %s before the load, %s after the takeover", yes, labGlobal(l, 1, "Rpl_semi_sync_master_yes_tx", true))
	// The promoted host's replica side is left as it was (orchestrator's
	// SetReadOnly(false) sets the source side only): inert on a primary.
	wantSemiSides(t, l, "after 1→2", [3]string{"OFF/ON", "ON/ON", "OFF/ON"})
	waitSemiClients(t, l, 2, "2")
	t.Logf("host 2 after the takeover: semi-sync acknowledged transactions %s, unacknowledged %s",
		labGlobal(l, 2, "Rpl_semi_sync_master_yes_tx", true), labGlobal(l, 2, "Rpl_semi_sync_master_no_tx", true))
	if st := l.Status(); st[0].Source != "198.18.0.2" || !st[0].Replicating() || !st[0].ReadOnly {
		t.Errorf("demoted host 1: %s, want a read-only replica of host 2", st[0])
	}
	started, completed, steps := labTakeoverRecovery(t, c, 1)
	if started.Type != events.RecoveryGracefulMasterTakeoverAuto || !started.Manual || completed.Successor.String() != "198.18.0.2:3306" {
		t.Errorf("recovery %+v → %+v: want a manual GracefulMasterTakeoverAuto to 198.18.0.2:3306", started, completed)
	}
	semi2, i2 := stepNamed(steps, "semi-sync 198.18.0.2:3306")
	_, promote := stepNamed(steps, "promote")
	if semi2.Outcome != events.StepOK || i2 > promote {
		t.Errorf("successor's semi-sync step %+v at %d, promote at %d: want ok, before promote", semi2, i2, promote)
	}
	for _, h := range []string{"198.18.0.3:3306", "198.18.0.1:3306"} {
		if s, _ := stepNamed(steps, "semi-sync "+h); s.Outcome != events.StepOK {
			t.Errorf("semi-sync step of %s: %+v, want ok", h, s)
		}
	}
	semiPlainTakeover(t, l, c, bin)
	semiSourceFails(t, l, c, bin)
}

// semiPlainTakeover: graceful-master-takeover 2→3 leaves the demoted host
// 2 pointed at host 3 with replication stopped; its replica side was set
// by the takeover already (Regent's start-replica does not touch
// semi-sync), so after start-replica it ACKs: host 3 has two semi-sync
// clients.
func semiPlainTakeover(t *testing.T, l *lab.Lab, c *labCluster, bin string) {
	t.Helper()
	semiTakeover(t, l, bin, "graceful-master-takeover", 2, 3, 2)
	wantSemiSides(t, l, "after 2→3", [3]string{"OFF/ON", "OFF/ON", "ON/ON"})
	waitSemiClients(t, l, 3, "2")
	_, _, steps := labTakeoverRecovery(t, c, 2)
	for _, h := range []string{"198.18.0.3:3306", "198.18.0.1:3306", "198.18.0.2:3306"} {
		if s, _ := stepNamed(steps, "semi-sync "+h); s.Outcome != events.StepOK {
			t.Errorf("semi-sync step of %s: %+v, want ok", h, s)
		}
	}
}

// semiSourceFails is the second half of TestLabGracefulTakeoverMovesSemiSync:
// the successor's source side cannot be set.
func semiSourceFails(t *testing.T, l *lab.Lab, c *labCluster, bin string) {
	t.Helper()
	// Not binlogged: a grant change on one replica must not become errant.
	// A connected session keeps its global privileges: end the topology
	// user's sessions so that Regent's next connections lack it.
	l.MustSQL(1, "SET SESSION sql_log_bin = 0; REVOKE REPLICATION MASTER ADMIN ON *.* FROM 'regent'@'%'; KILL USER regent")
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		code, v := c.api(t, 0, "/api/instance/198.18.0.1/3306")
		if m, _ := v.(map[string]any); code != 200 || m["IsLastCheckValid"] != true {
			return fmt.Errorf("host 1 not yet probed again: %d %v", code, m["IsLastCheckValid"])
		}
		return nil
	})
	semiTakeover(t, l, bin, "graceful-master-takeover-auto", 3, 1, 3)
	started, completed, steps := labTakeoverRecovery(t, c, 3)
	if started.Type != events.RecoveryGracefulMasterTakeoverAuto || completed.Successor.String() != "198.18.0.1:3306" {
		t.Errorf("recovery %+v → %+v: want GracefulMasterTakeoverAuto to 198.18.0.1:3306, completed", started, completed)
	}
	semi1, i1 := stepNamed(steps, "semi-sync 198.18.0.1:3306")
	promote, ip := stepNamed(steps, "promote")
	if semi1.Outcome != events.StepFailed || !strings.Contains(semi1.Error, "REPLICATION MASTER ADMIN") || i1 > ip {
		t.Errorf("successor's semi-sync step %+v at %d: want failed naming REPLICATION MASTER ADMIN, before promote at %d", semi1, i1, ip)
	}
	if promote.Outcome != events.StepOK {
		t.Errorf("promote step %+v: want ok (the promotion goes on)", promote)
	}
	t.Logf("failed step: %s: %s", semi1.Step, semi1.Error)
	wantSemiSides(t, l, "after 3→1 without the privilege", [3]string{"OFF/ON", "OFF/ON", "OFF/ON"})
	if s := labGlobal(l, 1, "Rpl_semi_sync_master_status", true); s != "OFF" {
		t.Errorf("host 1 semi-sync status %s, want OFF (its source side could not be set)", s)
	}
	begin := time.Now()
	l.MustSQL(1, "INSERT INTO regent_lab.acked (id) VALUES (300)")
	if took := time.Since(begin); took > time.Second {
		t.Errorf("a write on host 1 took %s: want it asynchronous, not waiting for an ACK", took)
	}
	if st := l.Status(); st[2].Source != "198.18.0.1" || !st[2].Replicating() || st[0].ReadOnly {
		t.Errorf("after 3→1: host 1 %s, host 3 %s; want host 1 writable, host 3 its replica", st[0], st[2])
	}
}
