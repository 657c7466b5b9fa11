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

// enableSemiSyncStep prefixes the step "enable-semi-sync <replica>".
const enableSemiSyncStep = "enable-semi-sync "

// enableSemiSync is orchestrator's recoverSemiSyncReplicas for
// RecoverLockedSemiSyncMaster: semi-sync is enabled on each replica the
// plan names (analysis.SemiSyncReplicasToEnable, in priority order), one
// at a time, each the step "enable-semi-sync <replica>"; the first failure
// fails the recovery. No replica to enable fails at once, as orchestrator
// ("cannot determine actions"). The primary is the successor.
func (x *executor) enableSemiSync(ctx context.Context, master events.InstanceKey, replicas []events.InstanceKey) (Result, error) {
	res := Result{Successor: master}
	if len(replicas) == 0 {
		return res, &StepError{Step: "choose-semi-sync-replicas", Err: fmt.Errorf(
			"no replica of %s replicates with a semi-sync priority and without semi-sync enabled: cannot unlock it", master)}
	}
	if x.semi == nil {
		return res, &StepError{Step: "choose-semi-sync-replicas", Err: errors.New("the database actuator cannot set semi-sync")}
	}
	for _, r := range replicas {
		err := x.rec.step(ctx, enableSemiSyncStep+r.String(), r, func(ctx context.Context) (bool, string, error) {
			return true, "rpl_semi_sync_slave_enabled=1, IO thread restarted", bounded(ctx, x.policy.StepTimeout, func(ctx context.Context) error {
				return x.semi.SetSemiSync(ctx, r, false, true)
			})
		})
		if err != nil {
			return res, err
		}
	}
	return res, nil
}
