package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/regent-ha/regent/control/audit"
	"github.com/regent-ha/regent/projections/timeline"
)

// replayFlags are `regent replay`'s flags.
type replayFlags struct {
	audit        auditFlags
	cluster      string
	instance     string
	kinds        multiFlag
	since, until string
	observations bool
	json         bool
	verify       bool
	slack        time.Duration
	noColor      bool
}

func parseReplayFlags(e env) (replayFlags, error) {
	var f replayFlags
	fs := flag.NewFlagSet("regent replay", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	f.audit.register(fs)
	fs.StringVar(&f.cluster, "cluster", "", "only events of this cluster (name, alias, or the instance an event without a cluster names)")
	fs.StringVar(&f.instance, "instance", "", "only events about this instance (host:port)")
	fs.Var(&f.kinds, "kind", "only events of this kind, e.g. failure-detected (repeatable, or comma-separated)")
	fs.StringVar(&f.since, "since", "", "only events stored since: RFC 3339 or a duration ago (2h, 10m)")
	fs.StringVar(&f.until, "until", "", "only events stored until: RFC 3339 or a duration ago")
	fs.BoolVar(&f.observations, "observations", false, "include the observation stream (REGENT_OBS)")
	fs.BoolVar(&f.json, "json", false, "one JSON line per event: the envelope with its stream and sequence")
	fs.BoolVar(&f.verify, "verify", false, "re-derive every recorded decision with this build's projection and analysis code")
	fs.DurationVar(&f.slack, "verify-slack", 500*time.Millisecond, "how far before a decision --verify may cut the log (the deciding node's fold lag)")
	fs.BoolVar(&f.noColor, "no-color", false, "no colours, even on a terminal")
	if err := fs.Parse(e.args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("regent replay: unexpected argument %q", fs.Arg(0))
	}
	return f, nil
}

// filter turns the flags into a timeline filter, relative to now.
func (f *replayFlags) filter(now time.Time) (timeline.Filter, error) {
	tf := timeline.Filter{Cluster: f.cluster, Instance: f.instance}
	var err error
	if tf.Kinds, err = timeline.ParseKinds(f.kinds); err != nil {
		return tf, err
	}
	if f.since != "" {
		if tf.Since, err = timeline.ParseTime(f.since, now); err != nil {
			return tf, fmt.Errorf("--since: %w", err)
		}
	}
	if f.until != "" {
		if tf.Until, err = timeline.ParseTime(f.until, now); err != nil {
			return tf, fmt.Errorf("--until: %w", err)
		}
	}
	return tf, nil
}

func runReplay(ctx context.Context, e env) int {
	f, err := parseReplayFlags(e)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(e.stderr, err)
		return 2
	}
	tf, err := f.filter(time.Now())
	if err != nil {
		fmt.Fprintln(e.stderr, "regent replay:", err)
		return 2
	}
	code, err := replay(ctx, e, f, tf)
	if err != nil {
		fmt.Fprintln(e.stderr, "regent replay:", err)
		return 1
	}
	return code
}

func replay(ctx context.Context, e env, f replayFlags, tf timeline.Filter) (int, error) {
	a, err := f.audit.open(auditLogger(e.stderr))
	if err != nil {
		return 1, err
	}
	defer a.Close()
	if f.verify {
		return verifyLog(ctx, e, f, a, tf)
	}
	color := !f.noColor && !f.json && audit.IsTerminal(e.stdout) && e.getenv("NO_COLOR") == ""
	if err := a.Replay(ctx, e.stdout, tf, f.observations, f.json, color, audit.NewProgress(e.stderr)); err != nil {
		return 1, err
	}
	return 0, nil
}

// verifyLog re-derives the decisions the filter selects (audit.Log.Verify)
// and prints the skipped records and the report.
func verifyLog(ctx context.Context, e env, f replayFlags, a *audit.Log, tf timeline.Filter) (int, error) {
	s, p, err := f.audit.settings()
	if err != nil {
		return 1, err
	}
	rep, err := a.Verify(ctx, timeline.VerifyOptions{Settings: s, Params: p, Slack: f.slack, Filter: tf}, audit.NewProgress(e.stderr))
	if err != nil {
		return 1, err
	}
	for _, sk := range a.Skipped() {
		fmt.Fprintf(e.stdout, "skipped: %s\n", sk)
	}
	fmt.Fprint(e.stdout, rep.String())
	if len(rep.Mismatches) > 0 {
		return 1, nil
	}
	return 0, nil
}
