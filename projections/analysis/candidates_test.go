package analysis

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

// deadWith builds a dead primary p whose replicas are the given
// observations (already Connecting where wanted).
func deadWith(t *testing.T, reps ...*events.InstanceObserved) *script {
	t.Helper()
	s := newScript(t)
	p := primary("p", 1)
	p.DataCenter = "dc1"
	p.Region = "eu"
	p.GTID.BinlogState = "0-1-100,0-2-40"
	s.observe(nodes, p)
	s.observe(nodes, reps...)
	s.at(time.Second).unreachable(nodes, "p", false)
	for _, r := range reps {
		s.observe(nodes, connecting(r))
	}
	return s
}

func rep(host string, id uint32, pos string, mod func(o *events.InstanceObserved)) *events.InstanceObserved {
	o := replica(host, id, "p")
	o.DataCenter, o.Region = "dc1", "eu"
	o.Replication.GTIDIOPos = pos
	o.GTID.CurrentPos = pos
	if mod != nil {
		mod(o)
	}
	return o
}

func reasonOf(all []events.Candidate, host string) string {
	for _, c := range all {
		if c.Key == key(host) {
			return c.Reason
		}
	}
	return "<missing>"
}

func TestChooseCandidate(t *testing.T) {
	cases := []struct {
		name    string
		reps    []*events.InstanceObserved
		p       func(p *Params)
		want    string
		reasons map[string]string // host → substring of its reason
		dead    []string          // replicas the nodes no longer reach
	}{
		{name: "most advanced GTID wins over prefer",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-100", func(o *events.InstanceObserved) { o.PromotionRule = "prefer" }),
				rep("b", 3, "0-1-105", nil),
			},
			want: "b", reasons: map[string]string{"a": "behind in received position", "b": "chosen: most advanced received position 0-1-105"}},
		{name: "prefer beats neutral at equal position",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-100", nil),
				rep("b", 3, "0-1-100", func(o *events.InstanceObserved) { o.PromotionRule = "prefer" }),
			},
			want: "b", reasons: map[string]string{"a": "worse promotion rule"}},
		{name: "must_not rejected even when ahead",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-100", nil),
				rep("b", 3, "0-1-200", func(o *events.InstanceObserved) { o.PromotionRule = "must_not" }),
			},
			want: "a", reasons: map[string]string{"b": "rejected: promotion rule must_not"}},
		{name: "errant GTID rejected",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-100", nil),
				rep("b", 3, "0-1-100", func(o *events.InstanceObserved) { o.GTID.CurrentPos = "0-1-100,1-3-7" }),
			},
			want: "a", reasons: map[string]string{"b": "rejected: errant GTIDs"}},
		{name: "errant GTID by binlog state rejected though behind the domain's sequence",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-90", func(o *events.InstanceObserved) { o.GTID.BinlogState = "0-2-40,0-1-90" }),
				rep("b", 3, "0-1-100", func(o *events.InstanceObserved) { o.GTID.BinlogState = "0-3-95,0-1-100" }),
			},
			want: "a", reasons: map[string]string{"b": "rejected: errant GTIDs 0-3-95"}},
		{name: "cross data center prevented",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-100", func(o *events.InstanceObserved) { o.DataCenter = "dc2" }),
				rep("b", 3, "0-1-90", nil),
			},
			p:    func(p *Params) { p.PreventCrossDataCenterMasterFailover = true },
			want: "b", reasons: map[string]string{"a": "PreventCrossDataCenterMasterFailover"}},
		{name: "cross region prevented",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-100", func(o *events.InstanceObserved) { o.Region = "us" }),
				rep("b", 3, "0-1-90", nil),
			},
			p:    func(p *Params) { p.PreventCrossRegionMasterFailover = true },
			want: "b", reasons: map[string]string{"a": "PreventCrossRegionMasterFailover"}},
		{name: "lag limit",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-100", nil),
				rep("b", 3, "0-1-100", func(o *events.InstanceObserved) { o.PromotionRule = "prefer" }),
			},
			p:    func(p *Params) { p.FailMasterPromotionOnLagMinutes = 1 },
			want: "a", reasons: map[string]string{"b": "over FailMasterPromotionOnLagMinutes 1"}},
		{name: "VerifyReplicationFilters: a candidate with filters is refused when siblings have none",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-105", func(o *events.InstanceObserved) { o.Replication.HasFilters = true }),
				rep("b", 3, "0-1-100", nil),
				rep("c", 4, "0-1-100", nil),
			},
			p:    func(p *Params) { p.VerifyReplicationFilters = true },
			want: "b", reasons: map[string]string{"a": "has replication filters and live replicas without filters would replicate from it: b:3306, c:3306 (VerifyReplicationFilters)"}},
		{name: "without VerifyReplicationFilters the most advanced wins despite filters",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-105", func(o *events.InstanceObserved) { o.Replication.HasFilters = true }),
				rep("b", 3, "0-1-100", nil),
			},
			want: "a"},
		{name: "VerifyReplicationFilters: filters everywhere are compatible",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-105", func(o *events.InstanceObserved) { o.Replication.HasFilters = true }),
				rep("b", 3, "0-1-100", func(o *events.InstanceObserved) { o.Replication.HasFilters = true }),
			},
			p:    func(p *Params) { p.VerifyReplicationFilters = true },
			want: "a"},
		{name: "promotion ignore filter",
			reps: []*events.InstanceObserved{rep("a", 2, "0-1-100", nil), rep("b", 3, "0-1-120", nil)},
			p: func(p *Params) {
				p.PromotionIgnoreHostnameFilters = append(p.PromotionIgnoreHostnameFilters, rx("^b$"))
			},
			want: "a", reasons: map[string]string{"b": "PromotionIgnoreHostnameFilters"}},
		{name: "same data center breaks a tie",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-100", func(o *events.InstanceObserved) { o.DataCenter = "dc2" }),
				rep("b", 3, "0-1-100", nil),
			},
			want: "b", reasons: map[string]string{"a": "not in the failed primary's data center"}},
		{name: "lower version breaks a tie",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-100", func(o *events.InstanceObserved) { o.Version = "10.11.6-MariaDB-log" }),
				rep("b", 3, "0-1-100", func(o *events.InstanceObserved) { o.Version = "10.11.2-MariaDB-log" }),
			},
			want: "b", reasons: map[string]string{"a": "newer version"}},
		{name: "newer major version rejected while a live sibling runs an older one, even when ahead",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-120", func(o *events.InstanceObserved) { o.Version = "10.11.6-MariaDB-log" }),
				rep("b", 3, "0-1-100", func(o *events.InstanceObserved) { o.Version = "10.6.16-MariaDB-log" }),
				rep("c", 4, "0-1-110", func(o *events.InstanceObserved) { o.Version = "10.11.6-MariaDB-log" }),
			},
			want: "b", reasons: map[string]string{"a": "rejected: major version 10.11 is newer than live replicas' b:3306 (10.6)",
				"c": "major version 10.11", "b": "chosen: most advanced received position 0-1-100"}},
		{name: "newer major version accepted when the older sibling is dead",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-120", func(o *events.InstanceObserved) { o.Version = "10.11.6-MariaDB-log" }),
				rep("b", 3, "0-1-100", func(o *events.InstanceObserved) { o.Version = "10.6.16-MariaDB-log" }),
			},
			dead: []string{"b"}, want: "a", reasons: map[string]string{"b": "rejected: unreachable"}},
		{name: "log_slave_updates off rejected while live siblings would replicate from it",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-120", func(o *events.InstanceObserved) { o.LogReplicaUpdates = false }),
				rep("b", 3, "0-1-100", nil),
			},
			want: "b", reasons: map[string]string{"a": "rejected: log_slave_updates is off and 1 live replicas"}},
		{name: "log_slave_updates off everywhere rejects nobody: position wins",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-100", func(o *events.InstanceObserved) { o.LogReplicaUpdates = false }),
				rep("b", 3, "0-1-120", func(o *events.InstanceObserved) { o.LogReplicaUpdates = false }),
			},
			want: "b", reasons: map[string]string{"a": "behind in received position"}},
		{name: "log_slave_updates off accepted when the only sibling is dead",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-120", func(o *events.InstanceObserved) { o.LogReplicaUpdates = false }),
				rep("b", 3, "0-1-100", nil),
			},
			dead: []string{"b"}, want: "a"},
		{name: "ROW candidate rejected while a live sibling logs STATEMENT",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-120", nil),
				rep("b", 3, "0-1-100", func(o *events.InstanceObserved) { o.BinlogFormat = "STATEMENT" }),
			},
			want: "b", reasons: map[string]string{"a": "rejected: binlog format ROW is larger than what live replicas log: b:3306 (STATEMENT)"}},
		{name: "binlog format of a sibling that does not log is no constraint",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-120", nil),
				rep("b", 3, "0-1-100", func(o *events.InstanceObserved) { o.BinlogFormat = "STATEMENT"; o.LogReplicaUpdates = false }),
			},
			want: "a"},
		{name: "no log_bin rejected when others need it",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-100", nil),
				rep("b", 3, "0-1-120", func(o *events.InstanceObserved) { o.LogBin = false }),
			},
			want: "a", reasons: map[string]string{"b": "log_bin is off and 1 live replicas"}},
		{name: "no log_bin accepted when the only sibling is dead",
			reps: []*events.InstanceObserved{
				rep("a", 2, "0-1-100", nil),
				rep("b", 3, "0-1-120", func(o *events.InstanceObserved) { o.LogBin = false }),
			},
			dead: []string{"a"}, want: "b", reasons: map[string]string{"a": "rejected: unreachable"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reps := tc.reps
			if tc.name == "lag limit" {
				reps[1].LagSeconds = i64(120)
			}
			s := deadWith(t, reps...)
			for _, h := range tc.dead {
				s.unreachable(nodes, h, false)
			}
			if tc.name == "lag limit" { // connecting() cleared the lag: report it as ReplicationLagQuery would
				o := connecting(reps[1])
				o.LagSeconds = i64(120)
				s.observe(nodes, o)
			}
			p := params()
			if tc.p != nil {
				tc.p(&p)
			}
			got, all, err := ChooseCandidate(s.view(), key("p"), p)
			if err != nil {
				t.Fatalf("ChooseCandidate: %v (%+v)", err, all)
			}
			if got != key(tc.want) {
				t.Fatalf("chose %s, want %s: %+v", got, tc.want, all)
			}
			if len(all) != len(tc.reps) {
				t.Fatalf("%d candidates listed, want %d", len(all), len(tc.reps))
			}
			for host, sub := range tc.reasons {
				if r := reasonOf(all, host); !strings.Contains(r, sub) {
					t.Errorf("reason of %s = %q, want it to contain %q", host, r, sub)
				}
			}
		})
	}
}

func TestChooseCandidateNoneAcceptable(t *testing.T) {
	s := deadWith(t,
		rep("a", 2, "0-1-100", func(o *events.InstanceObserved) { o.PromotionRule = "must_not" }),
		rep("b", 3, "0-1-100", nil))
	s.unreachable(nodes, "b", true)
	_, all, err := ChooseCandidate(s.view(), key("p"), params())
	if !errors.Is(err, ErrNoCandidate) {
		t.Fatalf("err = %v, want ErrNoCandidate", err)
	}
	for _, want := range []string{"a:3306: promotion rule must_not", "b:3306: unreachable"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if len(all) != 2 || all[0].Chosen || all[1].Chosen {
		t.Errorf("candidates %+v", all)
	}
	if _, _, err := ChooseCandidate(s.view(), key("a"), params()); !errors.Is(err, ErrNoCandidate) {
		t.Errorf("no replicas: err = %v", err)
	}
}

func TestChooseCandidateMySQLGTID(t *testing.T) {
	const src, u1, u2 = "00000000-0000-0000-0000-00000000000a", "00000000-0000-0000-0000-0000000000b1", "00000000-0000-0000-0000-0000000000b2"
	s := newScript(t)
	mk := func(host, uuid string, id uint32, executed, retrieved string) *events.InstanceObserved {
		o := &events.InstanceObserved{
			Key: key(host), ServerID: id, ServerUUID: uuid, Version: "8.0.36", Flavor: "MySQL", ReadOnly: true,
			LogBin: true, LogReplicaUpdates: true, BinlogFormat: "ROW", GTID: events.GTIDState{Mode: "ON", Executed: executed},
			Replication: &events.Replication{SourceKey: key("p"), SourceUUID: src, IOThread: events.ThreadOther, SQLThread: events.ThreadRunning,
				AutoPosition: true, ExecutedGTIDSet: executed, RetrievedGTIDSet: retrieved,
				ReadCoordinates: events.BinlogCoordinates{LogFile: "binlog.000001", LogPos: 100}},
			Digest: "d-" + host,
		}
		return o
	}
	p := &events.InstanceObserved{Key: key("p"), ServerID: 1, ServerUUID: src, Version: "8.0.36", Flavor: "MySQL", LogBin: true,
		GTID: events.GTIDState{Mode: "ON", Executed: src + ":1-100"}, Digest: "d-p"}
	s.observe(nodes, p)
	// a has executed less but retrieved more than b.
	s.observe(nodes, mk("a", u1, 2, src+":1-90", src+":1-110"), mk("b", u2, 3, src+":1-100", src+":1-100"))
	s.at(time.Second).unreachable(nodes, "p", false)
	got, all, err := ChooseCandidate(s.view(), key("p"), params())
	if err != nil || got != key("a") {
		t.Fatalf("chose %s (%v), want a: %+v", got, err, all)
	}
}

func TestChooseIntermediateTarget(t *testing.T) {
	s := newScript(t)
	chain(s, "x", "y")
	sib := replica("sib", 5, "p")
	s.observe(nodes, sib)
	s.at(time.Second).unreachable(nodes, "im", false)
	s.observe(nodes, connecting(replica("x", 10, "im")), connecting(replica("y", 11, "im")))
	target, all, err := ChooseIntermediateTarget(s.view(), key("im"), params())
	if err != nil || target != key("sib") {
		t.Fatalf("target %s (%v), want sib: %+v", target, err, all)
	}
	if r := reasonOf(all, "p"); !strings.Contains(r, "not needed") {
		t.Errorf("grandparent reason %q", r)
	}
	// A sibling that does not log its updates is rejected: the grandparent
	// adopts the replicas.
	sib.LogReplicaUpdates = false
	sib.Digest = "d-sib-nolog"
	s.observe(nodes, sib)
	target, all, err = ChooseIntermediateTarget(s.view(), key("im"), params())
	if err != nil || target != key("p") {
		t.Fatalf("target %s (%v), want p: %+v", target, err, all)
	}
	if r := reasonOf(all, "sib"); !strings.Contains(r, "does not log replicated updates") {
		t.Errorf("sibling reason %q", r)
	}
}
