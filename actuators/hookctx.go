package actuators

import (
	"strconv"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// FillFromView sets the hook placeholders that only the topology knows,
// from the view the recovery was decided on: {isDowntimed} (the failed
// instance is downtimed), and, with a successor, {successorAlias} (its
// instance alias, as orchestrator's SuccessorAlias) and
// {successorBinlogCoordinates} (its own binary log file:pos). Instances the
// view does not hold leave the fields as they are.
func FillFromView(hc *HookContext, v *projections.View, failed, successor events.InstanceKey) {
	if v == nil {
		return
	}
	var f, s *projections.Instance
	if inst, ok := v.Instance(failed); ok {
		f = inst
	}
	if inst, ok := v.Instance(successor); ok && !successor.IsZero() {
		s = inst
	}
	fillFromInstances(hc, f, s)
}

func fillFromInstances(hc *HookContext, failed, successor *projections.Instance) {
	if failed != nil {
		hc.IsDowntimed = failed.IsDowntimed
	}
	if successor == nil {
		return
	}
	hc.SuccessorAlias = successor.InstanceAlias
	if c := successor.SelfBinlogCoordinates; c.LogFile != "" {
		hc.SuccessorBinlogCoordinates = c.LogFile + ":" + strconv.FormatInt(c.LogPos, 10)
	}
}
