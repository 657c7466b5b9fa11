package actuators

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/regent-ha/regent/events"
)

// MasterPlan is a decided promotion: the failed (or demoted) primary, the
// replica to promote, and the other replicas to re-point under it.
type MasterPlan struct {
	RecoveryID string
	Type       events.RecoveryType
	Analysis   events.AnalysisCode
	Cluster    string
	Alias      string
	Domain     string
	Failed     events.InstanceKey
	Successor  events.InstanceKey
	Replicas   []events.InstanceKey // the failed primary's other replicas
	Graceful   bool                 // planned takeover: the old primary is alive
	// Intermediate: the failed instance is an intermediate primary; its
	// replicas move under Successor (a sibling or the grandparent) and
	// nothing is promoted.
	Intermediate bool
	// Reattach re-points the demoted primary under the successor and starts
	// replication (graceful-master-takeover-auto; also used by a recovery
	// when the old primary is alive — never for a dead one).
	Reattach bool
	// SetWriteable: the failed instance is a read-only primary to make
	// writeable (RecoverNonWriteableMaster); nothing moves.
	SetWriteable bool
	// SemiSync: the failed instance is a locked semi-sync primary;
	// Replicas are the replicas to enable semi-sync on
	// (RecoverLockedSemiSyncMaster); nothing moves.
	SemiSync bool
	// SemiSyncOff are the replicas a semi-sync plan turns semi-sync off on
	// (EnforceExactSemiSyncReplicas), after turning it on on Replicas.
	SemiSyncOff []events.InstanceKey
	// SemiSyncMoves: the semi-sync settings a promotion moves, one step
	// per server (analysis.PromotionSemiSync); none: nothing is touched.
	SemiSyncMoves []events.SemiSyncMove
}

// Policy holds the recovery knobs (orchestrator's keys) the executor uses.
type Policy struct {
	// ApplyMySQLPromotionAfterMasterFailover: RESET SLAVE ALL and
	// read_only=0 on the promoted replica (default true).
	ApplyPromotion bool
	// FailIfSQLThreadNotUpToDate fails the promotion when the successor
	// has not applied its relay log; otherwise Regent waits for it
	// (DelayMasterPromotionIfSQLThreadNotUpToDate, and always, because an
	// unapplied relay log holds acknowledged writes).
	FailIfSQLThreadNotUpToDate bool
	// RelayApplyTimeout bounds the wait for the relay log.
	RelayApplyTimeout time.Duration
	// CatchUpTimeout bounds a graceful takeover's wait for the designated
	// replica (InstanceBulkOperationsWaitTimeoutSeconds).
	CatchUpTimeout time.Duration
	// FenceTimeout bounds each attempt to fence the old primary.
	FenceTimeout time.Duration
	// StepTimeout bounds each other MySQL step.
	StepTimeout time.Duration
	// Credentials for re-attaching a demoted primary (ReplicationUser…).
	Credentials *Credentials
	// CredentialsQuery (ReplicationCredentialsQuery): run on the designated
	// replica of a takeover (Runner.Credentials) for the credentials the
	// demoted primary replicates with; "" uses Credentials.
	CredentialsQuery string
	// DetachLostReplicas (DetachLostReplicasAfterMasterFailover): after a
	// primary failover or takeover, the replicas that could not be
	// re-pointed are detached (detach-lost steps).
	DetachLostReplicas bool
	// LostDowntime (MasterFailoverLostInstancesDowntimeMinutes): after a
	// master failover, the failed primary and the lost replicas are
	// downtimed this long (downtime-begun events); zero: not.
	LostDowntime time.Duration
}

// DefaultPolicy is orchestrator's defaults with Regent's bounds.
func DefaultPolicy() Policy {
	return Policy{ApplyPromotion: true, RelayApplyTimeout: 30 * time.Second, CatchUpTimeout: 10 * time.Second,
		FenceTimeout: 500 * time.Millisecond, StepTimeout: 5 * time.Second}
}

// Result is what a promotion achieved.
type Result struct {
	Successor    events.InstanceKey
	LostReplicas []events.InstanceKey
	Fenced       bool // the old primary was made read-only
	// EndSeq is the cluster sequence of the recovery's recorded outcome
	// (recovery-completed or recovery-failed); 0 when none was recorded.
	EndSeq uint64
}

// executor performs a plan's steps, recording each outcome.
type executor struct {
	db     DB
	vip    VIP
	policy Policy
	rec    *recorder
	creds  CredentialsReader // nil: Policy.CredentialsQuery is not run
	semi   SemiSyncSetter    // nil: no semi-sync recovery
}

// promote runs an unplanned promotion (the old primary is dead or cut off).
// Fencing of the old primary runs beside the promotion so that an isolated
// host's timeouts do not delay it.
func (x *executor) promote(ctx context.Context, p MasterPlan) (Result, error) {
	res := Result{Successor: p.Successor}
	var wg sync.WaitGroup
	var fenceRO, fenceVIP fenceOutcome
	wg.Add(1)
	go func() { // owned: joined below before any return
		defer wg.Done()
		fenceRO, fenceVIP = x.fence(ctx, p.Failed)
	}()
	err := x.promoteSuccessor(ctx, p)
	if err == nil {
		// Re-pointing does not wait for the fence: an isolated old
		// primary's timeouts must not delay it.
		res.LostReplicas, err = x.repointAll(ctx, p.Replicas, p.Successor, SlavePos)
	}
	if err == nil {
		err = x.moveSemiSync(ctx, p.SemiSyncMoves, besides([]events.InstanceKey{p.Successor, p.Failed}, res.LostReplicas))
	}
	wg.Wait()
	res.Fenced = fenceRO.err == nil
	// A reachable old primary that could not be made read-only fails the
	// recovery (two hosts may take writes), after the VIP went where it
	// goes either way.
	ferr := x.recordFence(ctx, p.Failed, fenceRO, fenceVIP)
	if errors.Is(ferr, ErrFenced) {
		return res, ferr
	}
	if err != nil {
		return res, errors.Join(err, ferr)
	}
	// The VIP moves only after it was taken off the old primary (or that
	// failed because the host is gone), so it is never on two hosts.
	if err := x.vipTo(ctx, p.Successor); err != nil {
		return res, errors.Join(err, ferr)
	}
	if err := x.detachLost(ctx, res.LostReplicas); err != nil {
		return res, errors.Join(err, ferr)
	}
	if err := x.downtimeLost(ctx, p.Failed, res.LostReplicas); err != nil {
		return res, errors.Join(err, ferr)
	}
	return res, ferr
}

type fenceOutcome struct {
	changed bool
	err     error
}

// fence makes the old primary read-only and takes the VIP off it, each
// bounded; a dead host cannot be fenced and that is not an error of the
// recovery (it cannot take writes either).
func (x *executor) fence(ctx context.Context, old events.InstanceKey) (ro, vip fenceOutcome) {
	ro.err = bounded(ctx, x.policy.FenceTimeout, func(ctx context.Context) error {
		st, err := x.db.Status(ctx, old)
		if err != nil {
			return err
		}
		if st.ReadOnly {
			return nil
		}
		ro.changed = true
		return x.db.SetReadOnly(ctx, old, true)
	})
	if x.vip.Address() != "" {
		vip.err = bounded(ctx, x.policy.FenceTimeout, func(ctx context.Context) error {
			changed, err := x.vip.Remove(ctx, old)
			vip.changed = changed
			return err
		})
	}
	return ro, vip
}

// recordFence records the fencing of the old primary. An old primary that
// could not be reached is owed a late fencing (fenceReturned), not a
// failure; one that answered and still could not be made read-only fails
// the step: it may take writes beside the successor. The VIP step is
// recorded either way, as before.
func (x *executor) recordFence(ctx context.Context, old events.InstanceKey, ro, vip fenceOutcome) error {
	roErr := x.rec.step(ctx, "fence-read-only", old, func(context.Context) (bool, string, error) {
		switch {
		case ro.err == nil:
			return ro.changed, "read_only=1", nil
		case unreachable(ro.err):
			return false, unreachableDetail + " (fenced when it comes back): " + ro.err.Error(), nil
		}
		return false, "old primary answered but is not read-only: it may take writes", ro.err
	})
	if errors.Is(roErr, ErrFenced) || x.vip.Address() == "" {
		return roErr
	}
	return errors.Join(roErr, x.rec.step(ctx, "vip-remove", old, func(context.Context) (bool, string, error) {
		if vip.err != nil {
			return false, unreachableDetail + " (VIP removed when it comes back): " + vip.err.Error(), nil
		}
		return vip.changed, x.vip.Address(), nil
	}))
}

// promoteSuccessor applies the successor's relay log, stops and resets its
// replication and makes it writable.
func (x *executor) promoteSuccessor(ctx context.Context, p MasterPlan) error {
	s := p.Successor
	if err := x.stopIOAll(ctx, s, p.Replicas); err != nil {
		return err
	}
	if err := x.rec.step(ctx, "apply-relay-log", s, func(ctx context.Context) (bool, string, error) {
		st, err := x.db.Status(ctx, s)
		if err != nil {
			return false, "", err
		}
		if !st.IsReplica {
			return false, "already promoted", nil
		}
		if x.policy.FailIfSQLThreadNotUpToDate && st.GTIDIOPos != "" && st.GTIDIOPos != st.GTIDSlavePos {
			return false, "", &Error{Kind: Precondition, Op: "check SQL thread", Key: s,
				Err: fmt.Errorf("relay log not applied (io %s, applied %s) and FailMasterPromotionIfSQLThreadNotUpToDate is set", st.GTIDIOPos, st.GTIDSlavePos)}
		}
		return true, "", bounded(ctx, x.policy.RelayApplyTimeout, func(ctx context.Context) error { return x.db.WaitRelayApplied(ctx, s) })
	}); err != nil {
		return err
	}
	if err := x.sourceSemiSync(ctx, p); err != nil {
		return err
	}
	return x.rec.step(ctx, "promote", s, func(ctx context.Context) (bool, string, error) {
		return x.makePrimary(ctx, s)
	})
}

// sourceSemiSync turns the successor's source side of semi-sync on before
// it takes writes, as orchestrator's SetReadOnly(false), which runs only
// with ApplyMySQLPromotionAfterMasterFailover.
func (x *executor) sourceSemiSync(ctx context.Context, p MasterPlan) error {
	if !x.policy.ApplyPromotion {
		return nil
	}
	return x.moveSemiSync(ctx, p.SemiSyncMoves, only(p.Successor))
}

// stopIOAll stops the IO thread of the successor and of every other replica
// at once. Against a source that hangs (paused, cut off) a replica's STOP
// takes as long as its attempt to reach the source, so doing them one by one
// would add those waits up. Only the successor's failure is fatal; another
// replica that cannot be stopped is dealt with (or lost) when re-pointed.
func (x *executor) stopIOAll(ctx context.Context, successor events.InstanceKey, others []events.InstanceKey) error {
	keys := append([]events.InstanceKey{successor}, others...)
	results := x.concurrently(ctx, keys, func(ctx context.Context, k events.InstanceKey, o *ran) error {
		st, err := x.db.Status(ctx, k)
		if err != nil {
			return err
		}
		if !st.IsReplica || !st.IORunning {
			o.detail = "IO thread not running"
			return nil
		}
		o.changed = true
		return x.db.StopReplicaIO(ctx, k)
	})
	for i, k := range keys {
		o := results[i]
		name := "stop-io"
		if i > 0 {
			name = "stop-io " + k.String()
			if o.err != nil {
				o = ran{detail: "not stopped (handled when re-pointed): " + o.err.Error(), took: o.took}
			}
		}
		if err := x.rec.record(ctx, name, k, o); err != nil {
			return err
		}
	}
	return nil
}

// makePrimary: STOP SLAVE; RESET SLAVE ALL; read_only=0 (idempotent).
func (x *executor) makePrimary(ctx context.Context, s events.InstanceKey) (bool, string, error) {
	st, err := x.db.Status(ctx, s)
	if err != nil {
		return false, "", err
	}
	if !x.policy.ApplyPromotion {
		return false, "ApplyMySQLPromotionAfterMasterFailover is off: replication and read_only left as they are", nil
	}
	changed := false
	err = bounded(ctx, x.policy.StepTimeout, func(ctx context.Context) error {
		if st.IsReplica {
			changed = true
			if err := x.db.StopReplica(ctx, s); err != nil {
				return err
			}
			if err := x.db.ResetReplica(ctx, s); err != nil {
				return err
			}
		}
		if st.ReadOnly || st.SuperReadOnly {
			changed = true
			return x.db.SetReadOnly(ctx, s, false)
		}
		return nil
	})
	return changed, "replication reset, read_only=0", err
}

// concurrently runs do for every key at once, each bounded by StepTimeout
// and timed; do fills its outcome's detail and changed, and its error is
// the outcome's. Outcomes come back in keys' order.
func (x *executor) concurrently(ctx context.Context, keys []events.InstanceKey, do func(context.Context, events.InstanceKey, *ran) error) []ran {
	results := make([]ran, len(keys))
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Add(1)
		go func() { // owned: joined by wg.Wait below
			defer wg.Done()
			o := &results[i]
			start := x.rec.clock.Now()
			o.err = bounded(ctx, x.policy.StepTimeout, func(ctx context.Context) error { return do(ctx, k, o) })
			o.took = x.rec.clock.Now().Sub(start)
		}()
	}
	wg.Wait()
	return results
}

// repointAll moves replicas under target concurrently. Unreachable replicas
// are lost (reported, not fatal); any other failure fails the recovery.
func (x *executor) repointAll(ctx context.Context, replicas []events.InstanceKey, target events.InstanceKey, mode SourceMode) ([]events.InstanceKey, error) {
	results := x.concurrently(ctx, replicas, func(ctx context.Context, r events.InstanceKey, o *ran) error {
		o.detail = "source " + target.String()
		st, err := x.db.Status(ctx, r)
		if err != nil {
			return err
		}
		if st.IsReplica && st.Source == target && st.IORunning && st.SQLRunning {
			return nil
		}
		o.changed = true
		return x.db.ChangeSource(ctx, r, target, mode, nil)
	})
	var lost []events.InstanceKey
	var firstErr error
	for i, o := range results {
		key := replicas[i]
		unreachable := o.err != nil && KindOf(o.err) == Transient
		if unreachable {
			o = ran{detail: "replica unreachable: lost", took: o.took}
		}
		err := x.rec.record(ctx, "repoint "+key.String(), key, o)
		if unreachable {
			lost = append(lost, key)
			continue
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		if errors.Is(err, ErrFenced) {
			return lost, err
		}
	}
	return lost, firstErr
}

// vipTo puts the VIP on target (after it was taken off the old primary).
func (x *executor) vipTo(ctx context.Context, target events.InstanceKey) error {
	if x.vip.Address() == "" {
		return nil
	}
	return x.rec.step(ctx, "vip-add", target, func(ctx context.Context) (bool, string, error) {
		var changed bool
		err := bounded(ctx, x.policy.StepTimeout, func(ctx context.Context) error {
			var err error
			changed, err = x.vip.Add(ctx, target)
			return err
		})
		return changed, x.vip.Address(), err
	})
}
