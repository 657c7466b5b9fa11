package probes

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
)

var errRefused = errors.New("refused")

// cluster of tests: key(0) is the primary, key(1) and key(2) replicate from
// it, key(3) replicates from key(1) (an intermediate primary).
func replicaObs(k, src events.InstanceKey, io events.ThreadState) events.InstanceObserved {
	return events.InstanceObserved{Key: k, Replication: &events.Replication{SourceKey: src, IOThread: io, SQLThread: events.ThreadRunning}}
}

func healthyObs(k events.InstanceKey) events.InstanceObserved {
	switch k {
	case key(1), key(2):
		return replicaObs(k, key(0), events.ThreadRunning)
	case key(3):
		return replicaObs(k, key(1), events.ThreadRunning)
	}
	return events.InstanceObserved{Key: k}
}

func newEmergentSchedule(t *testing.T, n int) *schedule {
	t.Helper()
	s := newTestSchedule(16, -1)
	s.enableEmergent(EmergentOptions{Enabled: true}, 16)
	for i := range n {
		s.add(key(i), t0)
	}
	// One healthy probe of each: the index learns the topology.
	now := t0.Add(time.Second)
	for _, e := range s.take(now) {
		s.finish(e, true, healthyObs(e.key), nil, now)
	}
	if got := len(s.em.topo.source); got != min(n-1, 3) {
		t.Fatalf("index knows %d replicas, want %d", got, min(n-1, 3))
	}
	return s
}

// takeLane takes what is due at now and reports the keys by lane.
func takeLane(s *schedule, now time.Time) map[lane][]events.InstanceKey {
	out := map[lane][]events.InstanceKey{}
	for _, e := range s.take(now) {
		out[e.lane] = append(out[e.lane], e.key)
	}
	return out
}

func finishAll(s *schedule, now time.Time, res func(events.InstanceKey) (events.InstanceObserved, error)) {
	for _, e := range s.take(now) {
		obs, err := res(e.key)
		s.finish(e, true, obs, err, now)
	}
}

func TestEmergentFailedProbeProbesSuspectAndReplicasAtOnce(t *testing.T) {
	s := newEmergentSchedule(t, 4)
	now := t0.Add(1500 * time.Millisecond) // every instance is next due at t0+2s
	e := s.entries[key(0)]
	// The primary's probe fails (a ProbeNow, so nothing else is due).
	ce, mine := s.claim(key(0))
	if !mine || ce != e {
		t.Fatal("claim the primary")
	}
	s.finish(ce, false, events.InstanceObserved{}, errRefused, now)
	got := takeLane(s, now)
	want := []events.InstanceKey{key(0), key(1), key(2)}
	if len(got[laneFast]) != 3 || len(got[laneLive]) != 0 || len(got[laneSlow]) != 0 {
		t.Fatalf("due at once: %v, want %v on the fast lane only", got, want)
	}
	for _, k := range want {
		if !containsKey(got[laneFast], k) {
			t.Fatalf("%s not probed at once: %v", k, got[laneFast])
		}
	}
	if containsKey(got[laneFast], key(3)) {
		t.Fatal("key(3) replicates from key(1), not from the suspect: it must wait for its poll")
	}
	st := s.em.snapshot()
	if st.Rounds[SuspectProbeFailed] != 1 || st.Probes != 3 || st.Active != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestEmergentReplicaLosingItsSourceProbesTheSource(t *testing.T) {
	s := newEmergentSchedule(t, 4)
	now := t0.Add(1500 * time.Millisecond)
	e, _ := s.claim(key(2))
	s.finish(e, false, replicaObs(key(2), key(0), events.ThreadOther), nil, now)
	got := takeLane(s, now)
	for _, k := range []events.InstanceKey{key(0), key(1), key(2)} {
		if !containsKey(got[laneFast], k) {
			t.Fatalf("%s not probed at once after key(2) lost its source: %v", k, got)
		}
	}
	if st := s.em.snapshot(); st.Rounds[SuspectSourceLost] != 1 {
		t.Fatalf("stats = %+v", st)
	}
	// Still lost at the next probe: no new round, no merge (only a change
	// of state is news).
	for _, e := range s.take(now) {
		s.finish(e, true, healthyObs(e.key), nil, now)
	}
	before := s.em.snapshot()
	e, _ = s.claim(key(2))
	s.finish(e, false, replicaObs(key(2), key(0), events.ThreadOther), nil, now.Add(10*time.Millisecond))
	after := s.em.snapshot()
	if after.Merged != before.Merged || after.Deduplicated != before.Deduplicated || after.Rounds[SuspectSourceLost] != 1 {
		t.Fatalf("a replica still lost started something: before %+v after %+v", before, after)
	}
}

func TestEmergentStoppedIOThreadIsNotASuspect(t *testing.T) {
	s := newEmergentSchedule(t, 3)
	now := t0.Add(1500 * time.Millisecond)
	e, _ := s.claim(key(1))
	s.finish(e, false, replicaObs(key(1), key(0), events.ThreadStopped), nil, now) // STOP SLAVE, no error
	if got := takeLane(s, now); len(got) != 0 {
		t.Fatalf("a stopped IO thread without an error started probes: %v", got)
	}
	r := replicaObs(key(1), key(0), events.ThreadStopped)
	r.Replication.LastIOErrno = 2003
	e, _ = s.claim(key(1))
	s.finish(e, false, r, nil, now)
	if got := takeLane(s, now); len(got[laneFast]) != 3 {
		t.Fatalf("an IO thread stopped by error 2003 must start a round: %v", got)
	}
}

func TestEmergentDecaysThenReturnsToThePoll(t *testing.T) {
	s := newEmergentSchedule(t, 3)
	start := t0.Add(1500 * time.Millisecond)
	if !s.suspect(key(0), SuspectWatch, start) {
		t.Fatal("suspect scheduled nothing")
	}
	// Probe key(1) whenever due; record when, until well after the hold.
	var at []time.Duration
	for now := start; now.Before(start.Add(6 * time.Second)); now = now.Add(time.Millisecond) {
		for _, e := range s.take(now) {
			if e.key == key(1) {
				at = append(at, now.Sub(start))
			}
			s.finish(e, true, healthyObs(e.key), nil, now)
		}
	}
	// Fast: 0, 50, 150, 350, 750, 1550 (interval doubling, capped at the
	// 1 s poll: 2550), then the round ends at 3 s and the 1 s poll resumes.
	want := []time.Duration{0, 50, 150, 350, 750, 1550, 2550}
	for i, w := range want {
		if i >= len(at) || at[i] != w*time.Millisecond {
			t.Fatalf("key(1) probed at %v, want it to start with %v", at, want)
		}
	}
	for i := len(want); i < len(at); i++ {
		if gap := at[i] - at[i-1]; gap < 900*time.Millisecond {
			t.Fatalf("after the hold key(1) is probed %v apart, want the poll interval: %v", gap, at)
		}
	}
	s.em.expire(start.Add(6 * time.Second))
	if st := s.em.snapshot(); st.Active != 0 {
		t.Fatalf("round still active after its hold: %+v", st)
	}
}

func TestEmergentDeduplicatesAndBudgetsPerCluster(t *testing.T) {
	s := newEmergentSchedule(t, 4)
	now := t0.Add(1500 * time.Millisecond)
	if !s.suspect(key(0), SuspectWatch, now) {
		t.Fatal("first round not started")
	}
	if s.suspect(key(0), SuspectProbeFailed, now) {
		t.Fatal("a second suspicion of the same instance must not start anything")
	}
	// A replica of the same cluster joins the running round.
	if !s.suspect(key(1), SuspectProbeFailed, now) {
		t.Fatal("a new suspect of the cluster must join its round")
	}
	st := s.em.snapshot()
	if st.Deduplicated != 1 || st.Merged != 1 || len(s.em.rounds) != 1 {
		t.Fatalf("stats = %+v, rounds %d", st, len(s.em.rounds))
	}
	if r := s.em.rounds[key(0)]; r.until != now.Add(DefaultEmergentHold) {
		t.Fatalf("round until %v", r.until)
	}
	// Burst 3: two more rounds after this one ends, then none until refilled.
	for i := 1; i <= 3; i++ {
		now = now.Add(DefaultEmergentHold)
		ok := s.suspect(key(0), SuspectWatch, now)
		if want := i < 3; ok != want {
			t.Fatalf("round %d started = %v, want %v", i+1, ok, want)
		}
	}
	if st := s.em.snapshot(); st.DroppedBudget != 1 {
		t.Fatalf("stats = %+v, want one dropped for budget", st)
	}
	now = now.Add(DefaultEmergentRefill)
	if !s.suspect(key(0), SuspectWatch, now) {
		t.Fatal("budget not refilled")
	}
}

func TestEmergentRingOfCoPrimariesIsOneCluster(t *testing.T) {
	ti := newTopoIndex()
	ti.observe(key(1), replicaObs(key(1), key(2), events.ThreadRunning))
	ti.observe(key(2), replicaObs(key(2), key(1), events.ThreadRunning))
	ti.observe(key(3), replicaObs(key(3), key(2), events.ThreadRunning))
	for _, k := range []events.InstanceKey{key(1), key(2), key(3)} {
		if r := ti.root(k); r != key(1) {
			t.Fatalf("root(%s) = %s, want %s", k, r, key(1))
		}
	}
	if got := ti.sources(); len(got) != 2 || got[0] != key(1) || got[1] != key(2) {
		t.Fatalf("sources = %v", got)
	}
	// key(3) moves to key(1): the index follows.
	ti.observe(key(3), replicaObs(key(3), key(1), events.ThreadRunning))
	if rel := ti.related(key(2)); containsKey(rel, key(3)) {
		t.Fatalf("related(key(2)) still has the moved replica: %v", rel)
	}
	ti.forget(key(3))
	if rel := ti.related(key(1)); containsKey(rel, key(3)) {
		t.Fatalf("forgotten replica still related: %v", rel)
	}
}

// TestEmergentFloodIsBounded: 1,000 instances in 250 clusters (a primary
// and three replicas) die at once. The node starts at most MaxRounds rounds,
// keeps its emergent probes in flight within their slots, and the live lane
// keeps polling a healthy cluster on time.
func TestEmergentFloodIsBounded(t *testing.T) {
	const clusters, size = 250, 4
	o := Options{PollInterval: time.Second, MaxConcurrency: 64, DeadProbeInterval: 5 * time.Second}.withDefaults()
	o.Jitter = 0
	s := newSchedule(o, rand.New(rand.NewPCG(1, 2)))
	s.enableEmergent(EmergentOptions{Enabled: true}, o.MaxConcurrency)
	k := func(c, i int) events.InstanceKey {
		return events.InstanceKey{Hostname: fmt.Sprintf("c%d-%d", c, i), Port: 3306}
	}
	obs := map[events.InstanceKey]events.InstanceObserved{}
	for c := range clusters {
		for i := range size {
			s.add(k(c, i), t0)
			obs[k(c, i)] = events.InstanceObserved{Key: k(c, i)}
			if i > 0 {
				obs[k(c, i)] = replicaObs(k(c, i), k(c, 0), events.ThreadRunning)
			}
		}
	}
	obsOf := func(key events.InstanceKey) events.InstanceObserved { return obs[key] }
	healthy := events.InstanceKey{Hostname: "healthy", Port: 3306}
	s.add(healthy, t0)
	// One healthy pass (the live lane's 48 slots, in steps).
	now := t0
	for ; now.Before(t0.Add(2 * time.Second)); now = now.Add(10 * time.Millisecond) {
		finishAll(s, now, func(key events.InstanceKey) (events.InstanceObserved, error) { return obsOf(key), nil })
	}
	if len(s.em.topo.source) != clusters*(size-1) {
		t.Fatalf("index learned %d replicas", len(s.em.topo.source))
	}
	// Everything but "healthy" dies: each probe is refused; replicas would
	// show Connecting, but they are dead too.
	dead := now
	var fast, healthyProbes int
	maxInflight := 0
	for ; now.Before(dead.Add(5 * time.Second)); now = now.Add(10 * time.Millisecond) {
		taken := s.take(now)
		maxInflight = max(maxInflight, s.inflight[laneFast])
		for _, e := range taken {
			if e.lane == laneFast {
				fast++
			}
			if e.key == healthy {
				healthyProbes++
				s.finish(e, true, events.InstanceObserved{Key: healthy}, nil, now)
				continue
			}
			s.finish(e, true, events.InstanceObserved{}, errRefused, now)
		}
		if n := len(s.em.rounds); n > DefaultEmergentMaxRounds {
			t.Fatalf("%d rounds in flight, cap %d", n, DefaultEmergentMaxRounds)
		}
	}
	st := s.em.snapshot()
	if st.Rounds[SuspectProbeFailed] == 0 || st.DroppedCap == 0 {
		t.Fatalf("stats = %+v: want rounds started and suspects dropped at the cap", st)
	}
	// Each round covers 4 instances probed at most 7 times in its 3 s hold;
	// in 5 s at most 2 waves of 32 rounds: ≤ 2×32×4×8 fast probes.
	if limit := 2 * DefaultEmergentMaxRounds * size * 8; fast > limit || fast == 0 {
		t.Fatalf("%d fast probes in 5 s, want 1..%d", fast, limit)
	}
	if maxInflight > s.capacity[laneFast] {
		t.Fatalf("fast lane had %d in flight, capacity %d", maxInflight, s.capacity[laneFast])
	}
	if healthyProbes < 4 || healthyProbes > 6 {
		t.Fatalf("the healthy instance was probed %d times in 5 s at 1 s polling", healthyProbes)
	}
	t.Logf("flood: %d fast probes in 5 s, stats %+v", fast, st)
}

func containsKey(ks []events.InstanceKey, k events.InstanceKey) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// TestSchedulerSuspectProbesAtOnce: through Run, a Suspect call probes the
// suspect and its replicas without the clock moving to their next poll.
func TestSchedulerSuspectProbesAtOnce(t *testing.T) {
	clk := newManualClock()
	var mu sync.Mutex
	calls := map[events.InstanceKey]int{}
	probe := func(_ context.Context, k events.InstanceKey) (events.InstanceObserved, error) {
		mu.Lock()
		calls[k]++
		mu.Unlock()
		return healthyObs(k), nil
	}
	s := NewScheduler(probe, Options{PollInterval: 5 * time.Second, MaxConcurrency: 8}, clk, zerolog.Nop(), WithSeed(3),
		WithEmergent(EmergentOptions{Enabled: true}))
	for i := range 3 {
		s.Add(key(i))
	}
	runScheduler(t, s)
	count := func() (n int) {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range calls {
			n += c
		}
		return n
	}
	for count() < 3 { // first poll of each, within one interval
		clk.Advance(100 * time.Millisecond)
		time.Sleep(time.Millisecond)
	}
	waitUntil(t, "the index to know the sources", func() bool { return len(s.Sources()) == 1 })
	if got := s.Sources(); got[0] != key(0) {
		t.Fatalf("sources = %v", got)
	}
	before := count()
	if !s.Suspect(key(0), SuspectWatch) {
		t.Fatal("Suspect scheduled nothing")
	}
	waitUntil(t, "the emergent probes", func() bool { return count() >= before+3 })
	if st := s.EmergentStats(); st.Rounds[SuspectWatch] != 1 || st.Probes != 3 {
		t.Fatalf("stats = %+v", st)
	}
}

// TestEmergentProbesDoNotStretchTheBackoff: a dead suspect probed many
// times during its round goes back to the slow lane after it with the
// backoff of one failure (one interval), not of all the emergent ones: a
// restarted old primary is seen again as soon as before.
func TestEmergentProbesDoNotStretchTheBackoff(t *testing.T) {
	s := newEmergentSchedule(t, 3)
	start := t0.Add(1500 * time.Millisecond)
	e, _ := s.claim(key(0))
	s.finish(e, false, events.InstanceObserved{}, errRefused, start)
	var last time.Time
	for now := start; now.Before(start.Add(DefaultEmergentHold + time.Second)); now = now.Add(time.Millisecond) {
		for _, e := range s.take(now) {
			if e.key == key(0) {
				last = now
				s.finish(e, true, events.InstanceObserved{}, errRefused, now)
				continue
			}
			s.finish(e, true, healthyObs(e.key), nil, now)
		}
	}
	e = s.entries[key(0)]
	if e.lane != laneSlow || e.failures != 1 {
		t.Fatalf("after the round: lane %d failures %d, want the slow lane with 1 failure", e.lane, e.failures)
	}
	if got := e.due.Sub(last); got != time.Second {
		t.Fatalf("next probe %v after the last, want one interval (1 s)", got)
	}
}
