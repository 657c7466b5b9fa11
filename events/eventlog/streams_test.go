package eventlog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/test/natstest"
)

// streamWant is what the server must report for one stream.
type streamWant struct {
	name              string
	subject           string
	dupWindow         time.Duration
	maxAge            time.Duration
	denyDelete, purge bool // purge: DenyPurge
}

var wantStreams = []streamWant{
	{events.EventsName, events.EventsAll, 2 * time.Minute, 0, true, true},
	{events.ObservationsName, events.ObservationsAll, 30 * time.Second, 24 * time.Hour, false, false},
}

// TestStreamConfigsOnTheServer: what Ensure creates is what the server
// keeps: file storage, limits retention, the dedup windows, the ages and
// sizes, and the audit stream refuses purge and delete.
func TestStreamConfigsOnTheServer(t *testing.T) {
	l := single(t)
	js := l.JetStream()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, w := range wantStreams {
		s, err := js.Stream(ctx, w.name)
		if err != nil {
			t.Fatalf("stream %s: %v", w.name, err)
		}
		c := s.CachedInfo().Config
		switch {
		case c.Storage != jetstream.FileStorage:
			t.Errorf("%s: storage %v, want file", w.name, c.Storage)
		case c.Retention != jetstream.LimitsPolicy || c.Discard != jetstream.DiscardOld:
			t.Errorf("%s: retention %v discard %v, want limits/old", w.name, c.Retention, c.Discard)
		case c.Replicas != 1:
			t.Errorf("%s: %d replicas, want 1", w.name, c.Replicas)
		case c.Duplicates != w.dupWindow:
			t.Errorf("%s: dedup window %s, want %s", w.name, c.Duplicates, w.dupWindow)
		case c.MaxAge != w.maxAge:
			t.Errorf("%s: max age %s, want %s", w.name, c.MaxAge, w.maxAge)
		case c.MaxBytes != 64<<20:
			t.Errorf("%s: max bytes %d, want %d", w.name, c.MaxBytes, 64<<20)
		case c.DenyDelete != w.denyDelete || c.DenyPurge != w.purge:
			t.Errorf("%s: DenyDelete %v DenyPurge %v, want %v %v", w.name, c.DenyDelete, c.DenyPurge, w.denyDelete, w.purge)
		case len(c.Subjects) != 1 || c.Subjects[0] != w.subject:
			t.Errorf("%s: subjects %v, want [%s]", w.name, c.Subjects, w.subject)
		}
	}
	e := note(t, "c1:3306", "kept forever")
	a, err := l.Append(ctx, e, eventlog.NoExpect)
	if err != nil {
		t.Fatal(err)
	}
	events1, err := js.Stream(ctx, events.EventsName)
	if err != nil {
		t.Fatal(err)
	}
	if err := events1.Purge(ctx); err == nil {
		t.Error("purge of the events stream succeeded, want it refused (DenyPurge)")
	}
	if err := events1.DeleteMsg(ctx, a.Sequence); err == nil {
		t.Error("delete of an event succeeded, want it refused (DenyDelete)")
	}
	if err := events1.SecureDeleteMsg(ctx, a.Sequence); err == nil {
		t.Error("secure delete of an event succeeded, want it refused (DenyDelete)")
	}
	if _, err := events1.GetMsg(ctx, a.Sequence); err != nil {
		t.Errorf("the event is gone after the refused purge and delete: %v", err)
	}
	// The observation stream may be purged (retention is its only bound).
	obs, err := js.Stream(ctx, events.ObservationsName)
	if err != nil {
		t.Fatal(err)
	}
	if err := obs.Purge(ctx); err != nil {
		t.Errorf("purge of the observation stream: %v", err)
	}
}

// TestDedupWindowDropsARepeatedMessageID: within the window, a second
// publish with the same Nats-Msg-Id is stored once.
func TestDedupWindowDropsARepeatedMessageID(t *testing.T) {
	l := single(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	subject := events.ObservationSubject("c1:3306", "h1:3306", "n1")
	var seqs []uint64
	for range 2 {
		ack, err := l.JetStream().Publish(ctx, subject, []byte("x"), jetstream.WithMsgID("same-id"))
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, ack.Sequence)
		if len(seqs) == 2 && !ack.Duplicate {
			t.Error("second publish with the same message ID not reported as a duplicate")
		}
	}
	if seqs[0] != seqs[1] {
		t.Errorf("sequences %v: the repeated message was stored twice", seqs)
	}
}

// TestStreamsAreR3OnACluster: with Replicas 3 on a 3-node cluster each
// stream has a leader and two current replicas.
func TestStreamsAreR3OnACluster(t *testing.T) {
	_, _, logs, _ := r3Cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := logs[0].Ensure(ctx); err != nil {
		t.Fatalf("ensure: %v", err)
	}
	for _, w := range wantStreams {
		natstest.Eventually(t, 20*time.Second, 200*time.Millisecond, func() error {
			s, err := logs[1].JetStream().Stream(ctx, w.name)
			if err != nil {
				return err
			}
			info := s.CachedInfo()
			if info.Config.Replicas != 3 || info.Config.Storage != jetstream.FileStorage {
				return fmt.Errorf("%s: replicas %d storage %v", w.name, info.Config.Replicas, info.Config.Storage)
			}
			if info.Cluster == nil || info.Cluster.Leader == "" || len(info.Cluster.Replicas) != 2 {
				return fmt.Errorf("%s: cluster %+v, want a leader and 2 replicas", w.name, info.Cluster)
			}
			for _, r := range info.Cluster.Replicas {
				if !r.Current {
					return fmt.Errorf("%s: replica %s not current", w.name, r.Name)
				}
			}
			return nil
		})
	}
}
