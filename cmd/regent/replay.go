package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"slices"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
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
	defer a.close()
	if f.verify {
		return verifyLog(ctx, e, f, a, tf)
	}
	p := newProgress(e.stderr)
	// The stream is read from --since (stream time); --until stops it.
	evts, err := a.readStream(ctx, events.EventsName, readOpts{since: tf.Since, until: tf.Until, progress: p})
	if err != nil {
		return 1, err
	}
	var obs []timeline.Item
	if f.observations || observationKind(tf.Kinds) {
		if obs, err = a.readStream(ctx, events.ObservationsName, readOpts{since: tf.Since, until: tf.Until, progress: p}); err != nil {
			return 1, err
		}
	}
	w := bufio.NewWriter(e.stdout)
	color := !f.noColor && !f.json && isTerminal(e.stdout) && e.getenv("NO_COLOR") == ""
	skips := slices.Clone(a.skipped)
	slices.SortStableFunc(skips, func(x, y eventlog.Skip) int { return x.Stored.Compare(y.Stored) })
	for _, it := range timeline.Merge(evts, obs) {
		if !tf.Match(it) {
			continue
		}
		// A skipped record is shown where it was stored.
		for len(skips) > 0 && !skips[0].Stored.After(it.Stored) {
			if err := writeSkip(w, skips[0], f.json); err != nil {
				return 1, err
			}
			skips = skips[1:]
		}
		if err := writeItem(w, it, f.json, color); err != nil {
			return 1, err
		}
	}
	for _, sk := range skips {
		if err := writeSkip(w, sk, f.json); err != nil {
			return 1, err
		}
	}
	if err := w.Flush(); err != nil {
		return 1, fmt.Errorf("write timeline: %w", err)
	}
	return 0, nil
}

// jsonItem is one --json line: the envelope's fields and where it is stored.
type jsonItem struct {
	Stream string    `json:"stream"`
	Seq    uint64    `json:"seq"`
	Stored time.Time `json:"stored"`
	events.Envelope
}

func writeItem(w *bufio.Writer, it timeline.Item, asJSON, color bool) error {
	if asJSON {
		b, err := json.Marshal(jsonItem{Stream: it.Stream, Seq: it.Seq, Stored: it.Stored, Envelope: it.Env})
		if err != nil {
			return fmt.Errorf("encode %s seq %d: %w", it.Stream, it.Seq, err)
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	_, err := fmt.Fprintln(w, timeline.Line(it, color))
	return err
}

// jsonSkip is the --json line of a skipped record.
type jsonSkip struct {
	Stream  string    `json:"stream"`
	Seq     uint64    `json:"seq"`
	Stored  time.Time `json:"stored"`
	Skipped string    `json:"skipped"` // the reason
	Error   string    `json:"error"`
}

// writeSkip shows a stored message that is not a valid event: its
// sequence, the reason and the error; the fold skipped it.
func writeSkip(w *bufio.Writer, sk eventlog.Skip, asJSON bool) error {
	if asJSON {
		b, err := json.Marshal(jsonSkip{Stream: sk.Stream, Seq: sk.Sequence, Stored: sk.Stored, Skipped: sk.Reason, Error: sk.Err.Error()})
		if err != nil {
			return fmt.Errorf("encode skipped %s seq %d: %w", sk.Stream, sk.Sequence, err)
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	_, err := fmt.Fprintf(w, "%s  SKIPPED %s\n", sk.Stored.UTC().Format(timeline.TimeLayout), sk)
	return err
}

// verifyLog re-derives the decisions the filter selects from the whole log
// (events from the start, every retained observation).
func verifyLog(ctx context.Context, e env, f replayFlags, a *auditLog, tf timeline.Filter) (int, error) {
	s, p, err := f.audit.settings()
	if err != nil {
		return 1, err
	}
	items, err := a.readBoth(ctx, time.Time{}, time.Time{}, newProgress(e.stderr))
	if err != nil {
		return 1, err
	}
	rep, err := timeline.Verify(items, timeline.VerifyOptions{Settings: s, Params: p, Slack: f.slack, Filter: tf})
	if err != nil {
		return 1, err
	}
	// Skipped records are reported, not failed: the nodes' folds skipped
	// them too, so the decisions are re-derived from what the nodes folded.
	for _, sk := range a.skipped {
		fmt.Fprintf(e.stdout, "skipped: %s\n", sk)
	}
	fmt.Fprint(e.stdout, rep.String())
	if len(rep.Mismatches) > 0 {
		return 1, nil
	}
	return 0, nil
}

func observationKind(ks []events.Kind) bool {
	for _, k := range ks {
		if k.IsObservation() {
			return true
		}
	}
	return false
}
