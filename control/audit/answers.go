package audit

import (
	"context"
	"io"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/timeline"
)

// The answers of the audit commands about an instant, read from the log
// (ReadAt: every event stored until the instant and the observations of
// ObsLookback before it) and folded as the nodes fold them. The records a
// read skips stay in Skipped for the caller to report.

// TopologyAt is `regent topology --at`: the topology of the cluster hint
// names (name, alias or an instance of it) as Regent believed it at at, in
// the format of `topology` (`topology-tabulated` with tabulated).
func (a *Log) TopologyAt(ctx context.Context, s projections.Settings, at time.Time, hint string, tabulated bool, p *Progress) (string, error) {
	items, err := a.ReadAt(ctx, at, p)
	if err != nil {
		return "", err
	}
	_, text, err := timeline.TopologyAt(items, s, at, hint, tabulated)
	return text, err
}

// WhyRecovery is `regent why RECOVERY-ID`: the recovery's story from the
// whole event stream.
func (a *Log) WhyRecovery(ctx context.Context, id string, p *Progress) (string, error) {
	items, err := a.ReadStream(ctx, events.EventsName, ReadOptions{Progress: p})
	if err != nil {
		return "", err
	}
	t, err := timeline.FindRecovery(items, id)
	if err != nil {
		return "", err
	}
	return timeline.ExplainRecovery(t), nil
}

// WhyCluster is `regent why --cluster`: what happened on the cluster (or
// why nothing did) in the window before at. The cluster is resolved as
// the API does, as of the instant; a hint the view does not know is taken
// as a cluster name.
func (a *Log) WhyCluster(ctx context.Context, s projections.Settings, cluster string, at time.Time, window time.Duration, p *Progress) (string, error) {
	items, err := a.ReadAt(ctx, at, p)
	if err != nil {
		return "", err
	}
	st, err := timeline.Fold(items, s, at)
	if err != nil {
		return "", err
	}
	if name, err := st.Topology.View(at).ResolveCluster(cluster); err == nil {
		cluster = name
	}
	return timeline.WhyAt(st.Recoveries, cluster, at, window), nil
}

// Replay is `regent replay`: the events stored in f's window (stream time:
// read from f.Since, stopped at f.Until), with the observations when
// withObservations or when f needs them, merged in time order and written
// to w as f selects them (JSON lines with asJSON), then the records no node
// could fold (WriteTimeline).
func (a *Log) Replay(ctx context.Context, w io.Writer, f timeline.Filter, withObservations, asJSON, color bool, p *Progress) error {
	evts, err := a.ReadStream(ctx, events.EventsName, ReadOptions{Since: f.Since, Until: f.Until, Progress: p})
	if err != nil {
		return err
	}
	var obs []timeline.Item
	if withObservations || f.WantsObservations() {
		if obs, err = a.ReadStream(ctx, events.ObservationsName, ReadOptions{Since: f.Since, Until: f.Until, Progress: p}); err != nil {
			return err
		}
	}
	return WriteTimeline(w, timeline.Merge(evts, obs), a.Skipped(), f.Match, asJSON, color)
}

// Verify is `regent replay --verify`: the decisions o.Filter selects,
// re-derived from the whole log (events from the start, every retained
// observation). The records the read skipped stay in Skipped, reported
// rather than failed: the nodes' folds skipped them too, so the decisions
// are re-derived from what the nodes folded.
func (a *Log) Verify(ctx context.Context, o timeline.VerifyOptions, p *Progress) (timeline.Report, error) {
	items, err := a.ReadBoth(ctx, time.Time{}, time.Time{}, p)
	if err != nil {
		return timeline.Report{}, err
	}
	return timeline.Verify(items, o)
}

// History serves the web interface's "topology at" slider (web.History)
// from a node's event log, as `regent topology --at` does. Safe for
// concurrent use: every call reads the log anew.
type History struct {
	Log      *eventlog.Log
	Settings projections.Settings
}

// ViewAt is the view of every cluster as the log had it at at.
func (h History) ViewAt(ctx context.Context, at time.Time) (*projections.View, error) {
	items, err := New(h.Log, func() {}).ReadAt(ctx, at, nil)
	if err != nil {
		return nil, err
	}
	st, err := timeline.Fold(items, h.Settings, at)
	if err != nil {
		return nil, err
	}
	return st.Topology.View(at), nil
}
