package actuators_test

import (
	"context"
	"slices"
	"testing"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// TestNonWriteableMasterRecovery: the recovery of a read-only primary
// (RecoverNonWriteableMaster) sets it writeable in the step set-writeable,
// moves nothing, names the primary its successor and runs
// PreFailoverProcesses and PostFailoverProcesses only, as orchestrator; run
// again on a writeable primary the step is skipped.
func TestNonWriteableMasterRecovery(t *testing.T) {
	w := newWorld(t, 3)
	p := w.keys[0]
	if err := w.topo.DB().SetReadOnly(context.Background(), p, true); err != nil {
		t.Fatal(err)
	}
	w.r.Lists = actuators.HookLists{PreFailover: []string{"echo pre"}, PostFailover: []string{"echo post"},
		PostMasterFailover: []string{"echo never"}}
	intent := func(id string) actuators.Intent {
		return actuators.NewIntent(nil, actuators.IntentSpec{RecoveryID: id, Type: events.RecoveryNonWriteableMaster,
			Analysis: events.AnalysisNoWriteableMaster, Description: "Master with replicas is read_only",
			Cluster: projections.ClusterInfo{ClusterName: w.cluster()}, Failed: p, Successor: p, Node: "n1", Epoch: 1, Automated: true})
	}
	res, err := w.run(t, intent("r-1"))
	if err != nil {
		t.Fatalf("Run: %v (log %v)", err, w.log.kinds())
	}
	if res.Successor != p || len(res.LostReplicas) != 0 {
		t.Errorf("result %+v, want successor %s, nothing lost", res, p)
	}
	if st := w.status(t, p); st.ReadOnly {
		t.Error("primary still read-only")
	}
	for _, r := range w.keys[1:] {
		if st := w.status(t, r); st.Source != p || !st.IORunning {
			t.Errorf("replica %s moved or stopped: source %s io %v", r, st.Source, st.IORunning)
		}
	}
	steps := w.log.steps(t)
	if s, ok := steps["set-writeable"]; !ok || s.Outcome != events.StepOK || s.Target != p {
		t.Errorf("set-writeable %+v (present %v)", s, ok)
	}
	if lists := w.hooks.lists(); !slices.Equal(lists, []string{"PreFailoverProcesses", "PostFailoverProcesses"}) {
		t.Errorf("hook lists %v, want pre and post failover only", lists)
	}
	if !w.log.has(events.KindRecoveryCompleted) {
		t.Errorf("no recovery-completed: %v", w.log.kinds())
	}
	w2 := newWorld(t, 2)
	w2.r.DB = w.r.DB
	w2.topo = w.topo
	w2.keys = w.keys
	if _, err := w2.run(t, intent("r-2")); err != nil {
		t.Fatalf("second run: %v", err)
	}
	if s := w2.log.steps(t)["set-writeable"]; s.Outcome != events.StepSkipped {
		t.Errorf("writeable already: step %+v, want skipped", s)
	}
}
