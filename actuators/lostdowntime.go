package actuators

import (
	"context"

	"github.com/regent-ha/regent/events"
)

// LostInRecovery is the reason of the downtime a master failover puts on
// the failed primary and on the replicas it lost (orchestrator's
// DowntimeLostInRecoveryMessage); DowntimeOwner is its owner.
const (
	LostInRecovery = "lost-in-recovery"
	DowntimeOwner  = "regent"
)

// downtimeLost is orchestrator's MasterFailoverLostInstancesDowntimeMinutes:
// after a successful master failover, the failed primary and the replicas
// that could not be re-pointed are downtimed for Policy.LostDowntime, each
// a downtime-begun event of the recovery (so their problems do not start
// recoveries or page while they are repaired). Zero: nothing.
func (x *executor) downtimeLost(ctx context.Context, failed events.InstanceKey, lost []events.InstanceKey) error {
	if x.policy.LostDowntime <= 0 {
		return nil
	}
	until := x.rec.clock.Now().Add(x.policy.LostDowntime)
	for _, k := range append([]events.InstanceKey{failed}, lost...) {
		d := events.DowntimeBegun{Key: k, Owner: DowntimeOwner, Reason: LostInRecovery, Until: until}
		if err := x.rec.append(ctx, events.KindDowntimeBegun, d, k.String()); err != nil {
			return err
		}
	}
	return nil
}
