package probes

import (
	"context"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/lab"
)

// BenchmarkProbeMariaDB is the steady-state probe of the lab primary (a
// real MariaDB 10.11 with two replicas): light batches, a full one every
// FullProbeInterval (10 s): the client-side cost per instance and poll. It
// needs the lab (root, MariaDB).
func BenchmarkProbeMariaDB(b *testing.B) { benchProbeMariaDB(b, 0) }

// BenchmarkProbeMariaDBFull is the same with every probe a full one.
func BenchmarkProbeMariaDBFull(b *testing.B) { benchProbeMariaDB(b, -1) }

func benchProbeMariaDB(b *testing.B, fullEvery time.Duration) {
	l := lab.Up(b, lab.Options{Hosts: 3})
	o := labOptions()
	o.FullProbeInterval = fullEvery
	p := newLabProber(b, o)
	key := labKey(l, 1)
	ctx := context.Background()
	if _, err := p.Probe(ctx, key); err != nil { // open the pool, learn the dialect
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu0 := processCPU(b)
	n := 0
	for b.Loop() {
		if _, err := p.Probe(ctx, key); err != nil {
			b.Fatal(err)
		}
		n++
	}
	// The server runs in its own process: this is the prober's CPU only.
	reportCPU(b, cpu0, n)
}

// cpuTimes is this process's user and system CPU time in nanoseconds.
type cpuTimes struct{ user, sys int64 }

func processCPU(tb testing.TB) cpuTimes {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return cpuTimes{user: ru.Utime.Nano(), sys: ru.Stime.Nano()}
}

// reportCPU reports the CPU per op since start, user and system (the
// kernel's TCP work on this process's behalf) apart.
func reportCPU(b *testing.B, start cpuTimes, n int) {
	end := processCPU(b)
	b.ReportMetric(float64(end.user-start.user)/float64(n), "user-ns/op")
	b.ReportMetric(float64(end.sys-start.sys)/float64(n), "sys-ns/op")
}

// benchEnvelope builds (payload is called in the loop: its cost counts) and
// encodes one event per iteration.
func benchEnvelope(b *testing.B, kind events.Kind, payload func() any) {
	b.Helper()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var size int
	b.ReportAllocs()
	for b.Loop() {
		env, err := events.New(kind, at, "regent-1", payload())
		if err != nil {
			b.Fatal(err)
		}
		env.Instance, env.Cluster = "198.18.0.2:3306", "198.18.0.1:3306"
		buf, err := env.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		size = len(buf)
	}
	b.ReportMetric(float64(size), "B/event")
}

// BenchmarkProgressEncode builds and encodes the compact event a probe
// publishes when nothing but positions moved.
func BenchmarkProgressEncode(b *testing.B) {
	o := sampleObservation()
	o.Digest = Digest(&o)
	benchEnvelope(b, events.KindInstanceProgress, func() any { p := Progress(&o); return &p })
}

// BenchmarkObservedEncode is the same for a full observation.
func BenchmarkObservedEncode(b *testing.B) {
	o := sampleObservation()
	o.Digest = Digest(&o)
	benchEnvelope(b, events.KindInstanceObserved, func() any { return &o })
}

// BenchmarkDigest is the per-probe cost of deciding between the two.
func BenchmarkDigest(b *testing.B) {
	o := sampleObservation()
	b.ReportAllocs()
	for b.Loop() {
		_ = Digest(&o)
	}
}

// BenchmarkObserveDecision is Observe without the network: probe result in,
// envelope out, through a no-op publisher.
func BenchmarkObserveDecision(b *testing.B) {
	obs := sampleObservation()
	obs.Digest = Digest(&obs)
	probe := func(context.Context, events.InstanceKey) (events.InstanceObserved, error) { return obs, nil }
	o := NewObserver(probe, nopPublisher{}, nil, Options{NodeID: "regent-1"}, nil, zerolog.Nop())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := o.Observe(ctx, obs.Key); err != nil {
			b.Fatal(err)
		}
	}
}

type nopPublisher struct{}

func (nopPublisher) Publish(_ context.Context, env events.Envelope) error {
	_, err := env.Marshal()
	return err
}

// BenchmarkProbeMariaDBParallel probes the three lab hosts from 48 pools at
// once (16 probers × 3 hosts), as the scheduler does with many instances in
// flight: the prober's CPU per probe under load.
func BenchmarkProbeMariaDBParallel(b *testing.B) {
	l := lab.Up(b, lab.Options{Hosts: 3})
	const probers = 16
	ps := make([]*Prober, probers)
	ctx := context.Background()
	for i := range ps {
		ps[i] = newLabProber(b, labOptions())
		for h := 1; h <= 3; h++ {
			if _, err := ps[i].Probe(ctx, labKey(l, h)); err != nil {
				b.Fatal(err)
			}
		}
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(24) // 48 goroutines on 2 CPUs
	cpu0 := processCPU(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1))
		p, key := ps[i%probers], labKey(l, 1+i%3)
		for pb.Next() {
			if _, err := p.Probe(ctx, key); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	reportCPU(b, cpu0, b.N)
}
