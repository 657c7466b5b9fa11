package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators/shell"
	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/probes"
	"github.com/regent-ha/regent/projections"
)

// loadConfig is the one validation path of `regent serve` and `regent
// config check`: config.Load (every rule, located by file and line), then
// preflight. A config that check accepts, serve accepts.
func loadConfig(opts config.LoadOptions) (config.Config, config.Report, error) {
	cfg, report, err := config.Load(opts)
	if err != nil {
		return config.Config{}, report, err
	}
	if err := preflight(cfg); err != nil {
		return config.Config{}, report, err
	}
	return cfg, report, nil
}

// preflight builds, from the config alone, every part serve derives from
// it before it binds a port or starts NATS, with the same functions serve
// uses, and expands every hook and VIP command as a recovery would: the
// logger, the projection's settings and the analysis parameters
// (every regular expression and cluster filter), the prober and the
// actuators' MySQL connections (their TLS files), the API's HTTPS and the
// NATS TLS configurations, the route options of a cluster, and the API's
// routes (api.CheckRoutes). config.Load is meant to refuse all of these
// first, with the key and line; preflight is what guarantees it (TestPreflightAcceptsWhatLoadAccepts). Only the
// commands are checked here alone (the config package does not know the
// shell expander). It starts nothing and connects to nothing.
func preflight(cfg config.Config) error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	_, err := newLogger(io.Discard, cfg.LogFormat, cfg.EffectiveLogLevel())
	add(err)
	settings, err := projectionSettings(cfg, 1)
	add(err)
	if err == nil {
		_, err = projections.NewTopology(settings)
		add(err)
	}
	_, err = analysisParams(cfg)
	add(err)
	add(preflightProbes(cfg))
	add(preflightCommands(cfg))
	db, err := actuatorDB(cfg, zerolog.Nop())
	add(err)
	if db != nil {
		add(db.Close())
	}
	_, err = apiTLS(cfg)
	add(err)
	add(api.CheckRoutes(api.Options{ListenAddress: cfg.ListenAddress, URLPrefix: cfg.URLPrefix, StatusEndpoint: cfg.StatusEndpoint},
		cfg.DefaultInstancePort))
	if _, err := tlsConfig(cfg.NATSTLSCertFile, cfg.NATSTLSKeyFile, cfg.NATSTLSCAFile, !cfg.External()); err != nil {
		add(fmt.Errorf("NATSTLS*: %w", err))
	}
	if a := cfg.NATSListenAddress; cfg.NATSClientListener() && !cfg.External() {
		if _, _, err := config.SplitHostPort(a); err != nil {
			add(fmt.Errorf("NATSListenAddress %q: %w", a, err))
		}
	}
	if cfg.Clustered() && !cfg.External() {
		_, err = clusterOptions(cfg)
		add(err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("check config as serve builds it: %w", errors.Join(errs...))
	}
	return nil
}

func preflightProbes(cfg config.Config) error {
	opts, err := probeOptions(cfg, cfg.NodeID())
	if err != nil {
		return err
	}
	p, err := probes.NewProber(opts, zerolog.Nop())
	if err != nil {
		return err
	}
	return p.Close()
}

// preflightCommands expands every hook and VIP command the way a recovery
// will (actuators/shell.CheckCommand, CheckVIP): a placeholder the shell expander
// refuses in every run is a config error now, not a failed hook during a
// failover.
func preflightCommands(cfg config.Config) error {
	var errs []error
	lists := []struct {
		key  string
		cmds []string
	}{
		{"OnFailureDetectionProcesses", cfg.OnFailureDetectionProcesses}, {"PreGracefulTakeoverProcesses", cfg.PreGracefulTakeoverProcesses},
		{"PreFailoverProcesses", cfg.PreFailoverProcesses}, {"PostFailoverProcesses", cfg.PostFailoverProcesses},
		{"PostUnsuccessfulFailoverProcesses", cfg.PostUnsuccessfulFailoverProcesses}, {"PostMasterFailoverProcesses", cfg.PostMasterFailoverProcesses},
		{"PostIntermediateMasterFailoverProcesses", cfg.PostIntermediateMasterFailoverProcesses}, {"PostGracefulTakeoverProcesses", cfg.PostGracefulTakeoverProcesses},
	}
	for _, p := range shell.CheckVIP(vipOptions(cfg, zerolog.Nop())) {
		errs = append(errs, fmt.Errorf("key %q: %w", "VIP"+p.Option, p.Err))
	}
	for _, l := range lists {
		for i, c := range l.cmds {
			if err := shell.CheckCommand(cfg.ProcessesShellCommand, c); err != nil {
				errs = append(errs, fmt.Errorf("key %q: command %d %q: %w", l.key, i+1, c, err))
			}
		}
	}
	return errors.Join(errs...)
}
