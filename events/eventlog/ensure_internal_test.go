package eventlog

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/natstest"
)

// TestEnsureLeavesUnchangedStreamsAlone: after Ensure the server's stream
// configs equal Regent's (so the next node's Ensure updates nothing), and a
// changed setting is applied.
func TestEnsureLeavesUnchangedStreamsAlone(t *testing.T) {
	n := natstest.Node(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	open := func(so events.StreamOptions) *Log {
		l, err := New(natstest.Conn(t, n), zerolog.Nop(), so)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Ensure(ctx); err != nil {
			t.Fatalf("ensure: %v", err)
		}
		return l
	}
	so := events.StreamOptions{EventBytes: 64 << 20, ObservationBytes: 64 << 20}
	l := open(so)
	open(so) // a second node starting
	for _, spec := range l.specs {
		s, err := l.js.Stream(ctx, spec.Name)
		if err != nil {
			t.Fatal(err)
		}
		if have, want := s.CachedInfo().Config, StreamConfig(spec); !sameStream(have, want) {
			t.Errorf("stream %s as stored differs from Regent's config: every Ensure would update it\nhave %+v\nwant %+v", spec.Name, have, want)
		}
	}
	so.EventBytes = 32 << 20
	l = open(so)
	s, err := l.js.Stream(ctx, events.EventsName)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().Config.MaxBytes; got != 32<<20 {
		t.Errorf("changed EventBytes not applied: MaxBytes %d", got)
	}
}
