package main

import (
	"fmt"
	"regexp"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/control"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/probes"
	"github.com/regent-ha/regent/projections"
)

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
	// instances are probed again after probes.DeadProbeInterval: its latest
	// report stays its current view that long.
	s.FreshWindow = 2 * probes.DeadProbeInterval(cfg.PollInterval(), cfg.ProbeTimeout())
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

// probeOptions maps the config onto the probes' options.
func probeOptions(cfg config.Config, node string) (probes.Options, error) {
	conn := topologyConn(cfg)
	o := probes.Options{
		NodeID: node, User: conn.User, Password: conn.Password,
		ConnectTimeout:                 conn.ConnectTimeout,
		ConnectionLifetime:             conn.ConnectionLifetime,
		TLS:                            conn.TLS,
		ProbeTimeout:                   cfg.ProbeTimeout(),
		PollInterval:                   cfg.PollInterval(),
		DeadProbeInterval:              probes.DeadProbeInterval(cfg.PollInterval(), cfg.ProbeTimeout()),
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

// newReadPath maps the config onto node's read path (control.ReadPath).
func newReadPath(cfg config.Config, node string, elog *eventlog.Log, app *control.Fold, logger zerolog.Logger) (*control.ReadPath, error) {
	opts, err := probeOptions(cfg, node)
	if err != nil {
		return nil, err
	}
	return control.NewReadPath(control.ReadPathOptions{Probe: opts, Seeds: cfg.DiscoverySeeds, DefaultPort: cfg.DefaultInstancePort,
		Watch:    probes.WatchFor(cfg.PollInterval(), cfg.ProbeTimeout()),
		Emergent: probes.EmergentFor(time.Duration(cfg.ReplicationStallMilliseconds)*time.Millisecond, cfg.ProbeTimeout())},
		elog, app, logger)
}
