package probes

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
)

// Appender appends inventory events to the event log. Declared here, wired
// by cmd/regent.
type Appender interface {
	Append(ctx context.Context, env events.Envelope) error
}

// Inventory is what discovery needs from the scheduler: a synchronous,
// de-duplicated probe and the set of probed instances. *Scheduler
// implements it.
type Inventory interface {
	ProbeNow(ctx context.Context, key events.InstanceKey) (events.InstanceObserved, error)
	Add(key events.InstanceKey) bool
	Has(key events.InstanceKey) bool
}

// How an instance was discovered (events.InstanceDiscovered.Via).
const (
	ViaAPI       = "api"
	ViaSeed      = "seed"
	ViaCrawlUp   = "crawl-up"
	ViaCrawlDown = "crawl-down"
)

// noticeQueue bounds the neighbours waiting for Run; more are dropped and
// found again by a later probe.
const noticeQueue = 1024

// Discoverer brings instances into the inventory: the one it is given, and
// every instance reachable from it by following sources (up) and replicas
// (down).
type Discoverer struct {
	inv       Inventory
	app       Appender
	clusterOf ClusterOf
	opts      Options
	clock     Clock
	log       zerolog.Logger

	notices chan events.InstanceObserved
}

// NewDiscoverer returns a Discoverer. clusterOf may be nil; clk nil means
// SystemClock.
func NewDiscoverer(inv Inventory, app Appender, clusterOf ClusterOf, opts Options, clk Clock, log zerolog.Logger) *Discoverer {
	if clusterOf == nil {
		clusterOf = func(events.InstanceKey) string { return "" }
	}
	if clk == nil {
		clk = SystemClock()
	}
	return &Discoverer{
		inv: inv, app: app, clusterOf: clusterOf, opts: opts.withDefaults(), clock: clk,
		log:     log.With().Str(events.LogComponent, "discovery").Logger(),
		notices: make(chan events.InstanceObserved, noticeQueue),
	}
}

// Discover is DiscoverVia(ctx, key, ViaAPI).
func (d *Discoverer) Discover(ctx context.Context, key events.InstanceKey) (events.InstanceObserved, error) {
	return d.DiscoverVia(ctx, key, ViaAPI)
}

// DiscoverVia probes key synchronously; a failure is returned as is (a
// *ProbeError, whose text is orchestrator's for the @@report_host rule) and
// nothing is recorded. An invalid key (events.InstanceKey.Validate) is
// refused before any probe. On success it appends InstanceDiscovered for the
// instance (under its resolved name) and schedules it, then crawls up and
// down from it, recording and scheduling every instance found — also those
// whose probe fails, since a live server named them — and returns when the
// crawl is done.
func (d *Discoverer) DiscoverVia(ctx context.Context, key events.InstanceKey, via string) (events.InstanceObserved, error) {
	if err := key.Validate(); err != nil {
		return events.InstanceObserved{}, fmt.Errorf("discover: %w", err)
	}
	if matchAny(d.opts.DiscoveryIgnoreHostnameFilters, key) {
		return events.InstanceObserved{}, fmt.Errorf("discover %s: %w", key, ErrIgnored)
	}
	obs, err := d.inv.ProbeNow(ctx, key)
	if err != nil {
		return obs, err
	}
	if err := d.record(ctx, obs.Key, via, events.InstanceKey{}); err != nil {
		return obs, err
	}
	c := d.newCrawl(key, obs.Key)
	c.visit(ctx, obs, 0)
	c.wg.Wait()
	return obs, nil
}

// record appends InstanceDiscovered and schedules key.
func (d *Discoverer) record(ctx context.Context, key events.InstanceKey, via string, from events.InstanceKey) error {
	env, err := events.New(events.KindInstanceDiscovered, d.clock.Now(), d.opts.NodeID,
		events.InstanceDiscovered{Key: key, Via: via, From: from})
	if err != nil {
		return fmt.Errorf("record discovery of %s: %w", key, err)
	}
	env.Instance, env.Cluster = key.String(), d.clusterOf(key)
	if err := d.app.Append(ctx, env); err != nil {
		return fmt.Errorf("record discovery of %s: %w", key, err)
	}
	d.inv.Add(key)
	return nil
}

// crawl is one bounded, de-duplicated, concurrent walk of a topology.
type crawl struct {
	d   *Discoverer
	sem chan struct{}
	wg  sync.WaitGroup

	mu    sync.Mutex // guards seen
	seen  map[events.InstanceKey]bool
	count int
}

func (d *Discoverer) newCrawl(keys ...events.InstanceKey) *crawl {
	c := &crawl{d: d, sem: make(chan struct{}, d.opts.DiscoveryConcurrency), seen: make(map[events.InstanceKey]bool)}
	for _, k := range keys {
		c.seen[k] = true
	}
	c.count = 1
	return c
}

// visit follows obs's source and replicas.
func (c *crawl) visit(ctx context.Context, obs events.InstanceObserved, depth int) {
	if src, ok := followableSource(obs); ok {
		c.follow(ctx, src, ViaCrawlUp, obs.Key, depth+1)
	}
	for _, k := range obs.Replicas {
		c.follow(ctx, k, ViaCrawlDown, obs.Key, depth+1)
	}
}

// follow probes and records key unless it was seen, is filtered out, or
// the crawl's bounds are reached.
func (c *crawl) follow(ctx context.Context, key events.InstanceKey, via string, from events.InstanceKey, depth int) {
	o := c.d.opts
	if err := key.Validate(); err != nil {
		c.d.log.Warn().Err(err).Str("from", from.String()).Str("via", via).Msg("crawl skips an invalid instance name")
		return
	}
	filters := o.DiscoveryIgnoreReplicaHostnameFilters
	if via == ViaCrawlUp {
		filters = o.DiscoveryIgnoreMasterHostnameFilters
	}
	if matchAny(o.DiscoveryIgnoreHostnameFilters, key) || matchAny(filters, key) {
		c.d.log.Debug().Str(events.LogInstance, key.String()).Str("via", via).Msg("discovery filter skips instance")
		return
	}
	c.mu.Lock()
	skip := c.seen[key] || depth > o.DiscoveryMaxDepth || c.count >= o.DiscoveryMaxInstances
	if !skip {
		c.seen[key] = true
		c.count++
	}
	c.mu.Unlock()
	if skip {
		return
	}
	c.wg.Go(func() {
		select {
		case c.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		obs, err := c.d.inv.ProbeNow(ctx, key)
		<-c.sem
		c.found(ctx, key, via, from, depth, obs, err)
	})
}

// found records one crawled instance and continues the crawl from it.
func (c *crawl) found(ctx context.Context, key events.InstanceKey, via string, from events.InstanceKey, depth int, obs events.InstanceObserved, err error) {
	name := key
	if err != nil {
		c.d.log.Warn().Err(err).Str(events.LogInstance, key.String()).Str("from", from.String()).Msg("probe of crawled instance failed; recording it anyway")
	} else {
		name = obs.Key
		c.mu.Lock()
		dup := name != key && c.seen[name]
		c.seen[name] = true
		c.mu.Unlock()
		if dup {
			return
		}
	}
	if rerr := c.d.record(ctx, name, via, from); rerr != nil {
		c.d.log.Error().Err(rerr).Str(events.LogInstance, name.String()).Msg("record crawled instance")
		return
	}
	if err == nil {
		c.visit(ctx, obs, depth)
	}
}

// followableSource is obs's source, unless it has none or it is detached:
// detach-replica turns the source host into "//host", which names no
// server (orchestrator's InstanceKey.IsValid is false for it), so it is
// never probed nor recorded; otherwise the unresolvable "//host" would be
// an unreachable primary whose replica agrees it is gone.
func followableSource(obs events.InstanceObserved) (events.InstanceKey, bool) {
	r := obs.Replication
	if r == nil || r.SourceKey.Hostname == "" || r.SourceKey.Port <= 0 || strings.HasPrefix(r.SourceKey.Hostname, "//") {
		return events.InstanceKey{}, false
	}
	return r.SourceKey, true
}

// Notice hands Run the neighbours of a fresh observation, so that a
// replica attached later to a known primary is discovered without a
// manual discover (orchestrator's continuous crawl). It never blocks: when
// Run lags behind, the notice is dropped and a later probe repeats it.
func (d *Discoverer) Notice(obs events.InstanceObserved) {
	if !d.hasUnknownNeighbour(obs) {
		return
	}
	select {
	case d.notices <- obs:
	default:
	}
}

func (d *Discoverer) hasUnknownNeighbour(obs events.InstanceObserved) bool {
	if src, ok := followableSource(obs); ok && !d.inv.Has(src) {
		return true
	}
	for _, k := range obs.Replicas {
		if !d.inv.Has(k) {
			return true
		}
	}
	return false
}

// Run crawls from noticed observations until ctx ends.
func (d *Discoverer) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case obs := <-d.notices:
			c := d.newCrawl(obs.Key)
			for k := range d.knownNeighbours(obs) {
				c.seen[k] = true
			}
			c.visit(ctx, obs, 0)
			c.wg.Wait()
		}
	}
}

// knownNeighbours are obs's neighbours already in the inventory: the
// continuous crawl only walks into new territory.
func (d *Discoverer) knownNeighbours(obs events.InstanceObserved) map[events.InstanceKey]bool {
	known := make(map[events.InstanceKey]bool)
	if r := obs.Replication; r != nil && d.inv.Has(r.SourceKey) {
		known[r.SourceKey] = true
	}
	for _, k := range obs.Replicas {
		if d.inv.Has(k) {
			known[k] = true
		}
	}
	return known
}

// matchAny reports whether key ("host:port") matches one of the filters.
func matchAny(filters []*regexp.Regexp, key events.InstanceKey) bool {
	s := key.String()
	for _, re := range filters {
		if re != nil && re.MatchString(s) {
			return true
		}
	}
	return false
}

// IsIgnored reports whether err is a Discover refusal by filter.
func IsIgnored(err error) bool { return errors.Is(err, ErrIgnored) }
