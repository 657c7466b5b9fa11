package actuators

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

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

// semiSyncStep prefixes a promotion's per-server step "semi-sync <server>".
const semiSyncStep = "semi-sync "

// moveSemiSync records the promotion's semi-sync moves of the servers keep
// selects, one step each: ok when set, skipped with the reason when nothing
// changes, failed when a setting failed. As orchestrator, a failed setting
// does not fail the promotion (its SetReadOnly and StartReplication results
// are audited, the recovery goes on); only losing the recovery (fenced) or
// the event log stops it.
func (x *executor) moveSemiSync(ctx context.Context, moves []events.SemiSyncMove, keep func(events.InstanceKey) bool) error {
	for _, m := range moves {
		if !keep(m.Target) {
			continue
		}
		err := x.rec.step(ctx, semiSyncStep+m.Target.String(), m.Target, func(ctx context.Context) (bool, string, error) {
			return x.applySemiSyncMove(ctx, m)
		})
		var se *StepError
		if err != nil && !errors.As(err, &se) {
			return err
		}
	}
	return nil
}

// applySemiSyncMove sets the source side, then the replica side, of one
// server, each bounded by StepTimeout.
func (x *executor) applySemiSyncMove(ctx context.Context, m events.SemiSyncMove) (bool, string, error) {
	return ApplySemiSyncMove(ctx, x.semi, x.policy.StepTimeout, m)
}

// ApplySemiSyncMove sets the source side, then the replica side, of m's
// server through semi, each bounded by timeout: whether it set anything,
// what (or m.Why when there was nothing to set), and the first error. A
// promotion's moves and start-replica's run through it.
func ApplySemiSyncMove(ctx context.Context, semi SemiSyncSetter, timeout time.Duration, m events.SemiSyncMove) (bool, string, error) {
	if m.Master == nil && m.Replica == nil {
		return false, m.Why, nil
	}
	if semi == nil {
		return false, "", errors.New("the database actuator cannot set semi-sync")
	}
	var done []string
	for _, side := range []struct {
		master bool
		want   *bool
		name   string
	}{{true, m.Master, "source side"}, {false, m.Replica, "replica side"}} {
		if side.want == nil {
			continue
		}
		err := bounded(ctx, timeout, func(ctx context.Context) error {
			return semi.SetSemiSync(ctx, m.Target, side.master, *side.want)
		})
		if err != nil {
			return len(done) > 0, strings.Join(done, ", "), fmt.Errorf("set semi-sync %s of %s: %w", side.name, m.Target, err)
		}
		state := map[bool]string{false: " off", true: " on"}[*side.want]
		if !side.master {
			state += " (IO thread restarted if it changed)"
		}
		done = append(done, side.name+state)
	}
	return true, strings.Join(done, ", "), nil
}

// only selects key; besides selects every key but those of skip.
func only(key events.InstanceKey) func(events.InstanceKey) bool {
	return func(k events.InstanceKey) bool { return k == key }
}

func besides(skip ...[]events.InstanceKey) func(events.InstanceKey) bool {
	return func(k events.InstanceKey) bool {
		for _, ks := range skip {
			if slices.Contains(ks, k) {
				return false
			}
		}
		return true
	}
}
