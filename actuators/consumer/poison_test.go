package consumer_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/regent-ha/regent/events"
)

// TestMessagesThatAreNotEventsAreSkipped: a message that is not JSON and
// one of a kind this build does not know, stored between two notes, run no
// hook and are terminated (not redelivered); the notes after them run.
func TestMessagesThatAreNotEventsAreSkipped(t *testing.T) {
	l, _ := testLog(t)
	out := t.TempDir()
	start(t, l, baseConfig("all", out, handlerScript))
	n1, _ := appendNote(t, l, "", "before")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, body := range []string{"not json", `{"id":"u1","kind":"instance-teleported","v":1,"time":"2026-01-01T00:00:00Z","origin":"x"}`} {
		if _, err := l.JetStream().Publish(ctx, "regent.evt.x.y", []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	n2, _ := appendNote(t, l, "", "after")
	waitLines(t, filepath.Join(out, "ids"), 2, 10*time.Second)
	time.Sleep(time.Second) // room for a wrong run on a skipped message
	if got, want := lines(t, filepath.Join(out, "ids")), []string{n1.ID, n2.ID}; !slices.Equal(got, want) {
		t.Fatalf("hooks ran for %v, want %v", got, want)
	}
	if pending, ackPending := consumerState(t, l, "all"); pending != 0 || ackPending != 0 {
		t.Fatalf("consumer: %d pending, %d awaiting ack; want 0, 0", pending, ackPending)
	}
}

// TestCopiesOfOldEventsRunNoHook: an event stored long after its time (a
// copy of a stored event that a push consumer delivered back into the
// stream: same id, body and subject) runs no hook and is terminated, as
// the fold refuses it (replayed); the events around it run.
func TestCopiesOfOldEventsRunNoHook(t *testing.T) {
	l, _ := testLog(t)
	out := t.TempDir()
	start(t, l, baseConfig("all", out, handlerScript))
	n1, _ := appendNote(t, l, "", "before")
	old, err := events.New(events.KindNote, time.Now().Add(-time.Hour), "test", events.Note{Text: "an hour old"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body, err := old.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.JetStream().Publish(ctx, old.Subject(), body, jetstream.WithMsgID(old.ID)); err != nil {
		t.Fatal(err)
	}
	n2, _ := appendNote(t, l, "", "after")
	waitLines(t, filepath.Join(out, "ids"), 2, 10*time.Second)
	time.Sleep(time.Second) // room for a wrong run on the copy
	if got, want := lines(t, filepath.Join(out, "ids")), []string{n1.ID, n2.ID}; !slices.Equal(got, want) {
		t.Fatalf("hooks ran for %v, want %v (not the copy %s)", got, want, old.ID)
	}
	if pending, ackPending := consumerState(t, l, "all"); pending != 0 || ackPending != 0 {
		t.Fatalf("consumer: %d pending, %d awaiting ack; want 0, 0", pending, ackPending)
	}
}
