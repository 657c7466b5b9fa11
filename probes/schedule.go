package probes

import (
	"container/heap"
	"math/rand/v2"
	"time"

	"github.com/regent-ha/regent/events"
)

// This file is the scheduler's core: what is due when, in which lane. It
// has no goroutines, no locks and no clock of its own; Scheduler drives it
// under its mutex and tests drive it directly.

// lane separates live instances from failing ones so that failing ones
// (whose probes may each take a full timeout) never take a live one's slot.
type lane int

const (
	laneLive lane = iota
	laneSlow
	laneFast // emergent probes (emergent.go)
	laneCount
)

// entry is one scheduled instance.
type entry struct {
	key      events.InstanceKey
	due      time.Time
	started  time.Time // when the scheduler last took it
	failures int       // consecutive failed probes
	running  bool      // a probe is in flight
	removed  bool      // Remove was called while running
	// transient entries exist only while ProbeNow probes an instance that is
	// not scheduled.
	transient bool
	lane      lane
	index     int           // in its lane's heap; -1 when not queued
	done      chan struct{} // closed when the running probe ends
	lastObs   events.InstanceObserved
	lastErr   error
	fastN     int  // emergent probes since its round moved it to the fast lane
	rerun     bool // a round wants it probed again as soon as its running probe ends
	// refreshAt: a refresh (refresh.go) asked while its probe ran wants
	// the next one due then (zero: none).
	refreshAt time.Time
}

// dueHeap orders entries by due time.
type dueHeap []*entry

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i]; h[i].index = i; h[j].index = j }
func (h *dueHeap) Push(x any)        { e := x.(*entry); e.index = len(*h); *h = append(*h, e) }
func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.index = -1
	return e
}

// schedule is the scheduler's state.
type schedule struct {
	interval   time.Duration // PollInterval
	deadMax    time.Duration // cap of the failure backoff
	jitter     float64
	rnd        *rand.Rand
	entries    map[events.InstanceKey]*entry
	queues     [laneCount]dueHeap
	inflight   [laneCount]int
	capacity   [laneCount]int
	maxRunning int       // observed, for tests and metrics
	em         *emergent // nil: no emergent probes
	rf         *refresher
}

func newSchedule(opts Options, rnd *rand.Rand) *schedule {
	slow := max(1, opts.MaxConcurrency/4)
	live := max(1, opts.MaxConcurrency-slow)
	return &schedule{
		interval: opts.PollInterval, deadMax: opts.DeadProbeInterval, jitter: opts.Jitter, rnd: rnd,
		entries:  make(map[events.InstanceKey]*entry),
		capacity: [laneCount]int{laneLive: live, laneSlow: slow},
		rf:       newRefresher(RefreshOptions{}),
	}
}

// add schedules key, first due at a random point of the next interval so
// that instances added together spread out. It reports whether key is new.
func (s *schedule) add(key events.InstanceKey, now time.Time) bool {
	if e, ok := s.entries[key]; ok {
		if e.transient || e.removed {
			e.transient, e.removed = false, false
			return true
		}
		return false
	}
	e := &entry{key: key, index: -1, lane: laneLive}
	e.due = now.Add(time.Duration(s.rnd.Float64() * float64(s.interval)))
	s.entries[key] = e
	heap.Push(&s.queues[laneLive], e)
	return true
}

// remove unschedules key. A running probe finishes; its result is dropped.
func (s *schedule) remove(key events.InstanceKey) bool {
	e, ok := s.entries[key]
	if !ok || e.transient || e.removed {
		return false
	}
	if e.running {
		e.removed = true
		return true
	}
	heap.Remove(&s.queues[e.lane], e.index)
	delete(s.entries, key)
	s.forgetEmergent(key)
	delete(s.rf.last, key)
	return true
}

// enableEmergent turns the emergent probes on (emergent.go).
func (s *schedule) enableEmergent(o EmergentOptions, maxConcurrency int) {
	o = o.withDefaults(maxConcurrency)
	s.em = newEmergent(o)
	s.capacity[laneFast] = o.Slots
}

func (s *schedule) forgetEmergent(key events.InstanceKey) {
	if s.em != nil {
		s.em.topo.forget(key)
		delete(s.em.cover, key)
	}
}

// take pops the entries due at now, as many as each lane has free slots,
// and marks them running.
func (s *schedule) take(now time.Time) []*entry {
	var out []*entry
	for l := range laneCount {
		q := &s.queues[l]
		for q.Len() > 0 && s.inflight[l] < s.capacity[l] && !(*q)[0].due.After(now) {
			e := heap.Pop(q).(*entry)
			s.inflight[l]++
			s.start(e)
			e.started = now
			if lane(l) == laneFast {
				s.em.stats.Probes++
			}
			out = append(out, e)
		}
	}
	return out
}

func (s *schedule) start(e *entry) {
	e.running = true
	e.done = make(chan struct{})
	if n := s.running(); n > s.maxRunning {
		s.maxRunning = n
	}
}

func (s *schedule) running() int {
	n := 0
	for _, c := range s.inflight {
		n += c
	}
	return n
}

// claim takes key out of its queue for a probe by the caller (ProbeNow).
// If a probe of key is already running, it returns that entry and false:
// wait on its done channel. Unknown keys get a transient entry.
func (s *schedule) claim(key events.InstanceKey) (*entry, bool) {
	e, ok := s.entries[key]
	if !ok {
		e = &entry{key: key, index: -1, transient: true}
		s.entries[key] = e
	}
	if e.running {
		return e, false
	}
	if e.index >= 0 {
		heap.Remove(&s.queues[e.lane], e.index)
	}
	e.running = true
	e.done = make(chan struct{})
	return e, true
}

// finish records the end of a probe: the entry goes back to a queue, due
// after an interval (live), after a backoff (slow lane), or soon when an
// emergent round covers it (fast lane). A failure of a live instance or a
// replica losing its source starts an emergent round.
func (s *schedule) finish(e *entry, pooled bool, obs events.InstanceObserved, err error, now time.Time) {
	if pooled {
		s.inflight[e.lane]--
	}
	e.running = false
	e.lastObs, e.lastErr = obs, err
	close(e.done)
	if e.removed || e.transient {
		if e.removed {
			s.forgetEmergent(e.key)
			delete(s.rf.last, e.key)
		}
		delete(s.entries, e.key)
		return
	}
	wasLive := e.failures == 0
	switch {
	case err == nil:
		e.failures = 0
	case e.lane != laneFast || e.failures == 0:
		// Emergent probes of a failing instance do not count: its backoff
		// after the round is what its regular probes earned.
		e.failures++
	}
	if !s.requeueFast(e, now) {
		s.requeue(e, pooled, err == nil, now)
	}
	s.requeueRefresh(e)
	if s.em != nil {
		if sus, why := s.em.observed(e.key, obs, err, wasLive); why != "" {
			s.suspect(sus, why, now)
		}
	}
}

// requeue puts e back on the live lane one interval after its probe
// started, or on the slow lane after its backoff.
func (s *schedule) requeue(e *entry, pooled, ok bool, now time.Time) {
	if ok {
		e.lane = laneLive
		d := s.jittered(s.interval)
		e.due = now.Add(d)
		if due := e.started.Add(d); pooled && due.After(now) {
			// A scheduled probe's interval runs from its start, so a slow
			// probe or publish (a loaded node) does not stretch the polling
			// period; one that overran the interval waits a whole one.
			e.due = due
		}
	} else {
		e.lane = laneSlow
		e.due = now.Add(s.jittered(s.backoff(e.failures)))
	}
	heap.Push(&s.queues[e.lane], e)
}

// backoff is the wait after the n-th consecutive failure: one interval,
// then doubling, capped at deadMax.
func (s *schedule) backoff(n int) time.Duration {
	d := s.interval
	for i := 1; i < n && d < s.deadMax; i++ {
		d *= 2
	}
	return min(d, s.deadMax)
}

// jittered spreads d over d×(1±jitter).
func (s *schedule) jittered(d time.Duration) time.Duration {
	if s.jitter <= 0 {
		return d
	}
	f := 1 + s.jitter*(2*s.rnd.Float64()-1)
	return time.Duration(float64(d) * f)
}

// next returns the earliest due time among lanes with a free slot.
func (s *schedule) next() (time.Time, bool) {
	var t time.Time
	found := false
	for l := range laneCount {
		q := s.queues[l]
		if q.Len() == 0 || s.inflight[l] >= s.capacity[l] {
			continue
		}
		if !found || q[0].due.Before(t) {
			t, found = q[0].due, true
		}
	}
	return t, found
}
