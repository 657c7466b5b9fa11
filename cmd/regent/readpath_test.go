package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/projections"
)

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
		envs, err := unseenForgets(v, c.hours, "n3")
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
	a, _ := unseenForgets(v, 240, "n1")
	b, _ := unseenForgets(topo.View(now.Add(time.Hour)), 240, "n2")
	if len(a) != 2 || len(b) != 2 || a[0].ID != b[0].ID || a[1].ID != b[1].ID || a[0].ID == a[1].ID {
		t.Errorf("ids not deterministic: %v vs %v", a, b)
	}
}

// TestForgetUnseenReconcile runs the reconcile step against a real log:
// only the leader appends, the forgets fold, the scheduler drops the
// instances, and the same decision appended again is deduplicated.
func TestForgetUnseenReconcile(t *testing.T) {
	_, l := hooksLog(t)
	cfg := config.Default()
	settings, err := projectionSettings(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	app, err := newApplier(l, settings, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	defer func() { cancel(); <-done }()
	rp, err := newReadPath(cfg, "n1", l, app, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range unseenTranscript(t, time.Now()) {
		if _, err := l.Append(ctx, env, eventlog.NoExpect); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Barrier(ctx, l); err != nil {
		t.Fatal(err)
	}
	v := app.freshView()
	rp.reconcile(v)
	if got := rp.sched.Keys(); len(got) != 3 {
		t.Fatalf("scheduled %v, want 3 instances", got)
	}
	leader := false
	rp.leading = func() bool { return leader }
	if n := rp.forgetUnseen(ctx, v); n != 0 {
		t.Fatalf("follower appended %d forgets", n)
	}
	leader = true
	rp.cfg.UnseenInstanceForgetHours = 0
	if n := rp.forgetUnseen(ctx, v); n != 0 {
		t.Fatalf("UnseenInstanceForgetHours 0 appended %d forgets", n)
	}
	rp.cfg.UnseenInstanceForgetHours = 240
	if n := rp.forgetUnseen(ctx, v); n != 2 {
		t.Fatalf("leader appended %d forgets, want 2", n)
	}
	seq, err := l.StreamLastSeq(ctx, events.EventsName)
	if err != nil {
		t.Fatal(err)
	}
	if n := rp.forgetUnseen(ctx, v); n != 2 { // appended again: deduplicated by id
		t.Fatalf("second append: %d", n)
	}
	if again, err := l.StreamLastSeq(ctx, events.EventsName); err != nil || again != seq {
		t.Fatalf("events stream moved from %d to %d (%v): duplicate forgets stored", seq, again, err)
	}
	if err := app.Barrier(ctx, l); err != nil {
		t.Fatal(err)
	}
	v = app.freshView()
	rp.reconcile(v)
	if got, want := rp.sched.Keys(), []events.InstanceKey{rpKey("alive")}; !slices.Equal(got, want) {
		t.Errorf("scheduled after forget %v, want %v", got, want)
	}
	for _, h := range []string{"dead", "gone"} {
		if _, ok := v.Instance(rpKey(h)); ok {
			t.Errorf("%s still in the view", h)
		}
	}
}
