package eventlog

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/natstest"
)

func TestParseAckForms(t *testing.T) {
	const tm = 1795996800123456789
	cases := []struct {
		reply string
		want  ackInfo
		ok    bool
	}{
		{"$JS.ACK.S.C.1.42.7.1795996800123456789.9", ackInfo{42, time.Unix(0, tm), 9}, true},
		{"$JS.ACK._.HASH.S.C.1.42.7.1795996800123456789.0.tok", ackInfo{42, time.Unix(0, tm), 0}, true},
		{"$JS.ACK.dom.HASH.S.C.1.42.7.1795996800123456789.5", ackInfo{42, time.Unix(0, tm), 5}, true},
		{"$JS.ACK.dom.HASH.S.C.1.42.7.1795996800123456789.5.tok.more", ackInfo{42, time.Unix(0, tm), 5}, true},
		{"$JS.ACK.S.C.1.42.7.1795996800123456789", ackInfo{}, false},     // 8 tokens
		{"$JS.ACK.d.H.S.C.1.42.7.1795996800123456789", ackInfo{}, false}, // 10 tokens
		{"$JS.ACK.S.C.1.4x.7.1795996800123456789.9", ackInfo{}, false},   // not a number
		{"$JS.ACK.S.C.1..7.1795996800123456789.9", ackInfo{}, false},     // empty number
		{"$JS.ACK.S.C.1.42.7.17959968001234567890.9", ackInfo{}, false},  // too long
		{"$JS.NAK.S.C.1.42.7.1795996800123456789.9", ackInfo{}, false},   // not an ack subject
		{"", ackInfo{}, false},
	}
	for _, c := range cases {
		got, ok := parseAck(c.reply)
		if ok != c.ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseAck(%q) = %+v, %v; want %+v, %v", c.reply, got, ok, c.want, c.ok)
		}
	}
}

// The server's real ack subjects read as the client library reads them.
func TestParseAckAgreesWithMetadata(t *testing.T) {
	n := natstest.Node(t)
	l, err := New(natstest.Conn(t, n), zerolog.Nop(), events.StreamOptions{Replicas: 1, EventBytes: 8 << 20, ObservationBytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := l.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		e, err := events.New(events.KindNote, time.Now(), "test", events.Note{Text: "n"})
		if err != nil {
			t.Fatal(err)
		}
		e.Cluster = "c" + string(rune('a'+i))
		if _, err := l.Append(ctx, e, NoExpect); err != nil {
			t.Fatal(err)
		}
	}
	c, err := l.JetStream().OrderedConsumer(ctx, events.EventsName, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		m, err := c.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		md, err := m.Metadata()
		if err != nil {
			t.Fatal(err)
		}
		a, ok := parseAck(m.Reply())
		want := ackInfo{seq: md.Sequence.Stream, stored: md.Timestamp, pending: md.NumPending}
		if !ok || !reflect.DeepEqual(a, want) {
			t.Fatalf("parseAck(%q) = %+v, %v; metadata says %+v", m.Reply(), a, ok, want)
		}
	}
}
