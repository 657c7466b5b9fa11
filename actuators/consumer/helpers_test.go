package consumer_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators/consumer"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/test/natstest"
)

// testLog starts an embedded node and returns a log on it with the streams
// created, and the node (for more connections).
func testLog(t *testing.T) (*eventlog.Log, *natsnode.Node) {
	t.Helper()
	n := natstest.Node(t)
	return logOn(t, n), n
}

// logOn opens a new connection to n and a log on it.
func logOn(t *testing.T, n *natsnode.Node) *eventlog.Log {
	t.Helper()
	l, err := eventlog.New(natstest.Conn(t, n), zerolog.Nop(), events.StreamOptions{EventBytes: 64 << 20, ObservationBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Ensure(ctx); err != nil {
		t.Fatalf("ensure streams: %v", err)
	}
	return l
}

// baseConfig is a fast consumer configuration running bash -c script with
// OUT=dir in its environment.
func baseConfig(durable, dir, script string) consumer.Config {
	return consumer.Config{
		Durable:    durable,
		Command:    []string{"bash", "-c", script},
		Env:        append(os.Environ(), "OUT="+dir),
		AckWait:    2 * time.Second,
		Backoff:    []time.Duration{200 * time.Millisecond},
		Timeout:    10 * time.Second,
		KillGrace:  300 * time.Millisecond,
		PollWait:   200 * time.Millisecond,
		DeliverAll: true,
	}
}

// running is a consumer running in a goroutine of the test.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, l *eventlog.Log, cfg consumer.Config) *running {
	t.Helper()
	c, err := consumer.New(l, cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- c.Run(ctx) }()
	t.Cleanup(func() { _ = r.stop(30 * time.Second) })
	return r
}

// stop cancels the consumer and waits for Run to return.
func (r *running) stop(timeout time.Duration) error {
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // a second stop sees the same result
		return err
	case <-time.After(timeout):
		return errors.New("consumer did not stop in time")
	}
}

func appendEvent(t *testing.T, l *eventlog.Log, kind events.Kind, cluster string, p any) (events.Envelope, uint64) {
	t.Helper()
	e, err := events.New(kind, time.Now(), "test", p)
	if err != nil {
		t.Fatal(err)
	}
	e.Cluster = cluster
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ack, err := l.Append(ctx, e, eventlog.NoExpect)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return e, ack.Sequence
}

func appendNote(t *testing.T, l *eventlog.Log, cluster, text string) (events.Envelope, uint64) {
	t.Helper()
	return appendEvent(t, l, events.KindNote, cluster, events.Note{Text: text})
}

// lines returns the non-empty lines of a file (none when it is missing).
func lines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range strings.Split(string(b), "\n") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// waitLines waits until path has at least n lines.
func waitLines(t *testing.T, path string, n int, timeout time.Duration) []string {
	t.Helper()
	natstest.Eventually(t, timeout, 20*time.Millisecond, func() error {
		if got := len(lines(t, path)); got < n {
			return fmt.Errorf("%s: %d lines, want %d", filepath.Base(path), got, n)
		}
		return nil
	})
	return lines(t, path)
}

// deadLetters returns every dead-letter event in the log.
func deadLetters(t *testing.T, l *eventlog.Log) []events.Envelope {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out []events.Envelope
	err := l.Read(ctx, eventlog.ReadOptions{Stream: events.EventsName, Subjects: []string{events.EventRoot + ".*.dead-letter"}},
		func(r eventlog.Record) error {
			out = append(out, r.Env)
			return nil
		})
	if err != nil {
		t.Fatalf("read dead letters: %v", err)
	}
	return out
}

// consumerState returns the durable's pending and ack-pending counts.
func consumerState(t *testing.T, l *eventlog.Log, durable string) (pending uint64, ackPending int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := l.JetStream().Consumer(ctx, events.EventsName, durable)
	if err != nil {
		t.Fatalf("consumer %s: %v", durable, err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatalf("consumer %s info: %v", durable, err)
	}
	return info.NumPending, info.NumAckPending
}
