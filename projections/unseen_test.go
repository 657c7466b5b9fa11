package projections

import (
	"reflect"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

// TestUnseenSelection is a transcript: which instances qualify for
// UnseenInstanceForgetHours as the clock moves.
func TestUnseenSelection(t *testing.T) {
	const h = time.Hour
	sc := newScript(t, DefaultSettings())
	sc.at(0).discover("m1", "r-dead", "never").
		observe(threeNodes, mariaPrimary("m1", 1), mariaReplica("r-dead", 2, "m1")).
		unreachable(threeNodes, "never", "connection refused")
	sc.at(5*h).unreachable(threeNodes, "r-dead", "connection refused")
	sc.at(10 * h).discover("late")
	sc.at(20*h).discover("gone").emit(events.KindInstanceForgotten, "n1", events.InstanceForgotten{Key: key("gone"), Reason: "api"})
	for i := range 24 { // m1 is seen every 10 h up to 240 h
		sc.at(time.Duration(i+1)*10*h).observe([]string{"n2"}, mariaPrimary("m1", 1))
	}
	cases := []struct {
		at    time.Duration
		after time.Duration
		want  []UnseenInstance
	}{
		{239 * h, 240 * h, nil},
		{240 * h, 0, nil},
		// r-dead was last seen at 0, "never" was known from 0 and never seen.
		{240 * h, 240 * h, []UnseenInstance{{key("never"), t0}, {key("r-dead"), t0}}},
		{249 * h, 240 * h, []UnseenInstance{{key("never"), t0}, {key("r-dead"), t0}}},
		// "late" was discovered at 10 h and never probed; m1 was seen at 240 h.
		{250 * h, 240 * h, []UnseenInstance{{key("late"), t0.Add(10 * h)}, {key("never"), t0}, {key("r-dead"), t0}}},
		{480 * h, 240 * h, []UnseenInstance{{key("late"), t0.Add(10 * h)}, {key("m1"), t0.Add(240 * h)}, {key("never"), t0}, {key("r-dead"), t0}}},
		{10 * h, 1 * h, []UnseenInstance{{key("never"), t0}, {key("r-dead"), t0}}},
	}
	for _, c := range cases {
		got := sc.topo.View(t0.Add(c.at)).Unseen(c.after)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("at %v after %v: got %v, want %v", c.at, c.after, got, c.want)
		}
	}
}

// TestUnseenObservationHorizon: a fold that starts with recent observations
// only (a restarted node) counts a never-seen instance from its first
// folded observation, not from the instance's discovery long before; a
// fold with no observation at all selects nothing.
func TestUnseenObservationHorizon(t *testing.T) {
	const h = time.Hour
	sc := newScript(t, DefaultSettings())
	sc.at(0).discover("old", "m1")
	if got := sc.topo.View(t0.Add(1000 * h)).Unseen(240 * h); got != nil {
		t.Errorf("no observations folded: got %v, want nothing", got)
	}
	sc.at(100*h).observe([]string{"n1"}, mariaPrimary("m1", 1)).unreachable([]string{"n1"}, "old", "timeout")
	sc.at(300*h).observe([]string{"n1"}, mariaPrimary("m1", 1))
	if got := sc.topo.View(t0.Add(339 * h)).Unseen(240 * h); got != nil {
		t.Errorf("239 h after the horizon: got %v", got)
	}
	want := []UnseenInstance{{key("old"), t0.Add(100 * h)}}
	if got := sc.topo.View(t0.Add(340 * h)).Unseen(240 * h); !reflect.DeepEqual(got, want) {
		t.Errorf("240 h after the horizon: got %v, want %v", got, want)
	}
	// Forgotten, then discovered again: the clock restarts at the discovery.
	sc.at(340*h).emit(events.KindInstanceForgotten, "n1", events.InstanceForgotten{Key: key("old"), Reason: "unseen"})
	sc.at(341 * h).discover("old")
	if got := sc.topo.View(t0.Add(580 * h)).Unseen(240 * h); len(got) != 1 || got[0].Key != key("m1") {
		t.Errorf("rediscovered at 341 h, at 580 h: got %v, want m1 only", got)
	}
	if ev, ok := sc.topo.Clone().View(t0.Add(581 * h)).Evidence(key("old")); !ok || !ev.KnownSince.Equal(t0.Add(341*h)) {
		t.Errorf("clone: KnownSince %v, want %v", ev, t0.Add(341*h))
	}
}
