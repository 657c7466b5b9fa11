package natsnode_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/test/natstest"
)

// replayWindow is the dedup window the test gives Regent's streams (2 min
// and 30 s in production): long enough to see a copy dropped within it,
// short enough to see one stored after it.
const replayWindow = 2 * time.Second

// TestReaderPushConsumerCopiesRecords performs the replay attack as a
// reader. The server refuses a push consumer that delivers into its own
// stream ("consumer deliver subject forms a cycle"), so the copy takes two
// hops: a consumer of REGENT_EVENTS delivers an event into regent.obs.…
// (REGENT_OBS stores it; the fold refuses it there as wrong-stream), then a
// consumer of REGENT_OBS delivers that copy back into regent.evt.…; and an
// observation the other way round, back onto its origin's subject. The
// test pins down what such a copy is: it keeps the original's body
// (envelope id and time) and headers, Nats-Msg-Id included, so within the
// target stream's dedup window it is dropped; after the window it is
// stored with a stored time of its own (later than the original's by the
// time that passed). An event appended with an expected sequence keeps
// that header too, and its copy is refused by the stream. The fold's gate
// (projections.OriginGate) refuses the stored copies by their age.
func TestReaderPushConsumerCopiesRecords(t *testing.T) {
	n, creds := authNode(t)
	admin, _ := roleConn(t, n, creds, natsnode.RoleAdmin, "")
	recreateStreams(t, admin)
	nodeA, _ := roleConn(t, n, creds, natsnode.RoleNode, "a")
	njs, err := jetstream.New(nodeA)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	evtSubj := events.EventSubject("", events.KindGlobalRecoveriesSet)
	obsSubj := events.ObservationSubject("c:3306", "db1:3306", "a")
	noteSubj := events.EventSubject("c:3306", events.KindNote)
	// Deliver subjects in the other stream: whatever they are, the copy is
	// stored under the original's subject.
	toObs, toEvents := events.Prefix+".obs.relay.x.y", events.EventRoot+".relay.x"
	evt := publishEnv(ctx, t, njs, evtSubj, events.KindGlobalRecoveriesSet, events.GlobalRecoveriesSet{Enabled: false})
	obs := publishEnv(ctx, t, njs, obsSubj, events.KindInstanceUnreachable,
		events.InstanceUnreachable{Key: events.InstanceKey{Hostname: "db1", Port: 3306}, Error: "refused"})
	note := publishEnv(ctx, t, njs, noteSubj, events.KindNote, events.Note{Text: "fenced"}, jetstream.WithExpectLastSequencePerSubject(0))

	reader, _ := roleConn(t, n, creds, natsnode.RoleReader, "")
	if err := tryPush(reader, events.EventsName, evtSubj, evtSubj); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("a push consumer of REGENT_EVENTS into its own subjects: %v, want a cycle refused", err)
	}
	// First hops, within the window: stored in the other stream.
	natstest.Relay(t, reader, events.EventsName, evtSubj, toObs)
	natstest.Relay(t, reader, events.EventsName, noteSubj, toObs)
	natstest.Relay(t, reader, events.ObservationsName, obsSubj, toEvents)
	time.Sleep(200 * time.Millisecond)
	checkMsgs(ctx, t, njs, events.EventsName, 3, "first hops: the observation's copy stored")
	checkMsgs(ctx, t, njs, events.ObservationsName, 3, "first hops: the events' copies stored")
	checkCopy(ctx, t, njs, events.ObservationsName, evt, 2, evtSubj, 0)
	// Second hops within the window: dropped by deduplication.
	natstest.Relay(t, reader, events.ObservationsName, evtSubj, toEvents)
	natstest.Relay(t, reader, events.EventsName, obsSubj, toObs)
	time.Sleep(200 * time.Millisecond)
	checkMsgs(ctx, t, njs, events.EventsName, 3, "the event's copy dropped within the dedup window")
	checkMsgs(ctx, t, njs, events.ObservationsName, 3, "the observation's copy dropped within the dedup window")

	time.Sleep(2 * replayWindow) // the server forgets message ids after the window
	natstest.Relay(t, reader, events.ObservationsName, evtSubj, toEvents)
	natstest.Relay(t, reader, events.ObservationsName, noteSubj, toEvents)
	natstest.Relay(t, reader, events.EventsName, obsSubj, toObs)
	time.Sleep(200 * time.Millisecond)
	checkMsgs(ctx, t, njs, events.EventsName, 4, "after the window: the event's copy stored, the fenced note's refused")
	checkMsgs(ctx, t, njs, events.ObservationsName, 4, "after the window: the observation's copy stored")
	checkCopy(ctx, t, njs, events.EventsName, evt, 4, evtSubj, 2*replayWindow)
	checkCopy(ctx, t, njs, events.ObservationsName, obs, 4, obsSubj, 2*replayWindow)
	if note.seq != 2 {
		t.Errorf("the note appended with an expected sequence is seq %d, want 2", note.seq)
	}
}

// recreateStreams gives Regent's streams replayWindow as dedup window.
func recreateStreams(t *testing.T, nc *nats.Conn) {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range events.Streams(events.StreamOptions{ObservationBytes: 8 << 20, EventBytes: 8 << 20}) {
		if err := js.DeleteStream(ctx, s.Name); err != nil {
			t.Fatal(err)
		}
		if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: s.Name, Subjects: s.Subjects, MaxBytes: s.MaxBytes,
			Duplicates: replayWindow}); err != nil {
			t.Fatal(err)
		}
	}
}

// stored is one message as the test published it.
type stored struct {
	env  events.Envelope
	body []byte
	seq  uint64
	at   time.Time
}

func publishEnv(ctx context.Context, t *testing.T, js jetstream.JetStream, subject string, kind events.Kind, p any, opts ...jetstream.PublishOpt) stored {
	t.Helper()
	env, err := events.New(kind, time.Now(), "a", p)
	if err != nil {
		t.Fatal(err)
	}
	body, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	msg := nats.NewMsg(subject)
	msg.Data = body
	ack, err := js.PublishMsg(ctx, msg, append(opts, jetstream.WithMsgID(env.ID))...)
	if err != nil {
		t.Fatalf("publish %s as node a: %v", subject, err)
	}
	s, err := js.Stream(ctx, ack.Stream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMsg(ctx, ack.Sequence)
	if err != nil {
		t.Fatal(err)
	}
	return stored{env: env, body: body, seq: ack.Sequence, at: m.Time}
}

// tryPush creates, as nc, an ephemeral push consumer of stream (filtered
// on filter) that delivers into deliver.
func tryPush(nc *nats.Conn, stream, filter, deliver string) error {
	js, err := nc.JetStream()
	if err != nil {
		return err
	}
	_, err = js.AddConsumer(stream, &nats.ConsumerConfig{DeliverSubject: deliver, FilterSubject: filter,
		AckPolicy: nats.AckNonePolicy, DeliverPolicy: nats.DeliverAllPolicy}, nats.MaxWait(2*time.Second))
	return err
}

func msgs(ctx context.Context, js jetstream.JetStream, stream string, want uint64) error {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return err
	}
	if got := s.CachedInfo().State.Msgs; got != want {
		return fmt.Errorf("%s holds %d messages, want %d", stream, got, want)
	}
	return nil
}

func checkMsgs(ctx context.Context, t *testing.T, js jetstream.JetStream, stream string, want uint64, what string) {
	t.Helper()
	if err := msgs(ctx, js, stream, want); err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

// checkCopy: stream's message seq is a copy of orig on subject: same body
// (envelope id and time), same Nats-Msg-Id, a later stored time.
func checkCopy(ctx context.Context, t *testing.T, js jetstream.JetStream, stream string, orig stored, seq uint64, subject string, later time.Duration) {
	t.Helper()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMsg(ctx, seq)
	if err != nil {
		t.Fatalf("%s seq %d: %v", stream, seq, err)
	}
	if string(m.Data) != string(orig.body) || m.Subject != subject {
		t.Errorf("%s seq %d: %s %q, want the copy of seq %d on %s", stream, seq, m.Subject, m.Data, orig.seq, subject)
	}
	if id := m.Header.Get(jetstream.MsgIDHeader); id != orig.env.ID {
		t.Errorf("%s seq %d: Nats-Msg-Id %q, want the original's %q", stream, seq, id, orig.env.ID)
	}
	if age := m.Time.Sub(orig.at); age < later || age <= 0 {
		t.Errorf("%s seq %d stored %v after the original, want its own stored time (≥ %v later)", stream, seq, age, later)
	}
	t.Logf("%s seq %d: copy of seq %d, headers %v, stored %v after it, envelope time %v before its stored time",
		stream, seq, orig.seq, m.Header, m.Time.Sub(orig.at).Round(time.Millisecond), m.Time.Sub(orig.env.Time).Round(time.Millisecond))
}
