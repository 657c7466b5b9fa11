package actuators

import (
	"context"

	"github.com/regent-ha/regent/events"
)

// setWriteable is orchestrator's checkAndRecoverNonWriteableMaster: the
// read-only primary becomes writeable (read_only=0, and super_read_only=0
// where the server has it), the step "set-writeable". A primary that is
// writeable already (someone fixed it meanwhile) is recorded skipped. The
// primary is the recovery's successor, as orchestrator resolves it.
func (x *executor) setWriteable(ctx context.Context, k events.InstanceKey) (Result, error) {
	res := Result{Successor: k}
	err := x.rec.step(ctx, "set-writeable", k, func(ctx context.Context) (bool, string, error) {
		st, err := x.db.Status(ctx, k)
		if err != nil {
			return false, "", err
		}
		if !st.ReadOnly {
			return false, "already writeable", nil
		}
		return true, "read_only=0", bounded(ctx, x.policy.StepTimeout, func(ctx context.Context) error { return x.db.SetReadOnly(ctx, k, false) })
	})
	return res, err
}
