package main

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/control"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/probes"
	"github.com/regent-ha/regent/projections"
)

// readPath is the probe → log → projection → API path of one node: the
// prober and its scheduler, the discovery crawl, and the inventory the API
// changes.
type readPath struct {
	cfg      config.Config
	node     string
	elog     *eventlog.Log
	app      *control.Fold
	prober   *probes.Prober
	observer *probes.Observer
	sched    *probes.Scheduler
	disc     *probes.Discoverer
	watcher  *probes.Watcher
	log      zerolog.Logger
}

// projectionSettings maps the config onto the projection's plain settings.
func projectionSettings(cfg config.Config, nodes int) (projections.Settings, error) {
	s := projections.DefaultSettings()
	s.PollInterval = cfg.PollInterval()
	s.ReasonableReplicationLagSeconds = int64(cfg.ReasonableReplicationLagSeconds)
	s.ReasonableMaintenanceReplicationLagSeconds = int64(cfg.ReasonableMaintenanceReplicationLagSeconds)
	s.ClusterNameToAlias = cfg.ClusterNameToAlias
	s.DefaultInstancePort = cfg.DefaultInstancePort
	s.RecoverMasterClusterFilters = cfg.RecoverMasterClusterFilters
	s.RecoverIntermediateMasterClusterFilters = cfg.RecoverIntermediateMasterClusterFilters
	s.RemoveTextFromHostnameDisplay = cfg.RemoveTextFromHostnameDisplay
	s.Nodes = nodes
	// A node's failed probe is reported after the probe timeout, and failing
	// instances are probed again after deadProbeInterval: its latest report
	// stays its current view that long.
	s.FreshWindow = 2 * deadProbeInterval(cfg)
	var err error
	for _, p := range []struct {
		key string
		src string
		dst **regexp.Regexp
	}{{"DataCenterPattern", cfg.DataCenterPattern, &s.DataCenterPattern}, {"RegionPattern", cfg.RegionPattern, &s.RegionPattern},
		{"PhysicalEnvironmentPattern", cfg.PhysicalEnvironmentPattern, &s.PhysicalEnvironmentPattern}} {
		if p.src == "" {
			continue
		}
		if *p.dst, err = regexp.Compile(p.src); err != nil {
			return s, fmt.Errorf("%s: %w", p.key, err)
		}
	}
	if s.ProblemIgnoreHostnameFilters, err = compileAll("ProblemIgnoreHostnameFilters", cfg.ProblemIgnoreHostnameFilters); err != nil {
		return s, err
	}
	return s, nil
}

func compileAll(key string, pats []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(pats))
	for _, p := range pats {
		rx, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", key, p, err)
		}
		out = append(out, rx)
	}
	return out, nil
}

// deadProbeInterval caps the backoff of failing instances: two polls and a
// probe timeout.
func deadProbeInterval(cfg config.Config) time.Duration {
	return 2*cfg.PollInterval() + cfg.ProbeTimeout()
}

// probeOptions maps the config onto the probes' options.
func probeOptions(cfg config.Config, node string) (probes.Options, error) {
	conn := topologyConn(cfg)
	o := probes.Options{
		NodeID: node, User: conn.User, Password: conn.Password,
		ConnectTimeout:                 conn.ConnectTimeout,
		TLS:                            conn.TLS,
		ProbeTimeout:                   cfg.ProbeTimeout(),
		PollInterval:                   cfg.PollInterval(),
		DeadProbeInterval:              deadProbeInterval(cfg),
		MaxConcurrency:                 int(cfg.DiscoveryMaxConcurrency),
		HostnameResolveMethod:          cfg.HostnameResolveMethod,
		MySQLHostnameResolveMethod:     cfg.MySQLHostnameResolveMethod,
		HostnameResolveTTL:             time.Duration(cfg.ExpiryHostnameResolvesMinutes) * time.Minute,
		DefaultInstancePort:            cfg.DefaultInstancePort,
		DiscoverByShowSlaveHosts:       cfg.DiscoverByShowSlaveHosts,
		ReplicationLagQuery:            cfg.ReplicationLagQuery,
		DetectClusterAliasQuery:        cfg.DetectClusterAliasQuery,
		DetectClusterDomainQuery:       cfg.DetectClusterDomainQuery,
		DetectInstanceAliasQuery:       cfg.DetectInstanceAliasQuery,
		DetectDataCenterQuery:          cfg.DetectDataCenterQuery,
		DetectRegionQuery:              cfg.DetectRegionQuery,
		DetectPhysicalEnvironmentQuery: cfg.DetectPhysicalEnvironmentQuery,
		DetectPromotionRuleQuery:       cfg.DetectPromotionRuleQuery,
		DetectSemiSyncEnforcedQuery:    cfg.DetectSemiSyncEnforcedQuery,
	}
	if rt := cfg.MySQLDiscoveryReadTimeoutSeconds; rt > 0 {
		o.ReadTimeout = time.Duration(rt) * time.Second
	}
	var err error
	if o.DiscoveryIgnoreReplicaHostnameFilters, err = compileAll("DiscoveryIgnoreReplicaHostnameFilters", cfg.DiscoveryIgnoreReplicaHostnameFilters); err != nil {
		return o, err
	}
	if o.DiscoveryIgnoreMasterHostnameFilters, err = compileAll("DiscoveryIgnoreMasterHostnameFilters", cfg.DiscoveryIgnoreMasterHostnameFilters); err != nil {
		return o, err
	}
	if o.DiscoveryIgnoreHostnameFilters, err = compileAll("DiscoveryIgnoreHostnameFilters", cfg.DiscoveryIgnoreHostnameFilters); err != nil {
		return o, err
	}
	return o, nil
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

// newReadPath probes for node; the observations' subjects name the
// clusters app (the fold) names (control.Fold.ClusterOf).
func newReadPath(cfg config.Config, node string, elog *eventlog.Log, app *control.Fold, logger zerolog.Logger) (*readPath, error) {
	opts, err := probeOptions(cfg, node)
	if err != nil {
		return nil, err
	}
	rp := &readPath{cfg: cfg, node: node, elog: elog, app: app, log: logger.With().Str(events.LogComponent, "readpath").Logger()}
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
	rp.sched = probes.NewScheduler(rp.observer.Observe, opts, nil, logger, probes.WithEmergent(emergentOptions(cfg)))
	rp.watcher = probes.NewWatcher(rp.prober, rp.sched.Suspect, watchOptions(cfg), logger)
	disc = probes.NewDiscoverer(rp.sched, pub, clusterOf, opts, nil, logger)
	rp.disc = disc
	return rp, nil
}

// Run probes, crawls and keeps the scheduler in step with the inventory
// folded from the log (instances other nodes discovered are probed here
// too), until ctx ends.
func (rp *readPath) Run(ctx context.Context) error {
	defer rp.prober.Close()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return rp.sched.Run(gctx) })
	g.Go(func() error { return rp.disc.Run(gctx) })
	g.Go(func() error { return rp.watcher.Run(gctx) })
	g.Go(func() error {
		rp.seed(gctx)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			rp.reconcile()
			select {
			case <-gctx.Done():
				return nil
			case <-t.C:
			}
		}
	})
	err := g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// seed discovers DiscoverySeeds once at start (failures are logged).
func (rp *readPath) seed(ctx context.Context) {
	keys, bad := seedKeys(rp.cfg.DiscoverySeeds, rp.cfg.DefaultInstancePort)
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
func (rp *readPath) reconcile() {
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
func (rp *readPath) Discover(ctx context.Context, key events.InstanceKey, _ string) (*projections.Instance, error) {
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
func (rp *readPath) AsyncDiscover(ctx context.Context, key events.InstanceKey, who string) error {
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
func (rp *readPath) Forget(ctx context.Context, key events.InstanceKey, who string) error {
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
func (rp *readPath) ForgetCluster(ctx context.Context, name, who string) error {
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
