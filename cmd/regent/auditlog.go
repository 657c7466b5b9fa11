package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
	"github.com/regent-ha/regent/projections/timeline"
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
	nodes := 1
	if peers, err := cfg.RaftPeers(); err == nil && len(peers) > 0 {
		nodes = len(peers)
	}
	s, err := projectionSettings(cfg, nodes)
	if err != nil {
		return s, analysis.Params{}, fmt.Errorf("load config: %w", err)
	}
	p, err := analysisParams(cfg)
	if err != nil {
		return s, p, fmt.Errorf("load config: %w", err)
	}
	return s, p, nil
}

// auditLog is an open event log, online or offline.
type auditLog struct {
	elog  *eventlog.Log
	close func()
	// skipped are the stored messages the reads skipped (not valid
	// events), in the order read.
	skipped []eventlog.Skip
}

// open connects to --server, or starts a private copy of --data-dir.
func (f *auditFlags) open(logger zerolog.Logger) (*auditLog, error) {
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
		return &auditLog{elog: elog, close: off.Close}, nil
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
	return &auditLog{elog: elog, close: nc.Close}, nil
}

// errStopRead ends a read early; it is not an error.
var errStopRead = errors.New("stop reading")

// readOpts select what readStream delivers: records stored from since (zero:
// the start) until until (zero: the end).
type readOpts struct {
	since, until time.Time
	progress     *progress
}

// readStream reads one stream into items, in stream order.
func (a *auditLog) readStream(ctx context.Context, stream string, o readOpts) ([]timeline.Item, error) {
	var items []timeline.Item
	if o.progress != nil {
		total, err := a.elog.StreamLastSeq(ctx, stream)
		if err != nil {
			return nil, err
		}
		o.progress.start(stream, total)
		defer o.progress.done()
	}
	onSkip := func(sk eventlog.Skip) {
		if o.until.IsZero() || !sk.Stored.After(o.until) {
			a.skipped = append(a.skipped, sk)
		}
	}
	err := a.elog.Read(ctx, eventlog.ReadOptions{Stream: stream, Since: o.since, OnSkip: onSkip}, func(r eventlog.Record) error {
		if !o.until.IsZero() && r.Stored.After(o.until) {
			return errStopRead
		}
		items = append(items, timeline.Item{Stream: r.Stream, Seq: r.Sequence, Stored: r.Stored, Env: r.Env, Subject: r.Subject})
		if o.progress != nil {
			o.progress.at(r.Sequence)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStopRead) {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	return items, nil
}

// readBoth reads the events from the start and the observations from
// obsSince, both until until, and merges them, leaving out what the nodes'
// fold refuses (origin gate, without the nodes' list: any node's own
// subject, not future-dated, in its stream).
func (a *auditLog) readBoth(ctx context.Context, obsSince, until time.Time, p *progress) ([]timeline.Item, error) {
	evts, err := a.readStream(ctx, events.EventsName, readOpts{until: until, progress: p})
	if err != nil {
		return nil, err
	}
	obs, err := a.readStream(ctx, events.ObservationsName, readOpts{since: obsSince, until: until, progress: p})
	if err != nil {
		return nil, err
	}
	gate := projections.NewOriginGate(nil)
	return timeline.Merge(admitted(gate, evts), admitted(gate, obs)), nil
}

// admitted filters items in place: those gate admits.
func admitted(gate projections.OriginGate, items []timeline.Item) []timeline.Item {
	out := items[:0]
	for _, it := range items {
		if gate.Admit(it.Stream, it.Subject, it.Stored, &it.Env) == projections.RejectNone {
			out = append(out, it)
		}
	}
	return out
}

// reportSkips writes one line per skipped record to w, as cmd's warning
// (why, topology --at): what they show was folded without these records,
// as the nodes fold without them.
func (a *auditLog) reportSkips(w io.Writer, cmd string) {
	for _, sk := range a.skipped {
		fmt.Fprintf(w, "%s: warning: %s\n", cmd, sk)
	}
}

// progress shows how far a long read got, on a terminal only.
type progress struct {
	w      io.Writer
	stream string
	total  uint64
	last   time.Time
	shown  bool
}

// newProgress returns nil unless w is a terminal.
func newProgress(w io.Writer) *progress {
	if !isTerminal(w) {
		return nil
	}
	return &progress{w: w}
}

func (p *progress) start(stream string, total uint64) {
	p.stream, p.total, p.last = stream, total, time.Now()
}

func (p *progress) at(seq uint64) {
	if time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last, p.shown = time.Now(), true
	pct := 100.0
	if p.total > 0 {
		pct = float64(seq) * 100 / float64(p.total)
	}
	fmt.Fprintf(p.w, "\rreading %s: %d/%d (%.0f%%)\x1b[K", p.stream, seq, p.total, pct)
}

func (p *progress) done() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// auditLogger logs warnings of the audit commands to stderr.
func auditLogger(w io.Writer) zerolog.Logger {
	return zerolog.New(zerolog.ConsoleWriter{Out: w, NoColor: !isTerminal(w)}).Level(zerolog.WarnLevel).With().Timestamp().Logger()
}
