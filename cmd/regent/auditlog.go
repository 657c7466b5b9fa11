package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/control/audit"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// auditFlags are the connection and configuration flags of the audit
// commands (replay, topology --at, why).
type auditFlags struct {
	natsFlags
	dataDir string
}

// register adds the flags; --config and --set also give the projection
// and analysis settings the nodes decide with.
func (f *auditFlags) register(fs *flag.FlagSet) {
	f.natsFlags.register(fs, natsnode.RoleReader)
	fs.StringVar(&f.dataDir, "data-dir", "", "read offline from a stopped node's data directory (RaftDataDir) instead of --server")
}

// settings loads the config and maps it onto the projection settings and
// analysis parameters the nodes decide with.
func (f *auditFlags) settings() (projections.Settings, analysis.Params, error) {
	overrides, err := parseSets(f.sets)
	if err != nil {
		return projections.Settings{}, analysis.Params{}, err
	}
	cfg, _, err := config.Load(config.LoadOptions{Files: f.configs, Env: os.Environ(), Flags: overrides})
	if err != nil {
		return projections.Settings{}, analysis.Params{}, fmt.Errorf("load config: %w", err)
	}
	s, err := projectionSettings(cfg, len(cfg.PeerNames()))
	if err != nil {
		return s, analysis.Params{}, fmt.Errorf("load config: %w", err)
	}
	p, err := analysisParams(cfg)
	if err != nil {
		return s, p, fmt.Errorf("load config: %w", err)
	}
	return s, p, nil
}

// open connects to --server, or starts a private copy of --data-dir.
func (f *auditFlags) open(logger zerolog.Logger) (*audit.Log, error) {
	if f.dataDir != "" {
		off, err := natsnode.OpenOffline(f.dataDir, logger)
		if err != nil {
			return nil, err
		}
		elog, err := eventlog.New(off.Conn, logger, events.StreamOptions{})
		if err != nil {
			off.Close()
			return nil, err
		}
		return audit.New(elog, off.Close), nil
	}
	nc, err := f.connect("regent-audit", natsnode.RoleReader, false)
	if err != nil {
		return nil, err
	}
	elog, err := eventlog.New(nc, logger, events.StreamOptions{})
	if err != nil {
		nc.Close()
		return nil, err
	}
	return audit.New(elog, nc.Close), nil
}

// auditLogger logs warnings of the audit commands to stderr.
func auditLogger(w io.Writer) zerolog.Logger {
	return zerolog.New(zerolog.ConsoleWriter{Out: w, NoColor: !audit.IsTerminal(w)}).Level(zerolog.WarnLevel).With().Timestamp().Logger()
}
