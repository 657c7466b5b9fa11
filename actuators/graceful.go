package actuators

import (
	"context"
	"errors"
	"fmt"

	"github.com/regent-ha/regent/events"
)

// takeover runs a planned promotion: the old primary is alive. Order keeps
// at most one writable host at any moment and loses no write: the old
// primary turns read-only (writes are refused from here), the designated
// replica catches up to the old primary's last position, is promoted
// (writes accepted again), the other replicas and the VIP follow, and the
// demoted primary is re-pointed under the new one.
func (x *executor) takeover(ctx context.Context, p MasterPlan) (Result, error) {
	res := Result{Successor: p.Successor}
	old, s := p.Failed, p.Successor
	creds, err := x.replicationCredentials(ctx, s)
	if err != nil {
		return res, err
	}
	var target string
	x.rec.hold() // demote … promote: no host accepts writes; record after
	if err := x.rec.step(ctx, "demote-read-only", old, func(ctx context.Context) (bool, string, error) {
		st, err := x.db.Status(ctx, old)
		if err != nil {
			return false, "", err
		}
		changed := !st.ReadOnly
		if changed {
			if err := bounded(ctx, x.policy.StepTimeout, func(ctx context.Context) error { return x.db.SetReadOnly(ctx, old, true) }); err != nil {
				return false, "", err
			}
		}
		// The position every replica must reach, read after writes stopped.
		st, err = x.db.Status(ctx, old)
		if err != nil {
			return false, "", err
		}
		target = st.GTIDBinlogPos
		if st.Flavor != "MariaDB" {
			target = st.GTIDExecuted
		}
		return changed, "read_only=1; position " + target, nil
	}); err != nil {
		return res, err
	}
	res.Fenced = true
	if err := x.rec.step(ctx, "catch-up", s, func(ctx context.Context) (bool, string, error) {
		if target == "" {
			return false, "", &Error{Kind: Precondition, Op: "catch up", Key: s, Err: fmt.Errorf("old primary %s reports no GTID position", old)}
		}
		return true, "reached " + target, bounded(ctx, x.policy.CatchUpTimeout, func(ctx context.Context) error { return x.db.WaitGTID(ctx, s, target) })
	}); err != nil {
		return res, err
	}
	if err := x.sourceSemiSync(ctx, p); err != nil {
		return res, errors.Join(err, x.rec.flush(ctx))
	}
	if err := x.rec.step(ctx, "promote", s, func(ctx context.Context) (bool, string, error) { return x.makePrimary(ctx, s) }); err != nil {
		return res, err
	}
	// Writes are accepted again from here: move the VIP to them first, then
	// record the window's steps, then re-point the other replicas.
	if err := x.takeoverVIP(ctx, old, s); err != nil {
		return res, errors.Join(err, x.rec.flush(ctx))
	}
	if err := x.rec.flush(ctx); err != nil {
		return res, err
	}
	lost, err := x.repointAll(ctx, p.Replicas, s, SlavePos)
	res.LostReplicas = lost
	if err != nil {
		return res, err
	}
	// The re-pointed replicas and the demoted primary (orchestrator's
	// SetReadOnly(true) turns its source side off; its replica side is set
	// before reattach-demoted starts replication).
	if err := x.moveSemiSync(ctx, p.SemiSyncMoves, besides([]events.InstanceKey{s}, lost)); err != nil {
		return res, err
	}
	if err := x.reattach(ctx, old, s, p.Reattach, creds); err != nil {
		return res, err
	}
	return res, x.detachLost(ctx, lost)
}

// takeoverVIP moves the VIP from the demoted primary to the promoted one.
func (x *executor) takeoverVIP(ctx context.Context, old, s events.InstanceKey) error {
	if x.vip.Address() != "" {
		if err := x.rec.step(ctx, "vip-remove", old, func(ctx context.Context) (bool, string, error) {
			var changed bool
			err := bounded(ctx, x.policy.StepTimeout, func(ctx context.Context) error {
				var err error
				changed, err = x.vip.Remove(ctx, old)
				return err
			})
			return changed, x.vip.Address(), err
		}); err != nil {
			return err
		}
		return x.vipTo(ctx, s)
	}
	return nil
}

// reattach points the demoted primary at the new one (current_pos: its own
// writes count) with creds (nil: its own) — started only when start is true, as orchestrator leaves
// it stopped for graceful-master-takeover and running for -auto.
func (x *executor) reattach(ctx context.Context, old, s events.InstanceKey, start bool, creds *Credentials) error {
	return x.rec.step(ctx, "reattach-demoted", old, func(ctx context.Context) (bool, string, error) {
		st, err := x.db.Status(ctx, old)
		if err != nil {
			return false, "", err
		}
		if st.IsReplica && st.Source == s && (!start || st.IORunning && st.SQLRunning) {
			return false, "already replicating from " + s.String(), nil
		}
		err = bounded(ctx, x.policy.StepTimeout, func(ctx context.Context) error {
			if err := x.db.ChangeSource(ctx, old, s, CurrentPos, creds); err != nil {
				return err
			}
			if !start {
				return x.db.StopReplica(ctx, old)
			}
			return nil
		})
		detail := "source " + s.String() + ", replication stopped (start it with start-replica)"
		if start {
			detail = "source " + s.String() + ", replicating"
		}
		return true, detail, err
	})
}
