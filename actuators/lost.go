package actuators

import (
	"context"
	"errors"

	"github.com/regent-ha/regent/events"
)

// detachLostStep prefixes the step name "detach-lost <replica>";
// unreachableReplicaDetail starts the detail of one whose replica could not
// be reached (the engine detaches it when it comes back, as it fences a
// returning old primary).
const (
	detachLostStep           = "detach-lost "
	unreachableReplicaDetail = "replica unreachable"
	detachedDetail           = "source host is now //host: it cannot reconnect until reattach-replica"
)

// detachLost detaches the replicas a master failover could not re-point
// (DetachLostReplicasAfterMasterFailover, orchestrator's default): their
// source host becomes "//host", as the manual detach-replica does, so one
// that comes back cannot resume replicating from the old primary. Each is
// the recorded step "detach-lost <replica>", run concurrently. A lost
// replica that still cannot be reached is recorded as such (skipped, not a
// failure) and detached by the engine when it comes back (fenceReturned);
// any other error fails the step and the recovery.
func (x *executor) detachLost(ctx context.Context, lost []events.InstanceKey) error {
	if !x.policy.DetachLostReplicas || len(lost) == 0 {
		return nil
	}
	results := x.concurrently(ctx, lost, func(ctx context.Context, k events.InstanceKey, o *ran) error {
		err := x.db.DetachSource(ctx, k)
		switch {
		case err == nil:
			o.changed, o.detail = true, detachedDetail
		case unreachable(err):
			o.detail = unreachableReplicaDetail + ": not detached yet (detached when it comes back): " + err.Error()
		case KindOf(err) == Precondition:
			o.detail = "nothing to detach: " + err.Error()
		default:
			return err
		}
		return nil
	})
	var firstErr error
	for i, k := range lost {
		err := x.rec.record(ctx, detachLostStep+k.String(), k, results[i])
		if err == nil {
			continue
		}
		if firstErr == nil {
			firstErr = err
		}
		if !isStepError(err) {
			return err // fenced, or the log failed: stop recording
		}
	}
	return firstErr
}

// isStepError reports whether err is only a recorded step's failure.
func isStepError(err error) bool {
	var se *StepError
	return errors.As(err, &se) && !errors.Is(err, ErrFenced)
}
