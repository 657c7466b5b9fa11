package control

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/test/natstest"
)

// testLog is an event log with both streams on one embedded node with
// authentication (the admin identity), removed at cleanup.
func testLog(t *testing.T) *eventlog.Log {
	t.Helper()
	o := natstest.Options(t, "control")
	creds, err := natsnode.NewCredentials("control-test-secret-0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	o.Users = creds.Users([]string{"n1"}, natsnode.UserPass{})
	o.Self = natsnode.UserPass{User: natsnode.RoleAdmin, Password: creds.Password(natsnode.RoleAdmin)}
	n, err := natsnode.Start(o, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Shutdown)
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

func rpKey(host string) events.InstanceKey { return events.InstanceKey{Hostname: host, Port: 3306} }

func rpEnv(t *testing.T, kind events.Kind, at time.Time, origin string, key events.InstanceKey, p any) events.Envelope {
	t.Helper()
	env, err := events.New(kind, at, origin, p)
	if err != nil {
		t.Fatal(err)
	}
	env.Instance = key.String()
	return env
}

// unseenTranscript: "dead" was discovered and never reached, "gone" was
// last seen 250 h before now, "alive" is seen now.
func unseenTranscript(t *testing.T, now time.Time) []events.Envelope {
	old := now.Add(-300 * time.Hour)
	var out []events.Envelope
	for _, h := range []string{"dead", "gone", "alive"} {
		out = append(out, rpEnv(t, events.KindInstanceDiscovered, old, "n1", rpKey(h), events.InstanceDiscovered{Key: rpKey(h), Via: "seed"}))
	}
	out = append(out,
		rpEnv(t, events.KindInstanceUnreachable, old, "n1", rpKey("dead"), events.InstanceUnreachable{Key: rpKey("dead"), Error: "connection refused"}),
		rpEnv(t, events.KindInstanceObserved, now.Add(-250*time.Hour), "n2", rpKey("gone"), events.InstanceObserved{Key: rpKey("gone"), ServerID: 2, Digest: "g"}),
		rpEnv(t, events.KindInstanceUnreachable, now.Add(-time.Minute), "n2", rpKey("gone"), events.InstanceUnreachable{Key: rpKey("gone"), Error: "timeout"}),
		rpEnv(t, events.KindInstanceObserved, now, "n1", rpKey("alive"), events.InstanceObserved{Key: rpKey("alive"), ServerID: 3, Digest: "a"}))
	return out
}

func TestUnseenForgets(t *testing.T) {
	now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	topo, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	for i, env := range unseenTranscript(t, now) {
		if err := topo.Apply(uint64(i+1), env); err != nil {
			t.Fatal(err)
		}
	}
	v := topo.View(now)
	for _, c := range []struct {
		hours uint
		want  []string
	}{{0, nil}, {240, []string{"dead:3306", "gone:3306"}}, {260, []string{"dead:3306"}}, {301, nil}} {
		envs, err := UnseenForgets(v, c.hours, "n3")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, env := range envs {
			var p events.InstanceForgotten
			if err := env.Decode(&p); err != nil {
				t.Fatal(err)
			}
			if env.Kind != events.KindInstanceForgotten || p.Reason != "unseen" || p.Key.String() != env.Instance ||
				env.Origin != "n3" || !env.Time.Equal(now) || env.Cluster != env.Instance {
				t.Errorf("hours %d: bad event %+v payload %+v", c.hours, env, p)
			}
			got = append(got, env.Instance)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("hours %d: forgets %v, want %v", c.hours, got, c.want)
		}
	}
	// The id is the decision's: the same instance unseen since the same
	// time gives the same id whatever the node or the check's time.
	a, _ := UnseenForgets(v, 240, "n1")
	b, _ := UnseenForgets(topo.View(now.Add(time.Hour)), 240, "n2")
	if len(a) != 2 || len(b) != 2 || a[0].ID != b[0].ID || a[1].ID != b[1].ID || a[0].ID == a[1].ID {
		t.Errorf("ids not deterministic: %v vs %v", a, b)
	}
}

// TestForgetUnseenReconcile runs the decision against a real log: only the
// leader appends, the forgets fold, the inventory the probes' scheduler
// follows drops the instances, and the same decision appended again is
// deduplicated.
func TestForgetUnseenReconcile(t *testing.T) {
	l := testLog(t)
	app, err := NewFold(l, projections.DefaultSettings(), []string{"n1", "n2"}, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	app.SetTimeless() // the transcript spans 300 hours, appended now
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for _, env := range unseenTranscript(t, time.Now()) {
		if _, err := l.Append(ctx, env, eventlog.NoExpect); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Barrier(ctx, l); err != nil {
		t.Fatal(err)
	}
	v := app.FreshView()
	scheduled, _ := app.Inventory(nil)
	if len(scheduled) != 3 {
		t.Fatalf("scheduled %v, want 3 instances", scheduled)
	}
	leader := false
	leading := func() bool { return leader }
	fu := NewForgetUnseen(l, app, "n1", 240, leading, zerolog.Nop())
	if n := fu.Check(ctx, v); n != 0 {
		t.Fatalf("follower appended %d forgets", n)
	}
	leader = true
	if n := NewForgetUnseen(l, app, "n1", 0, leading, zerolog.Nop()).Check(ctx, v); n != 0 {
		t.Fatalf("UnseenInstanceForgetHours 0 appended %d forgets", n)
	}
	if n := fu.Check(ctx, v); n != 2 {
		t.Fatalf("leader appended %d forgets, want 2", n)
	}
	seq, err := l.StreamLastSeq(ctx, events.EventsName)
	if err != nil {
		t.Fatal(err)
	}
	if n := fu.Check(ctx, v); n != 2 { // appended again: deduplicated by id
		t.Fatalf("second append: %d", n)
	}
	if again, err := l.StreamLastSeq(ctx, events.EventsName); err != nil || again != seq {
		t.Fatalf("events stream moved from %d to %d (%v): duplicate forgets stored", seq, again, err)
	}
	if err := app.Barrier(ctx, l); err != nil {
		t.Fatal(err)
	}
	v = app.FreshView()
	keys, forgotten := app.Inventory(scheduled)
	if want := []events.InstanceKey{rpKey("alive")}; !slices.Equal(keys, want) {
		t.Errorf("scheduled after forget %v, want %v", keys, want)
	}
	slices.SortFunc(forgotten, func(a, b events.InstanceKey) int { return strings.Compare(a.String(), b.String()) })
	if want := []events.InstanceKey{rpKey("dead"), rpKey("gone")}; !slices.Equal(forgotten, want) {
		t.Errorf("forgotten %v, want %v (the scheduler removes these)", forgotten, want)
	}
	for _, h := range []string{"dead", "gone"} {
		if _, ok := v.Instance(rpKey(h)); ok {
			t.Errorf("%s still in the view", h)
		}
	}
}
