package consumer_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators/consumer"
	"github.com/regent-ha/regent/events"
)

func TestDelay(t *testing.T) {
	c := consumer.Config{Backoff: []time.Duration{time.Second, 5 * time.Second, 30 * time.Second}}
	for delivery, want := range map[uint64]time.Duration{0: time.Second, 1: time.Second, 2: 5 * time.Second, 3: 30 * time.Second, 9: 30 * time.Second} {
		if got := c.Delay(delivery); got != want {
			t.Errorf("Delay(%d) = %s, want %s", delivery, got, want)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	l, _ := testLog(t)
	ok := consumer.Config{Durable: "d", Command: []string{"true"}}
	for name, mut := range map[string]func(*consumer.Config){
		"no durable":       func(c *consumer.Config) { c.Durable = "" },
		"dotted durable":   func(c *consumer.Config) { c.Durable = "a.b" },
		"no command":       func(c *consumer.Config) { c.Command = nil },
		"foreign filter":   func(c *consumer.Config) { c.Filters = []string{"regent.obs.>"} },
		"zero backoff":     func(c *consumer.Config) { c.Backoff = []time.Duration{0} },
		"negative timeout": func(c *consumer.Config) { c.Timeout = -time.Second },
	} {
		c := ok
		mut(&c)
		if _, err := consumer.New(l, c, zerolog.Nop()); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := consumer.New(l, ok, zerolog.Nop()); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
}

func envelope(t *testing.T, kind events.Kind, cluster string, p any) events.Envelope {
	t.Helper()
	e, err := events.New(kind, time.Now(), "test", p)
	if err != nil {
		t.Fatal(err)
	}
	e.Cluster = cluster
	return e
}

func TestORCEnvironment(t *testing.T) {
	k := func(h string, p int) events.InstanceKey { return events.InstanceKey{Hostname: h, Port: p} }
	for _, tc := range []struct {
		name string
		env  events.Envelope
		want []string
	}{
		{"note", envelope(t, events.KindNote, "c1", events.Note{Text: "x"}), nil},
		{"recovery started", envelope(t, events.KindRecoveryStarted, "db1:3306", events.RecoveryStarted{
			RecoveryID: "r1", Analysis: "DeadMaster", Failed: k("db1", 3306), ClusterName: "db1:3306", Successor: k("db2", 3306)}),
			[]string{"ORC_FAILURE_TYPE=DeadMaster", "ORC_FAILED_HOST=db1", "ORC_FAILED_PORT=3306", "ORC_FAILURE_CLUSTER=db1:3306",
				"ORC_RECOVERY_UID=r1", "ORC_SUCCESSOR_HOST=db2", "ORC_SUCCESSOR_PORT=3306"}},
		{"recovery completed", envelope(t, events.KindRecoveryCompleted, "db1:3306", events.RecoveryCompleted{
			RecoveryID: "r1", Successor: k("db2", 3306), LostReplicas: []events.InstanceKey{k("db3", 3306), k("db4", 3307)}}),
			[]string{"ORC_RECOVERY_UID=r1", "ORC_SUCCESSOR_HOST=db2", "ORC_SUCCESSOR_PORT=3306", "ORC_IS_SUCCESSFUL=true",
				"ORC_LOST_REPLICAS=db3:3306,db4:3307", "ORC_COUNT_LOST_REPLICAS=2", "ORC_FAILURE_CLUSTER=db1:3306"}},
		{"recovery failed", envelope(t, events.KindRecoveryFailed, "db1:3306", events.RecoveryFailed{RecoveryID: "r1", Error: "x"}),
			[]string{"ORC_RECOVERY_UID=r1", "ORC_IS_SUCCESSFUL=false", "ORC_FAILURE_CLUSTER=db1:3306"}},
		{"blocked", envelope(t, events.KindRecoveryBlocked, "db1:3306", events.RecoveryBlocked{
			Analysis: "DeadMaster", Failed: k("db1", 3306), ClusterName: "db1:3306", Reason: "anti-flap"}),
			[]string{"ORC_FAILURE_TYPE=DeadMaster", "ORC_FAILED_HOST=db1", "ORC_FAILED_PORT=3306", "ORC_FAILURE_CLUSTER=db1:3306"}},
		{"hook ran", envelope(t, events.KindHookRan, "db1:3306", events.HookRan{RecoveryID: "r1", Hook: "h"}),
			[]string{"ORC_RECOVERY_UID=r1", "ORC_FAILURE_CLUSTER=db1:3306"}},
		{"bad payload", events.Envelope{ID: "x", Kind: events.KindFailureDetected, Version: 1, Payload: json.RawMessage(`"nope"`)}, nil},
	} {
		if got := consumer.ORCEnvironment(tc.env); !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.name, got, tc.want)
		}
	}
}

// TestUnansweredLastRunIsDeadLettered: when the last allowed run got no
// answer (here a client took the message and never answered), the extra
// delivery records the dead letter without running the command again.
func TestUnansweredLastRunIsDeadLettered(t *testing.T) {
	l, _ := testLog(t)
	dir := t.TempDir()
	cfg := baseConfig("lost", dir, `echo ran >> "$OUT/ran"`)
	cfg.Filters = []string{"regent.evt.*.note"}
	cfg.MaxDeliver = 1
	cfg.AckWait = 500 * time.Millisecond
	r := start(t, l, cfg) // creates the durable
	natstestEventually(t, 5*time.Second, func() bool {
		_, err := l.JetStream().Consumer(context.Background(), events.EventsName, "lost")
		return err == nil
	})
	if err := r.stop(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	note, _ := appendNote(t, l, "c1", "lost")
	cons, err := l.JetStream().Consumer(context.Background(), events.EventsName, "lost")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatalf("take the message: %v", err)
	}
	_ = msg // taken, never answered: delivery 1 of MaxDeliver 1
	time.Sleep(cfg.AckWait)
	start(t, l, cfg)
	natstestEventually(t, 10*time.Second, func() bool { return len(deadLetters(t, l)) == 1 })
	var p events.DeadLetter
	if err := deadLetters(t, l)[0].Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.EventID != note.ID || p.Deliveries != 2 || !strings.Contains(p.LastError, "got no answer") {
		t.Fatalf("dead letter %+v", p)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
		t.Fatal("the command ran again beyond MaxDeliver")
	}
}
