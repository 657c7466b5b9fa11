package actuators_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// appendOther stores an event of another node on the cluster.
func (w *world) appendOther(t *testing.T, kind events.Kind, payload any) {
	t.Helper()
	env, err := events.New(kind, fixedClock{}.Now(), "n2", payload)
	if err != nil {
		t.Fatal(err)
	}
	env.Cluster = w.cluster()
	if _, err := w.log.AppendCluster(t.Context(), env, actuators.AnyPosition); err != nil {
		t.Fatal(err)
	}
}

// TestRunOnStaleViewDoesNothing: a decision made on a fold that has not
// seen the cluster's last event (here another node's recovery-started)
// appends nothing, runs no hook and no step, and returns ErrFenced and
// ErrNotStarted — with and without a new detection to announce.
func TestRunOnStaleViewDoesNothing(t *testing.T) {
	for _, detected := range []bool{false, true} {
		t.Run(fmt.Sprintf("detected=%v", detected), func(t *testing.T) {
			w := newWorld(t, 3)
			w.r.Lists = actuators.HookLists{OnFailureDetection: []string{"echo d"}, PreFailover: []string{"echo pre"}}
			w.appendOther(t, events.KindFailureDetected, events.FailureDetected{DetectionID: "d-1", Failed: w.keys[0], ClusterName: w.cluster()})
			in := w.intent()
			in.ClusterSeq, in.SeqFromView = 1, true // the fold the decision was made on
			if detected {
				in.Detected = &events.FailureDetected{DetectionID: "d-2", Failed: w.keys[0], ClusterName: w.cluster()}
			}
			w.appendOther(t, events.KindRecoveryStarted, events.RecoveryStarted{RecoveryID: "r-other", Failed: w.keys[0], ClusterName: w.cluster()})
			before, calls := len(w.log.all()), w.dbCalls()
			_, err := w.run(t, in)
			if !errors.Is(err, actuators.ErrFenced) || !errors.Is(err, actuators.ErrNotStarted) {
				t.Fatalf("Run on a stale view: %v, want ErrFenced and ErrNotStarted", err)
			}
			if got := len(w.log.all()); got != before {
				t.Errorf("appended %d events: %v", got-before, w.log.kinds()[before:])
			}
			if n := w.dbCalls() - calls; n != 0 {
				t.Errorf("%d DB calls on a stale view", n)
			}
			if l := w.hooks.lists(); len(l) != 0 {
				t.Errorf("hooks ran: %v", l)
			}
			if st := w.status(t, w.keys[1]); !st.IsReplica || !st.ReadOnly {
				t.Errorf("successor changed: %+v", st)
			}
		})
	}
}

// TestRunOnCurrentViewRecovers: the same intent made on the current fold
// promotes the successor and re-points the other replica.
func TestRunOnCurrentViewRecovers(t *testing.T) {
	w := newWorld(t, 3)
	w.appendOther(t, events.KindFailureDetected, events.FailureDetected{DetectionID: "d-1", Failed: w.keys[0], ClusterName: w.cluster()})
	w.topo.Down(w.keys[0])
	in := w.intent()
	in.ClusterSeq, in.SeqFromView = 1, true
	res, err := w.run(t, in)
	if err != nil {
		t.Fatalf("Run: %v (log %v)", err, w.log.kinds())
	}
	if res.Successor != w.keys[1] || len(res.LostReplicas) != 0 {
		t.Errorf("result %+v", res)
	}
	if k := w.log.kinds(); k[1] != "recovery-started" || k[len(k)-1] != "recovery-completed" {
		t.Errorf("log %v", k)
	}
	if st := w.status(t, w.keys[1]); st.IsReplica || st.ReadOnly {
		t.Errorf("successor not promoted: %+v", st)
	}
	if st := w.status(t, w.keys[2]); st.Source != w.keys[1] || !st.IORunning {
		t.Errorf("replica not re-pointed: %+v", st)
	}
}

// TestRunManualTakesTheLogsSequence: without SeqFromView (a manual
// operation) Run expects the log's last sequence.
func TestRunManualTakesTheLogsSequence(t *testing.T) {
	w := newWorld(t, 2)
	w.appendOther(t, events.KindRecoveryAcknowledged, map[string]string{"who": "op"})
	w.topo.Down(w.keys[0])
	if _, err := w.run(t, w.intent()); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestFenceErrors: an old primary that cannot be reached is owed a late
// fencing and the recovery succeeds; one that answers but refuses
// read_only=1 (error 1227) fails the step and the recovery, with
// PostUnsuccessfulFailoverProcesses.
func TestFenceErrors(t *testing.T) {
	denied := &actuators.Error{Kind: actuators.Permanent, Op: "set read_only",
		Err: errors.New("Error 1227 (42000): Access denied; you need (at least one of) the READ_ONLY ADMIN privilege(s) for this operation")}
	refused := &actuators.Error{Kind: actuators.Transient, Op: "set read_only", Err: fmt.Errorf("dial tcp: %w", syscall.ECONNREFUSED)}
	for _, tc := range []struct {
		name    string
		down    bool  // the old primary is down
		roErr   error // SET GLOBAL read_only=1 on the old primary fails so
		wantErr bool
		detail  string
	}{
		{"down", true, nil, false, "old primary unreachable"},
		{"refused", false, refused, false, "old primary unreachable"},
		{"privilege", false, denied, true, "may take writes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 3)
			w.r.Lists = actuators.HookLists{PostUnsuccessfulFailover: []string{"echo unsuccessful"}, PostFailover: []string{"echo ok"}}
			if tc.down {
				w.topo.Down(w.keys[0])
			}
			if tc.roErr != nil {
				w.r.DB = overrideDB{DB: w.topo.DB(), setReadOnly: map[events.InstanceKey]error{w.keys[0]: tc.roErr}}
			}
			_, err := w.run(t, w.intent())
			s := w.log.steps(t)["fence-read-only"]
			if !strings.Contains(s.Detail, tc.detail) {
				t.Errorf("fence-read-only %+v, want detail with %q", s, tc.detail)
			}
			if !tc.wantErr {
				if err != nil || !w.log.has(events.KindRecoveryCompleted) || s.Outcome != events.StepSkipped {
					t.Fatalf("Run: %v, fence %+v, log %v", err, s, w.log.kinds())
				}
				return
			}
			var se *actuators.StepError
			if !errors.As(err, &se) || se.Step != "fence-read-only" || s.Outcome != events.StepFailed {
				t.Fatalf("Run: %v, fence %+v; want fence-read-only failed", err, s)
			}
			if w.log.has(events.KindRecoveryCompleted) || !w.log.has(events.KindRecoveryFailed) {
				t.Errorf("log %v: want recovery-failed only", w.log.kinds())
			}
			if l := w.hooks.lists(); !slices.Equal(l, []string{"PostUnsuccessfulFailoverProcesses"}) {
				t.Errorf("hooks %v, want PostUnsuccessfulFailoverProcesses", l)
			}
		})
	}
}

// TestDetachLostReplicas: after a master failover a replica that could
// not be re-pointed is detached (detach-lost, source //host) when the
// policy says so; one still unreachable is recorded as such and the
// recovery succeeds; without the policy nothing is detached.
func TestDetachLostReplicas(t *testing.T) {
	for _, detach := range []bool{true, false} {
		t.Run(fmt.Sprintf("detach=%v", detach), func(t *testing.T) {
			w := newWorld(t, 4)
			w.topo.Down(w.keys[0])
			flaky, gone := w.keys[2], w.keys[3]
			w.r.DB = overrideDB{DB: w.topo.DB(), changeSource: map[events.InstanceKey]error{
				flaky: &actuators.Error{Kind: actuators.Transient, Op: "change source", Key: flaky, Err: syscall.ETIMEDOUT}}}
			w.topo.Down(gone)
			w.r.Policy.DetachLostReplicas = detach
			res, err := w.run(t, w.intent())
			if err != nil {
				t.Fatalf("Run: %v (log %v)", err, w.log.kinds())
			}
			if !slices.Equal(res.LostReplicas, []events.InstanceKey{flaky, gone}) {
				t.Errorf("lost %v, want %v", res.LostReplicas, []events.InstanceKey{flaky, gone})
			}
			steps := w.log.steps(t)
			sf, okf := steps["detach-lost "+flaky.String()]
			sg, okg := steps["detach-lost "+gone.String()]
			st := w.status(t, flaky)
			if !detach {
				if okf || okg || strings.HasPrefix(st.Source.Hostname, "//") {
					t.Errorf("detached without the policy: %+v %+v, source %s", sf, sg, st.Source)
				}
				return
			}
			if sf.Outcome != events.StepOK || st.Source.Hostname != "//"+w.keys[0].Hostname || st.IORunning {
				t.Errorf("reachable lost replica: step %+v, source %s io %v", sf, st.Source, st.IORunning)
			}
			if sg.Outcome != events.StepSkipped || !strings.Contains(sg.Detail, "unreachable") {
				t.Errorf("unreachable lost replica: step %+v", sg)
			}
		})
	}
}

// TestDetectionHookFailureStopsTheRound: a failing
// OnFailureDetectionProcesses command stops the list and no recovery
// starts; run again without a new detection (the next round), the
// recovery proceeds.
func TestDetectionHookFailureStopsTheRound(t *testing.T) {
	w := newWorld(t, 3)
	w.topo.Down(w.keys[0])
	w.r.Lists = actuators.HookLists{OnFailureDetection: []string{"fail-1", "echo never"}, PreFailover: []string{"echo pre"}}
	in := w.intent()
	in.Detected = &events.FailureDetected{DetectionID: "d-1", Failed: w.keys[0], ClusterName: w.cluster()}
	_, err := w.run(t, in)
	if !errors.Is(err, actuators.ErrNotStarted) || !errors.Is(err, errHookFailed) {
		t.Fatalf("Run: %v, want ErrNotStarted and the hook's error", err)
	}
	c, _ := w.hooks.call("OnFailureDetectionProcesses")
	if !c.failFast || !slices.Equal(c.ran, []string{"fail-1"}) || c.hc.SuccessorHost != "" {
		t.Errorf("detection hooks %+v: want fail-fast, stopped at the first, no successor", c)
	}
	if w.log.has(events.KindRecoveryStarted) || w.dbCalls() != 0 || len(w.hooks.lists()) != 1 {
		t.Fatalf("recovery went on: log %v, hooks %v, %d DB calls", w.log.kinds(), w.hooks.lists(), w.dbCalls())
	}
	in.Detected = nil
	if _, err := w.run(t, in); err != nil {
		t.Fatalf("next round: %v", err)
	}
	if !w.log.has(events.KindRecoveryCompleted) {
		t.Errorf("next round did not recover: %v", w.log.kinds())
	}
}

// TestPreFailoverHookFailureRunsNoPostHooks: a failing PreFailoverProcesses
// command aborts before any topology change; the recovery is recorded
// failed and no post hook runs (PostUnsuccessful… neither).
func TestPreFailoverHookFailureRunsNoPostHooks(t *testing.T) {
	w := newWorld(t, 3)
	w.topo.Down(w.keys[0])
	w.r.Lists = actuators.HookLists{PreFailover: []string{"echo a", "fail-b", "echo c"},
		PostUnsuccessfulFailover: []string{"echo u"}, PostFailover: []string{"echo p"}}
	_, err := w.run(t, w.intent())
	if err == nil || errors.Is(err, actuators.ErrNotStarted) {
		t.Fatalf("Run: %v, want a failed recovery", err)
	}
	if l := w.hooks.lists(); !slices.Equal(l, []string{"PreFailoverProcesses"}) {
		t.Errorf("hooks %v, want PreFailoverProcesses only", l)
	}
	c, _ := w.hooks.call("PreFailoverProcesses")
	if !slices.Equal(c.ran, []string{"echo a", "fail-b"}) || c.hc.SuccessorHost != "" {
		t.Errorf("pre hooks %+v: want stopped at fail-b, no successor", c)
	}
	if !w.log.has(events.KindRecoveryFailed) || w.log.has(events.KindRecoveryStep) {
		t.Errorf("log %v: want recovery-failed and no step", w.log.kinds())
	}
	if st := w.status(t, w.keys[1]); !st.IsReplica {
		t.Errorf("successor touched: %+v", st)
	}
}

// TestSuccessorPlaceholders: the successor's alias and binlog coordinates
// reach the post hooks of a successful recovery; detection and
// PreFailover hooks run before a successor is chosen and get none.
func TestSuccessorPlaceholders(t *testing.T) {
	w := newWorld(t, 3)
	w.topo.Down(w.keys[0])
	w.r.Lists = actuators.HookLists{OnFailureDetection: []string{"echo d"}, PreFailover: []string{"echo pre"},
		PostMasterFailover: []string{"echo pm"}, PostFailover: []string{"echo post"}}
	in := w.intent()
	in.Detected = &events.FailureDetected{DetectionID: "d-1", Failed: w.keys[0], ClusterName: w.cluster()}
	in.Hook.SuccessorAlias, in.Hook.SuccessorBinlogCoordinates, in.Hook.IsDowntimed = "db-b", "mysql-bin.000002:99", true
	if _, err := w.run(t, in); err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, list := range []string{"OnFailureDetectionProcesses", "PreFailoverProcesses"} {
		c, ok := w.hooks.call(list)
		if !ok || c.hc.SuccessorHost != "" || c.hc.SuccessorAlias != "" || c.hc.SuccessorBinlogCoordinates != "" || !c.hc.IsDowntimed {
			t.Errorf("%s ran %v with %+v: want no successor", list, ok, c.hc)
		}
	}
	for _, list := range []string{"PostMasterFailoverProcesses", "PostFailoverProcesses"} {
		c, ok := w.hooks.call(list)
		if !ok || c.hc.SuccessorHost != w.keys[1].Hostname || c.hc.SuccessorAlias != "db-b" ||
			c.hc.SuccessorBinlogCoordinates != "mysql-bin.000002:99" || !c.hc.IsSuccessful {
			t.Errorf("%s ran %v with %+v: want the successor's values", list, ok, c.hc)
		}
	}
}

// TestFailIfSQLThreadNotUpToDate: a successor with an unapplied relay log
// is not promoted when FailMasterPromotionIfSQLThreadNotUpToDate is set
// (the recovery fails at apply-relay-log); without it Regent applies the
// relay log first and the write survives on the new primary.
func TestFailIfSQLThreadNotUpToDate(t *testing.T) {
	for _, refuse := range []bool{true, false} {
		t.Run(fmt.Sprintf("fail=%v", refuse), func(t *testing.T) {
			w := newWorld(t, 3)
			w.topo.HoldSQL(w.keys[1], true)
			if err := w.topo.Write(w.keys[0], 42); err != nil {
				t.Fatal(err)
			}
			w.topo.Down(w.keys[0])
			w.r.Policy.FailIfSQLThreadNotUpToDate = refuse
			w.r.Lists = actuators.HookLists{PostUnsuccessfulFailover: []string{"echo u"}}
			_, err := w.run(t, w.intent())
			st := w.status(t, w.keys[1])
			if !refuse {
				has, herr := w.topo.Has(w.keys[1], 42)
				if err != nil || st.IsReplica || st.ReadOnly || herr != nil || !has {
					t.Fatalf("Run: %v; successor %+v has the write: %v %v", err, st, has, herr)
				}
				return
			}
			var se *actuators.StepError
			if !errors.As(err, &se) || se.Step != "apply-relay-log" || actuators.KindOf(err) != actuators.Precondition {
				t.Fatalf("Run: %v, want apply-relay-log failed with a Precondition error", err)
			}
			if !st.IsReplica || !st.ReadOnly {
				t.Errorf("successor promoted: %+v", st)
			}
			if _, ok := w.log.steps(t)["promote"]; ok || !w.log.has(events.KindRecoveryFailed) {
				t.Errorf("log %v: want recovery-failed and no promote", w.log.kinds())
			}
			if l := w.hooks.lists(); !slices.Equal(l, []string{"PostUnsuccessfulFailoverProcesses"}) {
				t.Errorf("hooks %v", l)
			}
		})
	}
}

// TestIntermediatePrimaryRecovery: the replicas of a dead intermediate
// primary move under the target; nothing is promoted.
func TestIntermediatePrimaryRecovery(t *testing.T) {
	w := newWorld(t, 3)
	p, im, leaf := w.keys[0], w.keys[1], w.keys[2]
	if err := w.topo.DB().ChangeSource(t.Context(), leaf, im, actuators.SlavePos, nil); err != nil {
		t.Fatal(err)
	}
	w.topo.Down(im)
	w.r.Lists = actuators.HookLists{PostIntermediateMasterFailover: []string{"echo im"}, PostMasterFailover: []string{"echo m"}}
	in := actuators.NewIntent(nil, actuators.IntentSpec{RecoveryID: "r-im", Type: "IntermediateMasterRecovery", Analysis: "DeadIntermediateMaster",
		Cluster: projections.ClusterInfo{ClusterName: w.cluster()}, Failed: im, Successor: p, Replicas: []events.InstanceKey{leaf}, Epoch: 1})
	res, err := w.run(t, in)
	if err != nil || res.Successor != p {
		t.Fatalf("Run: %+v %v", res, err)
	}
	if st := w.status(t, leaf); st.Source != p || !st.IORunning || !st.SQLRunning {
		t.Errorf("leaf not under %s: %+v", p, st)
	}
	if st := w.status(t, p); st.IsReplica || st.ReadOnly {
		t.Errorf("primary changed: %+v", st)
	}
	if w.topo.Calls("ResetReplica") != 0 {
		t.Error("an intermediate recovery reset a replica")
	}
	if l := w.hooks.lists(); !slices.Equal(l, []string{"PostIntermediateMasterFailoverProcesses"}) {
		t.Errorf("hooks %v", l)
	}
}

// TestLeaseLostMidRecovery: once the lease is gone the recovery stops
// with ErrFenced: no further step, no outcome recorded, no post hook.
func TestLeaseLostMidRecovery(t *testing.T) {
	w := newWorld(t, 3)
	w.topo.Down(w.keys[0])
	// Holds answers yes for: recovery-started, stop-io (record and
	// append), the first replica's stop-io record; then no.
	w.r.Lease = leaseFor(4)
	w.r.Lists = actuators.HookLists{PostUnsuccessfulFailover: []string{"echo u"}, PostFailover: []string{"echo p"}}
	_, err := w.run(t, w.intent())
	if !errors.Is(err, actuators.ErrFenced) {
		t.Fatalf("Run: %v, want ErrFenced", err)
	}
	steps := w.log.steps(t)
	if _, ok := steps["stop-io"]; !ok || len(steps) != 1 {
		t.Errorf("steps %v: want stop-io only", steps)
	}
	if w.log.has(events.KindRecoveryFailed) || w.log.has(events.KindRecoveryCompleted) {
		t.Errorf("log %v: a fenced node recorded an outcome", w.log.kinds())
	}
	if st := w.status(t, w.keys[1]); !st.IsReplica || !st.ReadOnly {
		t.Errorf("successor promoted after the lease was lost: %+v", st)
	}
	if l := w.hooks.lists(); len(l) != 0 {
		t.Errorf("hooks %v", l)
	}
}

// TestOwedStepsSettledWhenHostsComeBack: an old primary and a lost replica
// that were down during the recovery are owed their fencing and detaching;
// while they stay down a pass of the engine changes nothing, and once they
// are back one pass makes the old primary read-only and detaches the
// replica, each recorded as a step of the recovery.
func TestOwedStepsSettledWhenHostsComeBack(t *testing.T) {
	w := newWorld(t, 3)
	old, gone := w.keys[0], w.keys[2]
	w.topo.Down(old)
	w.topo.Down(gone)
	w.r.Policy.DetachLostReplicas = true
	if _, err := w.run(t, w.intent()); err != nil {
		t.Fatalf("Run: %v (log %v)", err, w.log.kinds())
	}
	e := newEngine(t, actuators.EngineConfig{Runner: w.r, Logger: zerolog.Nop()})
	now := fixedClock{}.Now()
	detach := "detach-lost " + gone.String()
	before := len(w.log.all())
	actuators.SettleOwed(t.Context(), e, w.log.fold(t), now, 1)
	if n := len(w.log.all()); n != before {
		t.Fatalf("hosts still down, yet %d events were appended", n-before)
	}
	if s := w.log.steps(t)[detach]; s.Outcome != events.StepSkipped || !strings.Contains(s.Detail, "unreachable") {
		t.Fatalf("%s = %+v, want skipped as unreachable", detach, s)
	}
	w.topo.Up(old)
	w.topo.Up(gone)
	actuators.SettleOwed(t.Context(), e, w.log.fold(t), now, 1)
	steps := w.log.steps(t)
	if s := steps["fence-read-only"]; s.Outcome != events.StepOK || !strings.Contains(s.Detail, "came back") {
		t.Errorf("fence-read-only = %+v, want ok after it came back", s)
	}
	if s := steps[detach]; s.Outcome != events.StepOK || !strings.Contains(s.Detail, "came back") {
		t.Errorf("%s = %+v, want ok after it came back", detach, s)
	}
	if st := w.status(t, old); !st.ReadOnly {
		t.Errorf("old primary %s came back writable and stayed so", old)
	}
	if st := w.status(t, gone); st.Source.Hostname != "//"+old.Hostname {
		t.Errorf("lost replica's source = %s, want //%s", st.Source, old.Hostname)
	}
	// Settled: a further pass owes nothing.
	before = len(w.log.all())
	actuators.SettleOwed(t.Context(), e, w.log.fold(t), now, 1)
	if n := len(w.log.all()); n != before {
		t.Errorf("a settled recovery got %d more events", n-before)
	}
}
