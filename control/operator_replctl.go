package control

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// replCtlDB is what orchestrator's remaining replication controls need
// beyond actuators.DB; the MySQL actuator implements it.
type replCtlDB interface {
	SetSemiSync(ctx context.Context, key events.InstanceKey, master, enabled bool) error
	SkipQuery(ctx context.Context, key events.InstanceKey) error
	FlushBinaryLogs(ctx context.Context, key events.InstanceKey) error
	BinaryLogs(ctx context.Context, key events.InstanceKey) ([]string, error)
	PurgeBinaryLogs(ctx context.Context, key events.InstanceKey, binlog string) error
	DelayReplication(ctx context.Context, key events.InstanceKey, seconds int) error
}

// isReplCtl reports whether op is one of the instance-only controls of
// this file (run through Replica).
func isReplCtl(op ReplicaOp) bool {
	switch op {
	case OpStopReplicaNice, OpSkipQuery, OpEnableSemiSyncMaster, OpDisableSemiSyncMaster,
		OpEnableSemiSyncReplica, OpDisableSemiSyncReplica, OpFlushBinaryLogs:
		return true
	}
	return false
}

func (o *Operator) replCtl() (replCtlDB, error) {
	m, ok := o.db.(replCtlDB)
	if !ok {
		return nil, errors.New("the configured database actuator has no semi-sync, skip-query, binary log or delay controls")
	}
	return m, nil
}

// startSemiSync is the "semi-sync" step start-replica and restart-replica
// run before START SLAVE, as orchestrator's StartReplication
// (analysis.StartReplicaSemiSync, with this node's RecoverLockedSemiSyncMaster
// and EnforceExactSemiSyncReplicas): none when there is nothing to set or
// the database actuator has no semi-sync control. A failed setting fails
// the operation before replication starts, as orchestrator.
func (o *Operator) startSemiSync(key events.InstanceKey) []actuators.OperationStep {
	p := o.params()
	move, ok := analysis.StartReplicaSemiSync(o.views.FreshView(), key, p.RecoverLockedSemiSyncMaster, p.EnforceExactSemiSyncReplicas)
	m, ctl := o.db.(replCtlDB)
	if !ok || !ctl {
		return nil
	}
	timeout := o.runner.Policy.StepTimeout
	if timeout <= 0 {
		timeout = o.opBound
	}
	return []actuators.OperationStep{{Name: "semi-sync", Do: func(ctx context.Context) (string, error) {
		_, detail, err := actuators.ApplySemiSyncMove(ctx, m, timeout, move)
		return "semi-sync " + detail, err
	}}}
}

// replCtlSteps returns the change of an instance-only control on inst.
func (o *Operator) replCtlSteps(op ReplicaOp, inst *projections.Instance) ([]actuators.OperationStep, error) {
	m, err := o.replCtl()
	if err != nil {
		return nil, err
	}
	key := inst.Key
	semi := func(master, enabled bool) []actuators.OperationStep {
		return []actuators.OperationStep{step(string(op), func(ctx context.Context) error { return m.SetSemiSync(ctx, key, master, enabled) })}
	}
	switch op {
	case OpEnableSemiSyncMaster:
		return semi(true, true), nil
	case OpDisableSemiSyncMaster:
		return semi(true, false), nil
	case OpEnableSemiSyncReplica:
		return semi(false, true), nil
	case OpDisableSemiSyncReplica:
		return semi(false, false), nil
	case OpFlushBinaryLogs:
		return []actuators.OperationStep{step("flush-binary-logs", func(ctx context.Context) error { return m.FlushBinaryLogs(ctx, key) })}, nil
	}
	if inst.MasterKey.IsZero() {
		return nil, fmt.Errorf("%s is not a replica: %s needs one", key, op)
	}
	if op == OpSkipQuery {
		return []actuators.OperationStep{step("skip-query", func(ctx context.Context) error { return m.SkipQuery(ctx, key) })}, nil
	}
	return o.stopNicely(key), nil
}

// stopNicely is orchestrator's stop-replica-nice: stop the IO thread, give
// the SQL thread a bounded time (a third of the operation's bound) to apply
// the relay log, then stop replication whether or not it got there (the
// wait's detail says which).
func (o *Operator) stopNicely(key events.InstanceKey) []actuators.OperationStep {
	db := o.db
	wait := func(ctx context.Context) (string, error) {
		wctx, cancel := context.WithTimeout(ctx, o.opBound/3)
		werr := db.WaitRelayApplied(wctx, key)
		cancel()
		if werr != nil {
			o.log.Warn().Err(werr).Str(events.LogInstance, key.String()).Msg("stop-replica-nice: relay log not applied in time")
			return "stopped before the relay log was applied: " + werr.Error(), nil
		}
		return "relay log applied", nil
	}
	return []actuators.OperationStep{
		step("stop-replica-io", func(ctx context.Context) error { return db.StopReplicaIO(ctx, key) }),
		{Name: "wait-relay-applied", Do: wait},
		step("stop-replica", func(ctx context.Context) error { return db.StopReplica(ctx, key) }),
	}
}

// PurgeBinaryLogs implements api.ReplicaControl. binlog must be one of
// key's binary logs. Unless force, the replicas
// in the view are probed afresh and the purge is refused when one still
// reads or executes a binary log before binlog, or cannot be read.
func (o *Operator) PurgeBinaryLogs(ctx context.Context, key events.InstanceKey, binlog string, force bool, who string) (*projections.Instance, error) {
	if _, ok := o.views.FreshView().Instance(key); !ok {
		return nil, fmt.Errorf("unknown instance %s", key)
	}
	m, err := o.replCtl()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.opBound)
	defer cancel()
	logs, err := m.BinaryLogs(ctx, key)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(logs, binlog) {
		return nil, fmt.Errorf("%s has no binary log %q (it has %s)", key, binlog, strings.Join(logs, ", "))
	}
	if !force {
		if err := o.replicasPast(ctx, key, binlog, who); err != nil {
			return nil, err
		}
	}
	detail := "to " + binlog
	if force {
		detail += " (forced)"
	}
	return o.operate(ctx, string(OpPurgeBinaryLogs), key, detail, who,
		step("purge-binary-logs", func(ctx context.Context) error { return m.PurgeBinaryLogs(ctx, key, binlog) }))
}

// replicasPast checks that every replica of key has read and executed up
// to binlog at least.
func (o *Operator) replicasPast(ctx context.Context, key events.InstanceKey, binlog, who string) error {
	for _, r := range o.views.FreshView().Replicas(key) {
		fresh, err := o.probe.Discover(ctx, r.Key, who)
		if err != nil {
			return fmt.Errorf("cannot read replica %s to check which binary log it needs (force to purge anyway): %w", r.Key, err)
		}
		for _, c := range []struct{ what, file string }{{"reads", fresh.ReadBinlogCoordinates.LogFile}, {"executes", fresh.ExecBinlogCoordinates.LogFile}} {
			if c.file == "" {
				return fmt.Errorf("replica %s shows no %s binary log coordinates (force to purge anyway)", r.Key, c.what)
			}
			if binlogBefore(c.file, binlog) {
				return fmt.Errorf("replica %s still %s binary log %s, before %s: refusing to purge it (force to purge anyway)", r.Key, c.what, c.file, binlog)
			}
		}
	}
	return nil
}

// binlogBefore orders binary log names: the same base name by the number
// after the last dot, otherwise as strings.
func binlogBefore(a, b string) bool {
	ai, bi := strings.LastIndexByte(a, '.'), strings.LastIndexByte(b, '.')
	if ai >= 0 && bi >= 0 && a[:ai] == b[:bi] {
		an, aerr := strconv.ParseUint(a[ai+1:], 10, 64)
		bn, berr := strconv.ParseUint(b[bi+1:], 10, 64)
		if aerr == nil && berr == nil {
			return an < bn
		}
	}
	return a < b
}

// DelayReplication implements api.ReplicaControl.
func (o *Operator) DelayReplication(ctx context.Context, key events.InstanceKey, seconds int, who string) (*projections.Instance, error) {
	inst, ok := o.views.FreshView().Instance(key)
	if !ok {
		return nil, fmt.Errorf("unknown instance %s", key)
	}
	if inst.MasterKey.IsZero() {
		return nil, fmt.Errorf("%s is not a replica: delay-replication needs one", key)
	}
	m, err := o.replCtl()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.opBound)
	defer cancel()
	return o.operate(ctx, string(OpDelayReplication), key, strconv.Itoa(seconds)+" s", who,
		step("delay-replication", func(ctx context.Context) error { return m.DelayReplication(ctx, key, seconds) }))
}

// Move implements api.ReplicaControl: the destination is worked out and
// checked, then it is a relocate recorded under op's name.
func (o *Operator) Move(ctx context.Context, op ReplicaOp, key, dest events.InstanceKey, who string) (*projections.Instance, error) {
	v := o.views.FreshView()
	inst, ok := v.Instance(key)
	if !ok {
		return nil, fmt.Errorf("unknown instance %s", key)
	}
	switch op {
	case OpMoveUp:
		src, ok := v.Instance(inst.MasterKey)
		if inst.MasterKey.IsZero() || !ok {
			return nil, fmt.Errorf("cannot move %s up: it has no known source", key)
		}
		if src.MasterKey.IsZero() {
			return nil, fmt.Errorf("cannot move %s up: its source %s is not a replica", key, src.Key)
		}
		dest = src.MasterKey
	case OpMoveBelow:
		sib, ok := v.Instance(dest)
		if !ok || inst.MasterKey.IsZero() || sib.MasterKey != inst.MasterKey {
			sibSrc := "unknown"
			if ok {
				sibSrc = sib.MasterKey.String()
			}
			return nil, fmt.Errorf("cannot move %s below %s: not siblings (%s replicates from %s, %s from %s)",
				key, dest, key, inst.MasterKey, dest, sibSrc)
		}
	case OpRepoint, OpRelocateBelow, OpMoveBelowGTID:
	default:
		return nil, fmt.Errorf("unknown move %q", op)
	}
	return o.relocateAs(ctx, string(op), key, dest, who)
}
