package actuators

import (
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// TestEngineIntentOfAnyDetectionID: the recovery id is derived from the
// detection id ("d-…" → "r-…-attempt"); a detection id of another shape,
// as a foreign log may carry, gives an id too instead of a panic.
func TestEngineIntentOfAnyDetectionID(t *testing.T) {
	topo, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	v := topo.View(time.Unix(1_700_000_000, 0))
	e := &Engine{EngineConfig: EngineConfig{Runner: &Runner{Node: "n1"}, Params: analysis.DefaultParams()}}
	failed := events.InstanceKey{Hostname: "198.18.0.1", Port: 3306}
	for id, want := range map[string]string{"d-0a1b2c": "r-0a1b2c-2", "x": "r-x-2", "": "r--2"} {
		d := analysis.Decision{Analysis: &analysis.Analysis{AnalyzedInstanceKey: failed, Analysis: events.AnalysisDeadMaster},
			RecoveryType: events.RecoveryMaster, Attempt: 2}
		d.Failure.DetectionID = id
		if got := e.intent(v, d, 3).Started.RecoveryID; got != want {
			t.Errorf("detection %q: recovery %q, want %q", id, got, want)
		}
	}
}
