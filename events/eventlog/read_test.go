package eventlog_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
)

// zeroConsumerInfo answers every consumer info request on stream as a
// clustered server's member does before the consumer runs (assigned, no
// node yet; or new and leaderless): its name and no state — nothing
// pending, nothing delivered.
func zeroConsumerInfo(t *testing.T, nc *nats.Conn, stream string) {
	t.Helper()
	sub, err := nc.Subscribe("$JS.API.CONSUMER.INFO."+stream+".*", func(m *nats.Msg) {
		b, _ := json.Marshal(map[string]any{
			"type": "io.nats.jetstream.api.v1.consumer_info_response", "stream_name": stream,
			"name": m.Subject[len("$JS.API.CONSUMER.INFO."+stream+"."):], "created": time.Now().UTC(),
			"config": map[string]any{}, "delivered": map[string]any{}, "ack_floor": map[string]any{},
			"num_pending": 0, "ts": time.Now().UTC(),
		})
		_ = m.Respond(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
}

// A read of a stream holding records delivers them all even when the
// consumer's info comes back with zero state, as it may from a busy
// cluster: TestLabWeb's time slider once showed no instances at all (the
// events read returned nothing and no error).
func TestReadIgnoresAConsumerInfoWithoutState(t *testing.T) {
	l := single(t)
	ids := fill(t, l, 0, 50)
	zeroConsumerInfo(t, l.Conn(), events.ObservationsName)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, o := range []eventlog.ReadOptions{
		{Stream: events.ObservationsName},
		{Stream: events.ObservationsName, Since: time.Now().Add(-time.Minute)},
		{Stream: events.ObservationsName, Subjects: []string{"regent.obs.>"}},
	} {
		got := 0
		if err := l.Read(ctx, o, inOrder(t, ids, 1, &got)); err != nil || got != len(ids) {
			t.Fatalf("read %+v: %d records, err %v; want %d, nil", o, got, err, len(ids))
		}
	}
}

// A start time after the last record, or a start sequence past it with a
// filter, reads nothing and returns at once (it does not wait for records).
func TestReadSinceAfterTheLastRecordReturns(t *testing.T) {
	l := single(t)
	fill(t, l, 0, 5)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n := 0
	start := time.Now()
	err := l.Read(ctx, eventlog.ReadOptions{Stream: events.ObservationsName, Since: time.Now().Add(time.Second)}, func(eventlog.Record) error { n++; return nil })
	if err != nil || n != 0 {
		t.Fatalf("read since the future: %d records, err %v; want 0, nil", n, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("read since the future took %v", d)
	}
}
