package analysis

import (
	"slices"
	"testing"

	"github.com/regent-ha/regent/events"
)

func TestStructureWarnings(t *testing.T) {
	s := newScript(t)
	p := primary("p", 1)
	p.ReadOnly = true
	r1 := replica("r1", 2, "p")
	r1.LogReplicaUpdates = false
	r2 := replica("r2", 3, "p")
	r2.LogReplicaUpdates = false
	r2.Replication.UsingMariaDBGTID = false
	r2.GTID.CurrentPos = "0-1-100,1-3-5" // errant: domain 1 from server 3
	s.observe(nodes, p, r1, r2)
	a := s.analysisOf("p", params())
	if a.Analysis != events.AnalysisNoProblem {
		t.Fatalf("analysis %s", a.Analysis)
	}
	want := []events.StructureCode{events.NoLoggingReplicasStructureWarning, events.NoFailoverSupportStructureWarning,
		events.DifferentGTIDModesStructureWarning, events.ErrantGTIDStructureWarning, events.NoWriteableMasterStructureWarning}
	if !slices.Equal(a.StructureAnalysis, want) {
		t.Fatalf("structure %v, want %v", a.StructureAnalysis, want)
	}
	if a.MaxReplicaGTIDErrant != "1-3-5" {
		t.Errorf("MaxReplicaGTIDErrant %q", a.MaxReplicaGTIDErrant)
	}
	// Downtimed errant replicas do not warn; mixed formats do.
	s.emit(events.KindDowntimeBegun, "n1", events.DowntimeBegun{Key: key("r2"), Owner: "o", Reason: "r"})
	r1.LogReplicaUpdates, r2.LogReplicaUpdates = true, true
	r1.BinlogFormat, r1.Digest = "STATEMENT", "d-r1-stmt"
	r2.Digest = "d-r2-log"
	s.observe(nodes, r1, r2)
	a = s.analysisOf("p", params())
	if slices.Contains(a.StructureAnalysis, events.ErrantGTIDStructureWarning) || !slices.Contains(a.StructureAnalysis, events.StatementAndRowLoggingReplicasStructureWarning) {
		t.Fatalf("structure %v", a.StructureAnalysis)
	}
	if a.CountDowntimedReplicas != 1 {
		t.Errorf("CountDowntimedReplicas %d", a.CountDowntimedReplicas)
	}
}
