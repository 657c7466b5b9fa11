package actuators

import (
	"context"
	"errors"
	"fmt"

	"github.com/regent-ha/regent/events"
)

// SemiSyncSetter sets the source (master) or replica side of semi-sync
// replication on a server; the replica side restarts the IO thread so that
// the replica negotiates it (actuators/mysql.DB).
type SemiSyncSetter interface {
	SetSemiSync(ctx context.Context, key events.InstanceKey, master, enabled bool) error
}

// enableSemiSyncStep and disableSemiSyncStep prefix the steps
// "enable-semi-sync <replica>" and "disable-semi-sync <replica>".
const (
	enableSemiSyncStep  = "enable-semi-sync "
	disableSemiSyncStep = "disable-semi-sync "
)

// enableSemiSync is orchestrator's recoverSemiSyncReplicas: semi-sync is
// turned on on each replica of on, then off on each of off (so the primary
// is never short of ACKs in between), one at a time, each a step; the
// first failure fails the recovery. Nothing to change fails at once, as
// orchestrator ("cannot determine actions"). The primary is the successor.
func (x *executor) enableSemiSync(ctx context.Context, master events.InstanceKey, on, off []events.InstanceKey) (Result, error) {
	res := Result{Successor: master}
	if len(on) == 0 && len(off) == 0 {
		return res, &StepError{Step: "choose-semi-sync-replicas", Err: fmt.Errorf(
			"no replica of %s replicates with a semi-sync priority and needs a change: cannot recover it", master)}
	}
	if x.semi == nil {
		return res, &StepError{Step: "choose-semi-sync-replicas", Err: errors.New("the database actuator cannot set semi-sync")}
	}
	for _, change := range []struct {
		keys    []events.InstanceKey
		enabled bool
		step    string
	}{{on, true, enableSemiSyncStep}, {off, false, disableSemiSyncStep}} {
		for _, r := range change.keys {
			detail := fmt.Sprintf("rpl_semi_sync_slave_enabled=%d, IO thread restarted", map[bool]int{false: 0, true: 1}[change.enabled])
			err := x.rec.step(ctx, change.step+r.String(), r, func(ctx context.Context) (bool, string, error) {
				return true, detail, bounded(ctx, x.policy.StepTimeout, func(ctx context.Context) error {
					return x.semi.SetSemiSync(ctx, r, false, change.enabled)
				})
			})
			if err != nil {
				return res, err
			}
		}
	}
	return res, nil
}
