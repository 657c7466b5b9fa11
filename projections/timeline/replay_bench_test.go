package timeline_test

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/test/natstest"
)

// BenchmarkReplayFold1M stores 1,000,000 observation events (300 instances,
// 3 nodes; one full observation per instance and node, progress events
// after) in an embedded JetStream, then measures reading them back in order
// through eventlog.Read and folding them into a projections.Topology —
// `regent replay`'s and a starting node's path. Run with -benchtime=1x.
func BenchmarkReplayFold1M(b *testing.B) {
	const total, instances = 1_000_000, 300
	o := natstest.Options(b, "bench")
	o.MaxStore = 3 << 30
	n, err := natsnode.Start(o, 10*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(n.Shutdown)
	nc := natstest.Conn(b, n)
	l, err := eventlog.New(nc, zerolog.Nop(), events.StreamOptions{Replicas: 1, EventBytes: 64 << 20, ObservationBytes: 2 << 30})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := l.Ensure(ctx); err != nil {
		b.Fatal(err)
	}
	fill(b, l.JetStream(), total, instances)
	b.ResetTimer()
	for range b.N {
		topo, err := projections.NewTopology(projections.DefaultSettings())
		if err != nil {
			b.Fatal(err)
		}
		cpu0, err := processCPU()
		if err != nil {
			b.Fatal(err)
		}
		start, count := time.Now(), 0
		err = l.Read(ctx, eventlog.ReadOptions{Stream: events.ObservationsName}, func(r eventlog.Record) error {
			count++
			return topo.Apply(r.Sequence, r.Env)
		})
		if err != nil || count != total {
			b.Fatalf("read %d of %d: %v", count, total, err)
		}
		b.ReportMetric(float64(count)/time.Since(start).Seconds(), "events/s")
		cpu1, err := processCPU()
		if err != nil {
			b.Fatal(err)
		}
		// CPU per event (the NATS server's delivery included: it runs in
		// this process) is the figure a loaded machine changes least.
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(count), "cpu-µs/event")
	}
}

// processCPU is the process's user and system CPU time so far.
func processCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

func fill(b *testing.B, js jetstream.JetStream, total, instances int) {
	b.Helper()
	at := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	lag := int64(0)
	for i := 0; i < total; i++ {
		k := events.InstanceKey{Hostname: fmt.Sprintf("10.1.%d.%d", i%instances/250, i%instances%250), Port: 3306}
		origin := fmt.Sprintf("n%d", i/instances%3+1)
		var env events.Envelope
		var err error
		if i < 3*instances {
			env, err = events.New(events.KindInstanceObserved, at, origin, events.InstanceObserved{Key: k, Version: "10.11.19-MariaDB-log",
				Flavor: "MariaDB", LogBin: true, LogReplicaUpdates: true, BinlogFormat: "ROW", Digest: "d1",
				GTID: events.GTIDState{CurrentPos: "0-1-1", BinlogPos: "0-1-1"}})
		} else {
			env, err = events.New(events.KindInstanceProgress, at.Add(time.Duration(i)*time.Millisecond), origin, events.InstanceProgress{
				Key: k, Digest: "d1", GTIDCurrentPos: fmt.Sprintf("0-1-%d", i), GTIDBinlogPos: fmt.Sprintf("0-1-%d", i),
				SelfCoordinates: events.BinlogCoordinates{LogFile: "binlog.000001", LogPos: int64(i)}, LagSeconds: &lag})
		}
		if err != nil {
			b.Fatal(err)
		}
		env.Instance, env.Cluster = k.String(), "c"
		body, err := env.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		publish(b, js, env.Subject(), body)
		if i%50_000 == 49_999 {
			waitPublished(b, js)
		}
	}
	waitPublished(b, js)
}

// publish publishes asynchronously; on a busy machine the client may refuse
// while too many publishes are outstanding: it then waits for them and
// tries again (a few times).
func publish(b *testing.B, js jetstream.JetStream, subject string, body []byte) {
	b.Helper()
	for try := 0; ; try++ {
		_, err := js.PublishAsync(subject, body)
		if err == nil {
			return
		}
		if !errors.Is(err, jetstream.ErrTooManyStalledMsgs) || try == 5 {
			b.Fatal(err)
		}
		waitPublished(b, js)
	}
}

func waitPublished(b *testing.B, js jetstream.JetStream) {
	b.Helper()
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("publishing stalled")
	}
}
