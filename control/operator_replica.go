package control

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/gtid"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// Acknowledge implements api.Operations.
func (o *Operator) Acknowledge(ctx context.Context, a Ack, who string) (int, error) {
	recs := o.views.Recoveries()
	var inCluster []analysis.TopologyRecovery
	if a.Cluster != "" {
		inCluster = recs.Recent(a.Cluster)
	}
	n := 0
	for _, t := range recs.Recent("") {
		match := a.All || (a.RecoveryID != "" && t.UID == a.RecoveryID) || (!a.Instance.IsZero() && t.Failed() == a.Instance) ||
			containsUID(inCluster, t.UID)
		if match && !t.Acknowledged {
			n++
		}
	}
	err := o.record(ctx, events.KindRecoveryAcknowledged, events.RecoveryAcknowledged{RecoveryID: a.RecoveryID,
		ClusterName: a.Cluster, Instance: a.Instance, All: a.All, Who: who, Comment: a.Comment}, a.Instance)
	return n, err
}

func containsUID(ts []analysis.TopologyRecovery, uid string) bool {
	for _, t := range ts {
		if t.UID == uid {
			return true
		}
	}
	return false
}

// SetGlobalRecoveries implements api.Operations.
func (o *Operator) SetGlobalRecoveries(ctx context.Context, enabled bool, who string) error {
	return o.record(ctx, events.KindGlobalRecoveriesSet, events.GlobalRecoveriesSet{Enabled: enabled, Who: who}, events.InstanceKey{})
}

// RegisterCandidate implements api.Operations; the rule expires after
// CandidateInstanceExpireMinutes.
func (o *Operator) RegisterCandidate(ctx context.Context, key events.InstanceKey, rule, who string) error {
	p := events.CandidateRegistered{Key: key, PromotionRule: rule}
	if o.expire > 0 {
		p.Until = time.Now().Add(o.expire)
	}
	return o.record(ctx, events.KindCandidateRegistered, p, key)
}

// BeginDowntime implements api.Operations.
func (o *Operator) BeginDowntime(ctx context.Context, d Downtime, who string) error {
	return o.record(ctx, events.KindDowntimeBegun, events.DowntimeBegun{Key: d.Key, Owner: d.Owner, Reason: d.Reason,
		Until: time.Now().Add(d.Duration)}, d.Key)
}

// EndDowntime implements api.Operations.
func (o *Operator) EndDowntime(ctx context.Context, key events.InstanceKey, who string) error {
	return o.record(ctx, events.KindDowntimeEnded, events.DowntimeEnded{Key: key}, key)
}

// BeginMaintenance implements api.Operations: refused while key is in an
// unexpired maintenance (orchestrator's answer), else recorded with its
// end.
func (o *Operator) BeginMaintenance(ctx context.Context, m Maintenance, who string) error {
	if inst, ok := o.views.FreshView().Instance(m.Key); ok && inst.IsInMaintenance {
		return fmt.Errorf("Cannot begin maintenance for instance: %s; it is already an %s", m.Key, analysis.MaintenanceReason(inst))
	}
	return o.record(ctx, events.KindMaintenanceBegun, events.MaintenanceBegun{Key: m.Key, Owner: m.Owner, Reason: m.Reason,
		Until: time.Now().Add(m.Duration)}, m.Key)
}

// EndMaintenance implements api.Operations: refused when key is not in
// maintenance.
func (o *Operator) EndMaintenance(ctx context.Context, key events.InstanceKey, who string) error {
	if inst, ok := o.views.FreshView().Instance(key); !ok || !inst.IsInMaintenance {
		return fmt.Errorf("Instance is not in maintenance mode: %s", key)
	}
	return o.record(ctx, events.KindMaintenanceEnded, events.MaintenanceEnded{Key: key}, key)
}

// Replica implements api.Operations: the operation runs as an intent
// (operate), and the instance is probed again so the answer shows it.
func (o *Operator) Replica(ctx context.Context, op ReplicaOp, key events.InstanceKey, who string) (*projections.Instance, error) {
	inst, ok := o.views.FreshView().Instance(key)
	if !ok {
		return nil, fmt.Errorf("unknown instance %s", key)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.opBound)
	defer cancel()
	var steps []actuators.OperationStep
	var err error
	switch {
	case op == OpErrantInject || op == OpErrantReset:
		steps, err = o.errantSteps(op, inst)
	case isReplCtl(op):
		steps, err = o.replCtlSteps(op, inst)
	case op == OpEnableGTID || op == OpDisableGTID:
		steps, err = o.gtidSteps(op, inst)
	default:
		steps, err = o.replicaSteps(op, key)
	}
	if err != nil {
		return nil, err
	}
	return o.operate(ctx, string(op), key, "", who, steps...)
}

// runOperation runs op through the engine, one actor per cluster: the
// cluster of its target as this node's view has it (the target's own name
// for an instance in no known cluster).
func (o *Operator) runOperation(ctx context.Context, op actuators.Operation) (string, error) {
	target := op.Started.Target
	cluster := target.String()
	if inst, ok := o.views.FreshView().Instance(target); ok && inst.ClusterName != "" {
		cluster = inst.ClusterName
	}
	return o.engine.RunOperation(ctx, cluster, op)
}

// operate runs a manual operation on key as an intent through the
// actuators (started event, the lease epoch checked before each step, an
// outcome event), waits until this node folded it, and probes key again.
func (o *Operator) operate(ctx context.Context, op string, key events.InstanceKey, detail, who string, steps ...actuators.OperationStep) (*projections.Instance, error) {
	epoch, err := o.epoch()
	if err != nil {
		return nil, err
	}
	in := actuators.NewOperation(newID("op"), op, key, detail, who, epoch, steps...)
	if _, err := o.runOperation(ctx, in); err != nil {
		return nil, err
	}
	if err := o.views.Barrier(ctx); err != nil {
		return nil, err
	}
	return o.probe.Discover(ctx, key, who)
}

// step is an OperationStep of a statement that reports nothing.
func step(name string, f func(context.Context) error) actuators.OperationStep {
	return actuators.OperationStep{Name: name, Do: func(ctx context.Context) (string, error) { return "", f(ctx) }}
}

func (o *Operator) manual() (manualDB, error) {
	m, ok := o.db.(manualDB)
	if !ok {
		return nil, errors.New("the configured database actuator cannot detach, reattach or repair errant GTIDs")
	}
	return m, nil
}

// replicaSteps returns the replication or read-only change of op.
func (o *Operator) replicaSteps(op ReplicaOp, key events.InstanceKey) ([]actuators.OperationStep, error) {
	db := o.db
	stop := step("stop-replica", func(ctx context.Context) error { return db.StopReplica(ctx, key) })
	start := step("start-replica", func(ctx context.Context) error { return db.StartReplica(ctx, key) })
	switch op {
	case OpStartReplica:
		return append(o.startSemiSync(key), start), nil
	case OpStopReplica:
		return []actuators.OperationStep{stop}, nil
	case OpRestartReplica:
		return append(append([]actuators.OperationStep{stop}, o.startSemiSync(key)...), start), nil
	case OpResetReplica:
		return []actuators.OperationStep{step("reset-replica", func(ctx context.Context) error { return db.ResetReplica(ctx, key) })}, nil
	case OpSetReadOnly:
		return []actuators.OperationStep{step("set-read-only", func(ctx context.Context) error { return db.SetReadOnly(ctx, key, true) })}, nil
	case OpSetWriteable:
		return []actuators.OperationStep{step("set-writeable", func(ctx context.Context) error { return db.SetReadOnly(ctx, key, false) })}, nil
	case OpDetachReplica, OpReattachReplica:
	default:
		return nil, fmt.Errorf("unknown replica operation %q", op)
	}
	m, err := o.manual()
	if err != nil {
		return nil, err
	}
	if op == OpDetachReplica {
		return []actuators.OperationStep{step("detach-source", func(ctx context.Context) error { return m.DetachSource(ctx, key) })}, nil
	}
	return []actuators.OperationStep{step("reattach-source", func(ctx context.Context) error { return m.ReattachSource(ctx, key) })}, nil
}

// errantSteps returns the errant-GTID repair of op, on both flavors
// (actuators/mysql errant*.go): inject-empty on the cluster's writable
// primary; reset-master on inst itself, refused when it has replicas or is
// in maintenance, and run under the maintenance lock.
func (o *Operator) errantSteps(op ReplicaOp, inst *projections.Instance) ([]actuators.OperationStep, error) {
	if inst.GtidErrant == "" {
		return nil, fmt.Errorf("%s has no errant GTIDs", inst.Key)
	}
	m, err := o.manual()
	if err != nil {
		return nil, err
	}
	v := o.views.FreshView()
	primary, ok := v.ClusterMaster(inst.ClusterName)
	if op == OpErrantReset {
		if n := len(v.Replicas(inst.Key)); n > 0 {
			return nil, fmt.Errorf("%s has %d replicas: gtid-errant-reset-master needs an instance without replicas", inst.Key, n)
		}
		if inst.IsInMaintenance {
			return nil, fmt.Errorf("Cannot begin maintenance for instance: %s; %s", inst.Key, analysis.MaintenanceReason(inst))
		}
		state := ""
		if ok {
			state = primary.MariaDBGTID.BinlogState
		}
		return []actuators.OperationStep{{Name: "reset-errant-gtids", Do: o.underMaintenance(inst.Key, "gtid-errant-reset-master",
			func(ctx context.Context) (string, error) { return m.ResetErrant(ctx, inst.Key, inst.GtidErrant, state) })}}, nil
	}
	if !ok || primary.ReadOnly {
		return nil, fmt.Errorf("cluster %s has no writable primary to inject into", inst.ClusterName)
	}
	if g, passed := strictPassed(inst, primary); passed {
		return nil, fmt.Errorf("refused on %s: gtid_binlog_pos %s on the primary has reached its errant %s, and with gtid_strict_mode "+
			"it cannot apply the transactions of the primary after it: gtid-errant-reset-master repairs it", inst.Key, primary.MariaDBGTID.BinlogPos, g)
	}
	return []actuators.OperationStep{{Name: "inject-errant-gtids", Do: func(ctx context.Context) (string, error) {
		return m.InjectErrant(ctx, primary.Key, inst.GtidErrant)
	}}}, nil
}

// strictPassed reports the first errant GTID of a MariaDB replica in
// gtid_strict_mode that the primary's domain has already reached.
func strictPassed(inst, primary *projections.Instance) (gtid.MariaDB, bool) {
	if !inst.IsMariaDB() || !inst.MariaDBGTID.StrictMode {
		return gtid.MariaDB{}, false
	}
	errant, err1 := gtid.ParseList(inst.GtidErrant)
	pos, err2 := gtid.ParseList(primary.MariaDBGTID.BinlogPos)
	if err1 != nil || err2 != nil {
		return gtid.MariaDB{}, false
	}
	return errant.PassedBy(pos)
}

// underMaintenance wraps act in the maintenance lock on key (begun before,
// ended after, also when act fails).
func (o *Operator) underMaintenance(key events.InstanceKey, reason string, act func(context.Context) (string, error)) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if err := o.record(ctx, events.KindMaintenanceBegun, events.MaintenanceBegun{Key: key, Owner: "regent", Reason: reason,
			Until: time.Now().Add(o.opBound)}, key); err != nil {
			return "", err
		}
		defer func() {
			if err := o.record(context.WithoutCancel(ctx), events.KindMaintenanceEnded, events.MaintenanceEnded{Key: key}, key); err != nil {
				o.log.Warn().Err(err).Str(events.LogInstance, key.String()).
					Msg(reason + ": maintenance not ended; it lapses by itself (end-maintenance ends it now)")
			}
		}()
		return act(ctx)
	}
}

// Relocate implements api.Operations: GTID only, a CHANGE MASTER to dest
// (slave_pos on MariaDB, auto-position on MySQL) with the replica's own
// credentials.
func (o *Operator) Relocate(ctx context.Context, key, dest events.InstanceKey, who string) (*projections.Instance, error) {
	return o.relocateAs(ctx, "relocate", key, dest, who)
}

// relocateAs is Relocate recorded as operation op (relocate, move-up,
// move-below, repoint). The move is checked by the rule the web's preview
// shows (projections.CheckRelocateAs); the maintenance lock is checked
// first, in orchestrator's words.
func (o *Operator) relocateAs(ctx context.Context, op string, key, dest events.InstanceKey, who string) (*projections.Instance, error) {
	v := o.views.FreshView()
	inst, ok := v.Instance(key)
	if !ok {
		return nil, fmt.Errorf("unknown instance %s", key)
	}
	di, ok := v.Instance(dest)
	if !ok {
		return nil, fmt.Errorf("unknown instance %s", dest)
	}
	// orchestrator's moves take the maintenance lock and check
	// can-replicate-from first.
	mode, err := o.checkMove(v, inst, di, nil, op)
	if err != nil {
		return nil, err
	}
	// A replica keeps its own credentials; a server that replicates from
	// nothing has none: it gets ReplicationUser's.
	var creds *actuators.Credentials
	if inst.MasterKey.IsZero() {
		if o.creds == nil {
			return nil, fmt.Errorf("%s replicates from nothing and has no replication credentials: set ReplicationUser and ReplicationPassword to %s it", key, op)
		}
		creds = o.creds
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.opBound)
	defer cancel()
	catchUp := !inst.MasterKey.IsZero() && !below(v, key, dest, nil)
	return o.operate(ctx, op, key, "below "+dest.String(), who,
		step("change-source", func(ctx context.Context) error { return o.moveTo(ctx, inst, dest, mode, creds, catchUp) }))
}

// LocateErrant implements api.Operations: the binary logs of key that
// hold its errant GTIDs (both flavors).
func (o *Operator) LocateErrant(ctx context.Context, key events.InstanceKey) ([]string, error) {
	inst, ok := o.views.FreshView().Instance(key)
	if !ok {
		return nil, fmt.Errorf("unknown instance %s", key)
	}
	if inst.GtidErrant == "" {
		return []string{}, nil
	}
	m, err := o.manual()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.opBound)
	defer cancel()
	return m.LocateErrant(ctx, key, inst.GtidErrant)
}
