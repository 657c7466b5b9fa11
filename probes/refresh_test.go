package probes

import (
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

// settle takes and finishes every probe due at now (all succeed).
func settle(s *schedule, now time.Time) int {
	due := s.take(now)
	for _, e := range due {
		s.finish(e, true, events.InstanceObserved{}, nil, now)
	}
	return len(due)
}

func TestRefreshMovesTheNextProbeToNow(t *testing.T) {
	s := newTestSchedule(8, -1)
	for i := range 3 {
		s.add(key(i), t0)
	}
	now := t0.Add(time.Second)
	if n := settle(s, now); n != 3 {
		t.Fatalf("first round probed %d, want 3", n)
	}
	// Next probes are due at now+1s; a refresh of two of them brings them
	// to now+100ms, the third keeps its poll.
	at := now.Add(100 * time.Millisecond)
	s.refresh(key(0), at)
	s.refresh(key(2), at)
	got := keysOf(s.take(at))
	if len(got) != 2 || !got[key(0)] || !got[key(2)] {
		t.Fatalf("refreshed probes taken = %v, want db0 and db2", got)
	}
	if st := s.rf.stats; st.Probed != 2 || st.Coalesced != 0 || st.Dropped != 0 || st.Unknown != 0 {
		t.Fatalf("stats = %+v, want 2 probed", st)
	}
	// Not scheduled: ignored and counted.
	s.refresh(key(9), at)
	if s.rf.stats.Unknown != 1 {
		t.Fatalf("unknown = %d, want 1", s.rf.stats.Unknown)
	}
}

func TestRefreshBurstProbesOncePerGapAndOnceAfterTheLast(t *testing.T) {
	s := newTestSchedule(8, -1)
	s.add(key(1), t0)
	now := t0.Add(time.Second)
	settle(s, now)
	// A burst of five outcomes within 100 ms naming db1: one probe at
	// once, one more at the gap (after every outcome of the burst), none
	// for the others.
	probes := 0
	for i := range 5 {
		at := now.Add(time.Duration(i) * 20 * time.Millisecond)
		s.refresh(key(1), at)
		probes += settle(s, at)
	}
	if probes != 1 {
		t.Fatalf("probes during the burst = %d, want 1", probes)
	}
	gap := now.Add(DefaultRefreshGap)
	if n := settle(s, gap.Add(-time.Millisecond)); n != 0 {
		t.Fatalf("probed %d before the gap", n)
	}
	if n := settle(s, gap); n != 1 {
		t.Fatalf("probed %d at the gap, want the one after the burst", n)
	}
	if n := settle(s, gap.Add(900*time.Millisecond)); n != 0 {
		t.Fatalf("probed %d again before its poll", n)
	}
	if st := s.rf.stats; st.Probed != 2 || st.Coalesced != 3 {
		t.Fatalf("stats = %+v, want 2 probed and 3 coalesced", st)
	}
}

func TestRefreshOfAProbeInFlightRepeatsItAfter(t *testing.T) {
	s := newTestSchedule(8, -1)
	s.add(key(1), t0)
	now := t0.Add(time.Second)
	running := s.take(now) // started before the outcome
	if len(running) != 1 {
		t.Fatalf("took %d, want 1", len(running))
	}
	s.refresh(key(1), now.Add(10*time.Millisecond))
	s.refresh(key(1), now.Add(20*time.Millisecond)) // coalesced with the first
	end := now.Add(50 * time.Millisecond)
	s.finish(running[0], true, events.InstanceObserved{}, nil, end)
	if n := settle(s, end); n != 1 {
		t.Fatalf("probe after the one in flight: %d, want 1", n)
	}
	if st := s.rf.stats; st.Probed != 1 || st.Coalesced != 1 {
		t.Fatalf("stats = %+v, want 1 probed and 1 coalesced", st)
	}
}

func TestRefreshIsCappedPerSecond(t *testing.T) {
	s := newTestSchedule(64, -1)
	s.rf = newRefresher(RefreshOptions{PerSecond: 10})
	for i := range 30 {
		s.add(key(i), t0)
	}
	now := t0.Add(time.Second)
	settle(s, now)
	at := now.Add(10 * time.Millisecond)
	for i := range 30 {
		s.refresh(key(i), at)
	}
	if n := len(s.take(at)); n != 10 {
		t.Fatalf("refreshed probes = %d, want the cap of 10", n)
	}
	if st := s.rf.stats; st.Probed != 10 || st.Dropped != 20 {
		t.Fatalf("stats = %+v, want 10 probed and 20 dropped", st)
	}
	// Half a second later the budget has refilled by 5.
	s.refresh(key(20), at.Add(500*time.Millisecond))
	if st := s.rf.stats; st.Probed != 11 {
		t.Fatalf("after the refill probed = %d, want 11", st.Probed)
	}
}

func TestRefreshForgetsRemovedInstances(t *testing.T) {
	s := newTestSchedule(8, -1)
	s.add(key(1), t0)
	now := t0.Add(time.Second)
	settle(s, now)
	s.refresh(key(1), now)
	if _, ok := s.rf.last[key(1)]; !ok {
		t.Fatal("refresh not recorded")
	}
	s.remove(key(1))
	if _, ok := s.rf.last[key(1)]; ok {
		t.Fatal("a removed instance's refresh is kept")
	}
	s.refresh(key(1), now.Add(time.Millisecond))
	if s.rf.stats.Unknown != 1 || len(s.take(now.Add(time.Hour))) != 0 {
		t.Fatalf("a removed instance was refreshed: %+v", s.rf.stats)
	}
}
