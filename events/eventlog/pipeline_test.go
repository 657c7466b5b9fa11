package eventlog_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
)

// observation returns the i-th envelope of a test run: mostly progress
// events (the scanner's fast path), with full observations and unreachable
// reports (encoding/json) mixed in.
func observation(t *testing.T, i int) events.Envelope {
	t.Helper()
	k := events.InstanceKey{Hostname: fmt.Sprintf("db%d", i%7), Port: 3306}
	at := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond)
	var p any = events.InstanceProgress{Key: k, Digest: "d", GTIDCurrentPos: fmt.Sprintf("0-1-%d", i)}
	kind := events.KindInstanceProgress
	switch i % 10 {
	case 3:
		kind, p = events.KindInstanceObserved, events.InstanceObserved{Key: k, Digest: "d", Version: "10.11"}
	case 7:
		kind, p = events.KindInstanceUnreachable, events.InstanceUnreachable{Key: k, Error: `dial "x": refused`}
	}
	e, err := events.New(kind, at, "n1", p)
	if err != nil {
		t.Fatal(err)
	}
	e.Cluster, e.Instance = "c", k.String()
	return e
}

// fill appends n observations (sequences from+1 … from+n) and returns their
// ids in stream order.
func fill(t *testing.T, l *eventlog.Log, from, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ids := make([]string, 0, n)
	for i := from; i < from+n; i++ {
		e := observation(t, i)
		body, err := e.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.JetStream().Publish(ctx, e.Subject(), body); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
		ids = append(ids, e.ID)
	}
	return ids
}

// inOrder returns a handler checking that records come with consecutive
// sequences from first on, each with the id stored there.
func inOrder(t *testing.T, ids []string, first uint64, got *int) eventlog.Handler {
	return func(r eventlog.Record) error {
		want := first + uint64(*got)
		if r.Sequence != want || r.Env.ID != ids[want-1] || r.Stream != events.ObservationsName {
			return fmt.Errorf("record %d: got seq %d id %s in %s, want seq %d id %s", *got, r.Sequence, r.Env.ID, r.Stream, want, ids[want-1])
		}
		*got++
		return nil
	}
}

func TestReadDeliversEveryRecordInSequenceOrder(t *testing.T) {
	l := single(t)
	const n = 1500 // several batches
	ids := fill(t, l, 0, n)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, workers := range []int{0, 1, 3, 8} {
		got := 0
		if err := l.Read(ctx, eventlog.ReadOptions{Stream: events.ObservationsName, Workers: workers}, inOrder(t, ids, 1, &got)); err != nil || got != n {
			t.Fatalf("workers %d: read %d of %d: %v", workers, got, n, err)
		}
	}
	got := 0
	if err := l.Read(ctx, eventlog.ReadOptions{Stream: events.ObservationsName, StartSeq: 777}, inOrder(t, ids, 777, &got)); err != nil || got != n-776 {
		t.Fatalf("from 777: read %d of %d: %v", got, n-776, err)
	}
	// A filter: one instance's records, still in order.
	subject := events.ObservationSubject("c", "db3:3306", "n1")
	var last uint64
	count := 0
	err := l.Read(ctx, eventlog.ReadOptions{Stream: events.ObservationsName, Subjects: []string{subject}}, func(r eventlog.Record) error {
		if r.Sequence <= last || r.Env.Instance != "db3:3306" || r.Env.ID != ids[r.Sequence-1] {
			return fmt.Errorf("filtered record seq %d (after %d) of %s", r.Sequence, last, r.Env.Instance)
		}
		last = r.Sequence
		count++
		return nil
	})
	if want := (n + 3) / 7; err != nil || count != want {
		t.Fatalf("filtered: read %d of %d: %v", count, want, err)
	}
}

func TestReadStopsCleanlyAtTheHandlersError(t *testing.T) {
	l := single(t)
	ids := fill(t, l, 0, 700)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errStop := errors.New("stop here")
	for _, k := range []int{1, 255, 256, 257, 700} {
		var calls atomic.Int64
		check := inOrder(t, ids, 1, new(int))
		err := l.Read(ctx, eventlog.ReadOptions{Stream: events.ObservationsName, Workers: 2}, func(r eventlog.Record) error {
			if err := check(r); err != nil {
				return err
			}
			if calls.Add(1) == int64(k) {
				return fmt.Errorf("at %d: %w", k, errStop)
			}
			return nil
		})
		if !errors.Is(err, errStop) || calls.Load() != int64(k) {
			t.Fatalf("stop at %d: %d calls, err %v", k, calls.Load(), err)
		}
	}
	// The log still reads in full afterwards.
	got := 0
	if err := l.Read(ctx, eventlog.ReadOptions{Stream: events.ObservationsName}, inOrder(t, ids, 1, &got)); err != nil || got != len(ids) {
		t.Fatalf("read after stops: %d of %d: %v", got, len(ids), err)
	}
}

func TestReadStopsWhenTheContextEnds(t *testing.T) {
	l := single(t)
	ids := fill(t, l, 0, 900)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rctx, rcancel := context.WithCancel(ctx)
	got := 0
	check := inOrder(t, ids, 1, &got)
	err := l.Read(rctx, eventlog.ReadOptions{Stream: events.ObservationsName}, func(r eventlog.Record) error {
		if err := check(r); err != nil {
			return err
		}
		if got == 300 {
			rcancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || got != 300 {
		t.Fatalf("cancelled at 300: %d delivered, err %v", got, err)
	}
}

func TestFollowDeliversNewRecordsAtOnceAndStopsWithTheContext(t *testing.T) {
	l := single(t)
	ids := fill(t, l, 0, 600)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fctx, fcancel := context.WithCancel(ctx)
	defer fcancel()
	seen := make(chan eventlog.Record, 1000)
	done := make(chan error, 1)
	go func() {
		done <- l.Follow(fctx, eventlog.ReadOptions{Stream: events.ObservationsName}, func(r eventlog.Record) error {
			seen <- r
			return nil
		})
	}()
	next := func(want uint64, id string) {
		t.Helper()
		select {
		case r := <-seen:
			if r.Sequence != want || r.Env.ID != id {
				t.Fatalf("followed seq %d id %s, want seq %d id %s", r.Sequence, r.Env.ID, want, id)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("seq %d not delivered within 5s", want)
		}
	}
	for i, id := range ids {
		next(uint64(i+1), id)
	}
	// Each new record arrives alone: no batch waits to fill up.
	for i := range 5 {
		id := fill(t, l, 600+i, 1)[0]
		next(uint64(601+i), id)
	}
	fcancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Follow returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Follow did not return after its context ended")
	}
}

// TestReadSkipsBadRecordsAndGoesOn: a message that is not JSON and one of
// a kind this build does not know are skipped and reported, each once, with
// their sequences and reasons; every valid record before and after them is
// delivered in order, by Read and by Follow.
func TestReadSkipsBadRecordsAndGoesOn(t *testing.T) {
	l := single(t)
	ids := fill(t, l, 0, 300)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	unknown := strings.Replace(string(mustMarshal(t, observation(t, 9000))), `"kind":"instance-progress"`, `"kind":"instance-teleported"`, 1)
	for _, body := range []string{`{"id":"x","kind":`, unknown} {
		if _, err := l.JetStream().Publish(ctx, events.ObservationSubject("c", "db1:3306", "n1"), []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	ids = append(ids, "", "") // sequences 301 and 302 are the bad ones
	ids = append(ids, fill(t, l, 303, 10)...)
	for _, follow := range []bool{false, true} {
		var skips []eventlog.Skip
		var seqs []uint64
		o := eventlog.ReadOptions{Stream: events.ObservationsName, OnSkip: func(s eventlog.Skip) { skips = append(skips, s) }}
		h := func(r eventlog.Record) error {
			if r.Env.ID != ids[r.Sequence-1] {
				return fmt.Errorf("seq %d: id %s, want %s", r.Sequence, r.Env.ID, ids[r.Sequence-1])
			}
			seqs = append(seqs, r.Sequence)
			if follow && r.Sequence == 312 {
				return errStopHere
			}
			return nil
		}
		var err error
		if follow {
			err = l.Follow(ctx, o, h)
		} else {
			err = l.Read(ctx, o, h)
		}
		if err != nil && !errors.Is(err, errStopHere) {
			t.Fatalf("follow %v: %v", follow, err)
		}
		if len(seqs) != 310 || seqs[299] != 300 || seqs[300] != 303 || seqs[309] != 312 {
			t.Fatalf("follow %v: delivered %d records; want 310: 1-300 and 303-312", follow, len(seqs))
		}
		if len(skips) != 2 || skips[0].Sequence != 301 || skips[0].Reason != eventlog.SkipDecode ||
			skips[1].Sequence != 302 || skips[1].Reason != eventlog.SkipUnknownKind || !errors.Is(skips[1].Err, eventlog.ErrBadRecord) {
			t.Fatalf("follow %v: skips %v; want seq 301 (decode) and 302 (unknown_kind)", follow, skips)
		}
	}
}

var errStopHere = errors.New("stop here")

func mustMarshal(t *testing.T, e events.Envelope) []byte {
	t.Helper()
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A handler's error ends Follow even while the consumer waits for new
// records (the reader's goroutines must not wait for them).
func TestFollowStopsAtTheHandlersErrorWhileWaiting(t *testing.T) {
	l := single(t)
	ids := fill(t, l, 0, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errStop := errors.New("stop at the last record")
	done := make(chan error, 1)
	go func() {
		got := 0
		check := inOrder(t, ids, 1, &got)
		done <- l.Follow(ctx, eventlog.ReadOptions{Stream: events.ObservationsName}, func(r eventlog.Record) error {
			if err := check(r); err != nil {
				return err
			}
			if got == len(ids) {
				time.Sleep(100 * time.Millisecond) // the reader is waiting for more by now
				return errStop
			}
			return nil
		})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, errStop) {
			t.Fatalf("Follow returned %v, want the handler's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not return after its handler failed")
	}
}

// TestFollowEndsWithAnErrorWhenTheConnectionCloses: a follower whose
// connection closes under it gets an error naming the stream, after every
// record it was sent, instead of waiting forever on a consumer that stopped.
func TestFollowEndsWithAnErrorWhenTheConnectionCloses(t *testing.T) {
	l := single(t)
	ids := fill(t, l, 0, 100)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := 0
	check := inOrder(t, ids, 1, &got)
	all := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- l.Follow(ctx, eventlog.ReadOptions{Stream: events.ObservationsName}, func(r eventlog.Record) error {
			if err := check(r); err != nil {
				return err
			}
			if got == len(ids) {
				close(all)
			}
			return nil
		})
	}()
	select {
	case <-all:
	case err := <-done:
		t.Fatalf("Follow returned %v after %d records", err, got)
	case <-time.After(10 * time.Second):
		t.Fatalf("%d of %d records within 10s", got, len(ids))
	}
	l.Conn().Close()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), events.ObservationsName) {
			t.Fatalf("Follow after the connection closed returned %v, want the consumer's error", err)
		}
		if got != len(ids) {
			t.Fatalf("%d of %d records delivered", got, len(ids))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not return within 10s of its connection closing")
	}
}
