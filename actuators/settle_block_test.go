package actuators_test

import (
	"testing"
	"time"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections/analysis"
)

// TestBlockWaitsForTheSettlePeriod: right after this node's recovery of a
// cluster (its settle period) a Block decision records nothing — the view
// may still show the failure the recovery repaired, and the block would be
// that recovery's own anti-flap block; once the cluster settled, the same
// decision records its detection and the block.
func TestBlockWaitsForTheSettlePeriod(t *testing.T) {
	w := newDetWorld(t, nil)
	d := detDecision(analysis.ActionBlock, events.AnalysisDeadMaster, "recovered 198.18.0.1:3306 in the last 3600 seconds")
	now := fixedClock{}.Now()
	actuators.SettleUntil(w.e, detCluster, now.Add(time.Second))
	w.handle(t, d)
	if n := len(w.log.all()); n != 0 {
		t.Fatalf("a block while the cluster settles appended %v", w.log.kinds())
	}
	actuators.SettleUntil(w.e, detCluster, now) // over: not before now
	w.handle(t, d)
	if w.count(events.KindRecoveryBlocked) != 1 || w.count(events.KindFailureDetected) != 1 {
		t.Fatalf("after the settle period: %v, want the detection and one recovery-blocked", w.log.kinds())
	}
}
