package eventlog_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/test/natstest"
)

func single(t *testing.T) *eventlog.Log {
	t.Helper()
	n := natstest.Node(t)
	l, err := eventlog.New(natstest.Conn(t, n), zerolog.Nop(), testStreams)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Ensure(ctx); err != nil {
		t.Fatalf("ensure: %v", err)
	}
	return l
}

func note(t *testing.T, cluster, text string) events.Envelope {
	t.Helper()
	e, err := events.New(events.KindNote, time.Now(), "test", events.Note{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	e.Cluster = cluster
	return e
}

func TestAppendDeduplicatesByEventID(t *testing.T) {
	l := single(t)
	ctx := context.Background()
	e := note(t, "c1:3306", "once")
	a1, err := l.Append(ctx, e, eventlog.NoExpect)
	if err != nil {
		t.Fatal(err)
	}
	a2, err := l.Append(ctx, e, eventlog.NoExpect)
	if err != nil {
		t.Fatal(err)
	}
	if a1.Duplicate || !a2.Duplicate || a1.Sequence != a2.Sequence {
		t.Fatalf("first %+v second %+v: want the second to be a duplicate of the first", a1, a2)
	}
	var got []string
	if err := l.Read(ctx, eventlog.ReadOptions{Stream: events.EventsName}, func(r eventlog.Record) error {
		got = append(got, r.Env.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != e.ID {
		t.Fatalf("stored %v, want exactly [%s]", got, e.ID)
	}
}

func TestAppendConflictIsTyped(t *testing.T) {
	l := single(t)
	ctx := context.Background()
	const c = "db-a:3306"
	seq, err := l.LastClusterSeq(ctx, c)
	if err != nil || seq != 0 {
		t.Fatalf("empty cluster: seq %d err %v", seq, err)
	}
	if _, err := l.Append(ctx, note(t, c, "first"), eventlog.ExpectClusterSeq(c, 0)); err != nil {
		t.Fatalf("first append: %v", err)
	}
	_, err = l.Append(ctx, note(t, c, "stale"), eventlog.ExpectClusterSeq(c, 0))
	var ce *eventlog.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, eventlog.ErrConflict) {
		t.Fatalf("stale append: got %v, want a *ConflictError", err)
	}
	// Another cluster's aggregate is independent.
	if _, err := l.Append(ctx, note(t, "db-b:3306", "other"), eventlog.ExpectClusterSeq("db-b:3306", 0)); err != nil {
		t.Fatalf("other cluster: %v", err)
	}
}

// raceOne makes writers append with the same expected sequence at once and
// returns how many won and how many got a conflict.
func raceOne(t *testing.T, l *eventlog.Log, cluster string, writers int) (won, lost int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	seq, err := l.LastClusterSeq(ctx, cluster)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	start := make(chan struct{})
	for i := 0; i < writers; i++ {
		wg.Add(1)
		e := note(t, cluster, "racer")
		go func() {
			defer wg.Done()
			<-start
			_, err := l.Append(ctx, e, eventlog.ExpectClusterSeq(cluster, seq))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, eventlog.ErrConflict):
				lost++
			default:
				t.Errorf("racer: unexpected error %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return won, lost
}

func TestRacingWritersOneWins(t *testing.T) {
	l := single(t)
	for round := 0; round < 5; round++ {
		won, lost := raceOne(t, l, "race:3306", 4)
		if won != 1 || lost != 3 {
			t.Fatalf("round %d: %d won, %d conflicts; want 1 and 3", round, won, lost)
		}
	}
}

func TestReadFilterMatchingNothingReturns(t *testing.T) {
	l := single(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := l.Append(ctx, note(t, "x:1", "a"), eventlog.NoExpect); err != nil {
		t.Fatal(err)
	}
	n := 0
	err := l.Read(ctx, eventlog.ReadOptions{Stream: events.EventsName, Subjects: []string{events.ClusterEvents("nobody:1")}}, func(eventlog.Record) error { n++; return nil })
	if err != nil || n != 0 {
		t.Fatalf("read: %d records, err %v; want 0, nil", n, err)
	}
}

func TestLeaseSingleHolderAndTakeover(t *testing.T) {
	n := natstest.Node(t)
	mk := func() *eventlog.Log {
		l, err := eventlog.New(natstest.Conn(t, n), zerolog.Nop(), testStreams)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Ensure(context.Background()); err != nil {
			t.Fatal(err)
		}
		return l
	}
	la, lb := mk().NewLease("a", "127.0.0.1:1"), mk().NewLease("b", "127.0.0.1:2")
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = la.Run(ctxA) }()
	go func() { defer wg.Done(); _ = lb.Run(ctxB) }()
	defer wg.Wait()
	var first *eventlog.Lease
	var epoch uint64
	natstest.Eventually(t, 5*time.Second, 50*time.Millisecond, func() error {
		ia, _, ha := la.Current()
		ib, _, hb := lb.Current()
		if ha == hb {
			return errors.New("want exactly one holder")
		}
		if ha {
			first, epoch = la, ia.Epoch
		} else {
			first, epoch = lb, ib.Epoch
		}
		return nil
	})
	if epoch == 0 {
		t.Fatal("holder has epoch 0")
	}
	// Stop the holder: it releases; the other takes over with a higher epoch.
	other := lb
	if first == la {
		stopA()
	} else {
		stopB()
		other = la
	}
	natstest.Eventually(t, 8*time.Second, 50*time.Millisecond, func() error {
		info, _, held := other.Current()
		if !held {
			return errors.New("other node not holding yet")
		}
		if info.Epoch <= epoch {
			t.Fatalf("new epoch %d not above old %d", info.Epoch, epoch)
		}
		return nil
	})
	stopA()
	stopB()
}

var testStreams = events.StreamOptions{Replicas: 1, EventBytes: 64 << 20, ObservationBytes: 64 << 20}

// TestLeaseTakenOverFromPreviousRun: a lease record naming this node that
// this process never wrote (its previous run was SIGKILLed and released
// nothing) is taken over at once with a higher epoch, not after the TTL;
// a record naming another node is left to expire.
func TestLeaseTakenOverFromPreviousRun(t *testing.T) {
	n := natstest.Node(t)
	l, err := eventlog.New(natstest.Conn(t, n), zerolog.Nop(), testStreams)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := l.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	kv, err := l.JetStream().KeyValue(ctx, eventlog.LeaseBucket)
	if err != nil {
		t.Fatal(err)
	}
	leave := func(holder string) uint64 { // what a SIGKILLed holder leaves behind
		b, _ := json.Marshal(eventlog.LeaseInfo{Holder: holder, Addr: "127.0.0.1:1", Epoch: 1, Since: time.Now()})
		rev, err := kv.Put(ctx, "leader", b)
		if err != nil {
			t.Fatal(err)
		}
		return rev
	}
	for _, tc := range []struct {
		left     string
		takenBy  time.Duration // at most
		notUntil time.Duration // at least
	}{
		{left: "a", takenBy: eventlog.LeaseTTL / 2},
		{left: "b", notUntil: eventlog.LeaseTTL / 2},
	} {
		old := leave(tc.left)
		la := l.NewLease("a", "127.0.0.1:2")
		rctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = la.Run(rctx) }()
		start := time.Now()
		natstest.Eventually(t, 3*eventlog.LeaseTTL, 20*time.Millisecond, func() error {
			if info, _, held := la.Current(); !held || info.Epoch <= old {
				return fmt.Errorf("left by %s: not held with an epoch above %d: %+v held=%v", tc.left, old, info, held)
			}
			return nil
		})
		took := time.Since(start)
		stop()
		<-done
		if tc.takenBy > 0 && took > tc.takenBy {
			t.Errorf("record left by this node's previous run taken over after %s, want at once (< %s)", took, tc.takenBy)
		}
		if took < tc.notUntil {
			t.Errorf("record of another node taken over after %s, before its TTL", took)
		}
		t.Logf("record left by %s: held after %s", tc.left, took.Round(time.Millisecond))
	}
}

// TestAppendRefusesAnOverlongSubjectAndStaysConnected: an event naming a
// 4,100-byte host is refused by Append (nothing stored) instead of being
// sent: NATS would close the connection for the overlong protocol line
// ("maximum control line exceeded"), ending every reader of the log and
// with them `regent serve`. The log goes on working.
func TestAppendRefusesAnOverlongSubjectAndStaysConnected(t *testing.T) {
	n := natstest.Node(t)
	nc := natstest.Conn(t, n)
	l, err := eventlog.New(nc, zerolog.Nop(), testStreams)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	host := strings.Repeat("a", 4100)
	obs, err := events.New(events.KindInstanceUnreachable, time.Now(), "test",
		events.InstanceUnreachable{Key: events.InstanceKey{Hostname: host, Port: 3306}, Error: "refused"})
	if err != nil {
		t.Fatal(err)
	}
	obs.Instance = host + ":3306"
	if _, err := l.Append(ctx, obs, eventlog.NoExpect); !errors.Is(err, events.ErrInvalidName) {
		t.Fatalf("append with a 4,100-byte subject: %v, want ErrInvalidName", err)
	}
	if !nc.IsConnected() {
		t.Fatalf("connection %s after the refused append", nc.Status())
	}
	e := note(t, "c1:3306", "after")
	if _, err := l.Append(ctx, e, eventlog.NoExpect); err != nil {
		t.Fatalf("append after the refused one: %v", err)
	}
	var got []string
	for _, stream := range []string{events.EventsName, events.ObservationsName} {
		if err := l.Read(ctx, eventlog.ReadOptions{Stream: stream}, func(r eventlog.Record) error {
			got = append(got, r.Env.ID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 1 || got[0] != e.ID {
		t.Fatalf("stored %v, want only [%s]", got, e.ID)
	}
}

// TestLeaseChangedSignalsGainAndRelease: Changed is closed when the node
// gains the lease and again when it releases it, and not while nothing
// changes (renewals at the same epoch).
func TestLeaseChangedSignalsGainAndRelease(t *testing.T) {
	l, err := eventlog.New(natstest.Conn(t, natstest.Node(t)), zerolog.Nop(), testStreams)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	le := l.NewLease("a", "127.0.0.1:1")
	gained := le.Changed()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = le.Run(ctx) }()
	defer func() { stop(); <-done }()
	select {
	case <-gained:
	case <-time.After(5 * time.Second):
		t.Fatal("Changed not closed within 5 s of campaigning alone")
	}
	info, _, held := le.Current()
	if !held || info.Epoch == 0 {
		t.Fatalf("after Changed: held %v epoch %d, want held at an epoch", held, info.Epoch)
	}
	steady := le.Changed()
	select {
	case <-steady:
		t.Fatal("Changed closed while the lease was only renewed")
	case <-time.After(eventlog.LeaseTTL / 2): // past a renewal (every TTL/3)
	}
	stop()
	<-done
	select {
	case <-steady:
	default:
		t.Fatal("Changed not closed when the lease was released")
	}
	if _, _, held := le.Current(); held {
		t.Fatal("still held after Run returned")
	}
}
