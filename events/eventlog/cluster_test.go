package eventlog_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/test/natstest"
)

func TestClusterR3AppendReadRaceAndRestart(t *testing.T) {
	if testing.Short() {
		t.Log("short mode: the 3-node cluster test still runs, it takes a few seconds")
	}
	nodes, opts, logs, so := r3Cluster(t)
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

// TestClusterAppendRidesOutLeaderLoss stops two of three nodes, so the
// event stream has no leader until one of them is back and a Raft election
// ends (seconds): an append through the survivor waits for it instead of
// failing, and is stored once.
func TestClusterAppendRidesOutLeaderLoss(t *testing.T) {
	for _, tc := range []struct {
		name     string
		deadline time.Duration // of the append's context; 0: none
	}{
		{"no deadline, like the recovery engine's appends", 0},
		// An attempt whose message the leaderless stream dropped must not
		// wait out a long caller deadline (a manual operation's).
		{"a long deadline, like a manual operation's", 5 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) { appendRidesOutLeaderLoss(t, tc.deadline) })
	}
}

func appendRidesOutLeaderLoss(t *testing.T, deadline time.Duration) {
	nodes, opts, logs, _ := r3Cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := logs[0].Ensure(ctx); err != nil {
		t.Fatalf("ensure on a cold cluster: %v", err)
	}
	first := note(t, "clu:3306", "before the outage")
	ack, err := logs[0].Append(ctx, first, eventlog.NoExpect)
	if err != nil {
		t.Fatal(err)
	}
	// Stop the stream's leader and one other node; restart the other one
	// a second later: the survivor and it must elect a new leader.
	s, err := logs[0].JetStream().Stream(ctx, events.EventsName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil || info.Cluster == nil {
		t.Fatalf("stream info: %v", err)
	}
	leader := -1
	for i, n := range nodes {
		if n.Name() == info.Cluster.Leader {
			leader = i
		}
	}
	if leader < 0 {
		t.Fatalf("stream leader %q is none of the nodes", info.Cluster.Leader)
	}
	other, survivor := (leader+1)%3, (leader+2)%3
	nodes[leader].Shutdown()
	nodes[other].Shutdown()
	back := make(chan error, 1)
	go func() { // owned: its result is read below
		time.Sleep(time.Second)
		n, err := natsnodeStart(opts[other], 10*time.Second)
		if err == nil {
			t.Cleanup(n.Shutdown)
		}
		back <- err
	}()
	e := note(t, "clu:3306", "while the stream has no leader")
	start := time.Now()
	actx := context.Background()
	if deadline > 0 {
		var acancel context.CancelFunc
		actx, acancel = context.WithTimeout(actx, deadline)
		defer acancel()
	}
	got, err := logs[survivor].Append(actx, e, eventlog.ExpectClusterSeq("clu:3306", ack.Sequence))
	if rerr := <-back; rerr != nil {
		t.Fatalf("restart node 3: %v", rerr)
	}
	if err != nil {
		t.Fatalf("append while the stream had no leader (after %s): %v", time.Since(start), err)
	}
	if time.Since(start) < time.Second {
		t.Fatalf("append succeeded after %s, before a quorum was back: the outage was not one", time.Since(start))
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("append took %s: an attempt waited for its caller's deadline instead of retrying after the election", took)
	}
	t.Logf("append waited %s for the election (seq %d, duplicate %v)", time.Since(start).Round(time.Millisecond), got.Sequence, got.Duplicate)
	// Reading needs a consumer, which waits for the meta group's election.
	natstest.Eventually(t, 40*time.Second, 500*time.Millisecond, func() error {
		rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
		defer rcancel()
		n := 0
		if err := logs[survivor].Read(rctx, eventlog.ReadOptions{Stream: events.EventsName}, func(r eventlog.Record) error {
			if r.Env.ID == e.ID {
				n++
			}
			return nil
		}); err != nil {
			return err
		}
		if n != 1 {
			return fmt.Errorf("event stored %d times, want once", n)
		}
		return nil
	})
}

// r3Cluster starts 3 clustered nodes and a Log on each for R3 streams.
func r3Cluster(t *testing.T) ([]*natsnodeNode, []natsnodeOptions, []*eventlog.Log, events.StreamOptions) {
	t.Helper()
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
	return nodes, opts, logs, so
}

// TestClusterFollowRidesOutLeaderLoss: a follower keeps delivering after
// the node that hosts its consumer stops: the ordered consumer misses the
// heartbeats, is created again after the last delivered record, and the
// record appended afterwards arrives once.
func TestClusterFollowRidesOutLeaderLoss(t *testing.T) {
	nodes, _, logs, _ := r3Cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := logs[0].Ensure(ctx); err != nil {
		t.Fatalf("ensure on a cold cluster: %v", err)
	}
	before := note(t, "clu:3306", "before the node stops")
	if _, err := logs[0].Append(ctx, before, eventlog.NoExpect); err != nil {
		t.Fatal(err)
	}
	// Follow through node 1 until its consumer is on another node (the
	// server places it): that node is the one to stop.
	var f *follower
	host := -1
	for try := 0; try < 10 && host < 0; try++ {
		f = startFollow(ctx, logs[0])
		f.next(t, before, 10*time.Second)
		host = consumerHost(t, ctx, logs[0], nodes)
		if host <= 0 {
			f.stop(t)
			dropConsumers(t, ctx, logs[0])
			host = -1
		}
	}
	if host < 0 {
		t.Fatal("the follower's consumer was on node 1 ten times")
	}
	nodes[host].Shutdown()
	after := note(t, "clu:3306", "after the node stopped")
	start := time.Now()
	if _, err := logs[0].Append(ctx, after, eventlog.NoExpect); err != nil {
		t.Fatalf("append after node %d stopped: %v", host+1, err)
	}
	f.next(t, after, 30*time.Second)
	t.Logf("the consumer's node %d stopped; the next record followed %s later", host+1, time.Since(start).Round(time.Millisecond))
	select {
	case r := <-f.seen:
		t.Fatalf("unexpected record %q (seq %d) after the reset", r.Env.ID, r.Sequence)
	case <-time.After(2 * time.Second):
	}
	f.stop(t)
}

// follower is a Follow of the events stream running in a goroutine.
type follower struct {
	seen   chan eventlog.Record
	done   chan error
	cancel context.CancelFunc
}

func startFollow(ctx context.Context, l *eventlog.Log) *follower {
	fctx, cancel := context.WithCancel(ctx)
	f := &follower{seen: make(chan eventlog.Record, 16), done: make(chan error, 1), cancel: cancel}
	go func() { // owned: joined by stop
		f.done <- l.Follow(fctx, eventlog.ReadOptions{Stream: events.EventsName}, func(r eventlog.Record) error {
			f.seen <- r
			return nil
		})
	}()
	return f
}

func (f *follower) next(t *testing.T, want events.Envelope, within time.Duration) {
	t.Helper()
	select {
	case r := <-f.seen:
		if r.Env.ID != want.ID {
			t.Fatalf("followed %q (seq %d), want %q", r.Env.ID, r.Sequence, want.ID)
		}
	case err := <-f.done:
		t.Fatalf("Follow returned %v before %q", err, want.ID)
	case <-time.After(within):
		t.Fatalf("%q not delivered within %s", want.ID, within)
	}
}

func (f *follower) stop(t *testing.T) {
	t.Helper()
	f.cancel()
	select {
	case err := <-f.done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Follow returned %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not return after its context ended")
	}
}

// dropConsumers deletes the events stream's consumers (a stopped
// follower's may outlive it a while).
func dropConsumers(t *testing.T, ctx context.Context, l *eventlog.Log) {
	t.Helper()
	s, err := l.JetStream().Stream(ctx, events.EventsName)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range s.ListConsumers(ctx).Info() {
		names = append(names, name.Name)
	}
	for _, name := range names {
		if err := s.DeleteConsumer(ctx, name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			t.Fatalf("delete consumer %s: %v", name, err)
		}
	}
}

// consumerHost is the index of the node hosting the events stream's one
// consumer (the follower's).
func consumerHost(t *testing.T, ctx context.Context, l *eventlog.Log, nodes []*natsnodeNode) int {
	t.Helper()
	s, err := l.JetStream().Stream(ctx, events.EventsName)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for ci := range s.ListConsumers(ctx).Info() {
		if ci.Cluster != nil {
			names = append(names, ci.Cluster.Leader)
		}
	}
	if len(names) != 1 {
		t.Fatalf("consumers of %s on %v, want one", events.EventsName, names)
	}
	for i, n := range nodes {
		if n.Name() == names[0] {
			return i
		}
	}
	t.Fatalf("consumer on %q, none of the nodes", names[0])
	return -1
}
