package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/gtid"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// Acknowledge implements api.Operations.
func (o *operations) Acknowledge(ctx context.Context, a api.Ack, who string) (int, error) {
	recs := o.n.app.Recoveries()
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
func (o *operations) SetGlobalRecoveries(ctx context.Context, enabled bool, who string) error {
	return o.record(ctx, events.KindGlobalRecoveriesSet, events.GlobalRecoveriesSet{Enabled: enabled, Who: who}, events.InstanceKey{})
}

// RegisterCandidate implements api.Operations; the rule expires after
// CandidateInstanceExpireMinutes.
func (o *operations) RegisterCandidate(ctx context.Context, key events.InstanceKey, rule, who string) error {
	p := events.CandidateRegistered{Key: key, PromotionRule: rule}
	if o.expire > 0 {
		p.Until = time.Now().Add(o.expire)
	}
	return o.record(ctx, events.KindCandidateRegistered, p, key)
}

// BeginDowntime implements api.Operations.
func (o *operations) BeginDowntime(ctx context.Context, d api.Downtime, who string) error {
	return o.record(ctx, events.KindDowntimeBegun, events.DowntimeBegun{Key: d.Key, Owner: d.Owner, Reason: d.Reason,
		Until: time.Now().Add(d.Duration)}, d.Key)
}

// EndDowntime implements api.Operations.
func (o *operations) EndDowntime(ctx context.Context, key events.InstanceKey, who string) error {
	return o.record(ctx, events.KindDowntimeEnded, events.DowntimeEnded{Key: key}, key)
}

// BeginMaintenance implements api.Operations: refused while key is in an
// unexpired maintenance (orchestrator's answer), else recorded with its
// end.
func (o *operations) BeginMaintenance(ctx context.Context, m api.Maintenance, who string) error {
	if inst, ok := o.n.app.freshView().Instance(m.Key); ok && inst.IsInMaintenance {
		return fmt.Errorf("Cannot begin maintenance for instance: %s; it is already an %s", m.Key, analysis.MaintenanceReason(inst))
	}
	return o.record(ctx, events.KindMaintenanceBegun, events.MaintenanceBegun{Key: m.Key, Owner: m.Owner, Reason: m.Reason,
		Until: time.Now().Add(m.Duration)}, m.Key)
}

// EndMaintenance implements api.Operations: refused when key is not in
// maintenance.
func (o *operations) EndMaintenance(ctx context.Context, key events.InstanceKey, who string) error {
	if inst, ok := o.n.app.freshView().Instance(key); !ok || !inst.IsInMaintenance {
		return fmt.Errorf("Instance is not in maintenance mode: %s", key)
	}
	return o.record(ctx, events.KindMaintenanceEnded, events.MaintenanceEnded{Key: key}, key)
}

// Replica implements api.Operations: the operation is recorded, carried
// out on the server, and the instance probed again so the answer shows it.
func (o *operations) Replica(ctx context.Context, op api.ReplicaOp, key events.InstanceKey, who string) (*projections.Instance, error) {
	inst, ok := o.n.app.freshView().Instance(key)
	if !ok {
		return nil, fmt.Errorf("unknown instance %s", key)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.opBound)
	defer cancel()
	var act func(ctx context.Context) (string, error)
	switch {
	case op == api.OpErrantInject || op == api.OpErrantReset:
		var err error
		if act, err = o.errantAction(op, inst); err != nil {
			return nil, err
		}
	case isReplCtl(op):
		var err error
		if act, err = o.replCtlAction(op, inst); err != nil {
			return nil, err
		}
	default:
		var err error
		if act, err = o.replicaAction(op, key); err != nil {
			return nil, err
		}
	}
	if err := o.record(ctx, events.KindManualOperationStarted, events.ManualOperation{Operation: string(op), Target: key, Who: who}, key); err != nil {
		return nil, err
	}
	detail, err := act(ctx)
	if err != nil {
		return nil, err
	}
	o.n.log.Info().Str("op", string(op)).Str(events.LogInstance, key.String()).Str("who", who).Str("detail", detail).Msg("manual operation done")
	return o.n.read.Discover(ctx, key, who)
}

func (o *operations) db() actuators.DB { return o.n.runner.DB }

func (o *operations) manual() (manualDB, error) {
	m, ok := o.n.runner.DB.(manualDB)
	if !ok {
		return nil, errors.New("the configured database actuator cannot detach, reattach or repair errant GTIDs")
	}
	return m, nil
}

// replicaAction returns the replication or read-only change of op.
func (o *operations) replicaAction(op api.ReplicaOp, key events.InstanceKey) (func(context.Context) (string, error), error) {
	db := o.db()
	simple := map[api.ReplicaOp]func(context.Context) error{
		api.OpStartReplica: func(ctx context.Context) error { return db.StartReplica(ctx, key) },
		api.OpStopReplica:  func(ctx context.Context) error { return db.StopReplica(ctx, key) },
		api.OpRestartReplica: func(ctx context.Context) error {
			if err := db.StopReplica(ctx, key); err != nil {
				return err
			}
			return db.StartReplica(ctx, key)
		},
		api.OpResetReplica: func(ctx context.Context) error { return db.ResetReplica(ctx, key) },
		api.OpSetReadOnly:  func(ctx context.Context) error { return db.SetReadOnly(ctx, key, true) },
		api.OpSetWriteable: func(ctx context.Context) error { return db.SetReadOnly(ctx, key, false) },
	}
	if f, ok := simple[op]; ok {
		return func(ctx context.Context) (string, error) { return "", f(ctx) }, nil
	}
	m, err := o.manual()
	if err != nil {
		return nil, err
	}
	switch op {
	case api.OpDetachReplica:
		return func(ctx context.Context) (string, error) { return "", m.DetachSource(ctx, key) }, nil
	case api.OpReattachReplica:
		return func(ctx context.Context) (string, error) { return "", m.ReattachSource(ctx, key) }, nil
	}
	return nil, fmt.Errorf("unknown replica operation %q", op)
}

// errantAction returns the errant-GTID repair of op, on both flavors
// (actuators/mysql errant*.go): inject-empty on the cluster's writable
// primary; reset-master on inst itself, refused when it has replicas or is
// in maintenance, and run under the maintenance lock.
func (o *operations) errantAction(op api.ReplicaOp, inst *projections.Instance) (func(context.Context) (string, error), error) {
	if inst.GtidErrant == "" {
		return nil, fmt.Errorf("%s has no errant GTIDs", inst.Key)
	}
	m, err := o.manual()
	if err != nil {
		return nil, err
	}
	v := o.n.app.freshView()
	primary, ok := v.ClusterMaster(inst.ClusterName)
	if op == api.OpErrantReset {
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
		return o.underMaintenance(inst.Key, "gtid-errant-reset-master", func(ctx context.Context) (string, error) {
			return m.ResetErrant(ctx, inst.Key, inst.GtidErrant, state)
		}), nil
	}
	if !ok || primary.ReadOnly {
		return nil, fmt.Errorf("cluster %s has no writable primary to inject into", inst.ClusterName)
	}
	if g, passed := strictPassed(inst, primary); passed {
		return nil, fmt.Errorf("refused on %s: gtid_binlog_pos %s on the primary has reached its errant %s, and with gtid_strict_mode "+
			"it cannot apply the transactions of the primary after it: gtid-errant-reset-master repairs it", inst.Key, primary.MariaDBGTID.BinlogPos, g)
	}
	return func(ctx context.Context) (string, error) { return m.InjectErrant(ctx, primary.Key, inst.GtidErrant) }, nil
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
func (o *operations) underMaintenance(key events.InstanceKey, reason string, act func(context.Context) (string, error)) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if err := o.record(ctx, events.KindMaintenanceBegun, events.MaintenanceBegun{Key: key, Owner: "regent", Reason: reason,
			Until: time.Now().Add(o.opBound)}, key); err != nil {
			return "", err
		}
		defer func() {
			_ = o.record(context.WithoutCancel(ctx), events.KindMaintenanceEnded, events.MaintenanceEnded{Key: key}, key)
		}()
		return act(ctx)
	}
}

// Relocate implements api.Operations: GTID only, a CHANGE MASTER to dest
// (slave_pos on MariaDB, auto-position on MySQL) with the replica's own
// credentials.
func (o *operations) Relocate(ctx context.Context, key, dest events.InstanceKey, who string) (*projections.Instance, error) {
	return o.relocateAs(ctx, "relocate", key, dest, who)
}

// relocateAs is Relocate recorded as operation op (relocate, move-up,
// move-below, repoint).
func (o *operations) relocateAs(ctx context.Context, op string, key, dest events.InstanceKey, who string) (*projections.Instance, error) {
	v := o.n.app.freshView()
	inst, ok := v.Instance(key)
	if !ok {
		return nil, fmt.Errorf("unknown instance %s", key)
	}
	if inst.IsInMaintenance { // orchestrator's moves take the maintenance lock
		return nil, fmt.Errorf("Cannot begin maintenance for instance: %s; %s", key, analysis.MaintenanceReason(inst))
	}
	mode, err := relocateMode(inst, op)
	if err != nil {
		return nil, err
	}
	for d, hops := dest, 0; !d.IsZero() && hops < 64; hops++ {
		if d == key {
			return nil, fmt.Errorf("cannot relocate %s below %s: %s replicates from %s", key, dest, dest, key)
		}
		di, ok := v.Instance(d)
		if !ok {
			break
		}
		d = di.MasterKey
	}
	// A replica keeps its own credentials; a server that replicates from
	// nothing has none: it gets ReplicationUser's.
	var creds *actuators.Credentials
	if inst.MasterKey.IsZero() {
		if o.n.cfg.ReplicationUser == "" {
			return nil, fmt.Errorf("%s replicates from nothing and has no replication credentials: set ReplicationUser and ReplicationPassword to %s it", key, op)
		}
		creds = &actuators.Credentials{User: o.n.cfg.ReplicationUser, Password: o.n.cfg.ReplicationPassword}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.opBound)
	defer cancel()
	if err := o.record(ctx, events.KindManualOperationStarted, events.ManualOperation{Operation: op, Target: key, Who: who,
		Detail: "below " + dest.String()}, key); err != nil {
		return nil, err
	}
	if err := o.db().ChangeSource(ctx, key, dest, mode, creds); err != nil {
		return nil, err
	}
	return o.n.read.Discover(ctx, key, who)
}

// relocateMode is how inst continues from a new source: a GTID replica as
// it replicates (MariaDB slave_pos, MySQL auto-position); a read-only
// server that replicates from nothing — an old primary fenced by a forced
// takeover — from what it executed itself (MariaDB current_pos, as the
// graceful takeover re-attaches a demoted primary; MySQL auto-position from
// gtid_executed). A writable server that replicates from nothing is a
// primary: relocating it would leave a second writable host below the
// destination, so it is refused (set-read-only first).
func relocateMode(inst *projections.Instance, op string) (actuators.SourceMode, error) {
	key := inst.Key
	switch {
	case inst.UsingMariaDBGTID || inst.UsingOracleGTID:
		return actuators.SlavePos, nil
	case !inst.MasterKey.IsZero():
		return "", fmt.Errorf("%s does not replicate with GTID: %s supports GTID topologies only", key, op)
	case !inst.ReadOnly:
		return "", fmt.Errorf("%s is writable and replicates from nothing (a primary): set-read-only first, then %s", key, op)
	case inst.IsMariaDB():
		return actuators.CurrentPos, nil
	case inst.SupportsOracleGTID && strings.EqualFold(inst.GTIDMode, "ON"):
		return actuators.SlavePos, nil
	}
	return "", fmt.Errorf("%s has no GTID to continue from: %s supports GTID topologies only", key, op)
}

// LocateErrant implements api.Operations: the binary logs of key that
// hold its errant GTIDs (both flavors).
func (o *operations) LocateErrant(ctx context.Context, key events.InstanceKey) ([]string, error) {
	inst, ok := o.n.app.freshView().Instance(key)
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
