package analysis

import (
	"slices"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// TestRecoverNonWriteableMaster: a reachable read-only primary whose
// replicas replicate is only a structure warning by default; with
// RecoverNonWriteableMaster it is the actionable
// NoWriteableMasterStructureWarning and a NonWriteableMasterRecovery
// starts, even in a cluster RecoverMasterClusterFilters leaves out (as
// orchestrator); a writeable primary, or one whose replicas do not
// replicate, starts nothing.
func TestRecoverNonWriteableMaster(t *testing.T) {
	build := func(readOnly, replicating bool) *script {
		s := newScript(t)
		p := primary("p", 1)
		p.ReadOnly = readOnly
		r1, r2 := replica("r1", 2, "p"), replica("r2", 3, "p")
		if !replicating {
			r1.Replication.SQLThread, r2.Replication.SQLThread = events.ThreadStopped, events.ThreadStopped
		}
		s.observe(nodes, p, r1, r2)
		return s.at(time.Second)
	}
	s := build(true, true)
	off := params()
	if a := s.analysisOf("p", off); a.Analysis != events.AnalysisNoProblem || !slices.Contains(a.StructureAnalysis, events.NoWriteableMasterStructureWarning) {
		t.Fatalf("without the key: analysis %s %v, want NoProblem with the warning", a.Analysis, a.StructureAnalysis)
	}
	if ds := s.decide(off); len(ds) != 0 {
		t.Fatalf("without the key: decisions %s", mustJSON(t, ds))
	}
	on := params()
	on.RecoverNonWriteableMaster = true
	on.RecoverMasterClusterFilters = projections.ClusterFilters{} // matches no cluster
	a := s.analysisOf("p", on)
	if a.Analysis != events.AnalysisNoWriteableMaster || !a.IsActionableRecovery || a.RecoveryType != events.RecoveryNonWriteableMaster {
		t.Fatalf("with the key: analysis %s actionable %v type %q", a.Analysis, a.IsActionableRecovery, a.RecoveryType)
	}
	d := one(t, s.decide(on), ActionStart)
	if d.RecoveryType != events.RecoveryNonWriteableMaster || d.Failure.Failed != key("p") || !d.NewDetection {
		t.Fatalf("start %s", mustJSON(t, d))
	}
	s.engine(d)
	if ds := s.decide(on); len(ds) != 0 {
		t.Fatalf("while the recovery runs: %s", mustJSON(t, ds))
	}
	for _, tc := range []struct{ readOnly, replicating bool }{{false, true}, {true, false}} {
		s := build(tc.readOnly, tc.replicating)
		if a := s.analysisOf("p", on); a.Analysis == events.AnalysisNoWriteableMaster {
			t.Errorf("read-only %v, replicating %v: analysis %s", tc.readOnly, tc.replicating, a.Analysis)
		}
		for _, d := range s.decide(on) {
			if d.Action == ActionStart {
				t.Errorf("read-only %v, replicating %v: started %s", tc.readOnly, tc.replicating, mustJSON(t, d))
			}
		}
	}
}
