package mysql

import (
	"context"

	"github.com/regent-ha/regent/events"
)

// SetGTIDPositioning switches how key positions itself on its source, as
// orchestrator's enable-gtid and disable-gtid: by GTID (MariaDB
// MASTER_USE_GTID=slave_pos, MySQL auto-positioning) or by binary log
// coordinates. The threads that ran are stopped around the change and
// started again. A server without a source is a Precondition error; one
// already as wanted is left alone. Like manual.go it is not part of
// actuators.DB: recoveries never use it.
func (d *DB) SetGTIDPositioning(ctx context.Context, key events.InstanceKey, enabled bool) error {
	op := "disable gtid"
	if enabled {
		op = "enable gtid"
	}
	s, dl, r, err := d.replicaOf(ctx, op, key)
	if err != nil {
		return err
	}
	if !r.present {
		return precondition(op, key, "no source configured")
	}
	if r.usingGTID == enabled {
		d.skipped(key, op)
		return nil
	}
	io, sql := r.ioStarted(), r.sqlStarted()
	if io || sql {
		if err := d.exec(ctx, s, key, dl.StopReplica); err != nil {
			return d.fail(op, key, err)
		}
	}
	if err := d.exec(ctx, s, key, dl.GTIDPositioningSQL(enabled)); err != nil {
		return d.fail(op, key, err)
	}
	if restart := dl.RestartSQL(io, sql); restart != "" {
		return d.fail(op, key, d.exec(ctx, s, key, restart))
	}
	return nil
}
