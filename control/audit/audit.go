package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/timeline"
)

// Log is an open event log, online or offline, read by the audit commands.
type Log struct {
	elog  *eventlog.Log
	close func()
	// skipped are the stored messages the reads skipped (not valid
	// events), in the order read.
	skipped []eventlog.Skip
}

// New reads elog; close releases it (the connection, an offline copy).
func New(elog *eventlog.Log, close func()) *Log { return &Log{elog: elog, close: close} }

// Close releases the log.
func (a *Log) Close() { a.close() }

// Skipped are the records the reads so far skipped, in the order read.
func (a *Log) Skipped() []eventlog.Skip { return a.skipped }

// errStopRead ends a read early; it is not an error.
var errStopRead = errors.New("stop reading")

// ReadOptions select what ReadStream delivers: records stored from Since
// (zero: the start) until Until (zero: the end); Progress, when not nil,
// shows how far the read got.
type ReadOptions struct {
	Since, Until time.Time
	Progress     *Progress
}

// ErrIncomplete is returned by a read that ended before the last record
// its stream held when it started: what it read is not the history.
var ErrIncomplete = errors.New("the read ended before the stream's last record")

// ReadStream reads one stream into items, in stream order; the records it
// skips (not valid events) are kept for Skipped. A read that ends before
// the last record stored when it started (and before Until) is an error
// (ErrIncomplete), never a shorter history.
func (a *Log) ReadStream(ctx context.Context, stream string, o ReadOptions) ([]timeline.Item, error) {
	var items []timeline.Item
	last, err := a.elog.LastSeq(ctx, stream, ">")
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	if o.Progress != nil {
		total, err := a.elog.StreamLastSeq(ctx, stream)
		if err != nil {
			return nil, err
		}
		o.Progress.start(stream, total)
		defer o.Progress.done()
	}
	var seen uint64 // the last sequence read, a skipped record's too
	onSkip := func(sk eventlog.Skip) {
		seen = max(seen, sk.Sequence)
		if o.Until.IsZero() || !sk.Stored.After(o.Until) {
			a.skipped = append(a.skipped, sk)
		}
	}
	err = a.elog.Read(ctx, eventlog.ReadOptions{Stream: stream, Since: o.Since, OnSkip: onSkip}, func(r eventlog.Record) error {
		if !o.Until.IsZero() && r.Stored.After(o.Until) {
			return errStopRead
		}
		seen = max(seen, r.Sequence)
		items = append(items, timeline.Item{Stream: r.Stream, Seq: r.Sequence, Stored: r.Stored, Env: r.Env, Subject: r.Subject})
		if o.Progress != nil {
			o.Progress.at(r.Sequence)
		}
		return nil
	})
	switch {
	case errors.Is(err, errStopRead):
	case err != nil:
		return nil, fmt.Errorf("read %s: %w", stream, err)
	case seen < last && (o.Since.IsZero() || seen > 0):
		// A start time after every record reads nothing (seen 0): the
		// reader asked the stream.
		return nil, fmt.Errorf("read %s: ended at sequence %d of %d: %w", stream, seen, last, ErrIncomplete)
	}
	return items, nil
}

// ObsLookback is how much of the observation stream before an instant the
// time-travel readers (topology --at, why, the web's slider) fold: every
// instance's full observation is re-published well within it, so older
// observations change nothing.
const ObsLookback = 10 * time.Minute

// ReadAt reads what Regent knew at the instant at: every event stored until
// it and the observations of ObsLookback before it (ReadBoth).
func (a *Log) ReadAt(ctx context.Context, at time.Time, p *Progress) ([]timeline.Item, error) {
	return a.ReadBoth(ctx, at.Add(-ObsLookback), at, p)
}

// ReadBoth reads the events from the start and the observations from
// obsSince, both until until, and merges them, leaving out what the nodes'
// fold refuses (origin gate, without the nodes' list: any node's own
// subject, not future-dated, in its stream).
func (a *Log) ReadBoth(ctx context.Context, obsSince, until time.Time, p *Progress) ([]timeline.Item, error) {
	evts, err := a.ReadStream(ctx, events.EventsName, ReadOptions{Until: until, Progress: p})
	if err != nil {
		return nil, err
	}
	obs, err := a.ReadStream(ctx, events.ObservationsName, ReadOptions{Since: obsSince, Until: until, Progress: p})
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

// ReportSkips writes one line per skipped record to w, as cmd's warning
// (why, topology --at): what they show was folded without these records,
// as the nodes fold without them.
func (a *Log) ReportSkips(w io.Writer, cmd string) {
	for _, sk := range a.skipped {
		fmt.Fprintf(w, "%s: warning: %s\n", cmd, sk)
	}
}

// Progress shows how far a long read got, on a terminal only.
type Progress struct {
	w      io.Writer
	stream string
	total  uint64
	last   time.Time
	shown  bool
}

// NewProgress returns nil unless w is a terminal.
func NewProgress(w io.Writer) *Progress {
	if !IsTerminal(w) {
		return nil
	}
	return &Progress{w: w}
}

func (p *Progress) start(stream string, total uint64) {
	p.stream, p.total, p.last = stream, total, time.Now()
}

func (p *Progress) at(seq uint64) {
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

func (p *Progress) done() {
	if p.shown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.shown = false
	}
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// jsonItem is one --json line: the envelope's fields and where it is stored.
type jsonItem struct {
	Stream string    `json:"stream"`
	Seq    uint64    `json:"seq"`
	Stored time.Time `json:"stored"`
	events.Envelope
}

// WriteItem writes one item: a --json line, or the timeline line (colored
// with color).
func WriteItem(w *bufio.Writer, it timeline.Item, asJSON, color bool) error {
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

// WriteSkip shows a stored message that is not a valid event: its
// sequence, the reason and the error; the fold skipped it.
func WriteSkip(w *bufio.Writer, sk eventlog.Skip, asJSON bool) error {
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

// WriteTimeline writes the items match selects (in the order given) and
// the skipped records, each where it was stored, as WriteItem and
// WriteSkip do, then flushes.
func WriteTimeline(out io.Writer, items []timeline.Item, skipped []eventlog.Skip, match func(timeline.Item) bool, asJSON, color bool) error {
	w := bufio.NewWriter(out)
	skips := slices.Clone(skipped)
	slices.SortStableFunc(skips, func(x, y eventlog.Skip) int { return x.Stored.Compare(y.Stored) })
	for _, it := range items {
		if !match(it) {
			continue
		}
		for len(skips) > 0 && !skips[0].Stored.After(it.Stored) {
			if err := WriteSkip(w, skips[0], asJSON); err != nil {
				return err
			}
			skips = skips[1:]
		}
		if err := WriteItem(w, it, asJSON, color); err != nil {
			return err
		}
	}
	for _, sk := range skips {
		if err := WriteSkip(w, sk, asJSON); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write timeline: %w", err)
	}
	return nil
}
