package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// manualDB is what the operator-only replica operations need beyond
// actuators.DB; the MySQL actuator implements it.
type manualDB interface {
	DetachSource(ctx context.Context, key events.InstanceKey) error
	ReattachSource(ctx context.Context, key events.InstanceKey) error
	InjectEmptyGTIDs(ctx context.Context, key events.InstanceKey, set string) (int, error)
	ResetMasterPurged(ctx context.Context, key events.InstanceKey, purged string) error
}

// operations implements api.Operations and api.RecoveryReader on a node.
// Promotions go through the recovery engine (one per cluster, fenced by
// the lease epoch); the other operations append their event, act, and wait
// until this node's views show the result.
type operations struct {
	n        *node
	params   *actuators.Live[analysis.Params] // the engine's, as reloads leave them
	expire   time.Duration                    // CandidateInstanceExpireMinutes
	opBound  time.Duration                    // bound of one replica operation
	runBound time.Duration                    // bound of one manual recovery
}

var (
	_ api.Operations     = (*operations)(nil)
	_ api.RecoveryReader = (*operations)(nil)
)

func newOperations(n *node) *operations {
	return &operations{n: n, params: n.engine.LiveParams, expire: time.Duration(n.cfg.CandidateInstanceExpireMinutes) * time.Minute,
		opBound: 30 * time.Second, runBound: 5 * time.Minute}
}

// Recoveries implements api.RecoveryReader.
func (o *operations) Recoveries() *analysis.Recoveries { return o.n.app.Recoveries() }

// AnalysisParams implements api.RecoveryReader.
func (o *operations) AnalysisParams() analysis.Params { return o.params.Load() }

// epoch is the lease epoch this node holds; only the leader acts.
func (o *operations) epoch() (uint64, error) {
	info, _, held := o.n.lease.Current()
	if !held {
		return 0, errors.New("this node does not lead the Regent cluster (leadership moved): retry")
	}
	return info.Epoch, nil
}

// record appends an operator event and waits until this node folded it.
// Operator events go to no cluster's subject, so that they never race a
// running recovery's fenced appends on that cluster.
func (o *operations) record(ctx context.Context, kind events.Kind, payload any, instance events.InstanceKey) error {
	epoch, err := o.epoch()
	if err != nil {
		return err
	}
	env, err := events.New(kind, time.Now(), o.n.cfg.NodeID(), payload)
	if err != nil {
		return err
	}
	if !instance.IsZero() {
		env.Instance = instance.String()
	}
	env.Epoch = epoch
	if _, err := o.n.elog.Append(ctx, env, eventlog.NoExpect); err != nil {
		return fmt.Errorf("append %s: %w", kind, err)
	}
	return o.n.app.Barrier(ctx, o.n.elog)
}

func newRecoveryID(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%s-%s", prefix, time.Now().UTC().Format("20060102T150405"), hex.EncodeToString(b[:]))
}

// Takeover implements api.Operations.
func (o *operations) Takeover(ctx context.Context, t api.Takeover, who string) (analysis.TopologyRecovery, error) {
	epoch, err := o.epoch()
	if err != nil {
		return analysis.TopologyRecovery{}, err
	}
	v := o.n.app.freshView()
	plan, cands, err := o.takeoverPlan(v, t)
	if err != nil {
		return analysis.TopologyRecovery{}, err
	}
	plan.RecoveryID = newRecoveryID("m")
	hosts := []string{plan.Successor.String()}
	for _, k := range plan.Replicas {
		hosts = append(hosts, k.String())
	}
	desc := fmt.Sprintf("%s requested by %s", t.Kind.Command(), who)
	hc := actuators.HookContextFor(v, plan, plan.Analysis, desc, t.Kind.Command(), hosts)
	in := actuators.Intent{
		Started: events.RecoveryStarted{RecoveryID: plan.RecoveryID, Type: plan.Type, Analysis: plan.Analysis, Failed: plan.Failed,
			ClusterName: plan.Cluster, ClusterAlias: plan.Alias, Candidates: cands, Successor: plan.Successor,
			Node: o.n.cfg.NodeID(), Manual: true, Who: who},
		Plan: plan, Hook: hc, Epoch: epoch,
	}
	return o.run(ctx, in)
}

// run carries out a manual recovery to its end even if the client goes
// away, then waits until this node's fold shows it.
func (o *operations) run(ctx context.Context, in actuators.Intent) (analysis.TopologyRecovery, error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.runBound)
	defer cancel()
	res, runErr := o.n.engine.RunManual(rctx, in)
	if errors.Is(runErr, actuators.ErrBusy) {
		return analysis.TopologyRecovery{}, runErr
	}
	berr := o.n.app.Barrier(rctx, o.n.elog)
	rec, ok := o.n.app.Recoveries().Recovery(in.Plan.RecoveryID)
	if !ok {
		rec = analysis.TopologyRecovery{UID: in.Plan.RecoveryID, Type: in.Plan.Type, IsSuccessful: runErr == nil}
		if !res.Successor.IsZero() {
			s := res.Successor
			rec.SuccessorKey = &s
		}
	}
	if runErr != nil {
		return rec, runErr
	}
	if berr != nil {
		return rec, berr
	}
	if err := o.autoAck(ctx, rec); err != nil {
		return rec, err
	}
	return rec, nil
}

// autoAck acknowledges a successful operator-initiated promotion: it is not
// a flap, and must not block an automated recovery of the new primary for
// RecoveryPeriodBlockSeconds.
func (o *operations) autoAck(ctx context.Context, rec analysis.TopologyRecovery) error {
	if !rec.IsSuccessful || rec.Acknowledged {
		return nil
	}
	return o.record(ctx, events.KindRecoveryAcknowledged, events.RecoveryAcknowledged{RecoveryID: rec.UID, Who: rec.Who,
		Comment: "operator-initiated " + rec.Type + " completed"}, events.InstanceKey{})
}

// takeoverPlan checks the request against the view and builds the plan.
func (o *operations) takeoverPlan(v *projections.View, t api.Takeover) (actuators.MasterPlan, []events.Candidate, error) {
	primary, ok := v.ClusterMaster(t.Cluster)
	if !ok {
		return actuators.MasterPlan{}, nil, fmt.Errorf("cluster %s has no primary", t.Cluster)
	}
	graceful := t.Kind == api.GracefulTakeover || t.Kind == api.GracefulTakeoverAuto
	if graceful && (!primary.IsLastCheckValid || primary.ReadOnly) {
		return actuators.MasterPlan{}, nil, fmt.Errorf("primary %s is not a reachable writable primary (last check valid %v, read_only %v): use force-master-failover",
			primary.Key, primary.IsLastCheckValid, primary.ReadOnly)
	}
	replicas := v.Replicas(primary.Key)
	if len(replicas) == 0 {
		return actuators.MasterPlan{}, nil, fmt.Errorf("primary %s has no replicas to promote", primary.Key)
	}
	succ, cands, err := o.successor(v, t, primary, replicas)
	if err != nil {
		return actuators.MasterPlan{}, cands, err
	}
	ci, _ := v.Cluster(t.Cluster)
	plan := actuators.MasterPlan{Type: takeoverType(t.Kind), Analysis: events.AnalysisDeadMaster, Cluster: t.Cluster,
		Failed: primary.Key, Successor: succ, Graceful: graceful, Reattach: t.Kind == api.GracefulTakeoverAuto}
	if ci != nil {
		plan.Alias, plan.Domain = ci.ClusterAlias, ci.ClusterDomain
	}
	for _, r := range replicas {
		if r.Key != succ {
			plan.Replicas = append(plan.Replicas, r.Key)
		}
	}
	return plan, cands, nil
}

// successor picks the replica to promote: the designated one, the only
// one (graceful-master-takeover), or the best by analysis.ChooseCandidate.
// Either way it must pass the checks of an automated recovery.
func (o *operations) successor(v *projections.View, t api.Takeover, primary *projections.Instance, replicas []*projections.Instance) (events.InstanceKey, []events.Candidate, error) {
	chosen, cands, cerr := analysis.ChooseCandidate(v, primary.Key, o.params.Load())
	succ := t.Designated
	switch {
	case succ == primary.Key:
		return succ, cands, fmt.Errorf("%s is the cluster's current primary: designate the replica to promote (-d)", succ)
	case !succ.IsZero():
		inst, ok := v.Instance(succ)
		if !ok {
			return succ, cands, fmt.Errorf("unknown instance %s", succ)
		}
		if inst.MasterKey != primary.Key {
			return succ, cands, fmt.Errorf("%s is not a direct replica of the primary %s (its source is %s)", succ, primary.Key, inst.MasterKey)
		}
	case t.Kind == api.GracefulTakeover && len(replicas) > 1:
		return succ, cands, fmt.Errorf("primary %s has %d replicas: designate one with -d, or use graceful-master-takeover-auto", primary.Key, len(replicas))
	case t.Kind == api.GracefulTakeover:
		succ = replicas[0].Key
	default:
		if cerr != nil {
			return succ, cands, cerr
		}
		succ = chosen
	}
	i := slices.IndexFunc(cands, func(c events.Candidate) bool { return c.Key == succ })
	if i < 0 {
		return succ, cands, fmt.Errorf("%s is not a replica of the primary %s", succ, primary.Key)
	}
	if strings.HasPrefix(cands[i].Reason, "rejected: ") {
		return succ, cands, fmt.Errorf("%s cannot be promoted: %s", succ, strings.TrimPrefix(cands[i].Reason, "rejected: "))
	}
	if inst, _ := v.Instance(succ); t.Kind != api.ForceFailover && t.Kind != api.ForceTakeover {
		lim := v.Settings().ReasonableMaintenanceReplicationLagSeconds
		if lim > 0 && inst.ReplicationLagSeconds.Valid && inst.ReplicationLagSeconds.Int64 > lim {
			return succ, cands, fmt.Errorf("%s lags %ds, over ReasonableMaintenanceReplicationLagSeconds %d", succ, inst.ReplicationLagSeconds.Int64, lim)
		}
	}
	for j := range cands {
		if cands[j].Key == succ && !cands[j].Chosen {
			cands[j].Chosen, cands[j].Reason = true, "designated by the operator ("+cands[j].Reason+")"
		} else if cands[j].Key != succ && cands[j].Chosen {
			cands[j].Chosen, cands[j].Reason = false, "not chosen: "+succ.String()+" was designated"
		}
	}
	return succ, cands, nil
}

func takeoverType(k api.TakeoverKind) string {
	switch k {
	case api.GracefulTakeover:
		return actuators.TypeGracefulTakeover
	case api.GracefulTakeoverAuto:
		return actuators.TypeGracefulTakeoverAuto
	case api.ForceFailover:
		return actuators.TypeForceFailover
	}
	return actuators.TypeForceTakeover
}

// Recover implements api.Operations: a recovery of failed now, if the
// analysis shows an actionable failure; cluster filters, downtime and the
// anti-flap block do not apply, and failed's earlier recoveries are
// acknowledged, as orchestrator's recover. An instance in maintenance is
// refused (orchestrator's analysis leaves it out): end-maintenance first.
func (o *operations) Recover(ctx context.Context, failed events.InstanceKey, who string) (events.InstanceKey, error) {
	epoch, err := o.epoch()
	if err != nil {
		return events.InstanceKey{}, err
	}
	v := o.n.app.freshView()
	if inst, ok := v.Instance(failed); ok && inst.IsInMaintenance {
		return events.InstanceKey{}, fmt.Errorf("Recovery not attempted: %s; end-maintenance first", analysis.MaintenanceReason(inst))
	}
	a, ok := analysis.AnalyzeInstance(v, failed, o.params.Load())
	if !ok || !a.IsActionableRecovery || a.RecoveryType == "" {
		return events.InstanceKey{}, fmt.Errorf("Recovery not attempted: the analysis of %s is %s, not an actionable failure", failed, a.Analysis)
	}
	if err := o.record(ctx, events.KindRecoveryAcknowledged, events.RecoveryAcknowledged{Instance: failed, Who: who,
		Comment: "acknowledged by a manual recover"}, failed); err != nil {
		return events.InstanceKey{}, err
	}
	plan := actuators.MasterPlan{RecoveryID: newRecoveryID("m"), Type: a.RecoveryType, Analysis: a.Analysis, Failed: failed,
		Cluster: a.ClusterDetails.ClusterName, Alias: a.ClusterDetails.ClusterAlias, Domain: a.ClusterDetails.ClusterDomain,
		Intermediate: a.RecoveryType == analysis.RecoveryIntermediateMaster}
	var cands []events.Candidate
	if plan.Intermediate {
		plan.Successor, cands, err = analysis.ChooseIntermediateTarget(v, failed, o.params.Load())
	} else {
		plan.Successor, cands, err = analysis.ChooseCandidate(v, failed, o.params.Load())
	}
	if err != nil {
		return events.InstanceKey{}, fmt.Errorf("Recovery not attempted: %w", err)
	}
	var hosts []string
	for _, r := range v.Replicas(failed) {
		hosts = append(hosts, r.Key.String())
		if r.Key != plan.Successor {
			plan.Replicas = append(plan.Replicas, r.Key)
		}
	}
	hc := actuators.HookContextFor(v, plan, a.Analysis, a.Description, "recover", hosts)
	if plan.Intermediate {
		hc.InstanceType, hc.IsMaster = "intermediate-master", false
	}
	in := actuators.Intent{Started: events.RecoveryStarted{RecoveryID: plan.RecoveryID, Type: plan.Type, Analysis: a.Analysis,
		Failed: failed, ClusterName: plan.Cluster, ClusterAlias: plan.Alias, Candidates: cands, Successor: plan.Successor,
		Node: o.n.cfg.NodeID(), Manual: true, Who: who}, Plan: plan, Hook: hc, Epoch: epoch}
	rec, err := o.run(ctx, in)
	if err != nil {
		return events.InstanceKey{}, err
	}
	if rec.SuccessorKey == nil {
		return events.InstanceKey{}, fmt.Errorf("recovery %s ended without a successor", rec.UID)
	}
	return *rec.SuccessorKey, nil
}
