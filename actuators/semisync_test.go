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
		return actuators.NewIntent(nil, actuators.IntentSpec{RecoveryID: "r-semi", Type: events.RecoveryLockedSemiSyncMaster,
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

// TestSemiSyncExactRecovery: the exact recovery turns semi-sync on on its
// replicas first, then off on the others, each a step; a plan that only
// turns some off runs too.
func TestSemiSyncExactRecovery(t *testing.T) {
	for _, tc := range []struct {
		name    string
		on, off []int
	}{{"on then off", []int{2}, []int{1, 3}}, {"off only", nil, []int{3}}} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 4)
			semi := &semiSetter{}
			w.r.SemiSync = semi
			keys := func(idx []int) []events.InstanceKey {
				var out []events.InstanceKey
				for _, i := range idx {
					out = append(out, w.keys[i])
				}
				return out
			}
			in := actuators.NewIntent(nil, actuators.IntentSpec{RecoveryID: "r-exact", Type: events.RecoverySemiSyncExact,
				Analysis: events.AnalysisMasterWithTooManySemiSyncReplicas, Cluster: projections.ClusterInfo{ClusterName: w.cluster()},
				Failed: w.keys[0], Successor: w.keys[0], Replicas: keys(tc.on), SemiSyncDisable: keys(tc.off), Node: "n1", Epoch: 1})
			if _, err := w.run(t, in); err != nil {
				t.Fatalf("Run: %v (log %v)", err, w.log.kinds())
			}
			var want []semiCall
			for _, k := range keys(tc.on) {
				want = append(want, semiCall{k, false, true})
			}
			for _, k := range keys(tc.off) {
				want = append(want, semiCall{k, false, false})
			}
			if !slices.Equal(semi.calls, want) {
				t.Errorf("calls %v, want %v", semi.calls, want)
			}
			for _, k := range keys(tc.off) {
				if s := w.log.steps(t)["disable-semi-sync "+k.String()]; s.Outcome != events.StepOK {
					t.Errorf("disable step of %s: %+v", k, s)
				}
			}
		})
	}
}
