package main

import (
	"testing"
	"time"
)

// TestFleetQuick is the small version of the fleet measurement
// (BenchmarkLargeFleet, make bench-fleet): 30 simulated MariaDB instances in
// clusters of 3–5, one Regent node polling every second with recovery
// disabled. Every instance is discovered from the seeds, observations flow
// into REGENT_OBS at about one per instance and second, and killing two
// primaries is detected as DeadMaster within a few poll intervals.
func TestFleetQuick(t *testing.T) {
	r := runFleet(t, fleetSetup{instances: 30, nodes: 1, window: 3 * time.Second, kills: 2, pollMillis: 1000, ready: 60 * time.Second})
	t.Logf("\n%s", fleetTable([]fleetResult{r}))
	if r.obsRate < 20 || r.obsRate > 45 {
		t.Errorf("REGENT_OBS grew by %.1f msgs/s, want ≈ 30 (one per instance and second)", r.obsRate)
	}
	if len(r.detections) != 2 {
		t.Fatalf("%d detections, want 2", len(r.detections))
	}
	for _, d := range r.detections {
		if d > 5*time.Second {
			t.Errorf("detection took %s, want ≤ 5 s at 1 s polling", d)
		}
	}
}
