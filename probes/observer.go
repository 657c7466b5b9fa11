package probes

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
)

// Publisher publishes observation events (the JetStream observation stream
// in production, through an in-process connection). Declared here, wired by
// cmd/regent.
type Publisher interface {
	Publish(ctx context.Context, env events.Envelope) error
}

// ClusterOf names the cluster an instance belongs to, as far as the caller
// knows ("" when unknown). It must be fast and safe for concurrent use.
type ClusterOf func(events.InstanceKey) string

// ProbeFunc probes one instance. (*Prober).Probe and (*Observer).Observe
// are ProbeFuncs.
type ProbeFunc func(ctx context.Context, key events.InstanceKey) (events.InstanceObserved, error)

// publishTimeout bounds one publish, which runs even when the probe's
// deadline has passed (a timed-out probe is evidence worth publishing).
const publishTimeout = 5 * time.Second

// Observer probes an instance and publishes what it saw: a full
// InstanceObserved when the state digest changed or every
// FullObservationInterval (jittered per instance), an InstanceProgress
// otherwise, and an InstanceUnreachable for every failed probe.
type Observer struct {
	probe     ProbeFunc
	pub       Publisher
	clusterOf ClusterOf
	nodeID    string
	fullEvery time.Duration
	timeout   time.Duration
	clock     Clock
	log       zerolog.Logger
	sampled   zerolog.Logger

	onObserved func(events.InstanceObserved)

	mu    sync.Mutex // guards state and rnd
	state map[events.InstanceKey]*emitState
	rnd   *rand.Rand

	full, progress, unreachable, publishErrors atomic.Uint64
}

// emitState is what the observer remembers per dialled key.
type emitState struct {
	digest   string             // of the last full observation published ("" = none)
	nextFull time.Time          // when a full observation is due regardless
	name     events.InstanceKey // the instance's name in its last observation
}

// ObserverStats counts what the observer published.
type ObserverStats struct {
	Full, Progress, Unreachable, PublishErrors uint64
}

// ObserverOption adjusts an Observer.
type ObserverOption func(*Observer)

// WithObservedHook calls fn after every successful probe, on the probing
// goroutine; fn must not block (e.g. (*Discoverer).Notice).
func WithObservedHook(fn func(events.InstanceObserved)) ObserverOption {
	return func(o *Observer) { o.onObserved = fn }
}

// NewObserver returns an Observer that probes with probe (normally
// (*Prober).Probe) and publishes through pub. clusterOf may be nil.
func NewObserver(probe ProbeFunc, pub Publisher, clusterOf ClusterOf, opts Options, clk Clock, log zerolog.Logger, oopts ...ObserverOption) *Observer {
	opts = opts.withDefaults()
	if clusterOf == nil {
		clusterOf = func(events.InstanceKey) string { return "" }
	}
	if clk == nil {
		clk = SystemClock()
	}
	l := log.With().Str(events.LogComponent, "observer").Logger()
	o := &Observer{
		probe: probe, pub: pub, clusterOf: clusterOf, nodeID: opts.NodeID,
		fullEvery: opts.FullObservationInterval, timeout: opts.ProbeTimeout, clock: clk,
		log: l, sampled: l.Sample(&zerolog.BurstSampler{Burst: 5, Period: time.Minute}),
		state: make(map[events.InstanceKey]*emitState),
		rnd:   rand.New(rand.NewPCG(uint64(clk.Now().UnixNano()), 0x9e3779b97f4a7c15)), //nolint:gosec // jitter, not secrets
	}
	for _, opt := range oopts {
		opt(o)
	}
	return o
}

// Stats returns the counters.
func (o *Observer) Stats() ObserverStats {
	return ObserverStats{Full: o.full.Load(), Progress: o.progress.Load(), Unreachable: o.unreachable.Load(), PublishErrors: o.publishErrors.Load()}
}

// Forget drops what the observer remembers about key.
func (o *Observer) Forget(key events.InstanceKey) {
	o.mu.Lock()
	delete(o.state, key)
	o.mu.Unlock()
}

// Observe probes key (bounded by ProbeTimeout) and publishes the result. It
// returns the probe's result; publish failures are logged and counted, and
// make the next observation of key a full one.
func (o *Observer) Observe(ctx context.Context, key events.InstanceKey) (events.InstanceObserved, error) {
	start := o.clock.Now()
	pctx, cancel := context.WithTimeout(ctx, o.timeout)
	obs, err := o.probe(pctx, key)
	cancel()
	now := o.clock.Now()
	if err != nil {
		name := o.failed(key)
		o.unreachable.Add(1)
		o.publish(ctx, key, events.KindInstanceUnreachable, now, name, Unreachable(name, err, now.Sub(start)))
		return obs, err
	}
	if o.needFull(key, &obs, now) {
		o.full.Add(1)
		o.publish(ctx, key, events.KindInstanceObserved, now, obs.Key, &obs)
	} else {
		o.progress.Add(1)
		p := Progress(&obs)
		o.publish(ctx, key, events.KindInstanceProgress, now, obs.Key, &p)
	}
	if o.onObserved != nil {
		o.onObserved(obs)
	}
	return obs, nil
}

// failed records a failed probe of key and returns the name to report it
// under: the name of its last observation, or key.
func (o *Observer) failed(key events.InstanceKey) events.InstanceKey {
	o.mu.Lock()
	defer o.mu.Unlock()
	st, ok := o.state[key]
	if !ok {
		return key
	}
	st.digest = "" // the next success is a full observation
	return st.name
}

// needFull decides between a full observation and a progress event.
func (o *Observer) needFull(key events.InstanceKey, obs *events.InstanceObserved, now time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	st, ok := o.state[key]
	if !ok {
		st = &emitState{}
		o.state[key] = st
	}
	st.name = obs.Key
	if st.digest == obs.Digest && now.Before(st.nextFull) {
		return false
	}
	st.digest = obs.Digest
	// ±25% per instance, so instances probed in step do not all send their
	// full observations in the same second.
	j := 0.75 + 0.5*o.rnd.Float64()
	st.nextFull = now.Add(time.Duration(float64(o.fullEvery) * j))
	return true
}

func (o *Observer) publish(ctx context.Context, key events.InstanceKey, kind events.Kind, at time.Time, name events.InstanceKey, payload any) {
	env, err := events.New(kind, at, o.nodeID, payload)
	if err == nil {
		env.Instance = name.String()
		env.Cluster = o.clusterOf(name)
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
		err = o.pub.Publish(pctx, env)
		cancel()
	}
	if err == nil {
		return
	}
	o.publishErrors.Add(1)
	o.mu.Lock()
	if st, ok := o.state[key]; ok {
		st.digest = ""
	}
	o.mu.Unlock()
	o.sampled.Warn().Err(err).Str(events.LogInstance, name.String()).Stringer(events.LogKind, kind).Msg("publish observation")
}
