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

// pendingFence reports whether the recovery's last read-only fencing and VIP
// removal of the old primary are still owed.
func pendingFence(steps []events.RecoveryStep) (readOnly, vip bool) {
	for _, s := range steps {
		switch s.Step {
		case "fence-read-only":
			readOnly = strings.HasPrefix(s.Detail, unreachableDetail)
		case "vip-remove":
			vip = strings.HasPrefix(s.Detail, unreachableDetail)
		}
	}
	return readOnly, vip
}

// fencer retries the fencing of old primaries that came back after a
// recovery (a paused or isolated host resumes writable): read_only=1 and no
// VIP as soon as it answers.
type fencer struct {
	mu       sync.Mutex // guards inflight and refused
	inflight map[string]bool
	refused  map[string]bool // recovery+step whose refusal was logged
}

// firstRefusal reports whether the refusal of step for recovery uid is new
// (so it is logged once, not on every attempt).
func (f *fencer) firstRefusal(uid, step string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refused == nil {
		f.refused = map[string]bool{}
	}
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
	if f.inflight == nil {
		f.inflight = map[string]bool{}
	}
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
		ro, vip := pendingFence(t.Steps)
		if !t.IsSuccessful || (!ro && !vip) || !e.fences.claim(t.UID) {
			continue
		}
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			defer e.fences.release(t.UID)
			e.fenceOnce(ctx, t, ro, vip, epoch)
		}()
	}
}

// fenceOnce tries to fence t's old primary once and records what worked.
func (e *Engine) fenceOnce(ctx context.Context, t analysis.TopologyRecovery, ro, vip bool, epoch uint64) {
	old := t.Failed()
	pol := e.Runner.Policy
	pol.FenceTimeout = lateFenceTimeout
	x := &executor{db: e.Runner.DB, vip: e.Runner.VIP, policy: pol}
	roOut, vipOut := x.fence(ctx, old)
	rec := func(step string, o fenceOutcome, detail string) {
		if o.err != nil {
			// Try again on a later tick. A host that answers but refuses
			// (a missing privilege) may be writable: say so, once.
			if !unreachable(o.err) && e.fences.firstRefusal(t.UID, step) {
				e.Logger.Error().Err(o.err).Str(events.LogRecovery, t.UID).Str(events.LogInstance, old.String()).
					Str(events.LogStep, step).Msg("old primary came back but refuses fencing; it may be writable: retrying")
			}
			return
		}
		s := events.RecoveryStep{RecoveryID: t.UID, Step: step, Target: old, Outcome: events.StepSkipped,
			Detail: "fenced after it came back: " + detail}
		if o.changed {
			s.Outcome = events.StepOK
		}
		if err := e.record(ctx, t.ClusterName(), events.KindRecoveryStep, "", s, old, epoch); err != nil {
			e.Logger.Warn().Err(err).Str(events.LogRecovery, t.UID).Msg("record late fencing")
			return
		}
		e.Logger.Warn().Str(events.LogRecovery, t.UID).Str(events.LogInstance, old.String()).Str(events.LogStep, step).
			Bool("changed", o.changed).Msg("fenced an old primary that came back")
	}
	if ro {
		rec("fence-read-only", roOut, "read_only=1")
	}
	if vip && e.Runner.VIP.Address() != "" {
		rec("vip-remove", vipOut, e.Runner.VIP.Address())
	}
}
