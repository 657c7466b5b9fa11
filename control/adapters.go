package control

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// FencedLog gives the actuators the event log with fencing semantics
// (actuators.AckLog): a conditional append that finds the cluster moved is
// actuators.ErrFenced.
type FencedLog struct{ Log *eventlog.Log }

var _ actuators.AckLog = FencedLog{}

func (a FencedLog) AppendCluster(ctx context.Context, env events.Envelope, expect uint64) (uint64, error) {
	seq, _, err := a.AppendClusterAck(ctx, env, expect)
	return seq, err
}

// AppendClusterAck reports a deduplicated append (the event id was already
// stored) as not stored: the engine runs a detection's hooks only on the
// node that stored it.
func (a FencedLog) AppendClusterAck(ctx context.Context, env events.Envelope, expect uint64) (uint64, bool, error) {
	ex := eventlog.ExpectClusterSeq(env.Cluster, expect)
	if expect == actuators.AnyPosition {
		ex = eventlog.NoExpect
	}
	ack, err := a.Log.Append(ctx, env, ex)
	if errors.Is(err, eventlog.ErrConflict) {
		return 0, false, fmt.Errorf("%w: %v", actuators.ErrFenced, err)
	}
	if err != nil {
		return 0, false, err
	}
	return ack.Sequence, !ack.Duplicate, nil
}

func (a FencedLog) LastClusterSeq(ctx context.Context, cluster string) (uint64, error) {
	return a.Log.LastClusterSeq(ctx, cluster)
}

// LeaseHolder answers the actuators' leadership questions from the lease.
type LeaseHolder struct{ L *eventlog.Lease }

func (a LeaseHolder) Leading() (uint64, bool) {
	info, _, held := a.L.Current()
	return info.Epoch, held
}

// Changed wakes the engine of a node that does not lead when that changes.
func (a LeaseHolder) Changed() <-chan struct{} { return a.L.Changed() }

func (a LeaseHolder) Holds(epoch uint64) bool {
	info, _, held := a.L.Current()
	return held && info.Epoch == epoch
}

// FoldViews gives the operator (Views) this node's fold: Barrier waits
// for everything stored in Log, the log the fold follows.
type FoldViews struct {
	Fold *Fold
	Log  *eventlog.Log
}

var _ Views = FoldViews{}

func (v FoldViews) FreshView() *projections.View      { return v.Fold.FreshView() }
func (v FoldViews) Recoveries() *analysis.Recoveries  { return v.Fold.Recoveries() }
func (v FoldViews) Barrier(ctx context.Context) error { return v.Fold.Barrier(ctx, v.Log) }

// WallClock is the actuators' clock: the time now.
type WallClock struct{}

// Now is time.Now.
func (WallClock) Now() time.Time { return time.Now() }
