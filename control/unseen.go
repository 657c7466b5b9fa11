package control

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/projections"
)

// UnseenCheckInterval is how often the leader looks for instances to forget
// under UnseenInstanceForgetHours (a setting in hours).
const UnseenCheckInterval = time.Minute

// UnseenForgetReason is the Reason of the InstanceForgotten events that
// UnseenInstanceForgetHours appends.
const UnseenForgetReason = "unseen"

// ForgetUnseen is the leader's decision to forget the instances with no
// successful observation for Hours (orchestrator's
// UnseenInstanceForgetHours): a decision of the application, neither a
// probe's nor a recovery's. Run owns its one goroutine; the forgets it
// appends fold like an operator's, and the probes' scheduler drops the
// instances at its next reconcile.
type ForgetUnseen struct {
	elog    *eventlog.Log
	fold    *Fold
	node    string
	hours   uint
	leading func() bool
	every   time.Duration
	log     zerolog.Logger
}

// NewForgetUnseen decides for node, on views of fold, while leading reports
// that node holds the lease; hours 0 forgets nothing.
func NewForgetUnseen(elog *eventlog.Log, fold *Fold, node string, hours uint, leading func() bool, logger zerolog.Logger) *ForgetUnseen {
	return &ForgetUnseen{elog: elog, fold: fold, node: node, hours: hours, leading: leading, every: UnseenCheckInterval,
		log: logger.With().Str(events.LogComponent, "forget-unseen").Logger()}
}

// Run checks once the fold has caught up with the log, then every
// UnseenCheckInterval, until ctx ends. With hours 0 it only waits.
func (f *ForgetUnseen) Run(ctx context.Context) error {
	if f.hours == 0 {
		<-ctx.Done()
		return nil
	}
	// A view taken before the observations are folded would show every
	// instance unseen since its discovery.
	if err := f.fold.Barrier(ctx, f.elog); err != nil && ctx.Err() == nil {
		f.log.Warn().Err(err).Msg("catch up with the log before forgetting unseen instances (checking at the next interval)")
	} else if err == nil {
		f.Check(ctx, f.fold.ViewWithin(clusterNamesMaxAge))
	}
	t := time.NewTicker(f.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			f.Check(ctx, f.fold.ViewWithin(clusterNamesMaxAge))
		}
	}
}

// Check appends, when this node leads, the forgets of the instances v shows
// unseen for the configured hours. It returns how many it appended;
// failures are logged and retried at the next check.
func (f *ForgetUnseen) Check(ctx context.Context, v *projections.View) int {
	if f.hours == 0 || f.leading == nil || !f.leading() {
		return 0
	}
	envs, err := UnseenForgets(v, f.hours, f.node)
	if err != nil {
		f.log.Warn().Err(err).Msg("forget unseen instances")
		return 0
	}
	n := 0
	for _, env := range envs {
		if _, err := f.elog.Append(ctx, env, eventlog.NoExpect); err != nil {
			f.log.Warn().Err(err).Str(events.LogInstance, env.Instance).Msg("forget unseen instance")
			continue
		}
		f.log.Info().Str(events.LogInstance, env.Instance).Uint("hours", f.hours).Msg("forgot unseen instance")
		n++
	}
	return n
}

// UnseenForgets builds the InstanceForgotten events for the instances v
// shows with no successful observation for hours (0: none). Each event's id
// is derived from the instance and the time it was last seen, so that the
// same decision appended twice (a leader change, a retry) is one event
// within the stream's duplicate window.
func UnseenForgets(v *projections.View, hours uint, node string) ([]events.Envelope, error) {
	if hours == 0 {
		return nil, nil
	}
	unseen := v.Unseen(time.Duration(hours) * time.Hour)
	out := make([]events.Envelope, 0, len(unseen))
	for _, u := range unseen {
		env, err := events.New(events.KindInstanceForgotten, v.Now(), node, events.InstanceForgotten{Key: u.Key, Reason: UnseenForgetReason})
		if err != nil {
			return nil, fmt.Errorf("build unseen forget of %s: %w", u.Key, err)
		}
		env.ID = fmt.Sprintf("unseen-%s-%d", u.Key, u.Since.UnixNano())
		env.Instance = u.Key.String()
		if inst, ok := v.Instance(u.Key); ok {
			env.Cluster = inst.ClusterName
		}
		out = append(out, env)
	}
	return out, nil
}
