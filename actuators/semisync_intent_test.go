package actuators_test

import (
	"slices"
	"testing"
	"time"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// TestLockedSemiSyncIntentNamesTheReplicasToEnable: the intent of an
// automated LockedSemiSyncMasterRecovery, built from the view, names in
// recovery-started.replicas the replicas analysis.SemiSyncReplicasToEnable
// picks (here the one with a semi-sync priority), not every replica.
func TestLockedSemiSyncIntentNamesTheReplicasToEnable(t *testing.T) {
	topo, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	k := func(h string) events.InstanceKey { return events.InstanceKey{Hostname: h, Port: 3306} }
	obs := func(h string, id uint32, source string, ss events.SemiSync) *events.InstanceObserved {
		o := &events.InstanceObserved{Key: k(h), ServerID: id, Version: "10.11.6-MariaDB-log", Flavor: "MariaDB",
			LogBin: true, LogReplicaUpdates: true, BinlogFormat: "ROW", SemiSync: ss, Digest: "d-" + h}
		if source != "" {
			o.ReadOnly = true
			o.Replication = &events.Replication{SourceKey: k(source), IOThread: events.ThreadRunning, SQLThread: events.ThreadRunning,
				UsingMariaDBGTID: true, MariaDBGTIDMode: "Slave_Pos", HasCredentials: true}
		}
		return o
	}
	all := []*events.InstanceObserved{
		obs("p", 1, "", events.SemiSync{Available: true, MasterEnabled: true, MasterStatus: true, MasterWaitForCount: 1}),
		obs("r1", 2, "p", events.SemiSync{Available: true}),
		obs("r2", 3, "p", events.SemiSync{Available: true, Enforced: true}),
	}
	for i, o := range all {
		env, err := events.New(events.KindInstanceObserved, now, "n1", o)
		if err != nil {
			t.Fatal(err)
		}
		if err := topo.Apply(uint64(i+1), env); err != nil {
			t.Fatal(err)
		}
	}
	in := actuators.NewIntent(topo.View(now), actuators.IntentSpec{RecoveryID: "r-1", Type: events.RecoveryLockedSemiSyncMaster,
		Analysis: events.AnalysisLockedSemiSyncMaster, Failed: k("p"), Successor: k("p"), Node: "n1", Epoch: 1})
	if got := in.Started.Replicas; !slices.Equal(got, []events.InstanceKey{k("r2")}) {
		t.Errorf("replicas to enable %v, want [r2:3306]", got)
	}
	if p := in.Plan(); !p.SemiSync || p.SetWriteable || p.Graceful {
		t.Errorf("plan %+v, want a semi-sync plan", p)
	}
}
