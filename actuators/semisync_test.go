package actuators_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

type semiCall struct {
	key             events.InstanceKey
	master, enabled bool
}

type semiSetter struct {
	mu    sync.Mutex
	calls []semiCall
	fail  map[events.InstanceKey]error
}

func (s *semiSetter) SetSemiSync(_ context.Context, key events.InstanceKey, master, enabled bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, semiCall{key, master, enabled})
	return s.fail[key]
}

// TestLockedSemiSyncMasterRecovery: the recovery enables the replica side
// of semi-sync on the replicas the plan names, in order, each a step,
// moves nothing, runs PostFailoverProcesses only (no Pre, as orchestrator)
// and names the primary its successor; a failing replica fails the
// recovery; a plan with no replica fails without touching a server.
func TestLockedSemiSyncMasterRecovery(t *testing.T) {
	intent := func(w *world, replicas []events.InstanceKey) actuators.Intent {
		return actuators.NewIntent(nil, actuators.IntentSpec{RecoveryID: "r-semi", Type: analysis.RecoveryLockedSemiSyncMaster,
			Analysis: events.AnalysisLockedSemiSyncMaster, Cluster: projections.ClusterInfo{ClusterName: w.cluster()},
			Failed: w.keys[0], Successor: w.keys[0], Replicas: replicas, Node: "n1", Epoch: 1, Automated: true})
	}
	w := newWorld(t, 4)
	semi := &semiSetter{}
	w.r.SemiSync = semi
	w.r.Lists = actuators.HookLists{PreFailover: []string{"echo pre"}, PostFailover: []string{"echo post"}, PostMasterFailover: []string{"echo never"}}
	res, err := w.run(t, intent(w, []events.InstanceKey{w.keys[3], w.keys[1]}))
	if err != nil {
		t.Fatalf("Run: %v (log %v)", err, w.log.kinds())
	}
	want := []semiCall{{w.keys[3], false, true}, {w.keys[1], false, true}}
	if !slices.Equal(semi.calls, want) || res.Successor != w.keys[0] {
		t.Errorf("calls %v successor %s; want %v and %s", semi.calls, res.Successor, want, w.keys[0])
	}
	for _, k := range []events.InstanceKey{w.keys[3], w.keys[1]} {
		if s := w.log.steps(t)["enable-semi-sync "+k.String()]; s.Outcome != events.StepOK || s.Target != k {
			t.Errorf("step for %s: %+v", k, s)
		}
	}
	if lists := w.hooks.lists(); !slices.Equal(lists, []string{"PostFailoverProcesses"}) {
		t.Errorf("hook lists %v, want PostFailoverProcesses only", lists)
	}
	for _, r := range w.keys[1:] {
		if st := w.status(t, r); st.Source != w.keys[0] {
			t.Errorf("%s moved to %s", r, st.Source)
		}
	}

	w = newWorld(t, 3)
	semi = &semiSetter{fail: map[events.InstanceKey]error{w.keys[1]: errors.New("semi-sync plugin not loaded")}}
	w.r.SemiSync = semi
	if _, err := w.run(t, intent(w, []events.InstanceKey{w.keys[1], w.keys[2]})); err == nil || !w.log.has(events.KindRecoveryFailed) {
		t.Errorf("failing replica: %v (log %v), want a failed recovery", err, w.log.kinds())
	}
	if len(semi.calls) != 1 {
		t.Errorf("calls after the failure %v: want it to stop", semi.calls)
	}

	w = newWorld(t, 3)
	semi = &semiSetter{}
	w.r.SemiSync = semi
	if _, err := w.run(t, intent(w, []events.InstanceKey{})); err == nil || len(semi.calls) != 0 {
		t.Errorf("no replica to enable: %v, calls %v; want a failure and no call", err, semi.calls)
	}
}
