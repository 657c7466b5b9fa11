package eventlog_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/test/natstest"
)

func TestClusterR3AppendReadRaceAndRestart(t *testing.T) {
	if testing.Short() {
		t.Log("short mode: the 3-node cluster test still runs, it takes a few seconds")
	}
	nodes, opts := natstest.Cluster(t, 3)
	so := events.StreamOptions{Replicas: 3, EventBytes: 64 << 20, ObservationBytes: 64 << 20}
	logs := make([]*eventlog.Log, 3)
	for i, n := range nodes {
		l, err := eventlog.New(natstest.Conn(t, n), zerolog.Nop(), so)
		if err != nil {
			t.Fatal(err)
		}
		logs[i] = l
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := logs[0].Ensure(ctx); err != nil {
		t.Fatalf("ensure on a cold cluster: %v", err)
	}
	e := note(t, "clu:3306", "through node 1")
	if _, err := logs[0].Append(ctx, e, eventlog.NoExpect); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 3; i++ {
		if err := readHas(ctx, logs[i], e.ID); err != nil {
			t.Fatalf("node %d: %v", i+1, err)
		}
	}
	// Racing writers on an R3 stream: exactly one wins each round.
	for round := 0; round < 3; round++ {
		won, lost := raceOne(t, logs[round%3], "clu:3306", 3)
		if won != 1 || lost != 2 {
			t.Fatalf("R3 round %d: %d won, %d lost; want 1 and 2", round, won, lost)
		}
	}
	// Stop node 3; the other two keep appending.
	nodes[2].Shutdown()
	var during events.Envelope
	natstest.Eventually(t, 20*time.Second, 200*time.Millisecond, func() error {
		during = note(t, "clu:3306", "while node 3 is down")
		_, err := logs[0].Append(ctx, during, eventlog.NoExpect)
		return err
	})
	// Restart node 3 with the same store: it catches up.
	n3 := restart(t, opts[2])
	l3, err := eventlog.New(natstest.Conn(t, n3), zerolog.Nop(), so)
	if err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 30*time.Second, 250*time.Millisecond, func() error { return readHas(ctx, l3, during.ID) })
}

func readHas(ctx context.Context, l *eventlog.Log, id string) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	found := false
	err := l.Read(cctx, eventlog.ReadOptions{Stream: events.EventsName}, func(r eventlog.Record) error {
		if r.Env.ID == id {
			found = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !found {
		return errors.New("event " + id + " not read back")
	}
	return nil
}

func restart(t *testing.T, o natsnodeOptions) *natsnodeNode {
	t.Helper()
	n, err := natsnodeStart(o, 10*time.Second)
	if err != nil {
		t.Fatal(fmt.Errorf("restart: %w", err))
	}
	t.Cleanup(n.Shutdown)
	return n
}
