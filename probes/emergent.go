package probes

import (
	"container/heap"
	"maps"
	"slices"
	"time"

	"github.com/regent-ha/regent/events"
)

// This file holds the emergent probes: when a probe of an instance fails,
// when a replica's IO thread loses its source, or when a watch (watch.go)
// sees a primary's connection die, the suspect, every instance that
// replicates from it and its own source are probed again at once on a lane
// of their own, then at a decaying interval for EmergentOptions.Hold, so
// that the failed reports and the replicas' agreement that the analysis
// needs form in milliseconds instead of poll intervals. Like schedule.go it
// has no goroutines, locks or clock: Scheduler drives it under its mutex.

// EmergentOptions bound the emergent probes. The zero value turns them off.
type EmergentOptions struct {
	// Enabled turns emergent probes on.
	Enabled bool
	// Interval is the wait before an instance's second emergent probe; it
	// doubles after every probe up to PollInterval (default 50 ms).
	Interval time.Duration
	// Hold is how long a round keeps its instances on the fast lane
	// (default 3 s); a suspect added to a running round extends it to at
	// most twice Hold from the round's start.
	Hold time.Duration
	// Burst is how many rounds one cluster may start back to back, and
	// Refill how often it gets one more (defaults 3 and 10 s): a flapping
	// cluster cannot keep itself on the fast lane.
	Burst  int
	Refill time.Duration
	// MaxRounds bounds the rounds in flight on this node (default 32); a
	// suspect beyond it waits for its regular probe.
	MaxRounds int
	// Slots bounds the emergent probes in flight (default a quarter of
	// MaxConcurrency, at least 2); they never take a live or slow slot.
	Slots int
}

// Emergent defaults.
const (
	DefaultEmergentInterval  = 50 * time.Millisecond
	DefaultEmergentHold      = 3 * time.Second
	DefaultEmergentBurst     = 3
	DefaultEmergentRefill    = 10 * time.Second
	DefaultEmergentMaxRounds = 32
)

func (o EmergentOptions) withDefaults(maxConcurrency int) EmergentOptions {
	if o.Interval <= 0 {
		o.Interval = DefaultEmergentInterval
	}
	if o.Hold <= 0 {
		o.Hold = DefaultEmergentHold
	}
	if o.Burst <= 0 {
		o.Burst = DefaultEmergentBurst
	}
	if o.Refill <= 0 {
		o.Refill = DefaultEmergentRefill
	}
	if o.MaxRounds <= 0 {
		o.MaxRounds = DefaultEmergentMaxRounds
	}
	if o.Slots <= 0 {
		o.Slots = max(2, maxConcurrency/4)
	}
	return o
}

// Suspect reasons, the values of the emergent metrics' reason label.
const (
	SuspectProbeFailed = "probe-failed" // the instance's probe failed
	SuspectSourceLost  = "source-lost"  // a replica's IO thread lost this source
	SuspectWatch       = "watch"        // the primary watch saw the connection die or go silent
)

// EmergentStats counts what the emergent probes did since start.
type EmergentStats struct {
	// Rounds started, by reason of their first suspect.
	Rounds map[string]uint64
	// Merged: suspects added to a round already running in their cluster;
	// Deduplicated: suspects that were already suspects of that round.
	Merged, Deduplicated uint64
	// DroppedBudget: suspects whose cluster had no round left (Burst,
	// Refill); DroppedCap: suspects beyond MaxRounds.
	DroppedBudget, DroppedCap uint64
	// Probes is the number of probes taken from the fast lane.
	Probes uint64
	// Active is the number of rounds in flight now.
	Active int
}

// round is one emergent round: one per cluster at a time.
type round struct {
	suspects map[events.InstanceKey]bool
	cover    []events.InstanceKey
	start    time.Time
	until    time.Time
}

// bucket is a cluster's round budget.
type bucket struct {
	tokens float64
	at     time.Time
}

// emergent is the emergent probes' state inside a schedule.
type emergent struct {
	opts    EmergentOptions
	topo    topoIndex
	rounds  map[events.InstanceKey]*round // by cluster
	cover   map[events.InstanceKey]*round // instance → the round probing it
	buckets map[events.InstanceKey]*bucket
	stats   EmergentStats
	// started are the rounds started since the Scheduler last logged them
	// (at most MaxRounds kept).
	started []startedRound
}

// startedRound is a round start, for the log.
type startedRound struct {
	suspect events.InstanceKey
	reason  string
	covered int
}

func newEmergent(opts EmergentOptions) *emergent {
	return &emergent{
		opts: opts, topo: newTopoIndex(),
		rounds:  map[events.InstanceKey]*round{},
		cover:   map[events.InstanceKey]*round{},
		buckets: map[events.InstanceKey]*bucket{},
		stats:   EmergentStats{Rounds: map[string]uint64{}},
	}
}

// lostSource reports whether a replica's IO thread lost its source: not
// running, and either trying to connect or stopped by an error (a STOP
// SLAVE without an error is an operator's choice, not a suspect).
func lostSource(r *events.Replication) bool {
	if r == nil || r.IOThread == events.ThreadRunning || r.IOThread == events.ThreadNone {
		return false
	}
	return r.IOThread == events.ThreadOther || r.LastIOErrno != 0
}

// observed updates the topology index from a probe of key and returns the
// suspect it points at ("" reason: none). wasLive is whether key's previous
// probe succeeded (or it had none).
func (em *emergent) observed(key events.InstanceKey, obs events.InstanceObserved, err error, wasLive bool) (events.InstanceKey, string) {
	if err != nil {
		if wasLive {
			return key, SuspectProbeFailed
		}
		return events.InstanceKey{}, ""
	}
	wasLost := em.topo.lost[key]
	em.topo.observe(key, obs)
	if src, ok := followableSource(obs); ok && lostSource(obs.Replication) && !wasLost {
		return src, SuspectSourceLost
	}
	return events.InstanceKey{}, ""
}

// expire ends the rounds whose time is up.
func (em *emergent) expire(now time.Time) {
	for c, r := range em.rounds {
		if now.Before(r.until) {
			continue
		}
		for _, k := range r.cover {
			if em.cover[k] == r {
				delete(em.cover, k)
			}
		}
		delete(em.rounds, c)
	}
	em.stats.Active = len(em.rounds)
}

// covering returns the live round probing key, if any.
func (em *emergent) covering(key events.InstanceKey, now time.Time) *round {
	r := em.cover[key]
	if r == nil || !now.Before(r.until) {
		return nil
	}
	return r
}

// take spends one of cluster's rounds; false when its budget is empty.
func (em *emergent) take(cluster events.InstanceKey, now time.Time) bool {
	b := em.buckets[cluster]
	if b == nil {
		b = &bucket{tokens: float64(em.opts.Burst), at: now}
		em.buckets[cluster] = b
	}
	b.tokens = min(float64(em.opts.Burst), b.tokens+float64(now.Sub(b.at))/float64(em.opts.Refill))
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// admit decides what a new suspect does: nil when it starts nothing (a
// duplicate, no budget, the cap), else the round to cover its neighbours
// with.
func (em *emergent) admit(key events.InstanceKey, reason string, now time.Time) *round {
	em.expire(now)
	cluster := em.topo.root(key)
	if r := em.rounds[cluster]; r != nil {
		if r.suspects[key] {
			em.stats.Deduplicated++
			return nil
		}
		r.suspects[key] = true
		r.until = minTime(now.Add(em.opts.Hold), r.start.Add(2*em.opts.Hold))
		em.stats.Merged++
		return r
	}
	if len(em.rounds) >= em.opts.MaxRounds {
		em.stats.DroppedCap++
		return nil
	}
	if !em.take(cluster, now) {
		em.stats.DroppedBudget++
		return nil
	}
	r := &round{suspects: map[events.InstanceKey]bool{key: true}, start: now, until: now.Add(em.opts.Hold)}
	em.rounds[cluster] = r
	em.stats.Rounds[reason]++
	em.stats.Active = len(em.rounds)
	em.pruneBuckets(now)
	return r
}

// pruneBuckets drops full buckets of clusters without a round, so the map
// does not grow with every cluster that ever had one.
func (em *emergent) pruneBuckets(now time.Time) {
	if len(em.buckets) < 4*em.opts.MaxRounds {
		return
	}
	full := time.Duration(em.opts.Burst) * em.opts.Refill
	for c, b := range em.buckets {
		if em.rounds[c] == nil && now.Sub(b.at) >= full {
			delete(em.buckets, c)
		}
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// stats returns a copy of the counters.
func (em *emergent) snapshot() EmergentStats {
	st := em.stats
	st.Rounds = maps.Clone(em.stats.Rounds)
	return st
}

// suspect starts or joins the emergent round of key's cluster and moves
// key, its source and everything that replicates from it to the fast lane,
// due now. It reports whether anything was scheduled.
func (s *schedule) suspect(key events.InstanceKey, reason string, now time.Time) bool {
	em := s.em
	if em == nil {
		return false
	}
	r := em.admit(key, reason, now)
	if r == nil {
		return false
	}
	moved := false
	for _, k := range em.topo.related(key) {
		e, ok := s.entries[k]
		if !ok || e.transient || e.removed {
			continue
		}
		if em.cover[k] != r {
			em.cover[k] = r
			r.cover = append(r.cover, k)
		}
		s.hurry(e, now)
		moved = true
	}
	if r.start.Equal(now) && len(r.suspects) == 1 && len(em.started) < em.opts.MaxRounds {
		em.started = append(em.started, startedRound{suspect: key, reason: reason, covered: len(r.cover)})
	}
	return moved
}

// hurry makes e due now on the fast lane (after its running probe, if one
// runs: that probe may have started before the failure).
func (s *schedule) hurry(e *entry, now time.Time) {
	e.fastN = 0
	if e.running {
		e.rerun = true
		return
	}
	if e.index >= 0 {
		heap.Remove(&s.queues[e.lane], e.index)
	}
	e.lane, e.due = laneFast, now
	heap.Push(&s.queues[laneFast], e)
}

// requeueFast puts a finished e back on the fast lane when a round covers
// it: at once after a rerun request, else Interval doubling per probe, at
// most PollInterval. It reports false when no round covers e.
func (s *schedule) requeueFast(e *entry, now time.Time) bool {
	if s.em == nil || s.em.covering(e.key, now) == nil {
		e.rerun = false
		return false
	}
	d := time.Duration(0)
	if !e.rerun {
		d = s.em.opts.Interval << min(e.fastN, 16)
		d = min(d, s.interval)
		e.fastN++
	}
	e.rerun = false
	e.lane, e.due = laneFast, now.Add(d)
	heap.Push(&s.queues[laneFast], e)
	return true
}

// topoIndex is who replicates from whom, from this node's own last
// successful probes (fresher and more local than the folded view).
type topoIndex struct {
	source   map[events.InstanceKey]events.InstanceKey              // replica → its source
	replicas map[events.InstanceKey]map[events.InstanceKey]struct{} // source → replicas that name it
	listed   map[events.InstanceKey][]events.InstanceKey            // source → its own replicas list
	lost     map[events.InstanceKey]bool                            // replica whose IO lost its source
}

func newTopoIndex() topoIndex {
	return topoIndex{
		source:   map[events.InstanceKey]events.InstanceKey{},
		replicas: map[events.InstanceKey]map[events.InstanceKey]struct{}{},
		listed:   map[events.InstanceKey][]events.InstanceKey{},
		lost:     map[events.InstanceKey]bool{},
	}
}

// observe records key's source, its lost-source state and its replicas list.
func (t *topoIndex) observe(key events.InstanceKey, obs events.InstanceObserved) {
	src, _ := followableSource(obs) // a detached "//host" names no server
	if old, ok := t.source[key]; ok && old != src {
		t.unlink(key, old)
	}
	if src.Hostname != "" {
		t.source[key] = src
		set := t.replicas[src]
		if set == nil {
			set = map[events.InstanceKey]struct{}{}
			t.replicas[src] = set
		}
		set[key] = struct{}{}
	}
	if lostSource(obs.Replication) {
		t.lost[key] = true
	} else {
		delete(t.lost, key)
	}
	if len(obs.Replicas) > 0 {
		if !slices.Equal(t.listed[key], obs.Replicas) { // the hot path: copy only a change
			t.listed[key] = slices.Clone(obs.Replicas)
		}
	} else {
		delete(t.listed, key)
	}
}

func (t *topoIndex) unlink(key, src events.InstanceKey) {
	delete(t.source, key)
	if set := t.replicas[src]; set != nil {
		delete(set, key)
		if len(set) == 0 {
			delete(t.replicas, src)
		}
	}
}

// forget drops key (unscheduled).
func (t *topoIndex) forget(key events.InstanceKey) {
	if src, ok := t.source[key]; ok {
		t.unlink(key, src)
	}
	delete(t.lost, key)
	delete(t.listed, key)
}

// related is key, its source, and every instance that replicates from it
// (by their own probes or by its replicas list), sorted after key.
func (t *topoIndex) related(key events.InstanceKey) []events.InstanceKey {
	seen := map[events.InstanceKey]bool{key: true}
	var out []events.InstanceKey
	add := func(k events.InstanceKey) {
		if k.Hostname != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	add(t.source[key])
	for k := range t.replicas[key] {
		add(k)
	}
	for _, k := range t.listed[key] {
		add(k)
	}
	return append([]events.InstanceKey{key}, sortKeys(out)...)
}

// root is the top of key's replication chain: its cluster's identity for
// the round budget. A ring of co-primaries is named by its smallest key.
func (t *topoIndex) root(key events.InstanceKey) events.InstanceKey {
	seen := map[events.InstanceKey]bool{}
	k := key
	for range DefaultDiscoveryMaxDepth {
		src, ok := t.source[k]
		if !ok {
			return k
		}
		seen[k] = true
		if seen[src] {
			return ringMin(t, src)
		}
		k = src
	}
	return k
}

func ringMin(t *topoIndex, start events.InstanceKey) events.InstanceKey {
	best, k := start, start
	for range DefaultDiscoveryMaxDepth {
		k = t.source[k]
		if k == start {
			break
		}
		if k.String() < best.String() {
			best = k
		}
	}
	return best
}

// sources returns the instances others replicate from, by this node's
// probes: the primaries and intermediate primaries to watch.
func (t *topoIndex) sources() []events.InstanceKey {
	set := map[events.InstanceKey]bool{}
	for k, reps := range t.replicas {
		if len(reps) > 0 {
			set[k] = true
		}
	}
	for k := range t.listed {
		set[k] = true
	}
	out := make([]events.InstanceKey, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	return sortKeys(out)
}
