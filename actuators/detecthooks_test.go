package actuators_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/actuators/fake"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

const detCluster = "198.18.0.1:3306"

var (
	detPrimary = events.InstanceKey{Hostname: "198.18.0.1", Port: 3306}
	detReplica = []events.InstanceKey{{Hostname: "198.18.0.2", Port: 3306}, {Hostname: "198.18.0.3", Port: 3306}}
)

// detWorld is an engine deciding on a primary 198.18.0.1 with two
// replicas: the view, the log, the hooks fake.
type detWorld struct {
	log   *memLog
	hooks *hooks
	e     *actuators.Engine
	view  *projections.View
}

// newDetWorld folds the topology (and extra events, such as a downtime)
// into a view; filters are RecoverMasterClusterFilters.
func newDetWorld(t *testing.T, filters []string, extra ...func(emit func(events.Kind, any))) *detWorld {
	t.Helper()
	topo, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	now := fixedClock{}.Now()
	var seq uint64
	emit := func(kind events.Kind, payload any) {
		env, err := events.New(kind, now, "n1", payload)
		if err != nil {
			t.Fatal(err)
		}
		seq++
		if err := topo.Apply(seq, env); err != nil {
			t.Fatal(err)
		}
	}
	emit(events.KindInstanceObserved, events.InstanceObserved{Key: detPrimary, Replicas: detReplica})
	for _, r := range detReplica {
		emit(events.KindInstanceObserved, events.InstanceObserved{Key: r, Replication: &events.Replication{SourceKey: detPrimary}})
	}
	for _, fn := range extra {
		fn(emit)
	}
	p := analysis.DefaultParams()
	if p.RecoverMasterClusterFilters, err = projections.CompileClusterFilters(filters); err != nil {
		t.Fatal(err)
	}
	w := &detWorld{log: newMemLog(), hooks: &hooks{}, view: topo.View(now)}
	w.e = newEngine(t, actuators.EngineConfig{Runner: &actuators.Runner{Node: "n1", Hooks: w.hooks, Log: w.log, Lease: leaseFor(-1),
		Lists: actuators.HookLists{OnFailureDetection: []string{"echo {failureType} {failedHost}", "echo two"}},
		Clock: fixedClock{}, Logger: zerolog.Nop()}, Params: p, Logger: zerolog.Nop()})
	return w
}

// decision is what analysis.Decide gives for a new detection d-1 of code
// on the primary: Detect (reason "" → not actionable), or Block for reason.
func detDecision(action analysis.Action, code events.AnalysisCode, reason string) analysis.Decision {
	a := &analysis.Analysis{AnalyzedInstanceKey: detPrimary, Analysis: code, Description: "it is gone", IsMaster: true,
		ClusterDetails: projections.ClusterInfo{ClusterName: detCluster, ClusterAlias: "shop"}}
	d := analysis.Decision{Action: action, Analysis: a, NewDetection: true,
		Failure: events.FailureDetected{DetectionID: "d-1", Failed: detPrimary, ClusterName: detCluster, ClusterAlias: "shop",
			Analysis: code, Reason: reason}}
	if action == analysis.ActionBlock {
		d.Blocked = events.RecoveryBlocked{DetectionID: "d-1", Analysis: code, Failed: detPrimary, ClusterName: detCluster, Reason: reason}
	}
	return d
}

// handle carries d out and waits for what it started.
func (w *detWorld) handle(t *testing.T, d analysis.Decision) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := actuators.HandleDecision(ctx, w.e, w.view, analysis.NewRecoveries(), d, 1); err != nil {
		t.Fatalf("handle %s: %v", d.Action, err)
	}
	actuators.WaitEngine(w.e)
}

// detectionCalls returns the OnFailureDetectionProcesses runs.
func (w *detWorld) detectionCalls() []hookCall {
	w.hooks.mu.Lock()
	defer w.hooks.mu.Unlock()
	var out []hookCall
	for _, c := range w.hooks.calls {
		if c.list == "OnFailureDetectionProcesses" {
			out = append(out, c)
		}
	}
	return out
}

func (w *detWorld) count(kind events.Kind) int {
	n := 0
	for _, e := range w.log.all() {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// TestDetectionHooksWithoutRecovery: a new detection that starts no
// recovery (blocked by a running recovery, filtered out by
// RecoverMasterClusterFilters, not actionable) runs the detection hooks
// once, fail-fast, with the failed instance's placeholders and no
// recovery; their hook-ran events carry the detection id and fold into
// the detection's audit record. Further steps on the same detection (the
// same decision on a view that has not folded it yet, a block for a new
// reason) run nothing again.
func TestDetectionHooksWithoutRecovery(t *testing.T) {
	for _, tc := range []struct {
		name     string
		filters  []string
		decision analysis.Decision
		auto     bool
	}{
		{"blocked DeadMaster", []string{"*"},
			detDecision(analysis.ActionBlock, events.AnalysisDeadMaster, "recovery r-0 is still running on the cluster"), true},
		{"filtered DeadMaster", []string{"other"},
			detDecision(analysis.ActionBlock, events.AnalysisDeadMaster, "cluster 198.18.0.1:3306 (alias shop) does not match RecoverMasterClusterFilters"), false},
		{"global recoveries disabled", []string{"*"},
			detDecision(analysis.ActionBlock, events.AnalysisDeadMasterAndSomeReplicas, "global recoveries disabled by op"), true},
		{"UnreachableMaster (not actionable)", []string{"*"},
			detDecision(analysis.ActionDetect, events.AnalysisUnreachableMaster, "not actionable"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newDetWorld(t, tc.filters)
			w.handle(t, tc.decision)
			calls := w.detectionCalls()
			if len(calls) != 1 {
				t.Fatalf("%d runs of OnFailureDetectionProcesses, want 1 (hooks %v)", len(calls), w.hooks.lists())
			}
			c, hc := calls[0], calls[0].hc
			if !c.failFast || !slices.Equal(c.ran, []string{"echo {failureType} {failedHost}", "echo two"}) {
				t.Errorf("run %+v: want fail-fast, both commands", c)
			}
			wantHosts := []string{detReplica[0].String(), detReplica[1].String()}
			if hc.FailureType != string(tc.decision.Analysis.Analysis) || hc.FailedHost != "198.18.0.1" || hc.FailedPort != 3306 ||
				hc.FailureCluster != detCluster || hc.FailureClusterAlias != "shop" || hc.FailureDescription != "it is gone" ||
				!hc.IsMaster || hc.InstanceType != "master" || hc.CountReplicas != 2 || !slices.Equal(hc.ReplicaHosts, wantHosts) ||
				hc.SuccessorHost != "" || hc.RecoveryUID != "" || hc.OrchestratorHost != "n1" || hc.IsDowntimed ||
				hc.AutoMasterRecovery != tc.auto {
				t.Errorf("placeholders %+v", hc)
			}
			var hookRan int
			for _, e := range w.log.all() {
				switch e.Kind {
				case events.KindFailureDetected:
					if e.ID != "det-d-1" || e.Cluster != detCluster {
						t.Errorf("failure-detected id %q cluster %q", e.ID, e.Cluster)
					}
				case events.KindHookRan:
					var h events.HookRan
					if err := e.Decode(&h); err != nil {
						t.Fatal(err)
					}
					if e.CorrelationID != "d-1" || h.RecoveryID != "" || h.Hook != "OnFailureDetectionProcesses" || e.Cluster != detCluster {
						t.Errorf("hook-ran %+v correlation %q cluster %q", h, e.CorrelationID, e.Cluster)
					}
					hookRan++
				}
			}
			if hookRan != 2 {
				t.Errorf("%d hook-ran events, want 2: %v", hookRan, w.log.kinds())
			}
			recs := analysis.NewRecoveries()
			for i, e := range w.log.all() {
				if err := recs.Apply(uint64(i+1), e); err != nil {
					t.Fatal(err)
				}
			}
			if det, ok := recs.Detection("d-1"); !ok || len(det.Hooks) != 2 {
				t.Errorf("audit of d-1: %+v", det)
			}
			// The next step, on a view that has not folded the detection
			// yet: the same decision; its append is a duplicate.
			w.handle(t, tc.decision)
			if tc.decision.Action == analysis.ActionBlock {
				again := tc.decision
				again.NewDetection = false
				again.Blocked.Reason = "another reason"
				w.handle(t, again)
			}
			if n := len(w.detectionCalls()); n != 1 {
				t.Errorf("after more steps %d runs of OnFailureDetectionProcesses, want 1", n)
			}
			if n := w.count(events.KindFailureDetected); n != 1 {
				t.Errorf("%d failure-detected stored, want 1", n)
			}
		})
	}
}

// TestDetectionHooksSkipped: a downtimed or in-maintenance failed
// instance, a code without orchestrator handler, or a detection another
// node stored first runs no detection hook; the detection is still
// recorded.
func TestDetectionHooksSkipped(t *testing.T) {
	until := fixedClock{}.Now().Add(time.Hour)
	downtime := func(emit func(events.Kind, any)) {
		emit(events.KindDowntimeBegun, events.DowntimeBegun{Key: detPrimary, Owner: "op", Reason: "upgrade", Until: until})
	}
	maintenance := func(emit func(events.Kind, any)) {
		emit(events.KindMaintenanceBegun, events.MaintenanceBegun{Key: detPrimary, Owner: "op", Reason: "upgrade", Until: until})
	}
	for _, tc := range []struct {
		name     string
		extra    []func(func(events.Kind, any))
		decision analysis.Decision
		before   bool // another node stored det-d-1
	}{
		{"downtimed", []func(func(events.Kind, any)){downtime},
			detDecision(analysis.ActionBlock, events.AnalysisDeadMaster, "instance downtimed by op: upgrade"), false},
		{"in maintenance", []func(func(events.Kind, any)){maintenance},
			detDecision(analysis.ActionBlock, events.AnalysisDeadMaster, "instance in maintenance by op: upgrade"), false},
		{"DeadMasterWithoutReplicas has no handler", nil,
			detDecision(analysis.ActionDetect, events.AnalysisDeadMasterWithoutReplicas, "not actionable"), false},
		{"UnreachableIntermediateMaster has no handler", nil,
			detDecision(analysis.ActionDetect, events.AnalysisUnreachableIntermediateMaster, "not actionable"), false},
		{"stored by another node", nil,
			detDecision(analysis.ActionDetect, events.AnalysisUnreachableMaster, "not actionable"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newDetWorld(t, []string{"*"}, tc.extra...)
			if tc.before {
				env, err := events.New(events.KindFailureDetected, fixedClock{}.Now(), "n2", tc.decision.Failure)
				if err != nil {
					t.Fatal(err)
				}
				env.ID, env.Cluster = "det-d-1", detCluster
				if _, err := w.log.AppendCluster(t.Context(), env, actuators.AnyPosition); err != nil {
					t.Fatal(err)
				}
			}
			w.handle(t, tc.decision)
			if calls := w.detectionCalls(); len(calls) != 0 {
				t.Errorf("detection hooks ran: %+v", calls)
			}
			if w.count(events.KindHookRan) != 0 || w.count(events.KindFailureDetected) != 1 {
				t.Errorf("log %v: want the detection once, no hook-ran", w.log.kinds())
			}
		})
	}
}

// gateHooks blocks every run until released (bounded by the context).
type gateHooks struct {
	hooks
	release chan struct{}
	started chan struct{}
}

func (g *gateHooks) Run(ctx context.Context, list string, cmds []string, hc actuators.HookContext, failFast bool, done func(events.HookRan)) ([]events.HookRan, error) {
	g.started <- struct{}{}
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.hooks.Run(ctx, list, cmds, hc, failFast, done)
}

// TestDetectionHooksDoNotHoldTheEngine: the engine's step returns while a
// detection's hooks still run, a recovery may start on the cluster
// meanwhile, and the hooks' records wait for it to end (landing between
// two of its appends would fence it).
func TestDetectionHooksDoNotHoldTheEngine(t *testing.T) {
	w := newDetWorld(t, []string{"*"})
	g := &gateHooks{release: make(chan struct{}), started: make(chan struct{}, 2)}
	w.e.Runner.Hooks = g
	w.e.Runner.Lists.PreFailover = []string{"echo pre"}
	topo, _ := fake.NewFlat(3) // the same hosts: the recovery runs on them
	topo.Down(detPrimary)
	pol := actuators.DefaultPolicy()
	pol.StepTimeout, pol.FenceTimeout, pol.RelayApplyTimeout = time.Second, 200*time.Millisecond, time.Second
	w.e.Runner.DB, w.e.Runner.VIP, w.e.Runner.Policy = topo.DB(), noVIP{}, pol
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	wait := func(what string) {
		t.Helper()
		select {
		case <-g.started:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s never started", what)
		}
	}
	done := make(chan error, 1)
	go func() {
		done <- actuators.HandleDecision(ctx, w.e, w.view, analysis.NewRecoveries(),
			detDecision(analysis.ActionDetect, events.AnalysisUnreachableMaster, "not actionable"), 1)
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the step waited for the detection hooks")
	}
	wait("detection hooks")
	recs := analysis.NewRecoveries() // the fold as it stands: the intent expects its sequence
	for i, e := range w.log.all() {
		if err := recs.Apply(uint64(i+1), e); err != nil {
			t.Fatal(err)
		}
	}
	start := detDecision(analysis.ActionStart, events.AnalysisDeadMaster, "")
	start.NewDetection, start.RecoveryType, start.Attempt = false, events.RecoveryMaster, 1
	if err := actuators.HandleDecision(ctx, w.e, w.view, recs, start, 1); err != nil {
		t.Fatal(err)
	}
	if !actuators.Busy(w.e, detCluster) {
		t.Fatal("the running detection hooks held the recovery back")
	}
	wait("PreFailoverProcesses")
	close(g.release) // both lists go on at once
	actuators.WaitEngine(w.e)
	end, hookRan := -1, 0
	for i, e := range w.log.all() {
		switch {
		case e.Kind == events.KindRecoveryCompleted || e.Kind == events.KindRecoveryFailed:
			end = i
		case e.Kind == events.KindHookRan && e.CorrelationID == "d-1":
			hookRan++
			if end < 0 {
				t.Errorf("detection hook recorded at %d, during the recovery: %v", i, w.log.kinds())
			}
		}
	}
	if end < 0 || hookRan != 2 {
		t.Errorf("log %v: want the recovery ended (not fenced), then 2 detection hook records", w.log.kinds())
	}
}

// TestStartDetectionHookFailureSkipsOneRound: on a Start, the detection
// hooks run in the recovery's announce; a failing one stops the list and
// that round's recovery; the next round (the detection no longer new)
// starts the recovery without running them again.
func TestStartDetectionHookFailureSkipsOneRound(t *testing.T) {
	w := newWorld(t, 3)
	w.topo.Down(w.keys[0])
	w.r.Lists = actuators.HookLists{OnFailureDetection: []string{"fail-1", "echo never"}}
	e := newEngine(t, actuators.EngineConfig{Runner: w.r, Params: analysis.DefaultParams(), Logger: zerolog.Nop()})
	topo, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	view := topo.View(fixedClock{}.Now())
	a := &analysis.Analysis{AnalyzedInstanceKey: w.keys[0], Analysis: events.AnalysisDeadMaster, IsMaster: true,
		ClusterDetails: projections.ClusterInfo{ClusterName: w.cluster()}}
	d := analysis.Decision{Action: analysis.ActionStart, Analysis: a, NewDetection: true, RecoveryType: events.RecoveryMaster, Attempt: 1,
		Failure: events.FailureDetected{DetectionID: "d-1", Failed: w.keys[0], ClusterName: w.cluster(), Analysis: a.Analysis, Actionable: true}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := actuators.HandleDecision(ctx, e, view, w.log.fold(t), d, 1); err != nil {
		t.Fatal(err)
	}
	actuators.WaitEngine(e)
	if w.log.has(events.KindRecoveryStarted) || !w.log.has(events.KindFailureDetected) {
		t.Fatalf("round 1 log %v: want the detection, no recovery", w.log.kinds())
	}
	d.NewDetection = false
	if err := actuators.HandleDecision(ctx, e, view, w.log.fold(t), d, 1); err != nil {
		t.Fatal(err)
	}
	actuators.WaitEngine(e)
	if !w.log.has(events.KindRecoveryStarted) {
		t.Fatalf("round 2 did not start the recovery: %v", w.log.kinds())
	}
	var n int
	for _, l := range w.hooks.lists() {
		if l == "OnFailureDetectionProcesses" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("OnFailureDetectionProcesses ran %d times, want once: %v", n, w.hooks.lists())
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Error("rounds ran into the test's deadline")
	}
}

// TestStartDetectionStoredElsewhere: a recovery whose detection is already
// stored (another node's append, on a view that had not folded it) starts
// nothing and runs no detection hook: they ran where it was stored.
func TestStartDetectionStoredElsewhere(t *testing.T) {
	w := newWorld(t, 3)
	w.r.Lists = actuators.HookLists{OnFailureDetection: []string{"echo detected"}}
	det := events.FailureDetected{DetectionID: "d-1", Failed: w.keys[0], ClusterName: w.cluster()}
	env, err := events.New(events.KindFailureDetected, fixedClock{}.Now(), "n2", det)
	if err != nil {
		t.Fatal(err)
	}
	env.ID, env.Cluster = "det-d-1", w.cluster()
	seq, err := w.log.AppendCluster(t.Context(), env, actuators.AnyPosition)
	if err != nil {
		t.Fatal(err)
	}
	in := w.intent()
	in.Detected, in.ClusterSeq, in.SeqFromView = &det, seq, true
	_, err = w.run(t, in)
	if !errors.Is(err, actuators.ErrNotStarted) || !errors.Is(err, actuators.ErrFenced) {
		t.Fatalf("Run: %v, want ErrNotStarted and ErrFenced", err)
	}
	if l := w.hooks.lists(); len(l) != 0 || w.log.has(events.KindRecoveryStarted) || len(w.log.all()) != 1 {
		t.Errorf("hooks %v, log %v: want nothing more", l, w.log.kinds())
	}
}
