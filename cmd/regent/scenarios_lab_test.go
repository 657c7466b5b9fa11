package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/test/lab"
)

// failoverLab brings up the lab (semi-sync, VIP on host 1) and a 3-node
// Regent cluster with automated recovery, and discovers the topology.
func failoverLab(t testing.TB, extra string) (*lab.Lab, *labCluster, string) {
	t.Helper()
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3})
	l.EnableSemiSync()
	l.VIPAdd(1)
	hookLog := filepath.Join(t.TempDir(), "hooks.log")
	c := startLabCluster(t, l, 3, recoveryConf(t, l, hookLog, extra))
	discoverLab(t, c)
	return l, c, hookLog
}

// analyses returns the analysis codes of the failure-detected events and
// the recovery counts of the log.
func analyses(t testing.TB) ([]string, map[events.Kind]int) {
	t.Helper()
	counts, all := eventKinds(t, "198.18.0.101:4222")
	var codes []string
	for _, e := range all {
		var f events.FailureDetected
		if e.Kind == events.KindFailureDetected && e.Decode(&f) == nil {
			codes = append(codes, string(f.Analysis)+"@"+f.Failed.String())
		}
	}
	return codes, counts
}

// TestLabControllersOnlyThenIsolation: first the Regent nodes alone lose
// the primary (its replicas still replicate): UnreachableMaster, no
// failover. Then the primary is cut off from everyone: it is dead, a
// replica is promoted; when the old primary comes back it is fenced.
func TestLabControllersOnlyThenIsolation(t *testing.T) {
	l, _, _ := failoverLab(t, "")
	for _, cn := range []string{"c1", "c2", "c3"} {
		l.Cut(cn, "1")
	}
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		codes, _ := analyses(t)
		if !strings.Contains(strings.Join(codes, " "), string(events.AnalysisUnreachableMaster)+"@198.18.0.1:3306") {
			return fmt.Errorf("no UnreachableMaster yet: %v", codes)
		}
		return nil
	})
	time.Sleep(3 * time.Second) // hold the outage: no failover may happen
	if _, counts := analyses(t); counts[events.KindRecoveryStarted] != 0 {
		t.Fatalf("a controllers-only outage started a recovery: %v", counts)
	}
	if st := l.Status(); st[0].ReadOnly || !st[1].ReadOnly || !st[2].ReadOnly {
		t.Fatalf("topology changed during a controllers-only outage: %+v", st)
	}
	for _, cn := range []string{"c1", "c2", "c3"} {
		l.Uncut(cn, "1")
	}
	// Regent sees host 1 again: the UnreachableMaster detection is cleared.
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		_, all := eventKinds(t, "198.18.0.101:4222")
		for _, e := range all {
			var c events.FailureCleared
			if e.Kind == events.KindFailureCleared && e.Decode(&c) == nil && c.Failed.String() == "198.18.0.1:3306" {
				return nil
			}
		}
		return fmt.Errorf("UnreachableMaster on 198.18.0.1:3306 not cleared yet")
	})
	o := l.Oracle()
	o.Watch()
	w := l.StartWriter(20*time.Millisecond, time.Minute)
	if err := w.WaitAcked(10, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	l.Partition(1)
	cut := time.Now()
	var primary int
	lab.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
		var err error
		primary, err = converged(l, 1)
		return err
	})
	t.Logf("isolation: converged on host %d %s after the partition", primary, time.Since(cut).Round(time.Millisecond))
	logDetection(t, cut)
	if err := w.WaitAckedAfter(time.Now(), 10*time.Second); err != nil { // writes flow through the new primary
		t.Fatal(err)
	}
	wr := w.Result()
	t.Logf("isolation: %d writes acknowledged through the VIP, longest gap %s", len(wr.Acked), wr.Refused.Round(time.Millisecond))
	// Taken before the heal: the host is reachable again while Heal runs,
	// and a sample answered then already belongs to the time after it.
	healed := time.Now()
	l.Heal(1)
	lab.Eventually(t, 10*time.Second, 20*time.Millisecond, func() error { return l.Fenced(1) })
	t.Logf("old primary fenced %s after the heal", time.Since(healed).Round(time.Millisecond))
	o.StopWatch()
	rep := o.CheckInvariants(lab.Expect{Primary: primary, Acked: wr.Acked, Survivors: []int{2, 3}, CatchUp: 10 * time.Second,
		Recoveries: func() (int, error) { _, c := analyses(t); return c[events.KindRecoveryStarted], nil }, Incidents: 1})
	// While the old primary is cut off no client can reach it. Once the
	// partition heals it is writable until Regent fences it: the oracle
	// sees that window as two writable hosts. It must be short, and
	// nothing else may be wrong.
	// Watch's windows are real intervals (proven overlaps of per-host
	// samples), so their total after the heal is the double-writable time.
	var afterHeal time.Duration
	for _, v := range rep.Violations {
		if v.Rule == lab.RuleOneWritable && !v.At.Before(healed) {
			afterHeal += v.Span()
			continue
		}
		t.Errorf("oracle: %+v", v)
	}
	t.Logf("returning old primary writable next to the new one for %s after the heal", afterHeal.Round(time.Millisecond))
	if afterHeal >= time.Second {
		t.Errorf("returning old primary writable next to the new one for %s after the heal, want < 1s: %s", afterHeal, rep)
	}
}

// TestLabPausedPrimary: SIGSTOP on the primary is a failure (its probes
// time out and its replicas' IO stalls); after SIGCONT the old primary is
// fenced: read-only and without the VIP.
func TestLabPausedPrimary(t *testing.T) {
	l, _, _ := failoverLab(t, "")
	paused := time.Now() // before SIGSTOP: detection cannot come earlier
	l.Pause(1)
	var primary int
	lab.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
		var err error
		primary, err = converged(l, 1)
		return err
	})
	t.Logf("paused: converged on host %d %s after SIGSTOP", primary, time.Since(paused).Round(time.Millisecond))
	logDetection(t, paused)
	detected, ok := detectedAfter(t, paused)
	if !ok || detected > pausedDetectionBound {
		t.Errorf("paused primary detected after %v (found %v), want within %v", detected, ok, pausedDetectionBound)
	}
	l.Resume(1)
	resumed := time.Now()
	lab.Eventually(t, 10*time.Second, 10*time.Millisecond, func() error { return l.Fenced(1) })
	t.Logf("old primary fenced %s after SIGCONT", time.Since(resumed).Round(time.Millisecond))
	if _, counts := analyses(t); counts[events.KindRecoveryStarted] != 1 || counts[events.KindRecoveryCompleted] != 1 {
		t.Fatalf("recoveries: %v", counts)
	}
	// The stops run in parallel and are recorded after; each step still
	// carries the time it took: on a hung primary MariaDB's semi-sync
	// replica waits rpl_semi_sync_slave_kill_conn_timeout (1 s) in STOP.
	_, all := eventKinds(t, "198.18.0.101:4222")
	found := false
	for _, s := range stepsOf(all) {
		if s.Step != "stop-io" {
			continue
		}
		found = true
		if s.Outcome != events.StepOK || s.Took < 500*time.Millisecond {
			t.Errorf("successor's stop-io: %s after %s (%s); want ok after the semi-sync kill-connection wait", s.Outcome, s.Took, s.Detail)
		}
	}
	if !found {
		t.Error("no stop-io step recorded")
	}
}

// TestLabNoReadOnlyAdmin: a topology user without READ_ONLY ADMIN cannot
// promote on MariaDB 10.11: the recovery is recorded as failed (never as a
// success) and PostUnsuccessfulFailoverProcesses runs.
func TestLabNoReadOnlyAdmin(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3})
	hookLog := filepath.Join(t.TempDir(), "hooks.log")
	conf := recoveryConf(t, l, hookLog, `"MySQLTopologyUser": "regent_noro", "MySQLTopologyPassword": "regent",`)
	// labConf sets the regular user first; the later keys win.
	c := startLabCluster(t, l, 3, conf)
	discoverLab(t, c)
	l.Kill(1)
	var failed events.RecoveryFailed
	lab.Eventually(t, 20*time.Second, 100*time.Millisecond, func() error {
		_, all := eventKinds(t, "198.18.0.101:4222")
		for _, e := range all {
			if e.Kind == events.KindRecoveryCompleted {
				t.Fatal("a recovery without READ_ONLY ADMIN was recorded as completed")
			}
			if e.Kind == events.KindRecoveryFailed && e.Decode(&failed) == nil {
				return nil
			}
		}
		return fmt.Errorf("no recovery-failed yet")
	})
	if !strings.Contains(failed.Error, "READ_ONLY ADMIN") {
		t.Errorf("failure does not name the missing privilege: %+v", failed)
	}
	lab.Eventually(t, 5*time.Second, 100*time.Millisecond, func() error {
		if b := readFile(hookLog); !strings.Contains(b, "unsuccessful DeadMaster 198.18.0.1") {
			return fmt.Errorf("PostUnsuccessfulFailoverProcesses did not run:\n%s", b)
		}
		return nil
	})
	t.Logf("recovery failed at %s: %s", failed.Step, failed.Error)
}

// pausedDetectionBound is how soon a SIGSTOPped primary must be detected
// (actionable DeadMaster), derived from the configuration these tests run
// (labConf: InstancePollMilliseconds 200, ProbeTimeoutMilliseconds 500;
// recoveryConf: ReplicationStallMilliseconds 600, replicas' heartbeat
// 200 ms; RecoveryTickMilliseconds default 50):
//   - the replicas' IO progress stops with the primary; a poll up to one
//     interval (200) after the pause may still credit progress received
//     just before it, and the stall (600 ms without progress) is judged at
//     the next poll after that (+200): 1000 ms;
//   - the nodes' own probes of the primary fail ProbeTimeoutMilliseconds
//     (500) after a poll at most 200 ms after the pause: 700 ms, within that;
//   - the leader evaluates at the next tick (+50): 1050 ms in all.
//
// The other 950 ms are for the shared 2-core machine: appending and
// folding the observations through JetStream, scheduling of three nodes
// and three mariadbd.
const pausedDetectionBound = 2 * time.Second

// detectedAfter returns how long after fault the first actionable failure
// was recorded.
func detectedAfter(t testing.TB, fault time.Time) (time.Duration, bool) {
	t.Helper()
	_, all := eventKinds(t, "198.18.0.101:4222")
	for _, e := range all {
		var f events.FailureDetected
		if e.Kind == events.KindFailureDetected && e.Decode(&f) == nil && f.Actionable && !e.Time.Before(fault) {
			return e.Time.Sub(fault), true
		}
	}
	return 0, false
}

// logDetection logs when the actionable failure was detected, with its
// evidence, relative to the fault.
func logDetection(t testing.TB, fault time.Time) {
	t.Helper()
	_, all := eventKinds(t, "198.18.0.101:4222")
	for _, e := range all {
		var f events.FailureDetected
		if e.Kind != events.KindFailureDetected || e.Decode(&f) != nil || !f.Actionable {
			continue
		}
		var ev []string
		for _, v := range f.Vantage {
			ev = append(ev, fmt.Sprintf("%s reachable=%v at %+dms", v.Node, v.Reachable, v.At.Sub(fault).Milliseconds()))
		}
		for _, r := range f.Replicas {
			ev = append(ev, fmt.Sprintf("%s agrees=%v io=%d hb_age=%.2fs", r.Key, r.Agrees, r.IOThread, r.HeartbeatAge))
		}
		t.Logf("detected %s at %+dms: %s", f.Analysis, e.Time.Sub(fault).Milliseconds(), strings.Join(ev, "; "))
	}
	for _, e := range all {
		if e.Time.After(fault) && e.Kind != events.KindRecoveryStep {
			t.Logf("event %s by %s at %+dms", e.Kind, e.Origin, e.Time.Sub(fault).Milliseconds())
		}
		var s events.RecoveryStep
		if e.Kind == events.KindRecoveryStep && e.Decode(&s) == nil {
			t.Logf("step %s on %s: %s after %s, recorded at %+dms %s", s.Step, s.Target, s.Outcome, s.Took.Round(time.Millisecond), e.Time.Sub(fault).Milliseconds(), s.Detail)
		}
	}
}

// logTimeline logs every recovery event of the log (for failed runs).
func logTimeline(t testing.TB) {
	t.Helper()
	addr := "198.18.0.102:4222"
	for k := 1; k <= 3; k++ { // a node restarted by the test may be gone already
		a := fmt.Sprintf("198.18.0.%d:4222", 100+k)
		if nc, err := nats.Connect("nats://"+a, nats.Timeout(time.Second), lab.NATSAuth(t, lab.NATSClusterSecret, natsnode.RoleReader)); err == nil {
			nc.Close()
			addr = a
			break
		}
	}
	_, all := eventKinds(t, addr)
	for _, e := range all {
		switch e.Kind {
		case events.KindRecoveryStep:
			var s events.RecoveryStep
			if e.Decode(&s) == nil {
				t.Logf("%s %s step %s on %s: %s (%s) %s %s", e.Time.Format("15:04:05.000"), e.Origin, s.Step, s.Target, s.Outcome, s.Took, s.Detail, s.Error)
			}
		case events.KindRecoveryFailed, events.KindRecoveryStarted, events.KindRecoveryCompleted, events.KindFailureDetected, events.KindRecoveryBlocked:
			t.Logf("%s %s %s %s", e.Time.Format("15:04:05.000"), e.Origin, e.Kind, e.Payload)
		}
	}
}
