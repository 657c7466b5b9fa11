package control

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// Fold is the live fold runtime of one node: it folds both streams into one
// projections.Topology (and the recovery fold) and hands out views. Two
// goroutines (one per stream, both owned by Run) apply under mu; readers get
// immutable snapshots, recomputed at most every viewTTL, each computed on a
// copy of the topology outside mu. Every method is safe for concurrent use.
type Fold struct {
	elog     *eventlog.Log
	log      zerolog.Logger
	obsSince time.Duration // observations older than this at start are not folded
	viewTTL  time.Duration

	mu      sync.Mutex // guards topo, recs, applied, view, viewAt, changed
	topo    *projections.Topology
	recs    *analysis.Recoveries
	applied map[string]uint64 // stream → last applied sequence
	view    *projections.View
	viewAt  time.Time
	changed chan struct{} // closed and replaced on every apply

	// viewing lets concurrent readers that find the cached view too old
	// share one computation (a view of 10,000 instances is ≈ 40 ms).
	viewing singleflight.Group
	// computes counts the views computed (tests; a burst of readers must
	// not compute one each).
	computes atomic.Uint64
	// skipped counts the records the fold skipped, by stream and reason
	// (regent_skipped_records_total on /metrics); firstSkip passes each
	// skipped record once, so that it is logged and counted once.
	skipped   *prometheus.CounterVec
	firstSkip func(eventlog.Skip) bool

	// gate admits the observations of the configured nodes only, each on
	// its own origin subject and not dated in the future; rejected counts
	// the others by reason, and loggedReject names the reasons logged
	// once already (under mu).
	gate         projections.OriginGate
	rejected     *prometheus.CounterVec
	loggedReject map[string]bool
	// maxEpoch is the highest lease epoch an admitted event carries (under
	// mu): a lease bucket re-created from nothing starts above it.
	maxEpoch uint64
	// names is ClusterOf's answer: every instance's cluster in the latest
	// view named (nameClusters, under namesMu).
	names   atomic.Pointer[clusterNames]
	namesMu sync.Mutex
	// touch holds the instances folded outcomes named, for the read path
	// (refresh.go; under mu).
	touch touchState
	// timeless folds records without the gate's time bounds (SetTimeless,
	// tests only: a transcript dated long before it was appended).
	timeless bool
}

// SetTimeless makes the fold admit records whatever their stored time (the
// origin checks stay): for tests that append a transcript spanning hours.
// Call it before Run.
func (a *Fold) SetTimeless() { a.timeless = true }

// NewFold folds with settings s the observations of nodes (every
// configured node's NodeID). The fold's counters (rejected observations,
// skipped records) are registered on reg when reg is not nil.
func NewFold(elog *eventlog.Log, s projections.Settings, nodes []string, reg prometheus.Registerer, logger zerolog.Logger) (*Fold, error) {
	topo, err := projections.NewTopology(s)
	if err != nil {
		return nil, fmt.Errorf("build topology projection: %w", err)
	}
	rejected := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "regent_observations_rejected_total",
		Help: "Records the fold refused: observations from unknown origins, on another node's subject, dated in the future, or in the wrong stream.",
	}, []string{"reason"})
	skipped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "regent_skipped_records_total",
		Help: "Records of REGENT_EVENTS and REGENT_OBS the fold skipped: not decodable, of an unknown kind, or a payload the fold refused.",
	}, []string{"stream", "reason"})
	if reg != nil {
		for _, c := range []prometheus.Collector{rejected, skipped} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("register the fold's counters: %w", err)
			}
		}
	}
	return &Fold{elog: elog, log: logger.With().Str(events.LogComponent, "fold").Logger(),
		obsSince: 2 * time.Minute, viewTTL: 50 * time.Millisecond,
		topo: topo, recs: analysis.NewRecoveries(), applied: map[string]uint64{}, changed: make(chan struct{}),
		skipped: skipped, firstSkip: eventlog.SkipOnce(),
		gate: projections.NewOriginGate(nodes), rejected: rejected, loggedReject: map[string]bool{}, touch: newTouchState()}, nil
}

// reject counts a record the gate refused and logs the first of each
// reason (a flood of forgeries must not flood the log). Called under mu.
func (a *Fold) reject(r eventlog.Record, reason string) {
	a.rejected.WithLabelValues(reason).Inc()
	if a.loggedReject[reason] {
		return
	}
	a.loggedReject[reason] = true
	a.log.Warn().Str(events.LogReason, reason).Str(events.LogEventID, r.Env.ID).Uint64(events.LogSeq, r.Sequence).
		Str(events.LogKind, r.Env.Kind.String()).Str("subject", r.Subject).Str("origin", r.Env.Origin).
		Msg("record refused by the fold (counted in regent_observations_rejected_total; later ones of this reason are not logged)")
}

// Run follows the event log from its start and the observations of the last
// obsSince, until ctx ends.
func (a *Fold) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return a.follow(gctx, eventlog.ReadOptions{Stream: events.EventsName})
	})
	g.Go(func() error {
		return a.follow(gctx, eventlog.ReadOptions{Stream: events.ObservationsName, Since: time.Now().Add(-a.obsSince)})
	})
	g.Go(func() error { a.nameLoop(gctx); return nil })
	err := g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (a *Fold) follow(ctx context.Context, o eventlog.ReadOptions) error {
	o.OnSkip = func(sk eventlog.Skip) {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.skip(sk)
		a.advance(sk.Stream, sk.Sequence)
	}
	return a.elog.Follow(ctx, o, func(r eventlog.Record) error {
		a.mu.Lock()
		defer a.mu.Unlock()
		stored := r.Stored
		if a.timeless {
			stored = time.Time{}
		}
		if reason := a.gate.Admit(r.Stream, r.Subject, stored, &r.Env); reason != projections.RejectNone {
			a.reject(r, reason)
			a.advance(r.Stream, r.Sequence)
			return nil
		}
		if err := a.topo.Apply(r.Sequence, r.Env); err != nil {
			// A payload this build cannot fold is skipped: the event stays
			// in the log for replay with a fixed build.
			a.skip(eventlog.Skip{Stream: r.Stream, Sequence: r.Sequence, Stored: r.Stored, Reason: eventlog.SkipPayload,
				Err: fmt.Errorf("%s %s (id %s): %w", r.Stream, r.Env.Kind, r.Env.ID, err)})
		}
		if r.Stream == events.EventsName {
			a.maxEpoch = max(a.maxEpoch, r.Env.Epoch)
			if err := a.recs.Apply(r.Sequence, r.Env); err != nil {
				a.skip(eventlog.Skip{Stream: r.Stream, Sequence: r.Sequence, Stored: r.Stored, Reason: eventlog.SkipPayload,
					Err: fmt.Errorf("%s %s (id %s) in the recovery fold: %w", r.Stream, r.Env.Kind, r.Env.ID, err)})
			}
			a.noteTouched(r.Env, r.Stored)
		}
		a.advance(r.Stream, r.Sequence)
		return nil
	})
}

// EpochFloor is the highest epoch recorded in the event log, read once the
// fold has caught up with the log (the lease's floor for a new bucket).
func (a *Fold) EpochFloor(ctx context.Context) (uint64, error) {
	if err := a.Barrier(ctx, a.elog); err != nil {
		return 0, fmt.Errorf("catch up with the event log: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.maxEpoch, nil
}

// skip logs and counts a record the fold skips, once per stream sequence.
// The fold goes on with the next record.
func (a *Fold) skip(sk eventlog.Skip) {
	if !a.firstSkip(sk) {
		return
	}
	a.skipped.WithLabelValues(sk.Stream, sk.Reason).Inc()
	a.log.Warn().Err(sk.Err).Str(events.LogStream, sk.Stream).Uint64(events.LogSeq, sk.Sequence).
		Str(events.LogReason, sk.Reason).Msg("skipped a record the fold cannot use; folding goes on")
}

// advance records stream's sequence seq as folded (a skipped one too, so
// that WaitApplied and Barrier pass it). mu is held.
func (a *Fold) advance(stream string, seq uint64) {
	a.applied[stream] = seq
	close(a.changed)
	a.changed = make(chan struct{})
}

// View returns a snapshot at most viewTTL old.
func (a *Fold) View() *projections.View { return a.ViewWithin(a.viewTTL) }

// ViewWithin returns a snapshot at most maxAge old: the cached one (which
// every View, Snapshot and FreshView refreshes) when it is young enough.
func (a *Fold) ViewWithin(maxAge time.Duration) *projections.View {
	a.mu.Lock()
	v, at := a.view, a.viewAt
	a.mu.Unlock()
	if v == nil || time.Since(at) > maxAge {
		shared, _, _ := a.viewing.Do("view", func() (any, error) {
			v, _ := a.computeView(time.Now(), false)
			return v, nil
		})
		v = shared.(*projections.View)
	}
	return v
}

// Snapshot returns a fresh view and a copy of the recovery fold, consistent
// with each other (for the recovery engine).
func (a *Fold) Snapshot() (*projections.View, *analysis.Recoveries) {
	return a.computeView(time.Now(), true)
}

// computeView takes a view as of now. Only the copy of the topology (and of
// the recovery fold, when recs) is made under the lock: the fold goes on
// while the view is computed on the copy (at 10,000 instances a copy takes
// ≈ 1/6 of a view). The cached view is replaced when this one is newer.
func (a *Fold) computeView(now time.Time, recs bool) (*projections.View, *analysis.Recoveries) {
	a.computes.Add(1)
	a.mu.Lock()
	topo := a.topo.Clone()
	var r *analysis.Recoveries
	if recs {
		r = a.recs.Clone()
	}
	a.mu.Unlock()
	v := topo.View(now)
	a.mu.Lock()
	if a.view == nil || now.After(a.viewAt) {
		a.view, a.viewAt = v, now
	}
	a.mu.Unlock()
	return v, r
}

// Recoveries returns a copy of the recovery fold (for the audit API).
func (a *Fold) Recoveries() *analysis.Recoveries {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.recs.Clone()
}

// Changed is closed on the next folded event.
func (a *Fold) Changed() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.changed
}

// FreshView returns a snapshot computed now (after a write the caller waited
// for).
func (a *Fold) FreshView() *projections.View {
	v, _ := a.computeView(time.Now(), false)
	a.nameClusters(v) // a discovery's new instances are named in their next observations
	return v
}

// WaitApplied blocks until stream's sequence seq has been folded.
func (a *Fold) WaitApplied(ctx context.Context, stream string, seq uint64) error {
	for {
		a.mu.Lock()
		done, ch := a.applied[stream] >= seq, a.changed
		a.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s sequence %d to be folded: %w", stream, seq, ctx.Err())
		case <-ch:
		}
	}
}

// Keys returns the instances the topology knows (for the probe scheduler).
func (a *Fold) Keys() []events.InstanceKey {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.topo.Keys()
}

// Inventory returns the instances to probe and those of scheduled that
// were forgotten, both as of now (for the probe scheduler).
func (a *Fold) Inventory(scheduled []events.InstanceKey) (keys, forgotten []events.InstanceKey) {
	a.mu.Lock()
	defer a.mu.Unlock()
	keys = a.topo.Keys()
	for _, k := range scheduled {
		if a.topo.Forgotten(k) {
			forgotten = append(forgotten, k)
		}
	}
	return keys, forgotten
}

// Barrier waits until everything stored in both streams when it was called
// has been folded: read-your-writes for the API.
func (a *Fold) Barrier(ctx context.Context, elog *eventlog.Log) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for _, stream := range []string{events.EventsName, events.ObservationsName} {
		seq, err := elog.StreamLastSeq(ctx, stream)
		if err != nil {
			return err
		}
		if err := a.WaitApplied(ctx, stream, seq); err != nil {
			return err
		}
	}
	return nil
}

// Cluster names of observations. The cluster an instance belongs to is a
// result of the fold (its primary's chain, aliases), not something a probe
// of one instance can see; the probes ask ClusterOf (probes.ClusterOf) when
// they build an observation's subject, and the fold keeps the answer fresh.
// This is one of the two places the projection's results flow back to the
// probes; the other is Touched (refresh.go): the instances an outcome named.
const (
	// clusterNamesEvery is how often Run renames the clusters.
	clusterNamesEvery = 500 * time.Millisecond
	// clusterNamesMaxAge bounds the age of the view names come from. A
	// view of 10,000 instances costs ≈ 0.1 core per view a second; a fresh
	// one every 500 ms was an eighth of a node's CPU. The recovery
	// engine's views refresh the cache too, and FreshView (after a
	// discovery) names at once.
	clusterNamesMaxAge = 2 * time.Second
)

// clusterNames is every instance's cluster in view.
type clusterNames struct {
	view *projections.View
	of   map[events.InstanceKey]string
}

// ClusterOf names the cluster k belongs to in the latest view named: "" for
// an instance no view has named yet.
func (a *Fold) ClusterOf(k events.InstanceKey) string {
	if n := a.names.Load(); n != nil {
		return n.of[k]
	}
	return ""
}

// nameLoop renames the clusters from a view at most clusterNamesMaxAge old
// every clusterNamesEvery, until ctx ends.
func (a *Fold) nameLoop(ctx context.Context) {
	t := time.NewTicker(clusterNamesEvery)
	defer t.Stop()
	for {
		a.nameClusters(a.ViewWithin(clusterNamesMaxAge))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// nameClusters takes ClusterOf's names from v, unless the names come from v
// or a newer view already. A view computed while an instance's state is
// momentarily incomplete can name no cluster for it: the last known name is
// kept rather than publishing under "_".
func (a *Fold) nameClusters(v *projections.View) {
	a.namesMu.Lock()
	defer a.namesMu.Unlock()
	prev := a.names.Load()
	if prev != nil && (prev.view == v || prev.view.Now().After(v.Now())) {
		return
	}
	of := make(map[events.InstanceKey]string, len(v.Instances()))
	for _, inst := range v.Instances() {
		c := inst.ClusterName
		if c == "" && prev != nil {
			c = prev.of[inst.Key]
		}
		of[inst.Key] = c
	}
	a.names.Store(&clusterNames{view: v, of: of})
}
