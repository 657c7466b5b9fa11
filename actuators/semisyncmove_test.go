package actuators_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// roSemiSetter records each semi-sync call and whether its server was
// read-only when it came.
type roSemiSetter struct {
	mu    sync.Mutex
	db    actuators.DB
	calls []semiCall
	ro    map[semiCall]bool
	fail  map[events.InstanceKey]error
}

func (s *roSemiSetter) SetSemiSync(ctx context.Context, key events.InstanceKey, master, enabled bool) error {
	st, err := s.db.Status(ctx, key)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := semiCall{key, master, enabled}
	s.calls = append(s.calls, c)
	if s.ro == nil {
		s.ro = map[semiCall]bool{}
	}
	s.ro[c] = err == nil && st.ReadOnly
	return s.fail[key]
}

func on(b bool) *bool { return &b }

// stepOrder is the names of the recovery's steps in the log's order.
func stepOrder(t *testing.T, l *memLog) []string {
	t.Helper()
	var out []string
	for _, e := range l.all() {
		if e.Kind != events.KindRecoveryStep {
			continue
		}
		var s events.RecoveryStep
		if err := e.Decode(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s.Step)
	}
	return out
}

// promotionMoves: keys[1] (successor) turns its source side on, keys[2]
// turns its source side off and its replica side on, keys[3] has no
// semi-sync priority.
func promotionMoves(keys []events.InstanceKey) []events.SemiSyncMove {
	return []events.SemiSyncMove{{Target: keys[1], Master: on(true)}, {Target: keys[2], Master: on(false), Replica: on(true)},
		{Target: keys[3], Why: "no semi-sync priority (DetectSemiSyncEnforcedQuery)"}}
}

// TestPromotionMovesSemiSync: a dead-primary promotion turns the
// successor's source side of semi-sync on while it is still read-only
// (before the promote step), and moves the re-pointed replicas' settings
// after they were re-pointed, one step per server: ok when set, skipped
// with the reason when nothing changes.
func TestPromotionMovesSemiSync(t *testing.T) {
	w := newWorld(t, 4)
	semi := &roSemiSetter{db: w.topo.DB()}
	w.r.SemiSync = semi
	in := actuators.NewIntent(nil, actuators.IntentSpec{RecoveryID: "r-1", Type: events.RecoveryMaster, Analysis: events.AnalysisDeadMaster,
		Cluster: projections.ClusterInfo{ClusterName: w.cluster()}, Failed: w.keys[0], Successor: w.keys[1], Replicas: w.keys[2:],
		Node: "n1", Epoch: 1, SemiSyncMoves: promotionMoves(w.keys)})
	if !slices.Equal(in.Plan().SemiSyncMoves, in.Started.SemiSyncMoves) || len(in.Started.SemiSyncMoves) != 3 {
		t.Fatalf("plan moves %+v, started %+v", in.Plan().SemiSyncMoves, in.Started.SemiSyncMoves)
	}
	if _, err := w.run(t, in); err != nil {
		t.Fatalf("Run: %v (log %v)", err, w.log.kinds())
	}
	want := []semiCall{{w.keys[1], true, true}, {w.keys[2], true, false}, {w.keys[2], false, true}}
	if !slices.Equal(semi.calls, want) {
		t.Fatalf("calls %v, want %v", semi.calls, want)
	}
	if !semi.ro[want[0]] {
		t.Errorf("successor's source side turned on after it became writable")
	}
	steps := w.log.steps(t)
	for i, k := range w.keys[1:3] {
		if s := steps["semi-sync "+k.String()]; s.Outcome != events.StepOK || s.Target != k {
			t.Errorf("step %d for %s: %+v, want ok", i, k, s)
		}
	}
	if d := steps["semi-sync "+w.keys[2].String()].Detail; d != "source side off, replica side on (IO thread restarted if it changed)" {
		t.Errorf("replica step detail %q", d)
	}
	if s := steps["semi-sync "+w.keys[3].String()]; s.Outcome != events.StepSkipped || !strings.Contains(s.Detail, "no semi-sync priority") {
		t.Errorf("step of the server without priority: %+v, want skipped with the reason", s)
	}
	order := stepOrder(t, w.log)
	at := func(name string) int { return slices.Index(order, name) }
	if !(at("semi-sync "+w.keys[1].String()) < at("promote") && at("repoint "+w.keys[2].String()) < at("semi-sync "+w.keys[2].String())) {
		t.Errorf("step order %v: want the successor's semi-sync before promote, a replica's after its repoint", order)
	}
	if !w.log.has(events.KindRecoveryCompleted) {
		t.Errorf("recovery not completed: %v", w.log.kinds())
	}
}

// TestPromotionSemiSyncFailureIsRecorded: a server whose semi-sync setting
// fails gets a failed step, the promotion goes on (as orchestrator, whose
// SetReadOnly and StartReplication failures are audited, not fatal): the
// other servers are still set, every replica is re-pointed and the
// recovery completes. Without a semi-sync setter the moves fail the same
// way.
func TestPromotionSemiSyncFailureIsRecorded(t *testing.T) {
	for _, tc := range []struct {
		name   string
		setter bool
	}{{"setting fails", true}, {"no setter", false}} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 4)
			semi := &roSemiSetter{db: w.topo.DB(), fail: map[events.InstanceKey]error{w.keys[1]: errors.New("semi-sync plugin not loaded")}}
			if tc.setter {
				w.r.SemiSync = semi
			}
			in := actuators.NewIntent(nil, actuators.IntentSpec{RecoveryID: "r-1", Type: events.RecoveryMaster, Analysis: events.AnalysisDeadMaster,
				Cluster: projections.ClusterInfo{ClusterName: w.cluster()}, Failed: w.keys[0], Successor: w.keys[1], Replicas: w.keys[2:],
				Node: "n1", Epoch: 1, SemiSyncMoves: promotionMoves(w.keys)})
			if _, err := w.run(t, in); err != nil {
				t.Fatalf("Run: %v (log %v)", err, w.log.kinds())
			}
			steps := w.log.steps(t)
			s := steps["semi-sync "+w.keys[1].String()]
			if s.Outcome != events.StepFailed || s.Error == "" {
				t.Errorf("successor's step %+v, want failed with the error", s)
			}
			if tc.setter && !slices.Contains(semi.calls, semiCall{w.keys[2], false, true}) {
				t.Errorf("calls %v: the replica after the failure was not set", semi.calls)
			}
			if !tc.setter && !strings.Contains(s.Error, "cannot set semi-sync") {
				t.Errorf("error %q, want it to say the actuator cannot set semi-sync", s.Error)
			}
			if st := w.status(t, w.keys[1]); st.ReadOnly || st.IsReplica {
				t.Errorf("successor not promoted: %+v", st)
			}
			for _, r := range w.keys[2:] {
				if st := w.status(t, r); st.Source != w.keys[1] {
					t.Errorf("%s replicates from %s, want %s", r, st.Source, w.keys[1])
				}
			}
			if !w.log.has(events.KindRecoveryCompleted) || w.log.has(events.KindRecoveryFailed) {
				t.Errorf("log %v, want a completed recovery", w.log.kinds())
			}
		})
	}
}

// TestPromotionWithoutSemiSyncTouchesNothing: a plan without semi-sync
// moves (no server has a semi-sync priority) records no semi-sync step
// and calls no setter.
func TestPromotionWithoutSemiSyncTouchesNothing(t *testing.T) {
	w := newWorld(t, 3)
	semi := &roSemiSetter{db: w.topo.DB()}
	w.r.SemiSync = semi
	if _, err := w.run(t, w.intent()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, name := range stepOrder(t, w.log) {
		if strings.HasPrefix(name, "semi-sync") {
			t.Errorf("step %s without semi-sync moves", name)
		}
	}
	if len(semi.calls) != 0 {
		t.Errorf("calls %v, want none", semi.calls)
	}
}

// TestTakeoverMovesSemiSync: a graceful takeover turns the successor's
// source side on before it takes writes, then the replicas' and, after
// they were re-pointed, the demoted primary's source side off.
func TestTakeoverMovesSemiSync(t *testing.T) {
	w := newWorld(t, 3)
	old, s := w.keys[0], w.keys[1]
	if err := w.topo.Write(old, 1); err != nil {
		t.Fatal(err)
	}
	semi := &roSemiSetter{db: w.topo.DB()}
	w.r.SemiSync = semi
	w.r.Policy.Credentials = &actuators.Credentials{User: "repl", Password: "pw"}
	moves := []events.SemiSyncMove{{Target: s, Master: on(true)}, {Target: w.keys[2], Replica: on(true)}, {Target: old, Master: on(false)}}
	in := actuators.NewIntent(nil, actuators.IntentSpec{RecoveryID: "r-1", Type: events.RecoveryGracefulMasterTakeover,
		Analysis: events.AnalysisDeadMaster, Cluster: projections.ClusterInfo{ClusterName: w.cluster()},
		Failed: old, Successor: s, Replicas: w.keys[2:], Manual: true, Node: "n1", Epoch: 1, SemiSyncMoves: moves})
	if _, err := w.run(t, in); err != nil {
		t.Fatalf("takeover: %v (log %v)", err, w.log.kinds())
	}
	want := []semiCall{{s, true, true}, {w.keys[2], false, true}, {old, true, false}}
	if !slices.Equal(semi.calls, want) {
		t.Fatalf("calls %v, want %v", semi.calls, want)
	}
	if !semi.ro[want[0]] || !semi.ro[want[2]] {
		t.Errorf("read-only at the calls %v: want the successor read-only at its call and the demoted primary read-only at its", semi.ro)
	}
	order := stepOrder(t, w.log)
	at := func(name string) int { return slices.Index(order, name) }
	if !(at("semi-sync "+s.String()) < at("promote") && at("repoint "+w.keys[2].String()) < at("semi-sync "+old.String())) {
		t.Errorf("step order %v", order)
	}
	for _, k := range []events.InstanceKey{s, w.keys[2], old} {
		if st := w.log.steps(t)["semi-sync "+k.String()]; st.Outcome != events.StepOK {
			t.Errorf("step of %s: %+v", k, st)
		}
	}
}
