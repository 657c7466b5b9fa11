package audit

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
	"github.com/regent-ha/regent/projections/timeline"
	"github.com/regent-ha/regent/test/natstest"
)

// discoveredAndObserved is a log holding, for each of the hosts (port
// 3306; the first the primary, the others its replicas), an
// instance-discovered event and an instance-observed observation.
func discoveredAndObserved(t *testing.T, ctx context.Context, hosts ...string) *eventlog.Log {
	t.Helper()
	l, err := eventlog.New(natstest.Conn(t, natstest.Node(t)), zerolog.Nop(), events.StreamOptions{EventBytes: 16 << 20, ObservationBytes: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	primary := events.InstanceKey{Hostname: hosts[0], Port: 3306}
	for i, host := range hosts {
		k := events.InstanceKey{Hostname: host, Port: 3306}
		d, err := events.New(events.KindInstanceDiscovered, time.Now(), "n1", events.InstanceDiscovered{Key: k, Via: "api"})
		if err != nil {
			t.Fatal(err)
		}
		d.Cluster, d.Instance = primary.String(), k.String()
		if _, err := l.Append(ctx, d, eventlog.NoExpect); err != nil {
			t.Fatal(err)
		}
		p := events.InstanceObserved{Key: k, Digest: "d", Version: "10.11", ServerID: uint32(i + 1)}
		if i > 0 {
			p.Replication = &events.Replication{SourceKey: primary}
		}
		o, err := events.New(events.KindInstanceObserved, time.Now(), "n1", p)
		if err != nil {
			t.Fatal(err)
		}
		o.Cluster, o.Instance = primary.String(), k.String()
		body, err := o.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.JetStream().Publish(ctx, o.Subject(), body); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// TestReplayReadsWhatTheFilterNeeds: replay writes the events the filter
// selects; the observation stream is read only when asked for or when the
// filter names an observation kind. Verify re-derives from both streams
// (no decision recorded here: none verified, none mismatched).
func TestReplayReadsWhatTheFilterNeeds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a := New(discoveredAndObserved(t, ctx, "198.18.0.1", "198.18.0.2"), func() {})
	count := func(f timeline.Filter, withObs bool) (discovered, observed int) {
		t.Helper()
		var out bytes.Buffer
		if err := a.Replay(ctx, &out, f, withObs, true, false, nil); err != nil {
			t.Fatal(err)
		}
		return strings.Count(out.String(), `"kind":"instance-discovered"`), strings.Count(out.String(), `"kind":"instance-observed"`)
	}
	if d, o := count(timeline.Filter{}, false); d != 2 || o != 0 {
		t.Errorf("events only: %d discovered, %d observed; want 2, 0", d, o)
	}
	if d, o := count(timeline.Filter{}, true); d != 2 || o != 2 {
		t.Errorf("with observations: %d discovered, %d observed; want 2, 2", d, o)
	}
	if d, o := count(timeline.Filter{Kinds: []events.Kind{events.KindInstanceObserved}}, false); d != 0 || o != 2 {
		t.Errorf("--kind instance-observed: %d discovered, %d observed; want 0, 2", d, o)
	}
	if d, o := count(timeline.Filter{Instance: "198.18.0.2:3306"}, true); d != 1 || o != 1 {
		t.Errorf("--instance 198.18.0.2:3306: %d discovered, %d observed; want 1, 1", d, o)
	}
	rep, err := a.Verify(ctx, timeline.VerifyOptions{Settings: projections.DefaultSettings(), Params: analysis.DefaultParams()}, nil)
	if err != nil || rep.Verified != 0 || len(rep.Mismatches) != 0 {
		t.Errorf("verify: %+v, %v; want nothing to verify", rep, err)
	}
}
