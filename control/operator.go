package control

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// manualDB is what the operator-only replica operations need beyond
// actuators.DB; the MySQL actuator implements it.
type manualDB interface {
	DetachSource(ctx context.Context, key events.InstanceKey) error
	ReattachSource(ctx context.Context, key events.InstanceKey) error
	InjectErrant(ctx context.Context, primary events.InstanceKey, errant string) (string, error)
	ResetErrant(ctx context.Context, key events.InstanceKey, errant, primaryState string) (string, error)
	LocateErrant(ctx context.Context, key events.InstanceKey, errant string) ([]string, error)
}

// Views is what the operator reads of this node's fold: a view computed
// now, the recovery fold, and read-your-writes.
type Views interface {
	// FreshView returns a snapshot computed now.
	FreshView() *projections.View
	// Recoveries returns the recovery fold (a copy the caller may keep).
	Recoveries() *analysis.Recoveries
	// Barrier waits until everything stored in the log when it was called
	// has been folded.
	Barrier(ctx context.Context) error
}

// Prober reads an instance afresh and records the observation; the
// operator shows an operation's result with it.
type Prober interface {
	Discover(ctx context.Context, key events.InstanceKey, who string) (*projections.Instance, error)
}

// Recoverer runs an operator's recoveries and manual operations under the
// engine's one-actor-per-cluster rule (actuators.Engine implements it).
type Recoverer interface {
	RunManual(ctx context.Context, in actuators.Intent) (actuators.Result, error)
	RunOperation(ctx context.Context, cluster string, op actuators.Operation) (string, error)
}

// Deps are the parts an Operator acts through.
type Deps struct {
	// Runner carries the node name, the database actuator, the event log,
	// the lease check and the clock; manual operations run through it.
	Runner *actuators.Runner
	Engine Recoverer
	Leader actuators.Leadership
	Views  Views
	Probe  Prober
	Logger zerolog.Logger
}

// Options are the operator's settings, from the configuration.
type Options struct {
	// Params are the analysis parameters as they are now (a reload may
	// change them between two operations; nil: analysis.DefaultParams).
	Params func() analysis.Params
	// CandidateExpire is CandidateInstanceExpireMinutes.
	CandidateExpire time.Duration
	// Replication are ReplicationUser/ReplicationPassword: the credentials
	// a relocated server that replicates from nothing gets (nil: none).
	Replication *actuators.Credentials
	// OpBound bounds one replica operation (0: 30 s); RunBound one manual
	// recovery (0: 5 min).
	OpBound, RunBound time.Duration
}

// Operator carries out the operator's requests on the leader: promotions
// through the recovery engine (one per cluster, fenced by the lease
// epoch); replica operations as manual-operation intents through the
// actuators (started event, the epoch checked before each step, an outcome
// event); the other requests as one event each. Each waits until this
// node's views show its result. It is safe for concurrent use: it holds no
// state of its own.
type Operator struct {
	node     string
	runner   *actuators.Runner
	db       actuators.DB
	engine   Recoverer
	leader   actuators.Leadership
	views    Views
	probe    Prober
	log      zerolog.Logger
	params   func() analysis.Params
	expire   time.Duration
	creds    *actuators.Credentials
	opBound  time.Duration
	runBound time.Duration
}

// NewOperator builds an Operator; every dependency is required.
func NewOperator(d Deps, o Options) (*Operator, error) {
	switch {
	case d.Runner == nil || d.Runner.DB == nil || d.Runner.Log == nil || d.Runner.Lease == nil || d.Runner.Clock == nil:
		return nil, errors.New("new operator: the runner with its DB, Log, Lease and Clock is required")
	case d.Engine == nil || d.Leader == nil || d.Views == nil || d.Probe == nil:
		return nil, errors.New("new operator: Engine, Leader, Views and Probe are required")
	}
	op := &Operator{node: d.Runner.Node, runner: d.Runner, db: d.Runner.DB, engine: d.Engine, leader: d.Leader, views: d.Views,
		probe: d.Probe, log: d.Logger, params: o.Params, expire: o.CandidateExpire, creds: o.Replication,
		opBound: o.OpBound, runBound: o.RunBound}
	if op.opBound <= 0 {
		op.opBound = 30 * time.Second
	}
	if op.runBound <= 0 {
		op.runBound = 5 * time.Minute
	}
	if op.params == nil {
		op.params = analysis.DefaultParams
	}
	return op, nil
}

// Recoveries is the recovery fold (api.RecoveryReader).
func (o *Operator) Recoveries() *analysis.Recoveries { return o.views.Recoveries() }

// AnalysisParams are this node's analysis parameters (api.RecoveryReader).
func (o *Operator) AnalysisParams() analysis.Params { return o.params() }

// epoch is the lease epoch this node holds; only the leader acts.
func (o *Operator) epoch() (uint64, error) {
	epoch, held := o.leader.Leading()
	if !held {
		return 0, errors.New("this node does not lead the Regent cluster (leadership moved): retry")
	}
	return epoch, nil
}

// record appends an operator event and waits until this node folded it.
// Operator events go to no cluster's subject, so that they never race a
// running recovery's fenced appends on that cluster.
func (o *Operator) record(ctx context.Context, kind events.Kind, payload any, instance events.InstanceKey) error {
	epoch, err := o.epoch()
	if err != nil {
		return err
	}
	env, err := events.New(kind, o.runner.Clock.Now(), o.node, payload)
	if err != nil {
		return err
	}
	if !instance.IsZero() {
		env.Instance = instance.String()
	}
	env.Epoch = epoch
	if _, err := o.runner.Log.AppendCluster(ctx, env, actuators.AnyPosition); err != nil {
		return fmt.Errorf("append %s: %w", kind, err)
	}
	return o.views.Barrier(ctx)
}

// newID is a recovery's or a manual operation's id: prefix, UTC time, random.
func newID(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%s-%s", prefix, time.Now().UTC().Format("20060102T150405"), hex.EncodeToString(b[:]))
}

// Takeover implements api.Operations.
func (o *Operator) Takeover(ctx context.Context, t Takeover, who string) (analysis.TopologyRecovery, error) {
	epoch, err := o.epoch()
	if err != nil {
		return analysis.TopologyRecovery{}, err
	}
	v := o.views.FreshView()
	spec, err := o.takeoverPlan(v, t)
	if err != nil {
		return analysis.TopologyRecovery{}, err
	}
	spec.RecoveryID, spec.Node, spec.Epoch, spec.Manual, spec.Who = newID("m"), o.node, epoch, true, who
	spec.Description, spec.Command = fmt.Sprintf("%s requested by %s", t.Kind.Command(), who), t.Kind.Command()
	return o.run(ctx, actuators.NewIntent(v, spec))
}

// run carries out a manual recovery to its end even if the client goes
// away, then waits until this node's fold shows it.
func (o *Operator) run(ctx context.Context, in actuators.Intent) (analysis.TopologyRecovery, error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.runBound)
	defer cancel()
	res, runErr := o.engine.RunManual(rctx, in)
	if errors.Is(runErr, actuators.ErrBusy) {
		return analysis.TopologyRecovery{}, runErr
	}
	berr := o.views.Barrier(rctx)
	rec, ok := o.views.Recoveries().Recovery(in.Started.RecoveryID)
	if !ok {
		rec = analysis.TopologyRecovery{UID: in.Started.RecoveryID, Type: in.Started.Type, IsSuccessful: runErr == nil}
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
func (o *Operator) autoAck(ctx context.Context, rec analysis.TopologyRecovery) error {
	if !rec.IsSuccessful || rec.Acknowledged {
		return nil
	}
	return o.record(ctx, events.KindRecoveryAcknowledged, events.RecoveryAcknowledged{RecoveryID: rec.UID, Who: rec.Who,
		Comment: "operator-initiated " + string(rec.Type) + " completed"}, events.InstanceKey{})
}

// takeoverPlan checks the request against the view and returns the plan
// (the caller adds who, when and where).
func (o *Operator) takeoverPlan(v *projections.View, t Takeover) (actuators.IntentSpec, error) {
	primary, ok := v.ClusterMaster(t.Cluster)
	if !ok {
		return actuators.IntentSpec{}, fmt.Errorf("cluster %s has no primary", t.Cluster)
	}
	graceful := t.Kind == GracefulTakeover || t.Kind == GracefulTakeoverAuto
	if graceful && (!primary.IsLastCheckValid || primary.ReadOnly) {
		return actuators.IntentSpec{}, fmt.Errorf("primary %s is not a reachable writable primary (last check valid %v, read_only %v): use force-master-failover",
			primary.Key, primary.IsLastCheckValid, primary.ReadOnly)
	}
	replicas := v.Replicas(primary.Key)
	if len(replicas) == 0 {
		return actuators.IntentSpec{}, fmt.Errorf("primary %s has no replicas to promote", primary.Key)
	}
	succ, cands, err := o.successor(v, t, primary, replicas)
	if err != nil {
		return actuators.IntentSpec{}, err
	}
	p := o.params()
	spec := actuators.IntentSpec{Type: takeoverType(t.Kind), Analysis: events.AnalysisDeadMaster, Failed: primary.Key,
		Cluster: projections.ClusterInfo{ClusterName: t.Cluster}, Successor: succ, Candidates: cands,
		RecoverLockedSemiSyncMaster: p.RecoverLockedSemiSyncMaster, EnforceExactSemiSyncReplicas: p.EnforceExactSemiSyncReplicas}
	if ci, ok := v.Cluster(t.Cluster); ok && ci != nil {
		spec.Cluster = *ci
	}
	return spec, nil
}

// successor picks the replica to promote: the designated one, the only
// one (graceful-master-takeover), or the best by analysis.ChooseCandidate.
// Either way it must pass the checks of an automated recovery.
func (o *Operator) successor(v *projections.View, t Takeover, primary *projections.Instance, replicas []*projections.Instance) (events.InstanceKey, []events.Candidate, error) {
	chosen, cands, cerr := analysis.ChooseCandidate(v, primary.Key, o.params())
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
	case t.Kind == GracefulTakeover && len(replicas) > 1:
		return succ, cands, fmt.Errorf("primary %s has %d replicas: designate one with -d, or use graceful-master-takeover-auto", primary.Key, len(replicas))
	case t.Kind == GracefulTakeover:
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
	if inst, _ := v.Instance(succ); t.Kind != ForceFailover && t.Kind != ForceTakeover {
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

func takeoverType(k TakeoverKind) events.RecoveryType {
	switch k {
	case GracefulTakeover:
		return events.RecoveryGracefulMasterTakeover
	case GracefulTakeoverAuto:
		return events.RecoveryGracefulMasterTakeoverAuto
	case ForceFailover:
		return events.RecoveryForceMasterFailover
	}
	return events.RecoveryForceMasterTakeover
}

// Recover implements api.Operations: a recovery of failed now, if the
// analysis shows an actionable failure; cluster filters, downtime and the
// anti-flap block do not apply, and failed's earlier recoveries are
// acknowledged, as orchestrator's recover. An instance in maintenance is
// refused (orchestrator's analysis leaves it out): end-maintenance first.
func (o *Operator) Recover(ctx context.Context, failed events.InstanceKey, who string) (events.InstanceKey, error) {
	return o.RecoverWith(ctx, failed, events.InstanceKey{}, false, who)
}

// RecoverWith implements api.CandidateRecoverer: Recover, promoting
// candidate (orchestrator's recover/{host}/{port}/{candidateHost}/{candidatePort})
// when it is not zero; a candidate the recovery could not promote is
// refused before anything is recorded. lite runs it without hooks
// (orchestrator's recover-lite).
func (o *Operator) RecoverWith(ctx context.Context, failed, candidate events.InstanceKey, lite bool, who string) (events.InstanceKey, error) {
	epoch, err := o.epoch()
	if err != nil {
		return events.InstanceKey{}, err
	}
	v := o.views.FreshView()
	if inst, ok := v.Instance(failed); ok && inst.IsInMaintenance {
		return events.InstanceKey{}, fmt.Errorf("Recovery not attempted: %s; end-maintenance first", analysis.MaintenanceReason(inst))
	}
	a, ok := analysis.AnalyzeInstance(v, failed, o.params())
	if !ok || !a.IsActionableRecovery || a.RecoveryType == "" {
		return events.InstanceKey{}, fmt.Errorf("Recovery not attempted: the analysis of %s is %s, not an actionable failure", failed, a.Analysis)
	}
	succ, cands, err := actuators.ChooseSuccessor(v, failed, a.RecoveryType, o.params())
	best := succ
	if !candidate.IsZero() {
		succ, cands, err = designate(cands, candidate)
	}
	if err != nil {
		return events.InstanceKey{}, fmt.Errorf("Recovery not attempted: %w", err)
	}
	if err := o.record(ctx, events.KindRecoveryAcknowledged, events.RecoveryAcknowledged{Instance: failed, Who: who,
		Comment: "acknowledged by a manual recover"}, failed); err != nil {
		return events.InstanceKey{}, err
	}
	if !best.IsZero() && best != succ && a.RecoveryType != events.RecoveryIntermediateMaster {
		if err := o.catchUp(ctx, succ, best, who); err != nil {
			return events.InstanceKey{}, fmt.Errorf("Recovery not attempted: %w", err)
		}
	}
	in := actuators.NewIntent(v, actuators.IntentSpec{RecoveryID: newID("m"), Type: a.RecoveryType, Analysis: a.Analysis,
		Description: a.Description, Command: recoverCommand(lite), Failed: failed, Cluster: a.ClusterDetails, Successor: succ,
		Candidates: cands, Manual: true, Who: who, Node: o.node, Epoch: epoch, SkipHooks: lite,
		RecoverLockedSemiSyncMaster: o.params().RecoverLockedSemiSyncMaster, EnforceExactSemiSyncReplicas: o.params().EnforceExactSemiSyncReplicas})
	rec, err := o.run(ctx, in)
	if err != nil {
		return events.InstanceKey{}, err
	}
	if rec.SuccessorKey == nil {
		return events.InstanceKey{}, fmt.Errorf("recovery %s ended without a successor", rec.UID)
	}
	return *rec.SuccessorKey, nil
}
