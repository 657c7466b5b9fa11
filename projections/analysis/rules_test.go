package analysis

import (
	"testing"

	"github.com/regent-ha/regent/events"
)

// TestDetectionHookedCodes: orchestrator's codes with a recovery handler
// (getCheckAndRecoverFunction) run the detection hooks, the others not (nor
// a code no rule has).
func TestDetectionHookedCodes(t *testing.T) {
	for code, want := range map[events.AnalysisCode]bool{
		events.AnalysisDeadMaster: true, events.AnalysisDeadMasterAndSomeReplicas: true, events.AnalysisDeadMasterAndReplicas: true,
		events.AnalysisUnreachableMaster: true, events.AnalysisUnreachableMasterWithLaggingReplicas: true,
		events.AnalysisAllMasterReplicasNotReplicating: true, events.AnalysisAllMasterReplicasNotReplicatingOrDead: true,
		events.AnalysisLockedSemiSyncMaster: true, events.AnalysisDeadIntermediateMaster: true,
		events.AnalysisDeadIntermediateMasterAndSomeReplicas: true, events.AnalysisDeadIntermediateMasterAndReplicas: true,
		events.AnalysisDeadIntermediateMasterWithSingleReplicaFailingToConnect: true,
		events.AnalysisAllIntermediateMasterReplicasFailingToConnectOrDead:     true,
		events.AnalysisUnreachableIntermediateMasterWithLaggingReplicas:        true,
		events.AnalysisDeadMasterWithoutReplicas:                               false, events.AnalysisUnreachableIntermediateMaster: false,
		events.AnalysisDeadIntermediateMasterWithSingleReplica: false, events.AnalysisNoProblem: false, "DeadCoMaster": false,
	} {
		if got := DetectionHooked(code); got != want {
			t.Errorf("DetectionHooked(%s) = %v, want %v", code, got, want)
		}
	}
}
