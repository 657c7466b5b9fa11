package control

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/projections"
)

// syncBuf is a log sink safe for the fold's goroutines.
type syncBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// poisonTranscript publishes, between good discoveries, a message that is
// not JSON, an event of a kind this build does not know, and a discovery
// whose payload the fold refuses (no host name). It returns the last
// sequence of REGENT_EVENTS.
func poisonTranscript(t *testing.T, ctx context.Context, l *eventlog.Log) uint64 {
	t.Helper()
	good := func(host string) []byte {
		e, err := events.New(events.KindInstanceDiscovered, time.Now(), "n1",
			events.InstanceDiscovered{Key: events.InstanceKey{Hostname: host, Port: 3306}})
		if err != nil {
			t.Fatal(err)
		}
		e.Instance = host + ":3306"
		b, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	bodies := [][]byte{
		good("before"),
		[]byte("this is not json"),
		bytes.Replace(good("unknown"), []byte(`"kind":"instance-discovered"`), []byte(`"kind":"instance-teleported"`), 1),
		bytes.Replace(good("placeholder"), []byte(`"Hostname":"placeholder"`), []byte(`"Hostname":""`), 1),
		good("after"),
	}
	var last uint64
	for i, b := range bodies {
		ack, err := l.JetStream().Publish(ctx, "regent.evt.x.y", b)
		if err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
		last = ack.Sequence
	}
	return last
}

// TestFoldSkipsPoisonRecords: a record that does not decode, one of an
// unknown kind and one whose payload the fold refuses are each skipped,
// logged once and counted by stream and reason; the records after them are
// folded, and Barrier passes the skipped sequences.
func TestFoldSkipsPoisonRecords(t *testing.T) {
	l := testLog(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	last := poisonTranscript(t, ctx, l)
	var logs syncBuf
	app, err := NewFold(l, projections.DefaultSettings(), nil, nil, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(app.skipped)
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	if err := app.WaitApplied(ctx, events.EventsName, last); err != nil {
		t.Fatalf("the fold stopped before the last record: %v", err)
	}
	views := FoldViews{Fold: app, Log: l} // the operator's reads of this fold
	if err := views.Barrier(ctx); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, k := range app.Keys() {
		keys[k.String()] = true
	}
	if !keys["before:3306"] || !keys["after:3306"] || len(keys) != 2 {
		t.Errorf("folded instances %v; want before:3306 and after:3306", keys)
	}
	if _, ok := views.FreshView().Instance(events.InstanceKey{Hostname: "after", Port: 3306}); !ok {
		t.Error("the operator's fresh view lacks after:3306, folded before its barrier passed")
	}
	for reason, want := range map[string]float64{eventlog.SkipDecode: 1, eventlog.SkipUnknownKind: 1, eventlog.SkipPayload: 1} {
		if got := counterValue(t, app.skipped.WithLabelValues(events.EventsName, reason)); got != want {
			t.Errorf("regent_skipped_records_total{stream=%s,reason=%s} = %v, want %v", events.EventsName, reason, got, want)
		}
	}
	// Skipping a record again (another read of the same sequence) neither
	// logs nor counts it again.
	app.mu.Lock()
	app.skip(eventlog.Skip{Stream: events.EventsName, Sequence: 2, Reason: eventlog.SkipDecode})
	app.mu.Unlock()
	if got := counterValue(t, app.skipped.WithLabelValues(events.EventsName, eventlog.SkipDecode)); got != 1 {
		t.Errorf("a record skipped twice counted %v times", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("fold: %v", err)
	}
	out := logs.String()
	if n := strings.Count(out, "skipped a record the fold cannot use"); n != 3 {
		t.Errorf("%d skip warnings, want 3 (one per bad record):\n%s", n, out)
	}
	for _, want := range []string{`"seq":2,`, `"seq":3,`, `"seq":4,`, `"reason":"unknown_kind"`, `"reason":"payload"`, `"reason":"decode"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
}

// counterValue reads one counter (of a vector) through a registry of its
// own, as /metrics would.
func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 1 || len(mfs[0].GetMetric()) != 1 {
		t.Fatalf("gather the counter: %v (%d families)", err, len(mfs))
	}
	return mfs[0].GetMetric()[0].GetCounter().GetValue()
}
