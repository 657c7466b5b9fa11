package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/test/lab"
)

// TestLabAuditAfterSIGKILL: after a real SIGKILL failover, replay shows
// detection → recovery → steps → VIP → hooks in order, its JSON lines
// parse, --verify re-derives every decision from the real log, topology
// --at a moment before the kill shows the old primary, and why names the
// chosen replica and why the other was not chosen.
func TestLabAuditAfterSIGKILL(t *testing.T) {
	l, c, _ := failoverLab(t, "")
	server, conf := secretURL(t, lab.NATSClusterSecret, natsnode.RoleReader, "198.18.0.101:4222"), c.confs[0]
	// A moment before the kill at which the log already shows host 1 as the
	// writable primary: checked through the same topology --at as below.
	var before time.Time
	lab.Eventually(t, 15*time.Second, 200*time.Millisecond, func() error {
		at := time.Now()
		code, out, errs := runCmd(t, runTopology, "--server", server, "--config", conf, "--at", at.UTC().Format(time.RFC3339Nano), "-i", "198.18.0.2")
		if first := strings.SplitN(out, "\n", 2)[0]; code != 0 || !strings.HasPrefix(first, "198.18.0.1:3306") || !strings.Contains(first, ",rw,") {
			return fmt.Errorf("topology --at now: %d\n%s%s", code, out, errs)
		}
		before = at
		return nil
	})
	l.Kill(1)
	var primary int
	lab.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
		var err error
		primary, err = converged(l, 1)
		return err
	})
	var recoveryID string
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		counts, all := eventKinds(t, "198.18.0.101:4222")
		for _, e := range all {
			var s events.RecoveryStarted
			if e.Kind == events.KindRecoveryStarted && e.Decode(&s) == nil {
				recoveryID = s.RecoveryID
			}
		}
		if counts[events.KindRecoveryCompleted] != 1 || counts[events.KindHookRan] < 5 {
			return fmt.Errorf("recovery not finished yet: %v", counts)
		}
		return nil
	})

	code, out, errs := runCmd(t, runReplay, "--server", server, "--cluster", "198.18.0.1:3306", "--since", "10m")
	if code != 0 {
		t.Fatalf("replay: %d %s", code, errs)
	}
	t.Logf("replay:\n%s", out)
	at := 0
	for _, w := range []string{"failure-detected", "recovery-started", "hook PreFailoverProcesses exit 0", "step ", "vip-moved", "recovery-completed", "hook PostFailoverProcesses exit 0"} {
		i := strings.Index(out[at:], w)
		if i < 0 {
			t.Fatalf("replay: %q missing or out of order", w)
		}
		at += i
	}
	code, out, _ = runCmd(t, runReplay, "--server", server, "--cluster", "198.18.0.1:3306", "--since", "10m", "--json")
	for _, ln := range strings.Split(strings.TrimSpace(out), "\n") {
		var j map[string]any
		if err := json.Unmarshal([]byte(ln), &j); err != nil || j["seq"] == nil || j["kind"] == nil {
			t.Fatalf("replay --json (%d): line %q: %v", code, ln, err)
		}
	}
	code, out, errs = runCmd(t, runReplay, "--server", server, "--config", conf, "--verify")
	t.Logf("verify: %s", out)
	if code != 0 || !strings.HasPrefix(out, "verified ") {
		t.Fatalf("verify of the real log: %d\n%s\n%s", code, out, errs)
	}
	code, out, _ = runCmd(t, runTopology, "--server", server, "--config", conf, "--at", before.UTC().Format(time.RFC3339Nano), "-i", "198.18.0.2")
	t.Logf("topology before the kill:\n%s", out)
	if first := strings.SplitN(out, "\n", 2)[0]; code != 0 || !strings.HasPrefix(first, "198.18.0.1:3306") || !strings.Contains(first, ",rw,") {
		t.Fatalf("topology --at before the kill: %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, runWhy, "--server", server, recoveryID)
	t.Logf("why:\n%s", out)
	chosen, other := fmt.Sprintf("198.18.0.%d:3306", primary), fmt.Sprintf("198.18.0.%d:3306", 5-primary)
	if code != 0 || !strings.Contains(out, "* "+chosen+"       chosen:") || !strings.Contains(out, other+"       not chosen:") && !strings.Contains(out, other+"       rejected:") {
		t.Fatalf("why %s: %d\n%s", recoveryID, code, out)
	}
}
