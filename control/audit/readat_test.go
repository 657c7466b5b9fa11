package audit

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/timeline"
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
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	primary := events.InstanceKey{Hostname: "198.18.0.1", Port: 3306}
	l := discoveredAndObserved(t, ctx, primary.Hostname, "198.18.0.2", "198.18.0.3")
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
