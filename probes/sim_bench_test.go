package probes

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/fleetsim"
)

// BenchmarkProbeSimulated probes 300 simulated MariaDB instances (clusters
// of 3–5) from 32 goroutines, as the scheduler does: every probe a full one,
// and with the default FullProbeInterval (light probes in between). The simulator runs in
// this process: its CPU is in the user/sys figures (profile with
// -cpuprofile to separate them).
func BenchmarkProbeSimulated(b *testing.B) {
	f := runSim(b, 300)
	b.Run("full", func(b *testing.B) { benchProbeSim(b, f, -1) })
	b.Run("light", func(b *testing.B) { benchProbeSim(b, f, 0) })
}

// benchProbeSim probes every instance of f round-robin; fullEvery is
// Options.FullProbeInterval (-1: every probe is a full one).
func benchProbeSim(b *testing.B, f *fleetsim.Fleet, fullEvery time.Duration) {
	var keys []events.InstanceKey
	for _, c := range f.Clusters() {
		keys = append(keys, c...)
	}
	opts := labOptions()
	opts.FullProbeInterval = fullEvery
	p := newLabProber(b, opts)
	ctx := context.Background()
	for _, k := range keys {
		if _, err := p.Probe(ctx, k); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	cpu0 := processCPU(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := keys[int(next.Add(1))%len(keys)]
			if _, err := p.Probe(ctx, k); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	reportCPU(b, cpu0, b.N)
}
