package projections

import (
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

func gateEnv(t testing.TB, kind events.Kind, origin string, at time.Time) events.Envelope {
	t.Helper()
	key := events.InstanceKey{Hostname: "db1", Port: 3306}
	var p any = events.InstanceUnreachable{Key: key, Error: "refused"}
	if !kind.IsObservation() {
		p = events.Note{Text: "x"}
	}
	e, err := events.New(kind, at, origin, p)
	if err != nil {
		t.Fatal(err)
	}
	e.Instance = key.String()
	return e
}

// TestOriginGate: an observation is admitted only from a configured node,
// on that node's own subject, and not dated beyond MaxObservationSkew
// after it was stored; events only in the event stream.
func TestOriginGate(t *testing.T) {
	g := NewOriginGate([]string{"198.18.0.101:10008", "198.18.0.102:10008", "regent-1"})
	stored := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	obs := func(origin string, at time.Time) events.Envelope {
		return gateEnv(t, events.KindInstanceUnreachable, origin, at)
	}
	subj := func(origin string) string { return events.ObservationSubject("c:3306", "db1:3306", origin) }
	tests := []struct {
		name, stream, subject string
		env                   events.Envelope
		want                  string
	}{
		{"own subject", events.ObservationsName, subj("198.18.0.101:10008"), obs("198.18.0.101:10008", stored), RejectNone},
		{"single node", events.ObservationsName, subj("regent-1"), obs("regent-1", stored), RejectNone},
		{"within the skew", events.ObservationsName, subj("regent-1"), obs("regent-1", stored.Add(MaxObservationSkew)), RejectNone},
		{"published late", events.ObservationsName, subj("regent-1"), obs("regent-1", stored.Add(-MaxObservationAge)), RejectNone},
		{"stale copy", events.ObservationsName, subj("regent-1"), obs("regent-1", stored.Add(-MaxObservationAge-time.Millisecond)), RejectStale},
		{"hour-old copy", events.ObservationsName, subj("regent-1"), obs("regent-1", stored.Add(-time.Hour)), RejectStale},
		{"future", events.ObservationsName, subj("regent-1"), obs("regent-1", stored.Add(MaxObservationSkew+time.Millisecond)), RejectFuture},
		{"unknown origin", events.ObservationsName, subj("evil-a"), obs("evil-a", stored), RejectUnknownOrigin},
		{"another node's subject", events.ObservationsName, subj("198.18.0.102:10008"), obs("198.18.0.101:10008", stored), RejectOriginForged},
		{"subject without origin", events.ObservationsName, "regent.obs.c-3306.db1-3306", obs("regent-1", stored), RejectNoOrigin},
		{"observation in the event stream", events.EventsName, subj("regent-1"), obs("regent-1", stored), RejectWrongStream},
		{"event in the observation stream", events.ObservationsName, subj("regent-1"), gateEnv(t, events.KindNote, "regent-1", stored), RejectWrongStream},
		{"event", events.EventsName, events.EventSubject("c:3306", events.KindNote), gateEnv(t, events.KindNote, "anyone", stored), RejectNone},
		{"event appended late", events.EventsName, events.EventSubject("c:3306", events.KindNote), gateEnv(t, events.KindNote, "a", stored.Add(-MaxEventAge)), RejectNone},
		{"event ahead", events.EventsName, events.EventSubject("c:3306", events.KindNote), gateEnv(t, events.KindNote, "a", stored.Add(MaxEventSkew)), RejectNone},
		{"replayed event", events.EventsName, events.EventSubject("c:3306", events.KindNote), gateEnv(t, events.KindNote, "a", stored.Add(-MaxEventAge-time.Millisecond)), RejectReplayed},
		{"day-old copy", events.EventsName, events.EventSubject("c:3306", events.KindNote), gateEnv(t, events.KindNote, "a", stored.Add(-24*time.Hour)), RejectReplayed},
		{"future event", events.EventsName, events.EventSubject("c:3306", events.KindNote), gateEnv(t, events.KindNote, "a", stored.Add(MaxEventSkew+time.Millisecond)), RejectFuture},
	}
	for _, tt := range tests {
		if got := g.Admit(tt.stream, tt.subject, stored, &tt.env); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	e := obs("regent-1", stored)
	s := subj("regent-1")
	if n := testing.AllocsPerRun(100, func() { _ = g.Admit(events.ObservationsName, s, stored, &e) }); n != 0 {
		t.Errorf("Admit allocates %v times per record, want 0", n)
	}
	old := gateEnv(t, events.KindNote, "a", stored.Add(-time.Hour))
	if got := g.Admit(events.EventsName, events.EventSubject("", events.KindNote), time.Time{}, &old); got != RejectNone {
		t.Errorf("event without a stored time (not read from a stream): %q, want admitted", got)
	}
}

// TestAgeBoundsWithinDedupWindows: a copy that a push consumer delivers
// back into its stream is dropped by the stream within its dedup window;
// the gate's bounds must refuse every copy stored after it, whatever the
// skew of the original within the bounds: age bound + future bound ≤ the
// window. A legitimate record is stored within seconds (publish timeout,
// append retries), well within the age bounds.
func TestAgeBoundsWithinDedupWindows(t *testing.T) {
	windows := map[string]time.Duration{}
	for _, s := range events.Streams(events.StreamOptions{}) {
		windows[s.Name] = s.Duplicates
	}
	if w := windows[events.ObservationsName]; MaxObservationAge+MaxObservationSkew > w {
		t.Errorf("observations: age %v + skew %v exceed the dedup window %v: a copy stored after it may be admitted",
			MaxObservationAge, MaxObservationSkew, w)
	}
	if w := windows[events.EventsName]; MaxEventAge+MaxEventSkew > w {
		t.Errorf("events: age %v + skew %v exceed the dedup window %v: a copy stored after it may be admitted",
			MaxEventAge, MaxEventSkew, w)
	}
	if MaxObservationAge < 4*5*time.Second || MaxEventAge < 3*16*time.Second {
		t.Errorf("age bounds %v, %v leave no room over the publish timeout (5 s) and the append retries (≈ 16 s)", MaxObservationAge, MaxEventAge)
	}
}

func BenchmarkOriginGateAdmit(b *testing.B) {
	g := NewOriginGate([]string{"198.18.0.101:10008", "198.18.0.102:10008", "198.18.0.103:10008"})
	stored := time.Now()
	e := gateEnv(b, events.KindInstanceProgress, "198.18.0.102:10008", stored)
	s := events.ObservationSubject("198.18.0.1:3306", "198.18.0.2:3306", "198.18.0.102:10008")
	b.ReportAllocs()
	for b.Loop() {
		if g.Admit(events.ObservationsName, s, stored, &e) != RejectNone {
			b.Fatal("rejected")
		}
	}
}

// TestOriginGateWithoutNodes: without the nodes' list any origin is
// admitted on its own subject; the other rules hold.
func TestOriginGateWithoutNodes(t *testing.T) {
	g := NewOriginGate(nil)
	stored := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	e := gateEnv(t, events.KindInstanceUnreachable, "c1", stored)
	for subject, want := range map[string]string{
		events.ObservationSubject("c:3306", "db1:3306", "c1"): RejectNone,
		events.ObservationSubject("c:3306", "db1:3306", "c2"): RejectOriginForged,
		"regent.obs.c-3306.db1-3306":                          RejectNoOrigin,
	} {
		if got := g.Admit(events.ObservationsName, subject, stored, &e); got != want {
			t.Errorf("%s: %q, want %q", subject, got, want)
		}
	}
	future := gateEnv(t, events.KindInstanceUnreachable, "c1", stored.Add(time.Minute))
	if got := g.Admit(events.ObservationsName, events.ObservationSubject("c:3306", "db1:3306", "c1"), stored, &future); got != RejectFuture {
		t.Errorf("future: %q", got)
	}
	stale := gateEnv(t, events.KindInstanceUnreachable, "c1", stored.Add(-time.Minute))
	if got := g.Admit(events.ObservationsName, events.ObservationSubject("c:3306", "db1:3306", "c1"), stored, &stale); got != RejectStale {
		t.Errorf("stale: %q", got)
	}
	replayed := gateEnv(t, events.KindGlobalRecoveriesSet, "c1", stored.Add(-time.Hour))
	if got := g.Admit(events.EventsName, events.EventSubject("", events.KindGlobalRecoveriesSet), stored, &replayed); got != RejectReplayed {
		t.Errorf("replayed: %q", got)
	}
}
