package main

import (
	"context"
	"time"

	"github.com/regent-ha/regent/control/audit"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/timeline"
)

// webHistory serves the web interface's "topology at" slider from this
// node's event log, as `regent topology --at` does: every event stored
// until the instant and the observations of audit.ObsLookback before it.
type webHistory struct {
	elog     *eventlog.Log
	settings projections.Settings
}

// ViewAt implements web.History.
func (h webHistory) ViewAt(ctx context.Context, at time.Time) (*projections.View, error) {
	items, err := audit.New(h.elog, func() {}).ReadAt(ctx, at, nil)
	if err != nil {
		return nil, err
	}
	st, err := timeline.Fold(items, h.settings, at)
	if err != nil {
		return nil, err
	}
	return st.Topology.View(at), nil
}
