package projections

import (
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

func TestReportWindow(t *testing.T) {
	s := DefaultSettings() // 1 s polling: Window() 2 s, cap 15 s
	prod := s
	prod.FreshWindow = 6 * time.Second
	capped := prod
	capped.MaxFreshWindow = 4 * time.Second // below Window(): never shrinks it
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		s    Settings
		gap  time.Duration
		want time.Duration
	}{
		{"first report", s, 0, 2 * time.Second},
		{"keeps up", s, time.Second, 2 * time.Second},
		{"slightly late", s, 1100 * ms, 2200 * ms},
		{"2.6 s achieved", s, 2600 * ms, 5200 * ms},
		{"7.5 s achieved", s, 7500 * ms, 15 * time.Second},
		{"beyond the cap", s, time.Minute, 15 * time.Second},
		{"6 s window, keeps up", prod, time.Second, 6 * time.Second},
		{"6 s window, 5 s achieved", prod, 5 * time.Second, 10 * time.Second},
		{"cap below window", capped, time.Minute, 6 * time.Second},
	} {
		if got := tc.s.ReportWindow(tc.gap); got != tc.want {
			t.Errorf("%s: ReportWindow(%v) = %v, want %v", tc.name, tc.gap, got, tc.want)
		}
	}
}

// TestReportGap: the gap is between an origin's two latest reports of the
// instance, whatever their kind, per origin, and a report not later than
// the previous one keeps the gap.
func TestReportGap(t *testing.T) {
	s := newScript(t, DefaultSettings())
	s.observe(threeNodes[:1], mariaPrimary("p", 1))
	s.at(2600*time.Millisecond).emit(events.KindInstanceProgress, "n1", events.InstanceProgress{Key: key("p"), Digest: "x"})
	s.at(2900*time.Millisecond).observe(threeNodes[1:2], mariaPrimary("p", 1))
	s.at(3*time.Second).unreachable(threeNodes[1:2], "p", "refused")
	s.at(6*time.Second).unreachable(threeNodes[:1], "p", "refused")
	s.at(5*time.Second).observe(threeNodes[:1], mariaPrimary("p", 1)) // reordered
	gaps := map[string]time.Duration{}
	for _, r := range s.topo.instances[key("p")].origins {
		gaps[r.Origin] = r.Gap
	}
	want := map[string]time.Duration{"n1": 3400 * time.Millisecond, "n2": 100 * time.Millisecond}
	for o, g := range want {
		if gaps[o] != g {
			t.Errorf("%s: gap %v, want %v (all: %v)", o, gaps[o], g, gaps)
		}
	}
	// n1's latest report (stream order: the one at 5 s) is fresh until
	// 5 s + 6.8 s (2 × 3.4 s), not after; n2's (3 s) only for 2 s.
	ev := s.at(5 * time.Second).view().evidence[key("p")]
	if ev.Fresh != 2 || ev.FreshOK != 1 || ev.FreshFailed != 1 {
		t.Errorf("at 5 s: fresh %d ok %d failed %d, want 2, 1, 1", ev.Fresh, ev.FreshOK, ev.FreshFailed)
	}
	ev = s.at(11800 * time.Millisecond).view().evidence[key("p")]
	if ev.Fresh != 1 || ev.FreshOK != 1 || ev.ObservationWindow != 6800*time.Millisecond {
		t.Errorf("at 11.8 s: fresh %d ok %d observation window %v, want 1, 1, 6.8s", ev.Fresh, ev.FreshOK, ev.ObservationWindow)
	}
	ev = s.at(11801 * time.Millisecond).view().evidence[key("p")]
	if ev.Fresh != 0 || ev.ObservationWindow != 2*time.Second {
		t.Errorf("at 11.801 s: fresh %d observation window %v, want 0, 2s", ev.Fresh, ev.ObservationWindow)
	}
}
