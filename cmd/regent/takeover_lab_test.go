package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/lab"
)

// labAPI is ORCHESTRATOR_API for the lab's three Regent nodes.
const labAPI = "http://198.18.0.101:3000 http://198.18.0.102:3000 http://198.18.0.103:3000"

// buildClient builds regent-client into a temporary directory.
func buildClient(t testing.TB) string { t.Helper(); return lab.Build(t, "regent-client") }

// client runs regent-client with args against the lab's nodes.
func client(t testing.TB, bin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "ORCHESTRATOR_API="+labAPI)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.String(), e.String(), err
}

func mustClient(t testing.TB, bin string, args ...string) string {
	t.Helper()
	out, errOut, err := client(t, bin, args...)
	if err != nil {
		t.Fatalf("regent-client %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
	}
	return strings.TrimSpace(out)
}

// graceConf adds the graceful-takeover hooks to the recovery config.
func graceConf(t *testing.T, l *lab.Lab, hookLog string) string {
	return recoveryConf(t, l, hookLog, fmt.Sprintf(`"PreGracefulTakeoverProcesses": ["echo 'pre-graceful {failedHost} -> {successorHost} cmd={command}' >> %s"],
  "PostGracefulTakeoverProcesses": ["echo 'post-graceful {failedHost} -> {successorHost} ok={isSuccessful}' >> %s"],`, hookLog, hookLog))
}

// takeover runs one graceful takeover from primary `from` to `to` through
// regent-client under a VIP write load, and checks the end state with the
// oracle. It returns the client's wall time and the write-refused window.
func takeover(t *testing.T, l *lab.Lab, bin, cmd string, from, to int, startReplica bool, recoveries int) {
	t.Helper()
	o := l.Oracle()
	o.Watch()
	w := l.StartWriter(20*time.Millisecond, 30*time.Second)
	if err := w.WaitAcked(10, 10*time.Second); err != nil { // writes flow through the VIP before the takeover
		t.Fatal(err)
	}
	start := time.Now()
	out := mustClient(t, bin, "-c", cmd, "-a", fmt.Sprintf("198.18.0.%d:3306", from), "-d", fmt.Sprintf("198.18.0.%d:3306", to))
	took := time.Since(start)
	if out != fmt.Sprintf("198.18.0.%d:3306", to) {
		t.Fatalf("%s printed %q, want the successor 198.18.0.%d:3306", cmd, out, to)
	}
	if startReplica {
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
	convergedAfter := time.Since(start)
	if err := w.WaitAckedAfter(time.Now(), 15*time.Second); err != nil {
		t.Fatal(err)
	}
	wr := w.Result()
	acked, gap, failed := wr.Acked, wr.Refused, wr.Failed
	o.StopWatch()
	rep := o.CheckInvariants(lab.Expect{Primary: to, Acked: acked, CatchUp: 10 * time.Second, Incidents: recoveries,
		Recoveries: func() (int, error) {
			counts, _ := eventKinds(t, "198.18.0.101:4222")
			return counts[events.KindRecoveryStarted], nil
		}})
	if !rep.OK() {
		t.Fatalf("oracle after %s %d→%d:\n%s", cmd, from, to, rep)
	}
	st := l.Status()
	if h := st[from-1]; h.Source != fmt.Sprintf("198.18.0.%d", to) || !h.Replicating() || !h.ReadOnly {
		t.Fatalf("old primary after %s: %s", cmd, h)
	}
	if len(acked) < 10 {
		t.Fatalf("only %d writes acknowledged through the VIP", len(acked))
	}
	t.Logf("%s %d→%d: client returned after %s, converged after %s; write-refused window %s (%d writes acknowledged, %d refused: %s)",
		cmd, from, to, took.Round(time.Millisecond), convergedAfter.Round(time.Millisecond), gap.Round(time.Millisecond), len(acked), failed,
		strings.Join(wr.Fails, "; "))
}

// TestLabGracefulTakeover is the seed's scenario: VIP on host 1;
// graceful-master-takeover to host 2, then start-replica on host 1: host 2
// writable with the VIP, host 1 replicating from it, no acknowledged write
// lost; then back (-auto) and forth again.
func TestLabGracefulTakeover(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3})
	l.VIPAdd(1)
	bin := buildClient(t)
	hookLog := filepath.Join(t.TempDir(), "hooks.log")
	c := startLabCluster(t, l, 3, graceConf(t, l, hookLog))
	discoverLab(t, c)
	// The runbook's reversed reading (-a new, -d old) is refused with the right form.
	_, errOut, err := client(t, bin, "-c", "graceful-master-takeover", "-a", "198.18.0.2:3306", "-d", "198.18.0.1:3306")
	if err == nil || !strings.Contains(errOut, "-d must name the replica to promote") {
		t.Fatalf("reversed arguments: err %v, stderr %q", err, errOut)
	}
	takeover(t, l, bin, "graceful-master-takeover", 1, 2, true, 1)
	counts, all := eventKinds(t, "198.18.0.101:4222")
	if counts[events.KindRecoveryStarted] != 1 || counts[events.KindRecoveryCompleted] != 1 || counts[events.KindRecoveryFailed] != 0 {
		t.Fatalf("recoveries in the log: %v", counts)
	}
	for _, e := range all {
		var s events.RecoveryStarted
		if e.Kind == events.KindRecoveryStarted && e.Decode(&s) == nil && (s.Type != "GracefulMasterTakeover" || !s.Manual || s.Successor.Hostname != "198.18.0.2") {
			t.Fatalf("recovery started: %+v", s)
		}
	}
	lab.Eventually(t, 5*time.Second, 100*time.Millisecond, func() error {
		b := readFile(hookLog)
		for _, want := range []string{"pre-graceful 198.18.0.1 -> 198.18.0.2 cmd=graceful-master-takeover", "post-graceful 198.18.0.1 -> 198.18.0.2 ok=true"} {
			if !strings.Contains(b, want) {
				return fmt.Errorf("hook log lacks %q:\n%s", want, b)
			}
		}
		return nil
	})
	// The audit API on a follower shows the takeover.
	_, v := c.api(t, 2, "/api/audit-recovery")
	if list, _ := v.([]any); len(list) != 1 || list[0].(map[string]any)["Type"] != "GracefulMasterTakeover" {
		t.Fatalf("audit-recovery on node 3: %v", v)
	}
	// Back with -auto (the demoted primary replicates at once), and forth.
	takeover(t, l, bin, "graceful-master-takeover-auto", 2, 1, false, 2)
	takeover(t, l, bin, "graceful-master-takeover", 1, 2, true, 3)
}

// TestLabBlockedRecoveries: with global recoveries disabled a dead primary
// is detected and blocked, visible in blocked-recoveries; enabling them
// lets it recover; a second failure within RecoveryPeriodBlockSeconds is
// blocked until ack-cluster-recoveries.
func TestLabBlockedRecoveries(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3})
	l.VIPAdd(1)
	bin := buildClient(t)
	c := startLabCluster(t, l, 3, recoveryConf(t, l, filepath.Join(t.TempDir(), "hooks.log"), ""))
	discoverLab(t, c)
	t.Cleanup(func() {
		if t.Failed() {
			logTimeline(t)
		}
	})
	if out := mustClient(t, bin, "-c", "disable-global-recoveries"); out != "disabled" {
		t.Fatalf("disable-global-recoveries printed %q", out)
	}
	if out := mustClient(t, bin, "-c", "check-global-recoveries"); out != "disabled" {
		t.Fatalf("check-global-recoveries printed %q", out)
	}
	l.Kill(1)
	waitBlocked(t, c, "global recoveries disabled")
	if counts, _ := eventKinds(t, "198.18.0.101:4222"); counts[events.KindRecoveryStarted] != 0 {
		t.Fatalf("a recovery started while global recoveries were disabled: %v", counts)
	}
	mustClient(t, bin, "-c", "enable-global-recoveries")
	var primary int
	lab.Eventually(t, 15*time.Second, 50*time.Millisecond, func() error {
		var err error
		primary, err = converged(l, 1)
		return err
	})
	// The new primary dies too: blocked by the anti-flap period.
	l.Kill(primary)
	waitBlocked(t, c, "RecoveryPeriodBlockSeconds")
	other := 5 - primary // the remaining replica of hosts 2 and 3
	if out := mustClient(t, bin, "-c", "ack-cluster-recoveries", "-i", fmt.Sprintf("198.18.0.%d:3306", other), "-r", "flap understood"); out == "" {
		t.Fatal("ack-cluster-recoveries printed nothing")
	}
	lab.Eventually(t, 15*time.Second, 50*time.Millisecond, func() error {
		p, err := converged(l, 0)
		if err == nil && p != other {
			return fmt.Errorf("converged on %d, want %d", p, other)
		}
		return err
	})
	// The servers converge before the recovery records its end (the VIP
	// moves in between): wait for the record, then check the counts.
	lab.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		counts, _ := eventKinds(t, "198.18.0.101:4222")
		if counts[events.KindRecoveryCompleted] < 2 {
			return fmt.Errorf("recoveries not both recorded as completed yet: %v", counts)
		}
		return nil
	})
	counts, _ := eventKinds(t, "198.18.0.101:4222")
	if counts[events.KindRecoveryStarted] != 2 || counts[events.KindRecoveryCompleted] != 2 {
		t.Fatalf("recoveries: %v", counts)
	}
	_, v := c.api(t, 1, "/api/audit-recovery")
	list, _ := v.([]any)
	if len(list) != 2 || list[1].(map[string]any)["AcknowledgedComment"] != "flap understood" {
		t.Fatalf("audit-recovery: %v", v)
	}
}

// waitBlocked waits until blocked-recoveries lists a block whose reason
// contains reason.
func waitBlocked(t *testing.T, c *labCluster, reason string) {
	t.Helper()
	lab.Eventually(t, 15*time.Second, 100*time.Millisecond, func() error {
		_, v := c.api(t, 1, "/api/blocked-recoveries")
		list, _ := v.([]any)
		for _, b := range list {
			if r, _ := b.(map[string]any)["Reason"].(string); strings.Contains(r, reason) {
				t.Logf("blocked: %s", r)
				return nil
			}
		}
		return fmt.Errorf("blocked-recoveries: %v", v)
	})
}
