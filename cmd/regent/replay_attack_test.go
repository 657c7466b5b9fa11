package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/test/natstest"
)

// TestReplayedCopiesRefusedByTheFold performs the replay attack on a
// serving node as the reader role: a push consumer of REGENT_EVENTS copies
// an old "global recoveries disabled" event into REGENT_OBS (the fold
// refuses it there: wrong-stream), and once the event is past the events'
// dedup window a push consumer of REGENT_OBS copies it back into
// REGENT_EVENTS, where it is stored like the original (same subject, body
// and Nats-Msg-Id). Likewise an observation, through REGENT_EVENTS, back onto
// its origin's subject. The fold refuses both copies (replayed, stale):
// global recoveries stay enabled and /metrics counts the reasons.
//
// The node's 2 min dedup window is shortened to 1 s by admin (standing for
// the time an attacker waits), and the original records are dated back
// (within the age bounds, so the fold takes them), so that the test does
// not wait out MaxEventAge.
func TestReplayedCopiesRefusedByTheFold(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cfg := serveInProcess(t, map[string]string{"RaftDataDir": dir})
	base := "http://" + cfg.ListenAddress
	waitURL(t, &http.Client{Timeout: 2 * time.Second}, base+"/api/raft-health", 200)
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	admin := authLog(t, cfg.NATSListenAddress, dataDirAuth(t, dir, natsnode.RoleAdmin))
	node := authLog(t, cfg.NATSListenAddress, dataDirAuth(t, dir, natsnode.RoleNode))
	reader, err := nats.Connect("nats://"+cfg.NATSListenAddress, nats.Timeout(2*time.Second), dataDirAuth(t, dir, natsnode.RoleReader))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reader.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	shortenDedup(ctx, t, admin)

	start := time.Now()
	disable, disableSeq := appendAt(ctx, t, admin, events.KindGlobalRecoveriesSet, start.Add(-50*time.Second), events.GlobalRecoveriesSet{Enabled: false, Who: "old"})
	waitRecoveries(t, base, "disabled")
	key := events.InstanceKey{Hostname: "ghost", Port: 3306}
	obs, err := events.New(events.KindInstanceUnreachable, start.Add(-10*time.Second), "regent-1", events.InstanceUnreachable{Key: key, Error: "refused"})
	if err != nil {
		t.Fatal(err)
	}
	obs.Instance = key.String()
	ack, err := node.Append(ctx, obs, eventlog.NoExpect)
	if err != nil {
		t.Fatalf("the node's observation: %v", err)
	}
	evtSubj, obsSubj := disable.Subject(), obs.Subject()
	natstest.Relay(t, reader, events.EventsName, evtSubj, events.Prefix+".obs.relay.x.y")
	natstest.Relay(t, reader, events.ObservationsName, obsSubj, events.EventRoot+".relay.x")
	_, _ = appendAt(ctx, t, admin, events.KindGlobalRecoveriesSet, time.Now(), events.GlobalRecoveriesSet{Enabled: true, Who: "test"})
	waitRecoveries(t, base, "enabled")

	time.Sleep(time.Until(disable.Time.Add(projections.MaxEventAge + time.Second)))
	natstest.Relay(t, reader, events.ObservationsName, evtSubj, events.EventRoot+".relay.x")
	natstest.Relay(t, reader, events.EventsName, obsSubj, events.Prefix+".obs.relay.x.y")
	checkStoredCopy(ctx, t, admin, events.EventsName, evtSubj, disable.ID, disableSeq)
	checkStoredCopy(ctx, t, admin, events.ObservationsName, obsSubj, obs.ID, ack.Sequence)
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, env := request(t, http.MethodGet, base+"/api/check-global-recoveries", nil); env["Details"] != "enabled" {
			t.Errorf("check-global-recoveries after the replayed disable: %v, want enabled", env)
			break
		}
	}
	natstest.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		_, metrics, err := httpGet(base + "/metrics")
		if err != nil {
			return err
		}
		for _, reason := range []string{projections.RejectReplayed, projections.RejectStale, projections.RejectWrongStream} {
			if want := fmt.Sprintf(`regent_observations_rejected_total{reason=%q}`, reason); !strings.Contains(string(metrics), want) {
				return fmt.Errorf("/metrics lacks %s", want)
			}
		}
		return nil
	})
	if code, env := request(t, http.MethodGet, base+"/api/check-global-recoveries", nil); code != 200 || env["Details"] != "enabled" {
		t.Errorf("check-global-recoveries after the replayed disable: %d %v, want enabled", code, env)
	}
}

// shortenDedup gives Regent's streams a 1 s dedup window.
func shortenDedup(ctx context.Context, t *testing.T, admin *eventlog.Log) {
	t.Helper()
	for _, name := range []string{events.EventsName, events.ObservationsName} {
		s, err := admin.JetStream().Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		c := s.CachedInfo().Config
		c.Duplicates = time.Second
		if _, err := admin.JetStream().UpdateStream(ctx, c); err != nil {
			t.Fatalf("shorten the dedup window of %s: %v", name, err)
		}
	}
}

// appendAt appends an event of kind dated at, through l.
func appendAt(ctx context.Context, t *testing.T, l *eventlog.Log, kind events.Kind, at time.Time, p any) (events.Envelope, uint64) {
	t.Helper()
	env, err := events.New(kind, at, "regent-1", p)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := l.Append(ctx, env, eventlog.NoExpect)
	if err != nil {
		t.Fatalf("append %s: %v", kind, err)
	}
	return env, ack.Sequence
}

func waitRecoveries(t *testing.T, base, want string) {
	t.Helper()
	natstest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		if code, env := request(t, http.MethodGet, base+"/api/check-global-recoveries", nil); code != 200 || env["Details"] != want {
			return fmt.Errorf("check-global-recoveries: %d %v, want %s", code, env, want)
		}
		return nil
	})
}

// checkStoredCopy: stream's last message on subject is a copy of the
// record id stored at seq: the same Nats-Msg-Id, a later sequence.
func checkStoredCopy(ctx context.Context, t *testing.T, l *eventlog.Log, stream, subject, id string, seq uint64) {
	t.Helper()
	s, err := l.JetStream().Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 5*time.Second, 50*time.Millisecond, func() error {
		m, err := s.GetLastMsgForSubject(ctx, subject)
		if err != nil {
			return err
		}
		if got := m.Header.Get(jetstream.MsgIDHeader); got != id || m.Sequence <= seq {
			return fmt.Errorf("%s: last on %s is seq %d id %s, want a copy of seq %d id %s", stream, subject, m.Sequence, got, seq, id)
		}
		return nil
	})
}
