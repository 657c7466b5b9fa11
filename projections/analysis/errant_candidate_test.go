package analysis

import (
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

// TestChooseCandidateErrantUntilRepaired: on both flavors a replica ahead
// of its sibling but holding an errant transaction is rejected, and once
// the primary holds that transaction (gtid-errant-inject-empty repaired
// it before the primary died) the same replica is chosen.
func TestChooseCandidateErrantUntilRepaired(t *testing.T) {
	const src, u1, u2 = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-0000000000b1", "00000000-0000-0000-0000-0000000000b2"
	mysql := func(host, uuid string, id uint32, executed string) *events.InstanceObserved {
		return &events.InstanceObserved{
			Key: key(host), ServerID: id, ServerUUID: uuid, Version: "5.7.28-log", Flavor: "MySQL", ReadOnly: true,
			LogBin: true, LogReplicaUpdates: true, BinlogFormat: "ROW", GTID: events.GTIDState{Mode: "ON", Executed: executed},
			Replication: &events.Replication{SourceKey: key("p"), SourceUUID: src, IOThread: events.ThreadOther, SQLThread: events.ThreadRunning,
				AutoPosition: true, ExecutedGTIDSet: executed, RetrievedGTIDSet: executed,
				ReadCoordinates: events.BinlogCoordinates{LogFile: "binlog.000001", LogPos: 100}},
			Digest: "d-" + host,
		}
	}
	cases := []struct {
		name           string
		primary        func(repaired bool) *events.InstanceObserved
		replicas       []*events.InstanceObserved
		errant, reason string
	}{
		{name: "MySQL 5.7",
			primary: func(repaired bool) *events.InstanceObserved {
				executed := src + ":1-100"
				if repaired {
					executed += "," + u2 + ":1"
				}
				return &events.InstanceObserved{Key: key("p"), ServerID: 1, ServerUUID: src, Version: "5.7.28-log", Flavor: "MySQL", LogBin: true,
					GTID: events.GTIDState{Mode: "ON", Executed: executed}, Digest: "d-p-" + executed}
			},
			replicas: []*events.InstanceObserved{mysql("a", u1, 2, src+":1-90"), mysql("b", u2, 3, src+":1-100,"+u2+":1")},
			errant:   "b", reason: "rejected: errant GTIDs " + u2 + ":1"},
		{name: "MariaDB",
			primary: func(repaired bool) *events.InstanceObserved {
				p := primary("p", 1)
				p.GTID.BinlogState = "0-1-100,0-2-40"
				if repaired {
					p.GTID.BinlogState = "0-1-100,0-2-40,0-3-95"
				}
				p.Digest += "-" + p.GTID.BinlogState
				return p
			},
			replicas: []*events.InstanceObserved{
				rep("a", 2, "0-1-90", func(o *events.InstanceObserved) { o.GTID.BinlogState = "0-2-40,0-1-90" }),
				rep("b", 3, "0-1-100", func(o *events.InstanceObserved) { o.GTID.BinlogState = "0-3-95,0-1-100" }),
			},
			errant: "b", reason: "rejected: errant GTIDs 0-3-95"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, repaired := range []bool{false, true} {
				s := newScript(t)
				s.observe(nodes, tc.primary(repaired))
				s.observe(nodes, tc.replicas...)
				s.at(time.Second).unreachable(nodes, "p", false)
				got, all, err := ChooseCandidate(s.view(), key("p"), params())
				if err != nil {
					t.Fatalf("repaired %v: ChooseCandidate: %v (%+v)", repaired, err, all)
				}
				want := "a"
				if repaired {
					want = "b"
				}
				if got != key(want) {
					t.Fatalf("repaired %v: chose %s, want %s: %+v", repaired, got, want, all)
				}
				r := reasonOf(all, tc.errant)
				if !repaired && !strings.Contains(r, tc.reason) {
					t.Errorf("reason of the errant %s = %q, want %q", tc.errant, r, tc.reason)
				}
				if repaired && strings.Contains(r, "errant") {
					t.Errorf("repaired %s still rejected: %q", tc.errant, r)
				}
				if r := reasonOf(all, "a"); strings.Contains(r, "errant") {
					t.Errorf("reason of a = %q names errant GTIDs", r)
				}
			}
		})
	}
}
