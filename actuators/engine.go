package actuators

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// Source gives the engine a consistent snapshot of the topology and the
// recovery fold, and a signal whenever either changed.
type Source interface {
	Snapshot() (*projections.View, *analysis.Recoveries)
	Changed() <-chan struct{}
}

// Leadership tells the engine whether this node leads, and its epoch.
type Leadership interface {
	Leading() (epoch uint64, leading bool)
}

// Engine is the automated part: on every change (and on a short tick,
// because a stalled replica is the absence of events) the leader decides
// with analysis.Decide and carries the decisions out, pausing between
// steps in proportion to their cost (StepCostFactor). Each recovery, and
// the detection hooks of a detection that starts none, runs in a goroutine
// owned by the engine; Run waits for them before returning.
type Engine struct {
	Runner *Runner
	Source Source
	Leader Leadership
	Params analysis.Params
	// LiveParams, when set, replaces Params and may be changed while the
	// engine runs (reload-configuration).
	LiveParams *Live[analysis.Params]
	Tick       time.Duration
	// Settle is how long after this node finished a recovery no new
	// automated recovery starts on that cluster or its successor's: the
	// observations of the re-pointed topology need that long to replace
	// the ones from before (a stale view can look like a second failure).
	Settle time.Duration
	Logger zerolog.Logger

	mu       sync.Mutex // guards inflight, settle and hooking
	inflight map[string]bool
	settle   map[string]time.Time // cluster → no automated start before
	hooking  map[string]int       // cluster → detection hook records being appended
	wg       sync.WaitGroup
	fences   fencer
}

// StepCostFactor is k of the engine's throttle: after a step that took d
// to compute (Snapshot and Decide, measured with Runner.Clock), the next
// step starts no sooner than k×d later, so the engine uses at most about
// 1/(k+1) of a core however fast events arrive (10,000 instances × 3 nodes
// fold ≈ 30,000 events/s, each closing Changed). A step over 3 instances
// costs microseconds: no added latency there.
const StepCostFactor = 3

// maxStepGap bounds the throttle's pause, so that one slow step (a Snapshot
// that waited, a descheduled process) cannot hold detection back long.
const maxStepGap = 2 * time.Second

// Run decides and acts until ctx ends. It steps when the source changed or,
// without changes, every Tick (a stalled replica is the absence of events);
// between two steps it pauses StepCostFactor × the last step's cost, so the
// interval is at least that and tick-driven steps come every
// max(Tick, StepCostFactor × cost).
func (e *Engine) Run(ctx context.Context) error {
	e.mu.Lock()
	if e.inflight == nil {
		e.inflight = map[string]bool{}
	}
	e.mu.Unlock()
	tick := e.Tick
	if tick <= 0 {
		tick = 50 * time.Millisecond
	}
	t := time.NewTimer(tick)
	defer t.Stop()
	defer e.wg.Wait()
	first := make(chan struct{})
	close(first)
	var changed <-chan struct{} = first // the first step comes at once
	var gap time.Duration
	for {
		if gap > 0 && !sleep(ctx, gap) {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-t.C:
		}
		// Taken before the step: an event folded during the step (or the
		// pause) triggers the next one.
		changed = e.Source.Changed()
		gap = 0
		if epoch, leading := e.Leader.Leading(); leading {
			gap = min(StepCostFactor*e.step(ctx, epoch), maxStepGap)
		}
		t.Reset(tick)
	}
}

// sleep waits d or until ctx ends (false).
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// step decides once and acts; it returns the cost of deciding (Snapshot and
// Decide, by Runner.Clock), which the throttle scales. Acting (appends,
// launching recoveries) is I/O and does not count.
func (e *Engine) step(ctx context.Context, epoch uint64) time.Duration {
	start := e.Runner.Clock.Now()
	v, recs := e.Source.Snapshot()
	now := e.Runner.Clock.Now()
	decisions := analysis.Decide(v, recs, now, e.params())
	cost := max(0, e.Runner.Clock.Now().Sub(start))
	for _, t := range recs.ActiveRecoveries() {
		if e.orphaned(t, epoch) {
			e.resume(ctx, v, t, epoch, recs.ClusterSeq(t.ClusterName()))
		}
	}
	e.fenceReturned(ctx, recs, now, epoch)
	for _, d := range decisions {
		if err := e.handle(ctx, v, recs, d, epoch); err != nil && !errors.Is(err, ErrFenced) {
			e.Logger.Warn().Err(err).Str("decision", d.Action.String()).Msg("act on decision")
		}
	}
	return cost
}

// orphaned reports whether the active recovery t has nobody running it: it
// was left by an older epoch (its node died or lost the lease), or it is
// this node's and epoch's own but no longer runs here (its run stopped
// fenced by an append that came between two of its own, or could not record
// its end). Either way the leader resumes it; the resume's first append
// expects the fold's cluster sequence, so a run that did end but is not
// folded yet is not resumed twice.
func (e *Engine) orphaned(t analysis.TopologyRecovery, epoch uint64) bool {
	if e.busy(t.ClusterName()) {
		return false
	}
	return t.Epoch < epoch || (t.Epoch == epoch && t.ProcessingNodeHostname == e.Runner.Node)
}

// settling reports whether cluster just had a recovery by this node.
func (e *Engine) settling(cluster string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	until, ok := e.settle[cluster]
	if ok && !e.Runner.Clock.Now().Before(until) {
		delete(e.settle, cluster)
		return false
	}
	return ok
}

func (e *Engine) busy(cluster string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.inflight[cluster]
}

// handle appends what a decision says and starts a recovery for Start.
func (e *Engine) handle(ctx context.Context, v *projections.View, recs *analysis.Recoveries, d analysis.Decision, epoch uint64) error {
	// While this node runs a recovery on a cluster, the recovery alone
	// appends to that cluster's events (its appends expect the previous
	// sequence); decisions about the cluster wait until it ends.
	if e.busy(decisionCluster(d)) {
		return nil
	}
	switch d.Action {
	case analysis.ActionDetect:
		// Right after a recovery the successor's re-pointed replicas may
		// still be connecting: a not-replicating detection then would be
		// an artefact (and fire OnFailureDetectionProcesses).
		if e.settling(d.Failure.ClusterName) {
			return nil // decided again on a later tick, on a settled view
		}
		return e.detect(ctx, v, d, epoch)
	case analysis.ActionBlock:
		if d.NewDetection {
			if err := e.detect(ctx, v, d, epoch); err != nil {
				return err
			}
		}
		return e.record(ctx, d.Blocked.ClusterName, events.KindRecoveryBlocked, "", d.Blocked, d.Blocked.Failed, epoch)
	case analysis.ActionClear:
		return e.record(ctx, d.Cleared.ClusterName, events.KindFailureCleared, "clr-"+d.Cleared.DetectionID, d.Cleared, d.Cleared.Failed, epoch)
	case analysis.ActionStart:
		if e.settling(d.Failure.ClusterName) {
			return nil // decided again on a later tick, on a settled view
		}
		in := e.intent(v, d, epoch)
		// The intent expects the log where this decision's fold stands:
		// an event of the cluster it has not folded yet (another node's
		// recovery-started) makes the first append fail, nothing done.
		in.ClusterSeq, in.SeqFromView = recs.ClusterSeq(in.Plan.Cluster), true
		e.launch(ctx, in)
	}
	return nil
}

func decisionCluster(d analysis.Decision) string {
	switch d.Action {
	case analysis.ActionClear:
		return d.Cleared.ClusterName
	case analysis.ActionBlock:
		return d.Blocked.ClusterName
	}
	return d.Failure.ClusterName
}

// record appends one decision event. A fixed id makes two nodes that decide
// the same thing store it once (JetStream deduplication).
func (e *Engine) record(ctx context.Context, cluster string, kind events.Kind, id string, payload any, failed events.InstanceKey, epoch uint64) error {
	env, err := events.New(kind, e.Runner.Clock.Now(), e.Runner.Node, payload)
	if err != nil {
		return err
	}
	if id != "" {
		env.ID = id
	}
	env.Cluster, env.Instance, env.Epoch = cluster, failed.String(), epoch
	if !e.Runner.Lease.Holds(epoch) {
		return fmt.Errorf("%w: epoch %d no longer held: %s not appended", ErrFenced, epoch, kind)
	}
	_, err = e.Runner.Log.AppendCluster(ctx, env, AnyPosition)
	return err
}

// detect appends a new detection's failure-detected (id "det-<DetectionID>")
// and, when this append stored it (not a duplicate of another node's or of
// an earlier step's), runs OnFailureDetectionProcesses for it in the
// background (detectionHooks).
func (e *Engine) detect(ctx context.Context, v *projections.View, d analysis.Decision, epoch uint64) error {
	env, err := events.New(events.KindFailureDetected, e.Runner.Clock.Now(), e.Runner.Node, d.Failure)
	if err != nil {
		return fmt.Errorf("build failure-detected: %w", err)
	}
	env.ID = "det-" + d.Failure.DetectionID
	env.Cluster, env.Instance, env.Epoch = d.Failure.ClusterName, d.Failure.Failed.String(), epoch
	if !e.Runner.Lease.Holds(epoch) {
		return fmt.Errorf("%w: epoch %d no longer held: detection %s not appended", ErrFenced, epoch, d.Failure.DetectionID)
	}
	_, stored, err := appendAck(ctx, e.Runner.Log, env, AnyPosition)
	if err != nil {
		return fmt.Errorf("append failure-detected %s: %w", d.Failure.DetectionID, err)
	}
	if stored {
		e.detectionHooks(ctx, v, d, epoch)
	}
	return nil
}

// intent builds the plan of an automated recovery from the view.
func (e *Engine) intent(v *projections.View, d analysis.Decision, epoch uint64) Intent {
	a := d.Analysis
	failed := a.AnalyzedInstanceKey
	plan := MasterPlan{
		RecoveryID: fmt.Sprintf("r-%s-%d", d.Failure.DetectionID[2:], d.Attempt),
		Type:       d.RecoveryType, Analysis: a.Analysis, Failed: failed,
		Cluster: a.ClusterDetails.ClusterName, Alias: a.ClusterDetails.ClusterAlias, Domain: a.ClusterDetails.ClusterDomain,
		Intermediate: d.RecoveryType == analysis.RecoveryIntermediateMaster,
	}
	var cands []events.Candidate
	var err error
	if plan.Intermediate {
		plan.Successor, cands, err = analysis.ChooseIntermediateTarget(v, failed, e.params())
	} else {
		plan.Successor, cands, err = analysis.ChooseCandidate(v, failed, e.params())
	}
	if err != nil {
		plan.Successor = events.InstanceKey{}
	}
	var hosts []string
	for _, r := range v.Replicas(failed) {
		hosts = append(hosts, r.Key.String())
		if r.Key != plan.Successor {
			plan.Replicas = append(plan.Replicas, r.Key)
		}
	}
	var detected *events.FailureDetected
	if d.NewDetection {
		failure := d.Failure
		detected = &failure
	}
	hc := HookContextFor(v, plan, a.Analysis, a.Description, "", hosts)
	hc.IsCoMaster = a.IsCoMaster
	if plan.Intermediate {
		hc.InstanceType, hc.IsMaster = "intermediate-master", false
	}
	hc.AutoMasterRecovery, hc.AutoIntermediateMasterRecovery = true, true
	return Intent{
		Detected: detected,
		Started: events.RecoveryStarted{RecoveryID: plan.RecoveryID, DetectionID: d.Failure.DetectionID, Type: d.RecoveryType,
			Analysis: a.Analysis, Failed: failed, ClusterName: plan.Cluster, ClusterAlias: plan.Alias,
			Candidates: cands, Successor: plan.Successor, Node: e.Runner.Node},
		Plan: plan, Hook: hc, Epoch: epoch,
	}
}

// resume continues a recovery whose node lost the lease (died, or was
// partitioned): same id, same successor, every step re-run idempotently.
func (e *Engine) resume(ctx context.Context, v *projections.View, t analysis.TopologyRecovery, epoch, seq uint64) {
	failed := t.Failed()
	plan := MasterPlan{RecoveryID: t.UID, Type: t.Type, Analysis: t.AnalysisEntry.Analysis, Failed: failed,
		Cluster: t.ClusterName(), Alias: t.AnalysisEntry.ClusterDetails.ClusterAlias,
		Graceful:     t.Type == TypeGracefulTakeover || t.Type == TypeGracefulTakeoverAuto,
		Reattach:     t.Type == TypeGracefulTakeoverAuto,
		Intermediate: t.Type == analysis.RecoveryIntermediateMaster}
	if t.SuccessorKey != nil {
		plan.Successor = *t.SuccessorKey
	}
	for _, inst := range v.ClusterInstances(plan.Cluster) {
		if inst.Key != failed && inst.Key != plan.Successor && (inst.MasterKey == failed || inst.MasterKey == plan.Successor) {
			plan.Replicas = append(plan.Replicas, inst.Key)
		}
	}
	var hosts []string
	for _, k := range plan.Replicas {
		hosts = append(hosts, k.String())
	}
	hc := HookContextFor(v, plan, plan.Analysis, t.AnalysisEntry.Description, "", hosts)
	in := Intent{Started: events.RecoveryStarted{RecoveryID: t.UID, DetectionID: t.DetectionID, Type: t.Type,
		Analysis: plan.Analysis, Failed: failed, ClusterName: plan.Cluster, ClusterAlias: plan.Alias,
		Candidates: t.Candidates, Successor: plan.Successor, Node: e.Runner.Node, Manual: t.Manual, Who: t.Who},
		Plan: plan, Hook: hc, Epoch: epoch, Resume: true, ClusterSeq: seq, SeqFromView: true}
	e.Logger.Warn().Str(events.LogRecovery, t.UID).Uint64("old_epoch", t.Epoch).Uint64(events.LogEpoch, epoch).
		Msg("resuming a recovery left unfinished by another node")
	e.launch(ctx, in)
}

// launch runs in in a goroutine owned by the engine, one per cluster.
func (e *Engine) launch(ctx context.Context, in Intent) {
	e.mu.Lock()
	if e.inflight[in.Plan.Cluster] || e.hooking[in.Plan.Cluster] > 0 {
		// A detection hook's record is being appended to the cluster's
		// events: decided again on the next step, on a view with it.
		e.mu.Unlock()
		return
	}
	e.inflight[in.Plan.Cluster] = true
	e.mu.Unlock()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		var res Result
		var err error
		defer func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			delete(e.inflight, in.Plan.Cluster)
			if errors.Is(err, ErrNotStarted) {
				return // nothing was done: decide again on a newer view at once
			}
			if e.settle == nil {
				e.settle = map[string]time.Time{}
			}
			until := e.Runner.Clock.Now().Add(e.Settle)
			e.settle[in.Plan.Cluster] = until
			if !res.Successor.IsZero() {
				e.settle[res.Successor.String()] = until
			}
		}()
		res, err = e.Runner.Run(ctx, in) // the outcome is in the log; Run logs it
	}()
}

// Recovery types of manual operations (orchestrator's names).
const (
	TypeGracefulTakeover     = "GracefulMasterTakeover"
	TypeGracefulTakeoverAuto = "GracefulMasterTakeoverAuto"
	TypeForceFailover        = "ForceMasterFailover"
	TypeForceTakeover        = "ForceMasterTakeover"
	TypeManualRecovery       = "ManualRecovery"
)

// ErrBusy is returned when a recovery already runs on the cluster.
var ErrBusy = errors.New("a recovery is already running on this cluster")

// RunManual runs an operator's recovery (takeover, forced failover, manual
// recover) synchronously, under the same one-per-cluster rule and with the
// same intent, steps and fencing as an automated one.
func (e *Engine) RunManual(ctx context.Context, in Intent) (Result, error) {
	e.mu.Lock()
	if e.inflight == nil {
		e.inflight = map[string]bool{}
	}
	if e.inflight[in.Plan.Cluster] {
		e.mu.Unlock()
		return Result{}, fmt.Errorf("%s: %w", in.Plan.Cluster, ErrBusy)
	}
	e.inflight[in.Plan.Cluster] = true
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.inflight, in.Plan.Cluster)
		e.mu.Unlock()
	}()
	e.awaitHookRecords(ctx, in.Plan.Cluster)
	return e.Runner.Run(ctx, in)
}

// AckLog is a Log that also tells a stored append from a deduplicated one.
// The engine runs a detection's OnFailureDetectionProcesses only on the
// node whose append stored the detection's event (its id is fixed, so an
// append by a second node, or by this one on a view that had not folded
// it yet, is a duplicate): once per detection across leader changes. A Log
// without it counts every successful append as stored.
type AckLog interface {
	// AppendClusterAck is AppendCluster that also reports whether this
	// call stored env (false: an event with env.ID was already stored;
	// seq is then the original's).
	AppendClusterAck(ctx context.Context, env events.Envelope, expect uint64) (seq uint64, stored bool, err error)
}

// appendAck appends env through l, with AckLog's answer when l has it.
func appendAck(ctx context.Context, l Log, env events.Envelope, expect uint64) (uint64, bool, error) {
	if a, ok := l.(AckLog); ok {
		return a.AppendClusterAck(ctx, env, expect)
	}
	seq, err := l.AppendCluster(ctx, env, expect)
	return seq, err == nil, err
}

// listOnFailureDetection is the name of the detection hook list.
const listOnFailureDetection = "OnFailureDetectionProcesses"

// recordHookTimeout bounds the append of one detection hook's record.
const recordHookTimeout = 5 * time.Second

// DetectionHooked reports whether a detection of code runs
// OnFailureDetectionProcesses: as orchestrator, every code that has a
// recovery handler (getCheckAndRecoverFunction), actionable or not. Codes
// without one (DeadMasterWithoutReplicas, UnreachableIntermediateMaster,
// DeadIntermediateMasterWithSingleReplica) are recorded without hooks.
func DetectionHooked(code string) bool {
	switch code {
	case events.AnalysisDeadMaster, events.AnalysisDeadMasterAndSomeReplicas, events.AnalysisLockedSemiSyncMaster,
		events.AnalysisDeadIntermediateMaster, events.AnalysisDeadIntermediateMasterAndSomeReplicas,
		events.AnalysisDeadIntermediateMasterWithSingleReplicaFailingToConnect,
		analysis.AnalysisAllIntermediateMasterReplicasFailingToConnectOrDead, events.AnalysisDeadIntermediateMasterAndReplicas,
		"DeadCoMaster", "DeadCoMasterAndSomeReplicas",
		events.AnalysisDeadMasterAndReplicas, events.AnalysisUnreachableMaster, events.AnalysisUnreachableMasterWithLaggingReplicas,
		events.AnalysisAllMasterReplicasNotReplicating, events.AnalysisAllMasterReplicasNotReplicatingOrDead,
		analysis.AnalysisUnreachableIntermediateMasterWithLaggingReplicas,
		"DeadReplicationGroupMemberWithReplicas", analysis.NoWriteableMasterStructureWarning:
		return true
	}
	return false
}

// detectionHooks runs OnFailureDetectionProcesses for a detection that
// does not start a recovery this round (Detect, Block; a Start runs them
// in its announce), in a goroutine owned by the engine, so a slow hook
// never holds the loop back. Nothing runs for a code without handler or a
// failed instance that is downtimed or in maintenance. Each command's
// hook-ran goes to the cluster's events, correlated by the detection id
// (no recovery id). A failing command stops the list; nothing else
// follows from it (no recovery was to start this round). A recovery may
// start on the cluster while the list runs: the records wait for it to end
// (recordDetectionHook).
func (e *Engine) detectionHooks(ctx context.Context, v *projections.View, d analysis.Decision, epoch uint64) {
	r := e.Runner.snapshot()
	if r.Hooks == nil || len(r.Lists.OnFailureDetection) == 0 || d.Analysis == nil || !DetectionHooked(d.Analysis.Analysis) {
		return
	}
	a := d.Analysis
	if a.IsDowntimed {
		return
	}
	if inst, ok := v.Instance(a.AnalyzedInstanceKey); ok && (inst.IsDowntimed || inst.IsInMaintenance) {
		return
	}
	hc := e.detectionContext(v, a)
	cluster, id := d.Failure.ClusterName, d.Failure.DetectionID
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		record := func(h events.HookRan) {
			env, err := events.New(events.KindHookRan, r.Clock.Now(), r.Node, h)
			if err != nil {
				return
			}
			env.Cluster, env.Instance, env.Epoch, env.CorrelationID = cluster, a.AnalyzedInstanceKey.String(), epoch, id
			if err := e.recordDetectionHook(ctx, env); err != nil {
				e.Logger.Warn().Err(err).Str(events.LogHook, h.Command).Str("detection", id).Msg("record detection hook")
			}
		}
		ran, err := r.Hooks.Run(ctx, listOnFailureDetection, r.Lists.OnFailureDetection, hc, true, record)
		for _, h := range ran {
			record(h)
		}
		if err != nil {
			e.Logger.Warn().Err(err).Str("detection", id).Str("analysis", a.Analysis).Msg("detection hooks failed")
		}
	}()
}

// recordHookPoll is how often a detection hook's record checks whether the
// recovery running on its cluster ended.
const recordHookPoll = 50 * time.Millisecond

// recordDetectionHook appends a detection hook's hook-ran to its cluster's
// events when no recovery of this node runs there: a recovery's appends
// expect the cluster's previous sequence, and a record landing between two
// of them would fence it. It waits for the recovery to end (or the engine
// to stop); during the append no recovery launches on the cluster
// (launch). The hooks themselves never hold a recovery back.
func (e *Engine) recordDetectionHook(ctx context.Context, env events.Envelope) error {
	for {
		e.mu.Lock()
		if !e.inflight[env.Cluster] {
			if e.hooking == nil {
				e.hooking = map[string]int{}
			}
			e.hooking[env.Cluster]++
			e.mu.Unlock()
			break
		}
		e.mu.Unlock()
		if !sleep(ctx, recordHookPoll) {
			break // stopping: the recovery stops too; record within the bound
		}
	}
	defer func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.hooking[env.Cluster]--; e.hooking[env.Cluster] <= 0 {
			delete(e.hooking, env.Cluster)
		}
	}()
	// A node that lost the lease appends nothing more: its record could
	// land between two appends of the new leader's recovery on this
	// cluster and fence it.
	if !e.Runner.Lease.Holds(env.Epoch) {
		return fmt.Errorf("%w: epoch %d no longer held: hook-ran for detection %s not appended", ErrFenced, env.Epoch, env.CorrelationID)
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordHookTimeout)
	defer cancel()
	if _, err := e.Runner.Log.AppendCluster(actx, env, AnyPosition); err != nil {
		return fmt.Errorf("append hook-ran for detection %s: %w", env.CorrelationID, err)
	}
	return nil
}

// detectionContext fills the placeholders of a detection's hooks: the
// failed instance and its replicas, no recovery and no successor;
// {autoMasterRecovery} and {autoIntermediateMasterRecovery} say whether
// the cluster filters allow them (orchestrator's ClusterDetails).
func (e *Engine) detectionContext(v *projections.View, a *analysis.Analysis) HookContext {
	cd := a.ClusterDetails
	plan := MasterPlan{Failed: a.AnalyzedInstanceKey, Cluster: cd.ClusterName, Alias: cd.ClusterAlias, Domain: cd.ClusterDomain}
	var hosts []string
	for _, r := range v.Replicas(a.AnalyzedInstanceKey) {
		hosts = append(hosts, r.Key.String())
	}
	hc := HookContextFor(v, plan, a.Analysis, a.Description, "", hosts)
	hc.IsMaster, hc.IsCoMaster = a.IsMaster, a.IsCoMaster
	if !a.IsMaster {
		hc.InstanceType = "intermediate-master"
	}
	hc.AutoMasterRecovery = e.params().RecoverMasterClusterFilters.Match(cd.ClusterName, cd.ClusterAlias)
	hc.AutoIntermediateMasterRecovery = e.params().RecoverIntermediateMasterClusterFilters.Match(cd.ClusterName, cd.ClusterAlias)
	hc.OrchestratorHost = e.Runner.Node
	return hc
}

// awaitHookRecords waits (at most recordHookTimeout) for the detection hook
// records being appended to cluster: an operation's first append expects
// the cluster's last sequence, read at its start. New records wait for the
// operation (cluster in flight).
func (e *Engine) awaitHookRecords(ctx context.Context, cluster string) {
	for range int(recordHookTimeout / (10 * time.Millisecond)) {
		e.mu.Lock()
		n := e.hooking[cluster]
		e.mu.Unlock()
		if n == 0 || !sleep(ctx, 10*time.Millisecond) {
			return
		}
	}
}
