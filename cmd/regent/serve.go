package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/regent-ha/regent/config"
)

// serveFlags are `regent serve`'s flags. Every config key can also be set
// with --set Key=Value (repeatable) or REGENT_<Key> in the environment.
type serveFlags struct {
	configs   multiFlag
	sets      multiFlag
	listen    string
	natsAddr  string
	dataDir   string
	logFormat string
	logLevel  string
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func parseServeFlags(e env) (serveFlags, map[string]string, error) {
	var f serveFlags
	fs := flag.NewFlagSet("regent serve", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Var(&f.configs, "config", "config file (repeatable; default: /etc/regent.conf.json, ./regent.conf.json, orchestrator.conf.json names)")
	fs.Var(&f.sets, "set", "set a config key: Key=Value (repeatable)")
	fs.StringVar(&f.listen, "listen", "", "HTTP listen address (ListenAddress)")
	fs.StringVar(&f.natsAddr, "nats-listen", "", "NATS client listen address (NATSListenAddress)")
	fs.StringVar(&f.dataDir, "data-dir", "", "data directory (RaftDataDir)")
	fs.StringVar(&f.logFormat, "log-format", "", "json, console or auto (LogFormat)")
	fs.StringVar(&f.logLevel, "log-level", "", "trace, debug, info, warn or error (LogLevel)")
	if err := fs.Parse(e.args); err != nil {
		return f, nil, err
	}
	if fs.NArg() > 0 {
		return f, nil, fmt.Errorf("regent serve: unexpected argument %q", fs.Arg(0))
	}
	overrides, err := parseSets(f.sets)
	if err != nil {
		return f, nil, fmt.Errorf("regent serve: %w", err)
	}
	for k, v := range map[string]string{"ListenAddress": f.listen, "NATSListenAddress": f.natsAddr,
		"RaftDataDir": f.dataDir, "LogFormat": f.logFormat, "LogLevel": f.logLevel} {
		if v != "" {
			overrides[k] = v
		}
	}
	return f, overrides, nil
}

func runServe(ctx context.Context, e env) int {
	f, overrides, err := parseServeFlags(e)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(e.stderr, err)
		return 2
	}
	opts := config.LoadOptions{Files: f.configs, Env: os.Environ(), Flags: overrides}
	cfg, report, err := loadConfig(opts)
	for _, w := range report.Warnings {
		fmt.Fprintln(e.stderr, "warning:", w.Message)
	}
	if err != nil {
		fmt.Fprintln(e.stderr, "regent serve: config:", err)
		return 1
	}
	if err := serveFiles(ctx, cfg, e, &opts); err != nil {
		fmt.Fprintln(e.stderr, "regent serve:", err)
		return 1
	}
	return 0
}

// serve runs a node until ctx ends. Every goroutine it starts is owned by
// the errgroup and has ended when it returns. The API listens from the
// start; the node's loops start once the streams exist (ensure).
func serve(ctx context.Context, cfg config.Config, e env) error {
	return serveFiles(ctx, cfg, e, nil)
}

// serveFiles is serve for a config loaded with files: SIGHUP and
// reload-configuration re-read them (nil: nothing to re-read).
func serveFiles(ctx context.Context, cfg config.Config, e env, files *config.LoadOptions) error {
	logger, err := newLogger(e.stderr, cfg.LogFormat, cfg.EffectiveLogLevel())
	if err != nil {
		return err
	}
	warnExposure(logger, cfg)
	start := time.Now()
	n, err := startNode(ctx, cfg, logger, version)
	if err != nil {
		return err
	}
	defer n.close()
	n.reload.files = files
	ln, err := net.Listen("tcp", cfg.ListenAddress)
	if err != nil {
		return fmt.Errorf("listen on ListenAddress %s: %w", cfg.ListenAddress, err)
	}
	return n.run(ctx, ln, start)
}

// run serves the API on ln and runs the node's loops until ctx ends.
func (n *node) run(ctx context.Context, ln net.Listener, start time.Time) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return n.api.Run(gctx, ln) })
	if n.reload.files != nil { // a config built in code (tests serving in-process) has nothing to re-read
		g.Go(func() error { return n.reload.Run(gctx) })
	}
	g.Go(func() error {
		// The API answers (not ready) while the streams are created.
		if err := n.ensure(gctx); err != nil {
			if gctx.Err() != nil {
				return nil // stopped while waiting for JetStream
			}
			return err
		}
		n.state.Ready()
		g.Go(func() error { return n.app.Run(gctx) })
		g.Go(func() error { return n.read.Run(gctx) })
		g.Go(func() error { return n.unseen.Run(gctx) })
		g.Go(func() error { return n.lease.Run(gctx) })
		g.Go(func() error { return n.engine.Run(gctx) })
		g.Go(func() error { return n.kv.Run(gctx) })
		if n.audit != nil {
			g.Go(func() error { return n.audit.Run(gctx) })
		}
		n.log.Info().Str("http", n.api.Scheme()+"://"+ln.Addr().String()).Str("nats", n.natsURL()).
			Dur("startup", time.Since(start)).Msg("regent node ready")
		return nil
	})
	err := g.Wait()
	n.log.Info().Msg("regent node stopping")
	if err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// warnExposure logs, loudly, an HTTP API reachable beyond this machine
// without authentication (config.HTTP.APIExposureWarning).
func warnExposure(logger zerolog.Logger, cfg config.Config) {
	if w := cfg.APIExposureWarning(); w != "" {
		logger.Warn().Msg("UNAUTHENTICATED API: " + w)
	}
}
