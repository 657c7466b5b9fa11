package projections

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

// A transcript of begin/end-maintenance: the instance shows who put it in
// maintenance and why until it ends or lapses; downtime is independent.
func TestMaintenanceFold(t *testing.T) {
	sc := flat(t, DefaultSettings())
	sc.emit(events.KindMaintenanceBegun, "n1", events.MaintenanceBegun{Key: key(h3), Owner: "ops", Reason: "kernel upgrade", Until: t0.Add(10 * time.Minute)})
	sc.at(30*time.Second).observe(threeNodes, mariaPrimary(h1, 1), mariaReplica(h2, 2, h1), mariaReplica(h3, 3, h1))
	inst := sc.instance(h3)
	if !inst.IsInMaintenance || inst.MaintenanceOwner != "ops" || inst.MaintenanceReason != "kernel upgrade" ||
		inst.MaintenanceBeginTimestamp != "2025-03-01 12:00:00" || inst.MaintenanceEndTimestamp != "2025-03-01 12:10:00" {
		t.Fatalf("maintenance fields: %+v", inst)
	}
	if inst.IsDowntimed {
		t.Fatal("maintenance shows as downtime")
	}
	if sc.instance(h2).IsInMaintenance {
		t.Fatal("maintenance leaked to a sibling")
	}
	b, err := json.Marshal(inst)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"IsInMaintenance":true`, `"MaintenanceOwner":"ops"`, `"MaintenanceReason":"kernel upgrade"`,
		`"MaintenanceEndTimestamp":"2025-03-01 12:10:00"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("instance JSON lacks %s", want)
		}
	}
	// A clone keeps its own annotations.
	c := sc.topo.Clone()
	sc.emit(events.KindMaintenanceEnded, "n1", events.MaintenanceEnded{Key: key(h3)})
	if sc.instance(h3).IsInMaintenance {
		t.Fatal("maintenance ended but still shown")
	}
	if cv, _ := c.View(sc.now).Instance(key(h3)); !cv.IsInMaintenance {
		t.Fatal("ending maintenance changed a clone")
	}
	// Lapse by time (MaintenanceExpireMinutes), and no bound.
	sc.emit(events.KindMaintenanceBegun, "n1", events.MaintenanceBegun{Key: key(h3), Owner: "o", Until: t0.Add(40 * time.Second)})
	if !sc.instance(h3).IsInMaintenance {
		t.Fatal("maintenance not active before its end")
	}
	if sc.at(40 * time.Second).instance(h3).IsInMaintenance {
		t.Fatal("lapsed maintenance still active")
	}
	sc.emit(events.KindMaintenanceBegun, "n1", events.MaintenanceBegun{Key: key(h2), Owner: "o"})
	if inst := sc.at(time.Hour).instance(h2); !inst.IsInMaintenance || inst.MaintenanceEndTimestamp != "" {
		t.Fatalf("unbounded maintenance: %+v", inst)
	}
}

func TestMaintenanceRejectsBadPayload(t *testing.T) {
	sc := flat(t, DefaultSettings())
	e, err := events.New(events.KindMaintenanceBegun, t0, "n1", events.MaintenanceBegun{Owner: "o"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.topo.Apply(0, e); err == nil {
		t.Fatal("maintenance without a key folded")
	}
}
