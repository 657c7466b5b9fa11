package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/lab"
)

// TestLabControllerKilledMidRecovery: the Regent node running a recovery is
// SIGKILLed while its pre-failover hook runs; another node takes the lease,
// resumes the same recovery and completes it — exactly once.
func TestLabControllerKilledMidRecovery(t *testing.T) {
	l, c, _ := failoverLab(t, `"HookTimeoutSeconds": 20, "PreFailoverProcesses": ["sleep 3"],`)
	o := l.Oracle()
	o.Watch()
	l.Kill(1)
	killed := time.Now()
	k, runner := recoveryRunner(t, nil)
	c.nodes[k-1].Kill()
	t.Logf("recovery started by %s; SIGKILLed it %s after the primary died", runner, time.Since(killed).Round(time.Millisecond))
	var primary int
	lab.Eventually(t, 40*time.Second, 50*time.Millisecond, func() error {
		var err error
		primary, err = converged(l, 1)
		return err
	})
	t.Logf("converged on host %d %s after the primary died", primary, time.Since(killed).Round(time.Millisecond))
	other := fmt.Sprintf("198.18.0.%d:4222", 100+(k%3)+1)
	var counts map[events.Kind]int
	var all []events.Envelope
	lab.Eventually(t, 20*time.Second, 100*time.Millisecond, func() error {
		counts, all = eventKinds(t, other)
		if counts[events.KindRecoveryCompleted] != 1 {
			return fmt.Errorf("recoveries: %v", counts)
		}
		return nil
	})
	if counts[events.KindRecoveryStarted] != 1 || counts[events.KindRecoveryLeaseTaken] != 1 || counts[events.KindRecoveryFailed] != 0 {
		t.Fatalf("want one recovery, resumed once: %v", counts)
	}
	for _, e := range all {
		if e.Kind == events.KindRecoveryLeaseTaken && e.Origin == runner {
			t.Fatalf("the killed node %s took its own recovery back", runner)
		}
	}
	o.StopWatch()
	rep := o.CheckInvariants(lab.Expect{Primary: primary, Survivors: []int{2, 3}, CatchUp: 10 * time.Second})
	if !rep.OK() {
		t.Fatalf("oracle:\n%s", rep)
	}
}

// recoveryRunner waits (through node 2) for a recovery-started event not in
// known and returns the number (1-based) and name of the node running it.
func recoveryRunner(t testing.TB, known map[string]events.Envelope) (int, string) {
	t.Helper()
	var runner string
	lab.Eventually(t, 15*time.Second, 20*time.Millisecond, func() error {
		_, all := eventKinds(t, "198.18.0.102:4222")
		for _, e := range all {
			if _, seen := known[e.ID]; e.Kind == events.KindRecoveryStarted && !seen {
				runner = e.Origin
				return nil
			}
		}
		return fmt.Errorf("no recovery started yet")
	})
	for i := 1; i <= 3; i++ {
		if strings.HasPrefix(runner, fmt.Sprintf("198.18.0.%d:", 100+i)) {
			return i, runner
		}
	}
	t.Fatalf("recovery started by unknown node %q", runner)
	return 0, ""
}
