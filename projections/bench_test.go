package projections

import (
	"fmt"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

const (
	benchClusters = 1000
	benchPerClust = 10 // 1 primary + 9 replicas: 10,000 instances
)

func benchHost(c, i int) string { return fmt.Sprintf("db-%04d-%02d.198.18.0.x", c, i) }

// benchTopology folds one full observation per instance and origin.
func benchTopology(b *testing.B) (*Topology, uint64) {
	b.Helper()
	topo := newTopo(b)
	var seq uint64
	for c := 0; c < benchClusters; c++ {
		for i := 0; i < benchPerClust; i++ {
			o := mariaPrimary(benchHost(c, 0), 1)
			if i > 0 {
				o = mariaReplica(benchHost(c, i), uint32(i+1), benchHost(c, 0))
			}
			for _, origin := range threeNodes {
				env, err := events.New(events.KindInstanceObserved, t0, origin, o)
				if err != nil {
					b.Fatal(err)
				}
				seq++
				if err := topo.Apply(seq, env); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	return topo, seq
}

func progressEnvelopes(b *testing.B) []events.Envelope {
	b.Helper()
	var out []events.Envelope
	for c := 0; c < benchClusters; c++ {
		for i := 1; i < benchPerClust; i++ {
			h := benchHost(c, i)
			for _, origin := range threeNodes {
				env, err := events.New(events.KindInstanceProgress, t0.Add(time.Second), origin, events.InstanceProgress{
					Key: key(h), Digest: "d-" + h, GTIDCurrentPos: "0-1-12345", GTIDSlavePos: "0-1-12345", GTIDBinlogPos: "0-1-12345",
					SelfCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 123456},
					ReadCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 123456},
					ExecCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 123456},
					SecondsBehind:   i64(0), LagSeconds: i64(0), Uptime: 86400, ProbeDuration: 2 * time.Millisecond,
				})
				if err != nil {
					b.Fatal(err)
				}
				out = append(out, env)
			}
		}
	}
	return out
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkApplyProgress(b *testing.B) {
	topo, _ := benchTopology(b)
	envs := progressEnvelopes(b)
	var seq uint64 = 1 << 40
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		seq++
		if err := topo.Apply(seq, envs[i%len(envs)]); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

func BenchmarkApplyObserved(b *testing.B) {
	topo, _ := benchTopology(b)
	var envs []events.Envelope
	for c := 0; c < benchClusters; c += 10 {
		for i := 1; i < benchPerClust; i++ {
			o := mariaReplica(benchHost(c, i), uint32(i+1), benchHost(c, 0))
			env, err := events.New(events.KindInstanceObserved, t0.Add(time.Second), "n2", o)
			if err != nil {
				b.Fatal(err)
			}
			envs = append(envs, env)
		}
	}
	var seq uint64 = 1 << 40
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		seq++
		if err := topo.Apply(seq, envs[i%len(envs)]); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b)
}

func BenchmarkView10k(b *testing.B) {
	topo, _ := benchTopology(b)
	now := t0.Add(time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if v := topo.View(now); len(v.Instances()) != benchClusters*benchPerClust {
			b.Fatalf("view has %d instances", len(v.Instances()))
		}
	}
}

func BenchmarkRenderTopology(b *testing.B) {
	topo, _ := benchTopology(b)
	v := topo.View(t0.Add(time.Second))
	cluster := benchHost(7, 0) + ":3306"
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := RenderTopology(v, cluster, i%2 == 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClone10k: what the applier holds its lock for when it takes a
// view (the view itself is computed on the clone, outside the lock).
func BenchmarkClone10k(b *testing.B) {
	topo, _ := benchTopology(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if c := topo.Clone(); c.Len() != benchClusters*benchPerClust {
			b.Fatalf("clone has %d instances", c.Len())
		}
	}
}
