package actuators

import (
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// TestFillFromInstances: {successorBinlogCoordinates} is the successor's
// own binlog file:pos, {successorAlias} its instance alias, {isDowntimed}
// whether the failed instance is downtimed; unknown instances change
// nothing.
func TestFillFromInstances(t *testing.T) {
	failed := &projections.Instance{IsDowntimed: true}
	succ := &projections.Instance{InstanceAlias: "db-b",
		SelfBinlogCoordinates: projections.BinlogCoordinates{LogFile: "mysql-bin.000007", LogPos: 1234}}
	for _, tc := range []struct {
		name         string
		failed, succ *projections.Instance
		want         HookContext
	}{
		{"both", failed, succ, HookContext{IsDowntimed: true, SuccessorAlias: "db-b", SuccessorBinlogCoordinates: "mysql-bin.000007:1234"}},
		{"not downtimed, no binlog", &projections.Instance{}, &projections.Instance{InstanceAlias: "x"}, HookContext{SuccessorAlias: "x"}},
		{"unknown", nil, nil, HookContext{FailedHost: "keep"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hc := HookContext{}
			if tc.name == "unknown" {
				hc.FailedHost = "keep"
			}
			fillFromInstances(&hc, tc.failed, tc.succ)
			if hc.IsDowntimed != tc.want.IsDowntimed || hc.SuccessorAlias != tc.want.SuccessorAlias ||
				hc.SuccessorBinlogCoordinates != tc.want.SuccessorBinlogCoordinates || hc.FailedHost != tc.want.FailedHost {
				t.Errorf("got %+v, want %+v", hc, tc.want)
			}
		})
	}
}

// TestFillFromView: the same values read from a folded view.
func TestFillFromView(t *testing.T) {
	topo, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	p := events.InstanceKey{Hostname: "198.18.0.1", Port: 3306}
	r := events.InstanceKey{Hostname: "198.18.0.2", Port: 3306}
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
	emit(events.KindInstanceObserved, events.InstanceObserved{Key: p})
	emit(events.KindInstanceObserved, events.InstanceObserved{Key: r, InstanceAlias: "db-b",
		SelfCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 99}})
	emit(events.KindDowntimeBegun, events.DowntimeBegun{Key: p, Owner: "op", Reason: "test", Until: now.Add(time.Hour)})
	var hc HookContext
	FillFromView(&hc, topo.View(now), p, r)
	if !hc.IsDowntimed || hc.SuccessorAlias != "db-b" || hc.SuccessorBinlogCoordinates != "mysql-bin.000002:99" {
		t.Errorf("hook context %+v", hc)
	}
}
