package analysis

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// lockedSemiSync: p waits for wait ACKs with no semi-sync client; its
// replicas r1..r4 replicate, mod adjusts each.
func lockedSemiSync(t *testing.T, wait int, mod func(o *events.InstanceObserved)) *script {
	t.Helper()
	s := newScript(t)
	p := primary("p", 1)
	p.SemiSync = events.SemiSync{Available: true, MasterEnabled: true, MasterStatus: true, MasterWaitForCount: wait}
	reps := []*events.InstanceObserved{replica("r1", 2, "p"), replica("r2", 3, "p"), replica("r3", 4, "p"), replica("r4", 5, "p")}
	for _, r := range reps {
		r.SemiSync = events.SemiSync{Available: true, Enforced: true}
		if mod != nil {
			mod(r)
		}
	}
	s.observe(nodes, append([]*events.InstanceObserved{p}, reps...)...)
	s.at(15*time.Second).observe(nodes, p)
	return s
}

// TestRecoverLockedSemiSyncMaster: without RecoverLockedSemiSyncMaster a
// locked semi-sync primary is detected, not recovered; with it the
// recovery starts (cluster filters do not apply, as orchestrator) and its
// replicas to enable are those with a semi-sync priority that replicate,
// best promotion rule first then by name, without semi-sync yet, as many as
// the wait count lacks; none is an error.
func TestRecoverLockedSemiSyncMaster(t *testing.T) {
	s := lockedSemiSync(t, 2, func(o *events.InstanceObserved) {
		switch o.Key.Hostname {
		case "r1":
			o.SemiSync.Enforced = false // async: never enabled
		case "r2":
			o.PromotionRule = "prefer_not"
		case "r4":
			o.PromotionRule = "prefer"
		}
	})
	if d := one(t, s.decide(params()), ActionDetect); d.Failure.Analysis != events.AnalysisLockedSemiSyncMaster {
		t.Fatalf("without the key: %s", mustJSON(t, d))
	}
	on := params()
	on.RecoverLockedSemiSyncMaster = true
	on.RecoverMasterClusterFilters = projections.ClusterFilters{}
	s = lockedSemiSync(t, 2, func(o *events.InstanceObserved) {
		switch o.Key.Hostname {
		case "r1":
			o.SemiSync.Enforced = false
		case "r2":
			o.PromotionRule = "prefer_not"
		case "r4":
			o.PromotionRule = "prefer"
		}
	})
	d := one(t, s.decide(on), ActionStart)
	if d.RecoveryType != events.RecoveryLockedSemiSyncMaster || d.Failure.Analysis != events.AnalysisLockedSemiSyncMaster {
		t.Fatalf("with the key: %s", mustJSON(t, d))
	}
	got, err := SemiSyncReplicasToEnable(s.view(), key("p"))
	if want := []events.InstanceKey{key("r4"), key("r3")}; err != nil || !slices.Equal(got, want) {
		t.Errorf("replicas to enable %v, %v; want %v", got, err, want)
	}
	// A replica with semi-sync enabled that is no client is not named
	// again (as orchestrator); the wait still lacks two clients.
	s = lockedSemiSync(t, 2, func(o *events.InstanceObserved) {
		if o.Key.Hostname == "r1" {
			o.SemiSync.ReplicaEnabled = true
		}
	})
	got, err = SemiSyncReplicasToEnable(s.view(), key("p"))
	if want := []events.InstanceKey{key("r2"), key("r3")}; err != nil || !slices.Equal(got, want) {
		t.Errorf("with r1 enabled but no client: %v, %v; want %v", got, err, want)
	}
	s = lockedSemiSync(t, 1, func(o *events.InstanceObserved) { o.SemiSync.Enforced = false })
	if got, err := SemiSyncReplicasToEnable(s.view(), key("p")); !errors.Is(err, ErrNoCandidate) || len(got) != 0 {
		t.Errorf("no replica with a priority: %v, %v", got, err)
	}
}

// TestSemiSyncExactActions: with EnforceExactSemiSyncReplicas the first
// wait-count replicas in priority order get semi-sync, every other
// replica (asynchronous ones included) loses it; a locked primary's
// recovery is then the exact one.
func TestSemiSyncExactActions(t *testing.T) {
	s := lockedSemiSync(t, 2, func(o *events.InstanceObserved) {
		switch o.Key.Hostname {
		case "r1":
			o.SemiSync.Enforced, o.SemiSync.ReplicaEnabled = false, true // async but enabled: off
		case "r2":
			o.SemiSync.ReplicaEnabled = true // first two by name: stays on
		case "r4":
			o.SemiSync.ReplicaEnabled = true // third: off
		}
	})
	on, off, err := SemiSyncActions(s.view(), key("p"), true)
	if err != nil || !slices.Equal(on, []events.InstanceKey{key("r3")}) || !slices.Equal(off, []events.InstanceKey{key("r4"), key("r1")}) {
		t.Errorf("exact: on %v off %v, %v; want on [r3] off [r4 r1]", on, off, err)
	}
	p := params()
	p.EnforceExactSemiSyncReplicas, p.RecoverLockedSemiSyncMaster = true, true
	if d := one(t, s.decide(p), ActionStart); d.RecoveryType != events.RecoverySemiSyncExact {
		t.Errorf("locked with both keys: %s, want the exact recovery", mustJSON(t, d))
	}
}
