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

func key(i int) events.InstanceKey {
	return events.InstanceKey{Hostname: fmt.Sprintf("db%d", i), Port: 3306}
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newTestSchedule(maxConc int, jitter float64) *schedule {
	o := Options{PollInterval: time.Second, MaxConcurrency: maxConc, Jitter: jitter, DeadProbeInterval: 5 * time.Second}.withDefaults()
	if jitter < 0 {
		o.Jitter = 0
	}
	return newSchedule(o, rand.New(rand.NewPCG(1, 2)))
}

func keysOf(es []*entry) map[events.InstanceKey]bool {
	m := map[events.InstanceKey]bool{}
	for _, e := range es {
		m[e.key] = true
	}
	return m
}

func TestScheduleDeduplicates(t *testing.T) {
	s := newTestSchedule(8, -1)
	if !s.add(key(1), t0) || s.add(key(1), t0) {
		t.Fatal("add: want true then false")
	}
	got := s.take(t0.Add(time.Second))
	if len(got) != 1 {
		t.Fatalf("take = %d entries, want 1", len(got))
	}
	// Running: never handed out again, whatever the time.
	if again := s.take(t0.Add(time.Hour)); len(again) != 0 {
		t.Fatalf("running entry taken again: %v", keysOf(again))
	}
	if e, mine := s.claim(key(1)); mine || e != got[0] {
		t.Fatal("claim of a running key must return the running entry to wait on")
	}
	s.finish(got[0], true, events.InstanceObserved{}, nil, t0.Add(time.Hour))
	if n := len(s.take(t0.Add(time.Hour + 999*time.Millisecond))); n != 0 {
		t.Fatalf("taken before its interval passed: %d", n)
	}
	if n := len(s.take(t0.Add(time.Hour + time.Second))); n != 1 {
		t.Fatalf("not taken after its interval: %d", n)
	}
}

func TestScheduleConcurrencyBound(t *testing.T) {
	s := newTestSchedule(4, -1) // 3 live slots, 1 slow
	for i := range 10 {
		s.add(key(i), t0)
	}
	now := t0.Add(time.Second)
	first := s.take(now)
	if len(first) != 3 {
		t.Fatalf("take = %d, want the 3 live slots", len(first))
	}
	if n := len(s.take(now)); n != 0 {
		t.Fatalf("took %d beyond the bound", n)
	}
	s.finish(first[0], true, events.InstanceObserved{}, nil, now)
	if n := len(s.take(now)); n != 1 {
		t.Fatalf("after one finished, take = %d, want 1", n)
	}
	if s.maxRunning != 3 {
		t.Fatalf("maxRunning = %d", s.maxRunning)
	}
	if _, ok := s.next(); ok {
		t.Fatal("next() reports a wake-up while the only lane with work is full")
	}
}

func TestScheduleSlowLaneDoesNotStarveLive(t *testing.T) {
	s := newTestSchedule(4, -1) // 3 live, 1 slow
	for i := range 8 {
		s.add(key(i), t0)
	}
	now := t0.Add(time.Second)
	// Keys 0..4 are dead: every probe of them fails (and hangs for a while).
	dead := func(k events.InstanceKey) bool { return k.Hostname < "db5" }
	var hung []*entry
	for round := 0; round < 20; round++ {
		for _, e := range s.take(now) {
			if dead(e.key) {
				if e.failures == 0 && e.lane == laneLive {
					s.finish(e, true, events.InstanceObserved{}, errors.New("refused"), now)
					continue
				}
				hung = append(hung, e) // a slow-lane probe that hangs
				continue
			}
			s.finish(e, true, events.InstanceObserved{}, nil, now)
		}
		now = now.Add(time.Second)
	}
	if len(hung) != 1 {
		t.Fatalf("%d dead probes in flight, want the slow lane's 1 slot", len(hung))
	}
	// Live keys are still probed every interval.
	live := 0
	for _, e := range s.take(now.Add(2 * time.Second)) {
		if dead(e.key) {
			t.Fatalf("dead key %v in the live lane", e.key)
		}
		live++
	}
	if live != 3 {
		t.Fatalf("live keys taken = %d, want 3 (all slots free for them)", live)
	}
}

func TestScheduleJitterBounds(t *testing.T) {
	s := newTestSchedule(8, 0.1)
	for i := range 200 {
		s.add(key(i), t0)
		if d := s.entries[key(i)].due.Sub(t0); d < 0 || d >= time.Second {
			t.Fatalf("first due after %v, want within one interval", d)
		}
	}
	lo, hi := time.Hour, time.Duration(0)
	now := t0.Add(time.Second)
	for range 200 {
		for _, e := range s.take(now) {
			s.finish(e, true, events.InstanceObserved{}, nil, now)
			d := e.due.Sub(now)
			lo, hi = min(lo, d), max(hi, d)
		}
		now = now.Add(50 * time.Millisecond)
	}
	if lo < 900*time.Millisecond || hi > 1100*time.Millisecond {
		t.Fatalf("intervals in [%v, %v], want within 1s ±10%%", lo, hi)
	}
	if hi-lo < 100*time.Millisecond {
		t.Fatalf("intervals in [%v, %v]: no visible jitter", lo, hi)
	}
}

func TestScheduleBackoff(t *testing.T) {
	s := newTestSchedule(8, -1)
	s.add(key(1), t0)
	now := t0.Add(time.Second)
	var waits []time.Duration
	for range 6 {
		es := s.take(now)
		if len(es) != 1 {
			t.Fatalf("take = %d at %v", len(es), now)
		}
		s.finish(es[0], true, events.InstanceObserved{}, errors.New("refused"), now)
		waits = append(waits, es[0].due.Sub(now))
		now = es[0].due
	}
	want := []time.Duration{1, 2, 4, 5, 5, 5}
	for i, w := range want {
		if waits[i] != w*time.Second {
			t.Fatalf("backoff = %v, want %v seconds", waits, want)
		}
	}
	// Success brings it back to the live lane and the normal interval.
	es := s.take(now)
	s.finish(es[0], true, events.InstanceObserved{}, nil, now)
	if es[0].lane != laneLive || es[0].failures != 0 || es[0].due.Sub(now) != time.Second {
		t.Fatalf("after recovery: lane %v failures %d wait %v", es[0].lane, es[0].failures, es[0].due.Sub(now))
	}
}

func TestScheduleRemove(t *testing.T) {
	s := newTestSchedule(8, -1)
	s.add(key(1), t0)
	s.add(key(2), t0)
	if !s.remove(key(1)) || s.remove(key(1)) {
		t.Fatal("remove: want true then false")
	}
	es := s.take(t0.Add(time.Second))
	if len(es) != 1 || es[0].key != key(2) {
		t.Fatalf("take after remove = %v", keysOf(es))
	}
	// Removed while running: finished, then gone.
	s.remove(key(2))
	s.finish(es[0], true, events.InstanceObserved{}, nil, t0.Add(time.Second))
	if len(s.entries) != 0 || len(s.take(t0.Add(time.Hour))) != 0 {
		t.Fatalf("entries left: %d", len(s.entries))
	}
	// Re-added while running: scheduled again after the probe.
	s.add(key(3), t0)
	es = s.take(t0.Add(time.Second))
	s.remove(key(3))
	s.add(key(3), t0)
	s.finish(es[0], true, events.InstanceObserved{}, nil, t0.Add(time.Second))
	if n := len(s.take(t0.Add(time.Hour))); n != 1 {
		t.Fatalf("re-added key taken %d times", n)
	}
}

// fakeProbes is a ProbeFunc that records calls and can block or fail.
type fakeProbes struct {
	mu       sync.Mutex // guards the fields below
	calls    map[events.InstanceKey]int
	inflight map[events.InstanceKey]int
	maxPer   int // most concurrent probes of one key seen
	maxAll   int
	running  int
	fail     map[events.InstanceKey]bool
	gate     chan struct{} // when non-nil, probes wait for a token
}

func newFakeProbes() *fakeProbes {
	return &fakeProbes{calls: map[events.InstanceKey]int{}, inflight: map[events.InstanceKey]int{}, fail: map[events.InstanceKey]bool{}}
}

func (f *fakeProbes) probe(ctx context.Context, k events.InstanceKey) (events.InstanceObserved, error) {
	f.mu.Lock()
	f.calls[k]++
	f.inflight[k]++
	f.running++
	f.maxPer = max(f.maxPer, f.inflight[k])
	f.maxAll = max(f.maxAll, f.running)
	gate, fail := f.gate, f.fail[k]
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inflight[k]--
		f.running--
		f.mu.Unlock()
	}()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return events.InstanceObserved{}, ctx.Err()
		}
	}
	if fail {
		return events.InstanceObserved{}, errors.New("refused")
	}
	return events.InstanceObserved{Key: k}, nil
}

func (f *fakeProbes) snapshot() (calls map[events.InstanceKey]int, running, maxPer, maxAll int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := make(map[events.InstanceKey]int, len(f.calls))
	for k, v := range f.calls {
		c[k] = v
	}
	return c, f.running, f.maxPer, f.maxAll
}

// waitUntil polls cond in real time (the scheduler's goroutines need it).
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func runScheduler(t *testing.T, s *Scheduler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
}

// advance moves the manual clock in small steps, letting the scheduler's
// goroutines react to each.
func advance(t *testing.T, c *manualClock, f *fakeProbes, total, step time.Duration) {
	t.Helper()
	for d := time.Duration(0); d < total; d += step {
		c.Advance(step)
		time.Sleep(200 * time.Microsecond)
		waitUntil(t, "probes to settle", func() bool { _, r, _, _ := f.snapshot(); return r == 0 || f.gate != nil })
	}
}

func TestSchedulerRunProbesEachInstanceEveryInterval(t *testing.T) {
	clk := newManualClock()
	f := newFakeProbes()
	s := NewScheduler(f.probe, Options{PollInterval: time.Second, MaxConcurrency: 4}, clk, zerolog.Nop(), WithSeed(7))
	for i := range 5 {
		s.Add(key(i))
	}
	runScheduler(t, s)
	advance(t, clk, f, 10*time.Second, 50*time.Millisecond)
	calls, _, maxPer, _ := f.snapshot()
	for i := range 5 {
		if n := calls[key(i)]; n < 8 || n > 11 {
			t.Errorf("%v probed %d times in 10 intervals", key(i), n)
		}
	}
	if maxPer > 1 {
		t.Errorf("an instance was probed %d times at once", maxPer)
	}

	// Remove stops probing.
	s.Remove(key(0))
	before, _, _, _ := f.snapshot()
	advance(t, clk, f, 5*time.Second, 50*time.Millisecond)
	after, _, _, _ := f.snapshot()
	if after[key(0)] != before[key(0)] {
		t.Errorf("removed key probed %d more times", after[key(0)]-before[key(0)])
	}
	if after[key(1)] < before[key(1)]+4 {
		t.Errorf("other keys stopped: %d → %d", before[key(1)], after[key(1)])
	}
	if got := s.Keys(); len(got) != 4 || s.Has(key(0)) {
		t.Errorf("Keys = %v", got)
	}
}

func TestSchedulerRunBoundsConcurrencyAndKeepsLiveLaneFree(t *testing.T) {
	clk := newManualClock()
	f := newFakeProbes()
	f.gate = make(chan struct{})
	s := NewScheduler(f.probe, Options{PollInterval: time.Second, MaxConcurrency: 4, ProbeTimeout: time.Minute}, clk, zerolog.Nop(), WithSeed(3))
	for i := range 20 {
		s.Add(key(i))
	}
	runScheduler(t, s)
	clk.Advance(time.Second)
	waitUntil(t, "3 probes in flight", func() bool { _, r, _, _ := f.snapshot(); return r == 3 })
	clk.Advance(time.Second)
	time.Sleep(10 * time.Millisecond)
	if _, r, _, maxAll := f.snapshot(); r != 3 || maxAll != 3 {
		t.Fatalf("in flight %d, max %d: want the live lane's 3", r, maxAll)
	}
	close(f.gate) // release every probe
	waitUntil(t, "probes to finish", func() bool { _, r, _, _ := f.snapshot(); return r == 0 })
	if s.MaxRunning() != 3 {
		t.Errorf("MaxRunning = %d", s.MaxRunning())
	}
}

func TestSchedulerDeadInstancesStillProbed(t *testing.T) {
	clk := newManualClock()
	f := newFakeProbes()
	f.fail[key(1)] = true
	s := NewScheduler(f.probe, Options{PollInterval: time.Second, DeadProbeInterval: 3 * time.Second, Jitter: -1}, clk, zerolog.Nop(), WithSeed(1))
	s.Add(key(1))
	s.Add(key(2))
	runScheduler(t, s)
	advance(t, clk, f, 30*time.Second, 100*time.Millisecond)
	calls, _, _, _ := f.snapshot()
	// Dead: backoff 1, 2, 3, 3, … → about 10 probes in 30 s; live: 30.
	if n := calls[key(1)]; n < 9 || n > 12 {
		t.Errorf("dead instance probed %d times in 30 s, want ~10 (capped backoff)", n)
	}
	if n := calls[key(2)]; n < 28 || n > 31 {
		t.Errorf("live instance probed %d times in 30 s", n)
	}
	// Recovery is seen within DeadProbeInterval.
	f.mu.Lock()
	f.fail[key(1)] = false
	f.mu.Unlock()
	before := calls[key(1)]
	advance(t, clk, f, 3100*time.Millisecond, 100*time.Millisecond)
	calls, _, _, _ = f.snapshot()
	if calls[key(1)] == before {
		t.Error("recovered instance not probed within DeadProbeInterval")
	}
}

func TestSchedulerProbeNowJoinsProbeInFlight(t *testing.T) {
	clk := newManualClock()
	f := newFakeProbes()
	f.gate = make(chan struct{})
	s := NewScheduler(f.probe, Options{PollInterval: time.Second, ProbeTimeout: time.Minute}, clk, zerolog.Nop())
	s.Add(key(1))
	runScheduler(t, s)
	clk.Advance(time.Second)
	waitUntil(t, "scheduled probe in flight", func() bool { _, r, _, _ := f.snapshot(); return r == 1 })

	type result struct {
		obs events.InstanceObserved
		err error
	}
	res := make(chan result, 1)
	go func() {
		obs, err := s.ProbeNow(context.Background(), key(1))
		res <- result{obs, err}
	}()
	time.Sleep(10 * time.Millisecond)
	f.gate <- struct{}{} // release the one probe
	r := <-res
	if r.err != nil || r.obs.Key != key(1) {
		t.Fatalf("ProbeNow = %v, %v", r.obs.Key, r.err)
	}
	calls, _, maxPer, _ := f.snapshot()
	if calls[key(1)] != 1 || maxPer != 1 {
		t.Fatalf("calls %d, max concurrent %d: ProbeNow must join the probe in flight", calls[key(1)], maxPer)
	}

	// ProbeNow of an unscheduled key probes it without scheduling it.
	close(f.gate)
	if _, err := s.ProbeNow(context.Background(), key(9)); err != nil {
		t.Fatal(err)
	}
	if s.Has(key(9)) {
		t.Error("ProbeNow scheduled an unknown key")
	}
}

// TestScheduleIntervalFromStart: a scheduled probe that took 300 ms is due
// one interval after it started, not after it finished, so a loaded node
// keeps polling every interval; ProbeNow's probe counts from its end.
func TestScheduleIntervalFromStart(t *testing.T) {
	s := newTestSchedule(8, -1)
	s.add(key(1), t0)
	start := t0.Add(time.Second)
	got := s.take(start)
	if len(got) != 1 {
		t.Fatalf("take = %d entries, want 1", len(got))
	}
	s.finish(got[0], true, events.InstanceObserved{}, nil, start.Add(300*time.Millisecond))
	if n := len(s.take(start.Add(999 * time.Millisecond))); n != 0 {
		t.Fatalf("taken before one interval from its start: %d", n)
	}
	again := s.take(start.Add(time.Second))
	if len(again) != 1 {
		t.Fatal("not taken one interval after its start")
	}
	// ProbeNow (not pooled): from the end.
	end := start.Add(time.Second + 300*time.Millisecond)
	s.finish(again[0], false, events.InstanceObserved{}, nil, end)
	if n := len(s.take(start.Add(2 * time.Second))); n != 0 {
		t.Fatalf("ProbeNow's probe due from its start: %d", n)
	}
	if n := len(s.take(end.Add(time.Second))); n != 1 {
		t.Fatalf("ProbeNow's probe not due one interval after its end: %d", n)
	}
}
