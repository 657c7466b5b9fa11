package projections

import (
	"time"

	"github.com/regent-ha/regent/events"
)

// applyMaintenance folds begin-maintenance and end-maintenance. Like a
// downtime, a maintenance is an annotation: it lapses by itself at its
// Until (when set), judged against the view's time, never the fold's.
func (t *Topology) applyMaintenance(e events.Envelope) error {
	switch e.Kind {
	case events.KindMaintenanceBegun:
		var p events.MaintenanceBegun
		if err := decodeKeyed(e, &p, &p.Key); err != nil {
			return err
		}
		t.maintenances[p.Key] = downtime{owner: p.Owner, reason: p.Reason, began: e.Time, until: p.Until}
	case events.KindMaintenanceEnded:
		var p events.MaintenanceEnded
		if err := decodeKeyed(e, &p, &p.Key); err != nil {
			return err
		}
		delete(t.maintenances, p.Key)
	}
	return nil
}

// setMaintenance fills the instance's maintenance fields from an active
// (not lapsed at now) maintenance of k.
func (t *Topology) setMaintenance(inst *Instance, k events.InstanceKey, now time.Time) {
	m, ok := t.maintenances[k]
	if !ok || (!m.until.IsZero() && !now.Before(m.until)) {
		return
	}
	inst.IsInMaintenance = true
	inst.MaintenanceOwner, inst.MaintenanceReason = m.owner, m.reason
	inst.MaintenanceBeginTimestamp = m.began.UTC().Format(TimestampLayout)
	if !m.until.IsZero() {
		inst.MaintenanceEndTimestamp = m.until.UTC().Format(TimestampLayout)
	}
}
