package actuators

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections/analysis"
)

// fenceWindow bounds how long after a recovery Regent keeps trying to fence
// an old primary that was unreachable when the recovery ran.
const fenceWindow = time.Hour

// unreachableDetail starts the detail of a fencing step that could not reach
// the old primary; such a step is retried until it succeeds.
const unreachableDetail = "old primary unreachable"

// lateFenceTimeout bounds one attempt to fence a returning old primary;
// attempts follow each other, so a host that comes back is fenced within
// about this long.
const lateFenceTimeout = 300 * time.Millisecond

// unreachable reports whether err means the host could not be reached
// (connection refused or reset, network error, timeout: actuators/mysql
// classifies these Transient), as opposed to a reachable host that refused
// or failed the operation (a missing privilege, error 1227).
func unreachable(err error) bool {
	return KindOf(err) == Transient || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// owed is what a finished recovery still owes because a host could not be
// reached when it ran: the old primary's read-only fencing and VIP removal,
// and the detaching of lost replicas (DetachLostReplicasAfterMasterFailover).
type owed struct {
	readOnly, vip bool
	detach        []events.InstanceKey
}

func (o owed) none() bool { return !o.readOnly && !o.vip && len(o.detach) == 0 }

// owedSteps reads what is owed from the recovery's steps: the last outcome
// of each step counts.
func owedSteps(steps []events.RecoveryStep) owed {
	var o owed
	detach := map[events.InstanceKey]bool{}
	for _, s := range steps {
		switch {
		case s.Step == "fence-read-only":
			o.readOnly = strings.HasPrefix(s.Detail, unreachableDetail)
		case s.Step == "vip-remove":
			o.vip = strings.HasPrefix(s.Detail, unreachableDetail)
		case strings.HasPrefix(s.Step, detachLostStep):
			detach[s.Target] = strings.HasPrefix(s.Detail, unreachableReplicaDetail)
		}
	}
	for _, s := range steps { // in step order, each once
		if strings.HasPrefix(s.Step, detachLostStep) && detach[s.Target] {
			o.detach = append(o.detach, s.Target)
			detach[s.Target] = false
		}
	}
	return o
}

// fencer retries the fencing of old primaries that came back after a
// recovery (a paused or isolated host resumes writable): read_only=1 and no
// VIP as soon as it answers.
type fencer struct {
	mu       sync.Mutex // guards inflight and refused
	inflight map[string]bool
	refused  map[string]bool // recovery+step whose refusal was logged
}

func newFencer() fencer {
	return fencer{inflight: map[string]bool{}, refused: map[string]bool{}}
}

// firstRefusal reports whether the refusal of step for recovery uid is new
// (so it is logged once, not on every attempt).
func (f *fencer) firstRefusal(uid, step string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := uid + "/" + step
	if f.refused[k] {
		return false
	}
	f.refused[k] = true
	return true
}

func (f *fencer) claim(uid string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inflight[uid] {
		return false
	}
	f.inflight[uid] = true
	return true
}

func (f *fencer) release(uid string) {
	f.mu.Lock()
	delete(f.inflight, uid)
	f.mu.Unlock()
}

// fenceReturned starts one fencing attempt per recovery that still owes it.
func (e *Engine) fenceReturned(ctx context.Context, recs *analysis.Recoveries, now time.Time, epoch uint64) {
	for _, t := range recs.Recent("") {
		if t.IsActive {
			continue
		}
		if now.Sub(t.EndedAt) > fenceWindow {
			break
		}
		o := owedSteps(t.Steps)
		if !t.IsSuccessful || o.none() || !e.fences.claim(t.UID) {
			continue
		}
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			defer e.fences.release(t.UID)
			e.fenceOnce(ctx, t, o, epoch)
		}()
	}
}

// fenceOnce tries once to settle what t still owes (fence its old
// primary, detach its lost replicas) and records what worked.
func (e *Engine) fenceOnce(ctx context.Context, t analysis.TopologyRecovery, o owed, epoch uint64) {
	old := t.Failed()
	rec := func(step string, target events.InstanceKey, err error, changed bool, detail string) {
		if err != nil {
			// Try again on a later tick. A host that answers but refuses
			// (a missing privilege) may be writable: say so, once.
			if !unreachable(err) && e.fences.firstRefusal(t.UID, step) {
				e.Logger.Error().Err(err).Str(events.LogRecovery, t.UID).Str(events.LogInstance, target.String()).
					Str(events.LogStep, step).Msg("a host came back but refuses what the recovery owes it: retrying")
			}
			return
		}
		s := events.RecoveryStep{RecoveryID: t.UID, Step: step, Target: target, Outcome: events.StepSkipped,
			Detail: detail}
		if changed {
			s.Outcome = events.StepOK
		}
		if err := e.record(ctx, t.ClusterName(), events.KindRecoveryStep, "", s, target, epoch); err != nil {
			e.Logger.Warn().Err(err).Str(events.LogRecovery, t.UID).Msg("record late step")
			return
		}
		e.Logger.Warn().Str(events.LogRecovery, t.UID).Str(events.LogInstance, target.String()).Str(events.LogStep, step).
			Bool("changed", changed).Msg("settled a step owed to a host that came back")
	}
	if o.readOnly || o.vip {
		pol := e.Runner.current().Policy
		pol.FenceTimeout = lateFenceTimeout
		x := &executor{db: e.Runner.DB, vip: e.Runner.VIP, policy: pol}
		roOut, vipOut := x.fence(ctx, old)
		if o.readOnly {
			rec("fence-read-only", old, roOut.err, roOut.changed, "fenced after it came back: read_only=1")
		}
		if o.vip && e.Runner.VIP.Address() != "" {
			rec("vip-remove", old, vipOut.err, vipOut.changed, "fenced after it came back: "+e.Runner.VIP.Address())
		}
	}
	for _, k := range o.detach {
		err := bounded(ctx, lateFenceTimeout, func(ctx context.Context) error { return e.Runner.DB.DetachSource(ctx, k) })
		switch {
		case err == nil:
			rec(detachLostStep+k.String(), k, nil, true, "detached after it came back: "+detachedDetail)
		case !unreachable(err) && KindOf(err) == Precondition:
			rec(detachLostStep+k.String(), k, nil, false, "came back with nothing to detach: "+err.Error())
		default:
			rec(detachLostStep+k.String(), k, err, false, "")
		}
	}
}
