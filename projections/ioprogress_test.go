package projections

import (
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

func progressOf(host string, hb int64, read int64, ioPos string) events.InstanceProgress {
	return events.InstanceProgress{
		Key: key(host), Digest: "d-" + host, HeartbeatsReceived: hb, GTIDIOPos: ioPos,
		ReadCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: read},
		ExecCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: read},
	}
}

func TestIOProgressTracking(t *testing.T) {
	s := newScript(t, DefaultSettings())
	s.observe(threeNodes, mariaPrimary("p", 1), mariaReplica("r", 2, "p"))
	r := s.instance("r")
	if !r.IOProgressAt.Equal(t0) || !r.IOCheckedAt.Equal(t0) {
		t.Fatalf("first observation: IOProgressAt %v IOCheckedAt %v, want both %v", r.IOProgressAt, r.IOCheckedAt, t0)
	}
	if p := s.instance("p"); !p.IOProgressAt.IsZero() || p.SelfProgressAt.IsZero() {
		t.Fatalf("primary: IOProgressAt %v (want zero), SelfProgressAt %v (want set)", p.IOProgressAt, p.SelfProgressAt)
	}
	steps := []struct {
		name     string
		d        time.Duration
		p        events.InstanceProgress
		progress time.Duration // expected IOProgressAt offset
	}{
		{"idle: heartbeat grows", time.Second, progressOf("r", 1, 4000, ""), time.Second},
		{"nothing moves", 2 * time.Second, progressOf("r", 1, 4000, ""), time.Second},
		{"write load: read position moves, no heartbeat", 3 * time.Second, progressOf("r", 1, 5000, ""), 3 * time.Second},
		{"a late report from a slower origin is not progress", 4 * time.Second, progressOf("r", 1, 4500, ""), 3 * time.Second},
		{"gtid io pos moves", 5 * time.Second, progressOf("r", 1, 5000, "0-1-101"), 5 * time.Second},
		{"source gone: nothing moves", 9 * time.Second, progressOf("r", 1, 5000, "0-1-101"), 5 * time.Second},
	}
	for _, st := range steps {
		s.at(st.d).emit(events.KindInstanceProgress, "n2", st.p)
		r := s.instance("r")
		if want := t0.Add(st.progress); !r.IOProgressAt.Equal(want) {
			t.Fatalf("%s: IOProgressAt %v, want %v", st.name, r.IOProgressAt, want)
		}
		if !r.IOCheckedAt.Equal(t0.Add(st.d)) {
			t.Fatalf("%s: IOCheckedAt %v, want %v", st.name, r.IOCheckedAt, t0.Add(st.d))
		}
	}
	// A full observation with the same positions (IO thread now Connecting)
	// keeps the progress time; a new source restarts it.
	o := mariaReplica("r", 2, "p")
	o.Replication.IOThread = events.ThreadOther
	o.Replication.ReadCoordinates.LogPos, o.Replication.GTIDIOPos, o.Replication.HeartbeatsReceived = 5000, "0-1-101", 1
	s.at(10*time.Second).observe([]string{"n1"}, o)
	if r := s.instance("r"); !r.IOProgressAt.Equal(t0.Add(5*time.Second)) || r.GtidIOPos != "0-1-101" {
		t.Fatalf("full observation without progress: IOProgressAt %v GtidIOPos %q", r.IOProgressAt, r.GtidIOPos)
	}
	moved := mariaReplica("r", 2, "q")
	s.at(11*time.Second).observe([]string{"n1"}, moved)
	if r := s.instance("r"); !r.IOProgressAt.Equal(t0.Add(11 * time.Second)) {
		t.Fatalf("new source: IOProgressAt %v, want restart at %v", r.IOProgressAt, t0.Add(11*time.Second))
	}
}

func TestFailingSince(t *testing.T) {
	s := newScript(t, DefaultSettings())
	s.observe([]string{"n1"}, mariaPrimary("p", 1))
	s.at(time.Second).unreachable([]string{"n1"}, "p", "refused")
	first := s.obsSeq
	s.at(2*time.Second).unreachable([]string{"n1"}, "p", "refused")
	ev, _ := s.view().Evidence(key("p"))
	if r := ev.Reports[0]; r.FailingSince != first || !r.FailingSinceAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("FailingSince %d at %v, want %d at %v", r.FailingSince, r.FailingSinceAt, first, t0.Add(time.Second))
	}
	s.at(3*time.Second).observe([]string{"n1"}, mariaPrimary("p", 1))
	ev, _ = s.view().Evidence(key("p"))
	if r := ev.Reports[0]; r.FailingSince != 0 {
		t.Fatalf("after a successful probe FailingSince = %d, want 0", r.FailingSince)
	}
	// An origin whose first report is a failure starts its run there.
	s.at(4*time.Second).unreachable([]string{"n2"}, "p", "timeout")
	ev, _ = s.view().Evidence(key("p"))
	if r := ev.Reports[1]; r.Origin != "n2" || r.FailingSince != s.obsSeq {
		t.Fatalf("n2 report %+v, want FailingSince %d", r, s.obsSeq)
	}
}

func TestClusterFiltersExported(t *testing.T) {
	f, err := CompileClusterFilters([]string{"alias=prod", "^db-"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, alias string
		want        bool
	}{{"x:3306", "prod", true}, {"db-1:3306", "", true}, {"x:3306", "staging", false}} {
		if got := f.Match(c.name, c.alias); got != c.want {
			t.Errorf("Match(%q,%q) = %v, want %v", c.name, c.alias, got, c.want)
		}
	}
	if _, err := CompileClusterFilters([]string{"("}); err == nil {
		t.Error("invalid filter compiled")
	}
	if (ClusterFilters{}).Match("x", "y") {
		t.Error("zero ClusterFilters matched")
	}
}
