package actuators_test

import (
	"testing"
	"time"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// promotionView is a primary p with replicas s (the successor), r1, r2
// and r3; enforced names the servers with a semi-sync priority; r3 must
// never be promoted; r2 has its replica side on already; every replica
// but s has its source side on.
func promotionView(t *testing.T, enforced map[string]bool) *projections.View {
	t.Helper()
	topo, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	for i, h := range []string{"p", "s", "r1", "r2", "r3"} {
		o := &events.InstanceObserved{Key: key(h), ServerID: uint32(i + 1), Version: "10.11.6-MariaDB-log", Flavor: "MariaDB",
			LogBin: true, LogReplicaUpdates: true, BinlogFormat: "ROW", Digest: "d-" + h,
			SemiSync: events.SemiSync{Available: true, Enforced: enforced[h], MasterEnabled: h != "s", MasterWaitForCount: 1,
				ReplicaEnabled: h == "r2"}}
		if h != "p" {
			o.ReadOnly = true
			o.Replication = &events.Replication{SourceKey: key("p"), IOThread: events.ThreadRunning, SQLThread: events.ThreadRunning,
				UsingMariaDBGTID: true, MariaDBGTIDMode: "Slave_Pos", HasCredentials: true}
		}
		if h == "r3" {
			o.PromotionRule = projections.PromotionMustNot
		}
		env, err := events.New(events.KindInstanceObserved, now, "n1", o)
		if err != nil {
			t.Fatal(err)
		}
		if err := topo.Apply(uint64(i+1), env); err != nil {
			t.Fatal(err)
		}
	}
	return topo.View(now)
}

func key(h string) events.InstanceKey { return events.InstanceKey{Hostname: h, Port: 3306} }

// moveString renders a move as "host:M+R-" (source side on, replica side
// off; "." unchanged) for comparison.
func moveString(m events.SemiSyncMove) string {
	side := func(b *bool) string {
		switch {
		case b == nil:
			return "."
		case *b:
			return "+"
		}
		return "-"
	}
	return m.Target.Hostname + ":M" + side(m.Master) + "R" + side(m.Replica)
}

// TestPromotionIntentPlansSemiSyncMoves: the intent of a promotion, built
// from the view, plans orchestrator's semi-sync moves: none when no server
// has a semi-sync priority; with priorities (legacy rule) the successor's
// source side on, each re-pointed replica with a priority source side off
// and replica side on unless must_not (off then), nothing for one without
// (the wanted state, whatever the view says the server has now);
// a graceful takeover also turns the demoted primary's source side off and
// sets its replica side as a re-pointed replica's, decided after them;
// EnforceExactSemiSyncReplicas keeps the replica side to the successor's
// wait count in priority order, RecoverLockedSemiSyncMaster only turns it
// on until that count is reached.
func TestPromotionIntentPlansSemiSyncMoves(t *testing.T) {
	all := map[string]bool{"p": true, "s": true, "r1": true, "r2": true, "r3": true}
	for _, tc := range []struct {
		name     string
		enforced map[string]bool
		typ      events.RecoveryType
		exact    bool
		locked   bool
		want     []string
	}{
		{"no priority", map[string]bool{}, events.RecoveryMaster, false, false, nil},
		{"legacy", map[string]bool{"s": true, "r1": true, "r3": true}, events.RecoveryMaster, false, false,
			[]string{"s:M+R.", "r1:M-R+", "r2:M.R.", "r3:M-R-"}},
		{"legacy all", all, events.RecoveryMaster, false, false, []string{"s:M+R.", "r1:M-R+", "r2:M-R+", "r3:M-R-"}},
		// The demoted primary replicates from s: its replica side as a
		// re-pointed replica's (it had it off as the primary).
		{"takeover", all, events.RecoveryGracefulMasterTakeover, false, false, []string{"s:M+R.", "r1:M-R+", "r2:M-R+", "r3:M-R-", "p:M-R+"}},
		{"takeover, demoted without priority", map[string]bool{"s": true, "r1": true, "r3": true}, events.RecoveryGracefulMasterTakeover, false, false,
			[]string{"s:M+R.", "r1:M-R+", "r2:M.R.", "r3:M-R-", "p:M.R."}},
		// Decided after the replicas, as orchestrator's StartReplication of
		// the demoted primary: first by name among equals, so on (r1 keeps
		// it; the next MasterWithTooManySemiSyncReplicas check trims).
		{"takeover exact", all, events.RecoveryGracefulMasterTakeover, true, false, []string{"s:M+R.", "r1:M-R+", "r2:M-R-", "r3:M-R-", "p:M-R+"}},
		// r2 already ACKs: wait count 1 reached, the demoted primary's
		// replica side stays as it is.
		{"takeover locked", all, events.RecoveryGracefulMasterTakeover, false, true, []string{"s:M+R.", "r1:M-R.", "r2:M-R.", "r3:M-R.", "p:M-R."}},
		{"exact", all, events.RecoveryMaster, true, false, []string{"s:M+R.", "r1:M-R+", "r2:M-R-", "r3:M-R-"}},
		// r2 already sends ACKs: wait count 1 is reached, nothing turns on.
		{"locked enough", all, events.RecoveryMaster, false, true, []string{"s:M+R.", "r1:M-R.", "r2:M-R.", "r3:M-R."}},
		{"intermediate", all, events.RecoveryIntermediateMaster, false, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := promotionView(t, tc.enforced)
			in := actuators.NewIntent(v, actuators.IntentSpec{RecoveryID: "r-1", Type: tc.typ, Analysis: events.AnalysisDeadMaster,
				Failed: key("p"), Successor: key("s"), Node: "n1", Epoch: 1, EnforceExactSemiSyncReplicas: tc.exact, RecoverLockedSemiSyncMaster: tc.locked})
			var got []string
			for _, m := range in.Plan().SemiSyncMoves {
				got = append(got, moveString(m))
			}
			if len(got) != len(tc.want) {
				t.Fatalf("moves %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("moves %v, want %v", got, tc.want)
				}
			}
			for _, m := range in.Started.SemiSyncMoves {
				if m.Master == nil && m.Replica == nil && m.Why == "" {
					t.Errorf("move %+v changes nothing and says not why", m)
				}
			}
		})
	}
}
