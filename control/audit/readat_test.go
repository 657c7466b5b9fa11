package audit

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/timeline"
	"github.com/regent-ha/regent/test/natstest"
)

// answerConsumerInfoWithoutState replies to every consumer info request
// on stream as a busy cluster's member may before the consumer runs: no
// pending, nothing delivered.
func answerConsumerInfoWithoutState(t *testing.T, nc *nats.Conn, stream string) {
	t.Helper()
	prefix := "$JS.API.CONSUMER.INFO." + stream + "."
	sub, err := nc.Subscribe(prefix+"*", func(m *nats.Msg) {
		b, _ := json.Marshal(map[string]any{
			"type": "io.nats.jetstream.api.v1.consumer_info_response", "stream_name": stream, "name": m.Subject[len(prefix):],
			"created": time.Now().UTC(), "config": map[string]any{}, "delivered": map[string]any{}, "ack_floor": map[string]any{},
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

// TestReadAtIsTheWholeHistoryUnderABusyCluster: the time-travel read
// (topology --at, why, the web's slider) of three discovered and observed
// instances folds all three, even when the consumers' info comes back
// without state. TestLabWeb's slider once showed no instance at all: the
// events read had returned nothing and no error.
func TestReadAtIsTheWholeHistoryUnderABusyCluster(t *testing.T) {
	n := natstest.Node(t)
	l, err := eventlog.New(natstest.Conn(t, n), zerolog.Nop(), events.StreamOptions{EventBytes: 16 << 20, ObservationBytes: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := l.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	primary := events.InstanceKey{Hostname: "198.18.0.1", Port: 3306}
	for i, host := range []string{"198.18.0.1", "198.18.0.2", "198.18.0.3"} {
		k := events.InstanceKey{Hostname: host, Port: 3306}
		d, err := events.New(events.KindInstanceDiscovered, time.Now(), "n1", events.InstanceDiscovered{Key: k, Via: "api"})
		if err != nil {
			t.Fatal(err)
		}
		d.Cluster, d.Instance = primary.String(), k.String()
		if _, err := l.Append(ctx, d, eventlog.NoExpect); err != nil {
			t.Fatal(err)
		}
		p := events.InstanceObserved{Key: k, Digest: "d", Version: "10.11", ServerID: uint32(i + 1)}
		if i > 0 {
			p.Replication = &events.Replication{SourceKey: primary}
		}
		o, err := events.New(events.KindInstanceObserved, time.Now(), "n1", p)
		if err != nil {
			t.Fatal(err)
		}
		o.Cluster, o.Instance = primary.String(), k.String()
		body, err := o.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.JetStream().Publish(ctx, o.Subject(), body); err != nil {
			t.Fatal(err)
		}
	}
	answerConsumerInfoWithoutState(t, l.Conn(), events.EventsName)
	answerConsumerInfoWithoutState(t, l.Conn(), events.ObservationsName)
	at := time.Now().Add(time.Second)
	items, err := New(l, func() {}).ReadAt(ctx, at, nil)
	if err != nil || len(items) != 6 {
		t.Fatalf("read at %v: %d items, err %v; want 6, nil", at, len(items), err)
	}
	st, err := timeline.Fold(items, projections.DefaultSettings(), at)
	if err != nil {
		t.Fatal(err)
	}
	v := st.Topology.View(at)
	if name, err := v.ResolveCluster("198.18.0.2:3306"); err != nil || name != primary.String() || len(v.Instances()) != 3 {
		t.Fatalf("view at %v: cluster of 198.18.0.2 %q (%v), %d instances; want %s, 3", at, name, err, len(v.Instances()), primary)
	}
}
