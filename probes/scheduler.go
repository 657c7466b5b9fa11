package probes

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
)

// Scheduler probes every added instance once per PollInterval (jittered),
// with at most MaxConcurrency probes in flight and never two of the same
// instance at once. Instances whose last probe failed move to a slow lane
// with its own slots and an exponential backoff capped at
// DeadProbeInterval, so dead or hung instances never delay live ones and
// their recovery is still seen within DeadProbeInterval.
type Scheduler struct {
	probe          ProbeFunc
	timeout        time.Duration
	maxConcurrency int
	clock          Clock
	log            zerolog.Logger

	mu    sync.Mutex // guards sched
	sched *schedule

	rounds zerolog.Logger // emergent round starts: bursts of 20 a minute

	wake chan struct{} // buffered(1): the schedule changed
}

// SchedulerOption adjusts a Scheduler.
type SchedulerOption func(*Scheduler)

// WithSeed makes the jitter deterministic (tests).
func WithSeed(seed uint64) SchedulerOption {
	return func(s *Scheduler) { s.sched.rnd = rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d)) } //nolint:gosec // jitter
}

// WithEmergent turns emergent probes on (see EmergentOptions): a failed
// probe, a replica that lost its source or a Suspect call moves the suspect,
// its source and its replicas to a fast lane of their own at once.
func WithEmergent(o EmergentOptions) SchedulerOption {
	return func(s *Scheduler) {
		if o.Enabled {
			s.sched.enableEmergent(o, s.maxConcurrency)
		}
	}
}

// WithRefresh sets the bounds of Refresh (defaults: RefreshOptions).
func WithRefresh(o RefreshOptions) SchedulerOption {
	return func(s *Scheduler) { s.sched.rf = newRefresher(o) }
}

// NewScheduler returns a Scheduler that calls probe (normally
// (*Observer).Observe). clk nil means SystemClock.
func NewScheduler(probe ProbeFunc, opts Options, clk Clock, log zerolog.Logger, sopts ...SchedulerOption) *Scheduler {
	opts = opts.withDefaults()
	if clk == nil {
		clk = SystemClock()
	}
	now := clk.Now()
	s := &Scheduler{
		probe: probe, timeout: opts.ProbeTimeout, clock: clk, maxConcurrency: opts.MaxConcurrency,
		log:   log.With().Str(events.LogComponent, "scheduler").Logger(),
		sched: newSchedule(opts, rand.New(rand.NewPCG(uint64(now.UnixNano()), 0xda942042e4dd58b5))), //nolint:gosec // jitter
		wake:  make(chan struct{}, 1),
	}
	s.rounds = s.log.Sample(&zerolog.BurstSampler{Burst: 20, Period: time.Minute})
	for _, o := range sopts {
		o(s)
	}
	return s
}

// Add schedules key; it reports whether key was new. Its first probe is due
// within one PollInterval.
func (s *Scheduler) Add(key events.InstanceKey) bool {
	s.mu.Lock()
	added := s.sched.add(key, s.clock.Now())
	s.mu.Unlock()
	if added {
		s.poke()
	}
	return added
}

// Remove unschedules key; a probe in flight finishes and is not repeated.
func (s *Scheduler) Remove(key events.InstanceKey) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sched.remove(key)
}

// Has reports whether key is scheduled.
func (s *Scheduler) Has(key events.InstanceKey) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.sched.entries[key]
	return ok && !e.transient && !e.removed
}

// Keys returns the scheduled keys, sorted.
func (s *Scheduler) Keys() []events.InstanceKey {
	s.mu.Lock()
	keys := make([]events.InstanceKey, 0, len(s.sched.entries))
	for k, e := range s.sched.entries {
		if !e.transient && !e.removed {
			keys = append(keys, k)
		}
	}
	s.mu.Unlock()
	return sortKeys(keys)
}

// ProbeNow probes key at once on the caller's goroutine, bounded by
// ProbeTimeout, and returns the result. If a probe of key is already in
// flight, it waits for that one and returns its result instead. key need
// not be scheduled; if it is, its next probe is due one interval later.
func (s *Scheduler) ProbeNow(ctx context.Context, key events.InstanceKey) (events.InstanceObserved, error) {
	s.mu.Lock()
	e, mine := s.sched.claim(key)
	s.mu.Unlock()
	if !mine {
		select {
		case <-e.done:
			s.mu.Lock()
			obs, err := e.lastObs, e.lastErr
			s.mu.Unlock()
			return obs, err
		case <-ctx.Done():
			return events.InstanceObserved{}, ctx.Err()
		}
	}
	obs, err := s.run(ctx, key)
	s.mu.Lock()
	s.sched.finish(e, false, obs, err, s.clock.Now())
	started := s.takeStarted()
	s.mu.Unlock()
	s.logRounds(started)
	s.poke()
	return obs, err
}

func (s *Scheduler) run(ctx context.Context, key events.InstanceKey) (events.InstanceObserved, error) {
	pctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return s.probe(pctx, key)
}

// poke wakes Run to look at the schedule again.
func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run probes until ctx ends, then waits for the probes in flight.
func (s *Scheduler) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := s.clock.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := s.clock.Now()
		s.mu.Lock()
		due := s.sched.take(now)
		next, ok := s.sched.next()
		s.mu.Unlock()
		for _, e := range due {
			wg.Go(func() {
				obs, err := s.run(ctx, e.key)
				s.mu.Lock()
				s.sched.finish(e, true, obs, err, s.clock.Now())
				started := s.takeStarted()
				s.mu.Unlock()
				s.logRounds(started)
				s.poke()
			})
		}
		wait := time.Hour
		if ok {
			wait = max(next.Sub(now), 0)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C():
		case <-s.wake:
		}
	}
}

// Suspect starts (or joins) the emergent round of key's cluster: key, its
// source and its replicas are probed at once on the fast lane. Rounds are
// bounded per cluster and per node; it reports whether anything was
// scheduled (false also when emergent probes are off).
func (s *Scheduler) Suspect(key events.InstanceKey, reason string) bool {
	s.mu.Lock()
	moved := s.sched.suspect(key, reason, s.clock.Now())
	started := s.takeStarted()
	s.mu.Unlock()
	s.logRounds(started)
	if moved {
		s.poke()
	}
	return moved
}

// Refresh re-probes keys soon: each scheduled one's next probe is moved to
// now, on its own lane, or to RefreshOptions.Gap after its last refresh; a
// probe in flight is repeated once it ends. Bounded by
// RefreshOptions.PerSecond; keys not scheduled are ignored. It is for the
// instances an outcome just changed (control.ReadPath).
func (s *Scheduler) Refresh(keys []events.InstanceKey) {
	if len(keys) == 0 {
		return
	}
	s.mu.Lock()
	now := s.clock.Now()
	for _, k := range keys {
		s.sched.refresh(k, now)
	}
	s.mu.Unlock()
	s.poke()
}

// RefreshStats returns the refreshes' counters.
func (s *Scheduler) RefreshStats() RefreshStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sched.rf.stats
}

// takeStarted drains the round starts to log; called under mu.
func (s *Scheduler) takeStarted() []startedRound {
	if s.sched.em == nil || len(s.sched.em.started) == 0 {
		return nil
	}
	out := s.sched.em.started
	s.sched.em.started = nil
	return out
}

func (s *Scheduler) logRounds(started []startedRound) {
	for _, r := range started {
		s.rounds.Info().Str(events.LogInstance, r.suspect.String()).Str(events.LogKind, r.reason).Int("instances", r.covered).Msg("emergent probes")
	}
}

// EmergentStats returns the emergent probes' counters (zero when off).
func (s *Scheduler) EmergentStats() EmergentStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sched.em == nil {
		return EmergentStats{Rounds: map[string]uint64{}}
	}
	s.sched.em.expire(s.clock.Now())
	return s.sched.em.snapshot()
}

// Sources returns the scheduled instances that others replicate from, by
// this node's own last probes (needs emergent probes on; nil otherwise):
// the primaries and intermediate primaries to watch.
func (s *Scheduler) Sources() []events.InstanceKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sched.em == nil {
		return nil
	}
	var out []events.InstanceKey
	for _, k := range s.sched.em.topo.sources() {
		if e, ok := s.sched.entries[k]; ok && !e.transient && !e.removed {
			out = append(out, k)
		}
	}
	return out
}

// MaxRunning is the most probes the scheduler has had in flight at once.
func (s *Scheduler) MaxRunning() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sched.maxRunning
}
