package analysis

import (
	"fmt"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// benchView folds ~10,000 instances in clusters of 3–5, seen by three
// nodes; every tenth cluster's primary is dead.
func benchView(b *testing.B) *projections.View {
	b.Helper()
	topo, err := projections.NewTopology(settings())
	if err != nil {
		b.Fatal(err)
	}
	var seq uint64
	apply := func(kind events.Kind, origin string, p any) {
		env, err := events.New(kind, t0, origin, p)
		if err != nil {
			b.Fatal(err)
		}
		seq++
		if err := topo.Apply(seq, env); err != nil {
			b.Fatal(err)
		}
	}
	n := 0
	for c := 0; n < 10000; c++ {
		size := 3 + c%3
		ph := fmt.Sprintf("db-%04d-0", c)
		for _, o := range nodes {
			apply(events.KindInstanceObserved, o, primary(ph, 1))
		}
		for i := 1; i < size; i++ {
			r := replica(fmt.Sprintf("db-%04d-%d", c, i), uint32(i+1), ph)
			if c%10 == 0 {
				r = connecting(r)
			}
			for _, o := range nodes {
				apply(events.KindInstanceObserved, o, r)
			}
		}
		if c%10 == 0 {
			for _, o := range nodes {
				apply(events.KindInstanceUnreachable, o, events.InstanceUnreachable{Key: key(ph), Error: "refused"})
			}
		}
		n += size
	}
	return topo.View(t0.Add(500 * time.Millisecond))
}

func BenchmarkAnalyze10k(b *testing.B) {
	v := benchView(b)
	p := params()
	b.ReportAllocs()
	b.ResetTimer()
	var got int
	for b.Loop() {
		got = len(Analyze(v, p))
	}
	if got == 0 {
		b.Fatal("no failures found")
	}
}

func BenchmarkChooseCandidate(b *testing.B) {
	s := newScript(b)
	p := primary("p", 1)
	s.observe(nodes, p)
	var reps []*events.InstanceObserved
	for i := 0; i < 5; i++ {
		r := replica(fmt.Sprintf("r%d", i), uint32(i+2), "p")
		r.Replication.GTIDIOPos = fmt.Sprintf("0-1-%d,1-1-%d", 100+i, 50-i)
		reps = append(reps, connecting(r))
	}
	s.observe(nodes, reps...)
	s.at(time.Second).unreachable(nodes, "p", false)
	v := s.view()
	pr := params()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := ChooseCandidate(v, key("p"), pr); err != nil {
			b.Fatal(err)
		}
	}
}
