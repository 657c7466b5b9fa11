package control

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/probes"
	"github.com/regent-ha/regent/projections"
)

// ReadPath is the probe → log → projection → API path of one node: the
// prober and its scheduler, the discovery crawl, the primaries' watches,
// and the inventory the API changes (api.Inventory). Run owns the
// goroutines of the scheduler, the crawler, the watcher and the reconcile
// loop; the API's methods are safe for concurrent use.
type ReadPath struct {
	opts     ReadPathOptions
	node     string
	elog     *eventlog.Log
	app      *Fold
	prober   *probes.Prober
	observer *probes.Observer
	sched    *probes.Scheduler
	disc     *probes.Discoverer
	watcher  *probes.Watcher
	log      zerolog.Logger
}

// logPublisher publishes observations and appends inventory events.
type logPublisher struct{ elog *eventlog.Log }

func (p logPublisher) Publish(ctx context.Context, env events.Envelope) error {
	_, err := p.elog.Append(ctx, env, eventlog.NoExpect)
	return err
}

func (p logPublisher) Append(ctx context.Context, env events.Envelope) error {
	_, err := p.elog.Append(ctx, env, eventlog.NoExpect)
	return err
}

// ReadPathOptions are a read path's settings, mapped from the config by
// the caller.
type ReadPathOptions struct {
	// Probe are the probes' options; Probe.NodeID is this node.
	Probe    probes.Options
	Emergent probes.EmergentOptions
	Watch    probes.WatchOptions
	// Refresh bounds the re-probes of the instances an outcome changed
	// (zero: probes.RefreshOptions' defaults).
	Refresh probes.RefreshOptions
	// Seeds are DiscoverySeeds ("host:port" or "host"), discovered once
	// at start; DefaultPort completes them.
	Seeds       []string
	DefaultPort int
}

// NewReadPath probes for opts.Probe.NodeID; the observations' subjects
// name the clusters app (the fold) names (Fold.ClusterOf). app may be nil
// (tests of the seeds): subjects then name no cluster.
func NewReadPath(o ReadPathOptions, elog *eventlog.Log, app *Fold, logger zerolog.Logger) (*ReadPath, error) {
	opts := o.Probe
	rp := &ReadPath{opts: o, node: opts.NodeID, elog: elog, app: app, log: logger.With().Str(events.LogComponent, "readpath").Logger()}
	var err error
	if rp.prober, err = probes.NewProber(opts, logger); err != nil {
		return nil, fmt.Errorf("build prober: %w", err)
	}
	pub := logPublisher{elog}
	var disc *probes.Discoverer
	var clusterOf probes.ClusterOf
	if app != nil {
		clusterOf = app.ClusterOf
	}
	rp.observer = probes.NewObserver(rp.prober.Probe, pub, clusterOf, opts, nil, logger,
		probes.WithObservedHook(func(o events.InstanceObserved) { disc.Notice(o) }))
	rp.sched = probes.NewScheduler(rp.observer.Observe, opts, nil, logger, probes.WithEmergent(o.Emergent), probes.WithRefresh(o.Refresh))
	rp.watcher = probes.NewWatcher(rp.prober, rp.sched.Suspect, o.Watch, logger)
	disc = probes.NewDiscoverer(rp.sched, pub, clusterOf, opts, nil, logger)
	rp.disc = disc
	return rp, nil
}

// Close closes the prober's MySQL pools (Run closes them too when it
// ends; a read path that never ran is closed by its owner).
func (rp *ReadPath) Close() error { return rp.prober.Close() }

// Run probes, crawls and keeps the scheduler in step with the inventory
// folded from the log (instances other nodes discovered are probed here
// too), until ctx ends.
func (rp *ReadPath) Run(ctx context.Context) error {
	defer rp.prober.Close()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return rp.sched.Run(gctx) })
	g.Go(func() error { return rp.disc.Run(gctx) })
	g.Go(func() error { return rp.watcher.Run(gctx) })
	g.Go(func() error {
		rp.seed(gctx)
		rp.follow(gctx)
		return nil
	})
	err := g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// follow keeps the scheduler in step with the fold until ctx ends: the
// inventory every 500 ms, and the instances a folded outcome changed
// (Fold.Touched) re-probed at once.
func (rp *ReadPath) follow(ctx context.Context) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	var touched <-chan struct{} // nil without a fold (tests of the seeds)
	if rp.app != nil {
		touched = rp.app.Touched()
	}
	rp.reconcile()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rp.reconcile()
		case <-touched:
			rp.refresh()
		}
	}
}

// refresh re-probes the instances folded outcomes named.
func (rp *ReadPath) refresh() {
	keys := rp.app.TakeTouched()
	rp.sched.Refresh(keys)
	rp.log.Debug().Int("instances", len(keys)).Msg("re-probing the instances an outcome changed")
}

// seed discovers DiscoverySeeds once at start (failures are logged).
func (rp *ReadPath) seed(ctx context.Context) {
	keys, bad := seedKeys(rp.opts.Seeds, rp.opts.DefaultPort)
	for _, err := range bad {
		rp.log.Warn().Err(err).Msg("bad DiscoverySeeds entry")
	}
	for _, k := range keys {
		if _, err := rp.disc.DiscoverVia(ctx, k, probes.ViaSeed); err != nil {
			rp.log.Warn().Err(err).Str(events.LogInstance, k.String()).Msg("discover seed")
		}
	}
}

// seedKeys parses DiscoverySeeds ("host:port" or "host", defaultPort),
// once each in the order given; entries that do not parse are returned as
// errors.
func seedKeys(seeds []string, defaultPort int) (keys []events.InstanceKey, bad []error) {
	seen := map[events.InstanceKey]bool{}
	for _, s := range seeds {
		k, err := projections.ParseInstanceKey(s, defaultPort)
		if err != nil {
			bad = append(bad, fmt.Errorf("DiscoverySeeds %q: %w", s, err))
			continue
		}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys, bad
}

// reconcile adds instances the log knows to the scheduler and removes
// forgotten ones.
func (rp *ReadPath) reconcile() {
	keys, forgotten := rp.app.Inventory(rp.sched.Keys())
	for _, k := range keys {
		rp.sched.Add(k)
	}
	for _, k := range forgotten {
		rp.sched.Remove(k)
		rp.observer.Forget(k)
		rp.prober.Forget(k)
	}
	rp.watcher.Set(rp.sched.Sources())
}

// Discover implements api.Inventory: probe, record, crawl, then wait until
// this node's view shows what was written.
func (rp *ReadPath) Discover(ctx context.Context, key events.InstanceKey, _ string) (*projections.Instance, error) {
	obs, err := rp.disc.Discover(ctx, key)
	if err != nil {
		return nil, err
	}
	if err := rp.app.Barrier(ctx, rp.elog); err != nil {
		return nil, err
	}
	v := rp.app.FreshView() // names the new instances' cluster in their next observations
	rp.reconcile()
	inst, ok := v.Instance(obs.Key)
	if !ok {
		return nil, fmt.Errorf("discover %s: probed and recorded, but not in the topology view", obs.Key)
	}
	return inst, nil
}

// AsyncDiscover starts a discovery in the background of the discovery
// crawler: it schedules the instance; the crawl follows its neighbours.
func (rp *ReadPath) AsyncDiscover(ctx context.Context, key events.InstanceKey, who string) error {
	env, err := events.New(events.KindInstanceDiscovered, time.Now(), rp.node, events.InstanceDiscovered{Key: key, Via: probes.ViaAPI})
	if err != nil {
		return err
	}
	env.Instance = key.String()
	if _, err := rp.elog.Append(ctx, env, eventlog.NoExpect); err != nil {
		return fmt.Errorf("async-discover %s: %w", key, err)
	}
	rp.sched.Add(key)
	return nil
}

// Forget records that key is no longer watched.
func (rp *ReadPath) Forget(ctx context.Context, key events.InstanceKey, who string) error {
	env, err := events.New(events.KindInstanceForgotten, time.Now(), rp.node, events.InstanceForgotten{Key: key, Reason: "api by " + who})
	if err != nil {
		return err
	}
	env.Instance, env.Cluster = key.String(), rp.app.ClusterOf(key)
	if _, err := rp.elog.Append(ctx, env, eventlog.NoExpect); err != nil {
		return fmt.Errorf("forget %s: %w", key, err)
	}
	return rp.app.Barrier(ctx, rp.elog)
}

// ForgetCluster records that every instance of the cluster is forgotten.
func (rp *ReadPath) ForgetCluster(ctx context.Context, name, who string) error {
	env, err := events.New(events.KindClusterForgotten, time.Now(), rp.node, events.ClusterForgotten{ClusterName: name})
	if err != nil {
		return err
	}
	env.Cluster = name
	if _, err := rp.elog.Append(ctx, env, eventlog.NoExpect); err != nil {
		return fmt.Errorf("forget cluster %s: %w", name, err)
	}
	return rp.app.Barrier(ctx, rp.elog)
}
