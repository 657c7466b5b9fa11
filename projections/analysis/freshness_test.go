package analysis

import (
	"fmt"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// Freshness follows each node's achieved interval (projections.Settings.
// ReportWindow). These transcripts run three nodes that poll every instance
// every 2.6 s instead of every PollInterval (1 s), as an overloaded node
// does, each node at its own phase.

const slowPeriod = 2600 * time.Millisecond

var phase = map[string]time.Duration{"n1": 0, "n2": 800 * time.Millisecond, "n3": 1600 * time.Millisecond}

func newScriptWith(tb testing.TB, st projections.Settings) *script {
	tb.Helper()
	topo, err := projections.NewTopology(st)
	if err != nil {
		tb.Fatal(err)
	}
	return &script{tb: tb, topo: topo, rec: NewRecoveries(), now: t0}
}

// fixedWindow is the rule before freshness followed the achieved interval:
// every report fresh for Window() only.
func fixedWindow() projections.Settings {
	st := settings()
	st.MaxFreshWindow = time.Nanosecond
	return st
}

func window6s(st projections.Settings) projections.Settings {
	st.FreshWindow = 6 * time.Second
	return st
}

// round has every node poll once in round k (at k×period + its phase):
// poll(s, origin, sec) emits what that node reports at that time.
func round(s *script, period time.Duration, k int, poll func(s *script, origin string, at time.Duration)) {
	for _, n := range nodes {
		at := time.Duration(k)*period + phase[n]
		poll(s.at(at), n, at)
	}
}

// alive: p answers, replicas receive heartbeats (one a second).
func alive(s *script, origin string, at time.Duration) {
	s.observe([]string{origin}, primary("p", 1))
	hb := int64(at / time.Second)
	s.progress([]string{origin}, "r1", hb, 4000, "0-1-100").progress([]string{origin}, "r2", hb, 4000, "0-1-100")
}

// slowHealthy: three full observations, then rounds 1..2 of heartbeats.
func slowHealthy(s *script) {
	round(s, slowPeriod, 0, func(s *script, o string, _ time.Duration) {
		s.observe([]string{o}, primary("p", 1), replica("r1", 2, "p"), replica("r2", 3, "p"))
	})
	for k := 1; k <= 2; k++ {
		round(s, slowPeriod, k, alive)
	}
}

// killedAt7s5: p killed at 7.5 s: refused everywhere, replicas Connecting
// (round 3: 7.8, 8.6, 9.4 s).
func killedAt7s5(s *script) {
	slowHealthy(s)
	round(s, slowPeriod, 3, func(s *script, o string, _ time.Duration) {
		s.unreachable([]string{o}, "p", false)
		s.observe([]string{o}, connecting(replica("r1", 2, "p")), connecting(replica("r2", 3, "p")))
	})
}

// isolatedAt7s5: p cut off at 7.5 s: nodes time out, replicas' IO threads
// still say Running but nothing arrives (rounds 3..5).
func isolatedAt7s5(s *script) {
	slowHealthy(s)
	for k := 3; k <= 5; k++ {
		round(s, slowPeriod, k, func(s *script, o string, _ time.Duration) {
			s.unreachable([]string{o}, "p", true)
			s.progress([]string{o}, "r1", 7, 4000, "0-1-100").progress([]string{o}, "r2", 7, 4000, "0-1-100")
		})
	}
}

// controllersCut: from 7.5 s the nodes time out on p while the replicas
// keep receiving heartbeats from it (rounds 3..5).
func controllersCut(s *script) {
	slowHealthy(s)
	for k := 3; k <= 5; k++ {
		round(s, slowPeriod, k, func(s *script, o string, at time.Duration) {
			s.unreachable([]string{o}, "p", true)
			hb := int64(at / time.Second)
			s.progress([]string{o}, "r1", hb, 4000, "0-1-100").progress([]string{o}, "r2", hb, 4000, "0-1-100")
		})
	}
}

func TestSlowNodesDetect(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(*script)
		at    time.Duration // evaluation time: some deciding reports are older than 2 s
		st    projections.Settings
		want  events.AnalysisCode
	}{
		// (a) a 2.6 s node still forms a fresh quorum of failed reports.
		{"killed, 2.6 s nodes", killedAt7s5, 11 * time.Second, settings(), events.AnalysisDeadMaster},
		{"killed, 2.6 s nodes, fixed 2 s window (before)", killedAt7s5, 11 * time.Second, fixedWindow(), events.AnalysisNoProblem},
		// The replica side: the stall is seen on observations older than 2 s.
		{"isolated, IO stalled, 2.6 s nodes", isolatedAt7s5, 17 * time.Second, settings(), events.AnalysisDeadMaster},
		{"isolated, IO stalled, 2.6 s nodes, fixed window (before)", isolatedAt7s5, 17 * time.Second, fixedWindow(), events.AnalysisNoProblem},
		// With a 6 s Window() (what cmd/ sets for 1 s polling and a 1 s
		// probe timeout) the nodes' reports were fresh before too, but the
		// replicas' IO stall was judged on observations within 2 s only.
		{"isolated, IO stalled, 2.6 s nodes, 6 s window", isolatedAt7s5, 17 * time.Second, window6s(settings()), events.AnalysisDeadMaster},
		{"isolated, IO stalled, 2.6 s nodes, 6 s window, fixed (before)", isolatedAt7s5, 17 * time.Second, window6s(fixedWindow()), events.AnalysisUnreachableMaster},
		// Reports older than twice the achieved interval do not count:
		// nothing fresh, nothing concluded.
		{"killed, 2.6 s nodes, reports older than 5.2 s", killedAt7s5, 15 * time.Second, settings(), events.AnalysisNoProblem},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScriptWith(t, tc.st)
			tc.build(s)
			s.at(tc.at)
			if a := s.analysisOf("p", params()); a.Analysis != tc.want {
				t.Fatalf("at %v: %s, want %s\n%s", tc.at, a.Analysis, tc.want, mustJSON(t, a))
			}
		})
	}
}

// (b) Nodes that keep up with a 1 s interval keep the 2 s window: detected
// 1.5 s after the last reports, stale 2.5 s after them.
func TestOneSecondNodesKeepTwoSecondWindow(t *testing.T) {
	s := newScript(t)
	healthy(s)
	for sec := 1; sec <= 3; sec++ {
		s.at(time.Duration(sec)*time.Second).observe(nodes, primary("p", 1))
		s.progress(nodes, "r1", int64(sec), 4000, "0-1-100").progress(nodes, "r2", int64(sec), 4000, "0-1-100")
	}
	s.at(4*time.Second).unreachable(nodes, "p", false)
	s.observe(nodes, connecting(replica("r1", 2, "p")), connecting(replica("r2", 3, "p")))
	for _, tc := range []struct {
		at   time.Duration
		want events.AnalysisCode
	}{
		{5500 * time.Millisecond, events.AnalysisDeadMaster},
		{6 * time.Second, events.AnalysisDeadMaster},
		{6500 * time.Millisecond, events.AnalysisNoProblem}, // nothing fresh, nothing concluded
	} {
		if a := s.at(tc.at).analysisOf("p", params()); a.Analysis != tc.want {
			t.Errorf("at %v: %s, want %s", tc.at, a.Analysis, tc.want)
		}
	}
}

// (d) Only the controllers are cut off: whatever the instant, however old
// the reports, never DeadMaster (the replicas' latest observations show
// heartbeats arriving), with slow nodes and with 1 s nodes.
func TestControllersCutNeverDead(t *testing.T) {
	for _, st := range []projections.Settings{settings(), fixedWindow()} {
		s := newScriptWith(t, st)
		controllersCut(s)
		for at := 7500 * time.Millisecond; at <= 40*time.Second; at += 100 * time.Millisecond {
			a := s.at(at).analysisOf("p", params())
			if a.Analysis == events.AnalysisDeadMaster || a.IsActionableRecovery {
				t.Fatalf("max fresh window %v, at %v: %s (actionable %v)\n%s", st.MaxFreshWindow, at, a.Analysis, a.IsActionableRecovery, mustJSON(t, a))
			}
		}
	}
	s := newScript(t)
	healthy(s)
	for sec := 1; sec <= 8; sec++ {
		s.at(time.Duration(sec)*time.Second).unreachable(nodes, "p", true)
		s.progress(nodes, "r1", int64(sec), 4000, "0-1-100").progress(nodes, "r2", int64(sec), 4000, "0-1-100")
	}
	for at := 8 * time.Second; at <= 30*time.Second; at += 100 * time.Millisecond {
		if a := s.at(at).analysisOf("p", params()); a.Analysis == events.AnalysisDeadMaster {
			t.Fatalf("1 s nodes, at %v: DeadMaster", at)
		}
	}
}

// (c) A node that stopped reporting: its last reports count for at most
// MaxFreshWindow (15 s at 1 s polling), however slow it was before.
func TestDeadNodeGoesStaleAfterCap(t *testing.T) {
	s := newScript(t)
	// n1 reports every 10 s (gap 10 s: window min(20 s, 15 s) = 15 s),
	// n2 and n3 every second; then all stop at 20 s.
	for sec := 0; sec <= 20; sec++ {
		at := time.Duration(sec) * time.Second
		if sec%10 == 0 {
			s.at(at).observe(nodes[:1], primary("p", 1))
		}
		s.at(at).observe(nodes[1:], primary("p", 1))
	}
	for _, tc := range []struct {
		at    time.Duration
		fresh int
	}{
		{21 * time.Second, 3},
		{22 * time.Second, 3},
		{23 * time.Second, 1},
		{35 * time.Second, 1},
		{35*time.Second + time.Millisecond, 0},
	} {
		ev, ok := s.at(tc.at).view().Evidence(key("p"))
		if !ok {
			t.Fatal("no evidence of p")
		}
		if ev.Fresh != tc.fresh {
			t.Errorf("at %v: %d fresh reports, want %d (%s)", tc.at, ev.Fresh, tc.fresh, fmt.Sprint(ev.Reports))
		}
	}
}
