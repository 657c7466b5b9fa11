package actuators

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

// Engine is the automated part: on every change the leader decides with
// analysis.Decide and carries the decisions out, pausing between steps in
// proportion to their cost (StepCostFactor). Each recovery, and the
// detection hooks of a detection that starts none, runs in a goroutine
// owned by the engine; Run waits for them before returning. Build it with
// NewEngine.
//
// It wakes on events, not on a poll: a folded event (Source.Changed), one
// of its recoveries that ran or its manual operations ending, or the last
// detection hook record of a cluster being appended (the cluster is free
// again; see wake), a lease change (when Leader has LeadershipChanges), the end
// of a cluster's settle period, and, while leading, every Tick without any
// of these (the analysis depends on time: a stalled replica is the absence
// of events). A node that does not lead, with a Leader that signals
// changes, does not wake at all until the lease changes.
type Engine struct {
	EngineConfig

	mu       sync.Mutex // guards inflight, settle, hooking, freed and wake
	inflight map[string]bool
	ended    map[string]endedRun  // cluster → this node's last run there that recorded its outcome
	settle   map[string]time.Time // cluster → no automated start before
	hooking  map[string]int       // cluster → detection hook records being appended
	// freed is closed, and replaced, whenever a cluster stops being in
	// flight or its last detection hook record is appended: a hook record
	// or an operation waiting for the cluster goes on.
	freed chan struct{}
	// wake is closed, and replaced, when Run should decide again at once:
	// a cluster was freed by a recovery that ran, a manual operation or
	// the last hook record a launch waited for. Not by a recovery refused
	// before its intent (ErrNotStarted): its view was behind the log, and
	// the fold's next change brings the newer one (waking at once could
	// only repeat the refusal while the fold lags).
	wake   chan struct{}
	wg     sync.WaitGroup
	fences fencer
}

// EngineConfig is what an Engine is built from (NewEngine).
type EngineConfig struct {
	Runner *Runner
	Source Source     // needed by Run only
	Leader Leadership // needed by Run only
	Params analysis.Params
	// Tick is how often a leader decides again when nothing else woke it
	// (0: DefaultTick).
	Tick time.Duration
	// LiveParams, when set, replaces Params and may be changed while the
	// engine runs (reload-configuration).
	LiveParams *Live[analysis.Params]
	// Settle is how long after this node finished a recovery no new
	// automated recovery starts on that cluster or its successor's: the
	// observations of the re-pointed topology need that long to replace
	// the ones from before (a stale view can look like a second failure).
	Settle time.Duration
	Logger zerolog.Logger
}

// DefaultTick is the Tick of an EngineConfig that sets none
// (RecoveryTickMilliseconds' default).
const DefaultTick = 50 * time.Millisecond

// LeadershipChanges is a Leadership that signals its changes: the channel
// Changed returns is closed when Leading's answer may have changed (the
// lease gained or lost, a new epoch). The engine of a node that does not
// lead then sleeps until it is closed.
type LeadershipChanges interface {
	Changed() <-chan struct{}
}

// NewEngine builds an engine from c, with every map and channel it uses.
// It refuses a config without a Runner, or whose Runner has no Clock, Log
// or Lease, and a negative Tick or Settle.
func NewEngine(c EngineConfig) (*Engine, error) {
	switch {
	case c.Runner == nil:
		return nil, errors.New("new engine: no Runner")
	case c.Runner.Clock == nil:
		return nil, errors.New("new engine: the Runner has no Clock")
	case c.Runner.Log == nil:
		return nil, errors.New("new engine: the Runner has no Log")
	case c.Runner.Lease == nil:
		return nil, errors.New("new engine: the Runner has no Lease")
	case c.Tick < 0:
		return nil, fmt.Errorf("new engine: Tick %v is negative", c.Tick)
	case c.Settle < 0:
		return nil, fmt.Errorf("new engine: Settle %v is negative", c.Settle)
	}
	if c.Tick == 0 {
		c.Tick = DefaultTick
	}
	return &Engine{EngineConfig: c, inflight: map[string]bool{}, ended: map[string]endedRun{}, settle: map[string]time.Time{},
		hooking: map[string]int{}, freed: make(chan struct{}), wake: make(chan struct{}), fences: newFencer()}, nil
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

// Run decides and acts until ctx ends. The first step comes at once; then
// it steps on every wake-up (Engine) while it leads; between two steps it
// pauses StepCostFactor × the last step's cost, so tick-driven steps come
// every max(Tick, StepCostFactor × cost). It returns an error only when
// the engine has no Source or no Leader.
func (e *Engine) Run(ctx context.Context) error {
	if e.Source == nil || e.Leader == nil {
		return errors.New("run engine: it needs a Source and a Leader (EngineConfig)")
	}
	defer e.wg.Wait()
	t := time.NewTimer(0) // the first step comes at once
	defer t.Stop()
	var changed, wake, leader <-chan struct{}
	var gap time.Duration
	for {
		if gap > 0 && !sleep(ctx, gap) {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-wake:
		case <-leader:
		case <-t.C:
		}
		// Taken before the step: an event folded (a recovery ended, the
		// lease moved) during the step or the pause triggers the next one.
		changed, wake, leader = e.Source.Changed(), e.wakeSignal(), leadershipChanged(e.Leader)
		gap = 0
		epoch, leading := e.Leader.Leading()
		if leading {
			gap = min(StepCostFactor*e.step(ctx, epoch), maxStepGap)
		} else if leader != nil {
			// Nothing to decide until this node leads: only the lease
			// wakes it.
			changed, wake = nil, nil
			t.Stop()
			continue
		}
		t.Reset(e.nextWake())
	}
}

// leadershipChanged is l's change signal, nil when l has none.
func leadershipChanged(l Leadership) <-chan struct{} {
	if c, ok := l.(LeadershipChanges); ok {
		return c.Changed()
	}
	return nil
}

// wakeSignal returns the channel closed when Run should next decide at
// once (wake).
func (e *Engine) wakeSignal() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.wake
}

// signalFreed wakes whoever waits for a cluster to be freed and, with
// wakeRun, Run. e.mu is held.
func (e *Engine) signalFreed(wakeRun bool) {
	close(e.freed)
	e.freed = make(chan struct{})
	if wakeRun {
		close(e.wake)
		e.wake = make(chan struct{})
	}
}

// nextWake is how long Run waits without any event before it decides
// again: Tick, or less when a cluster's settle period ends sooner (a
// detection or recovery held back by it is decided at once then). Ended
// settle periods are dropped.
func (e *Engine) nextWake() time.Duration {
	next := e.Tick
	now := e.Runner.Clock.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	for cluster, until := range e.settle {
		d := until.Sub(now)
		if d <= 0 {
			delete(e.settle, cluster)
			continue
		}
		next = min(next, d)
	}
	return next
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
	decisions := analysis.Decide(v, recs, now, e.CurrentParams())
	cost := max(0, e.Runner.Clock.Now().Sub(start))
	for _, t := range recs.ActiveRecoveries() {
		if e.orphaned(t, epoch, recs.ClusterSeq(t.ClusterName())) {
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
// its end). Either way the leader resumes it. A run of this node that
// recorded its outcome at a sequence the fold (at foldSeq) has not reached
// is not orphaned: the fold is behind, and the recovery ended. (Were it
// resumed, the resume's first append, expecting the fold's sequence, would
// be refused as fenced anyway; it would only log a false "resuming".)
func (e *Engine) orphaned(t analysis.TopologyRecovery, epoch, foldSeq uint64) bool {
	cluster := t.ClusterName()
	e.mu.Lock()
	busy, end := e.inflight[cluster], e.ended[cluster]
	e.mu.Unlock()
	if busy || (end.recovery == t.UID && foldSeq < end.seq) {
		return false
	}
	return t.Epoch < epoch || (t.Epoch == epoch && t.ProcessingNodeHostname == e.Runner.Node)
}

// endedRun is a run of this node that recorded its outcome at seq.
type endedRun struct {
	recovery string
	seq      uint64
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
		// Right after this node's recovery the view may still show the
		// failure it repaired (a primary made writeable, semi-sync turned
		// on: the next observation is not in yet); the anti-flap block of
		// that very recovery would then be recorded as if a new incident
		// had been held back.
		if e.settling(d.Blocked.ClusterName) {
			return nil // decided again on a later tick, on a settled view
		}
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
		in.ClusterSeq, in.SeqFromView = recs.ClusterSeq(in.Started.ClusterName), true
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
	params := e.CurrentParams()
	succ, cands, err := ChooseSuccessor(v, failed, d.RecoveryType, params)
	if err != nil {
		succ = events.InstanceKey{}
	}
	in := NewIntent(v, IntentSpec{RecoverLockedSemiSyncMaster: params.RecoverLockedSemiSyncMaster,
		EnforceExactSemiSyncReplicas: params.EnforceExactSemiSyncReplicas, RecoveryID: fmt.Sprintf("r-%s-%d", strings.TrimPrefix(d.Failure.DetectionID, "d-"), d.Attempt),
		DetectionID: d.Failure.DetectionID, Type: d.RecoveryType, Analysis: a.Analysis, Description: a.Description,
		Failed: failed, Cluster: a.ClusterDetails, Successor: succ, Candidates: cands, Node: e.Runner.Node, Epoch: epoch,
		Automated: true, IsCoMaster: a.IsCoMaster})
	if d.NewDetection {
		failure := d.Failure
		in.Detected = &failure
	}
	return in
}

// resume continues a recovery whose node lost the lease (died, or was
// partitioned): same id, same plan (read from its started event), every
// step re-run idempotently.
func (e *Engine) resume(ctx context.Context, v *projections.View, t analysis.TopologyRecovery, epoch, seq uint64) {
	in := ResumeIntent(v, t.Started, e.Runner.Node, epoch)
	in.ClusterSeq, in.SeqFromView = seq, true
	e.Logger.Warn().Str(events.LogRecovery, t.UID).Uint64("old_epoch", t.Epoch).Uint64(events.LogEpoch, epoch).
		Msg("resuming a recovery left unfinished by another node")
	e.launch(ctx, in)
}

// launch runs in in a goroutine owned by the engine, one per cluster.
func (e *Engine) launch(ctx context.Context, in Intent) {
	e.mu.Lock()
	if e.inflight[in.Started.ClusterName] || e.hooking[in.Started.ClusterName] > 0 {
		// A detection hook's record is being appended to the cluster's
		// events: decided again on the next step, on a view with it.
		e.mu.Unlock()
		return
	}
	e.inflight[in.Started.ClusterName] = true
	e.mu.Unlock()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		var res Result
		var err error
		defer func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			delete(e.inflight, in.Started.ClusterName)
			e.noteEnded(in, res)
			notStarted := errors.Is(err, ErrNotStarted)
			defer e.signalFreed(!notStarted)
			if notStarted {
				return // nothing was done: decide again on the fold's next change
			}
			until := e.Runner.Clock.Now().Add(e.Settle)
			e.settle[in.Started.ClusterName] = until
			if !res.Successor.IsZero() {
				e.settle[res.Successor.String()] = until
			}
		}()
		res, err = e.Runner.Run(ctx, in) // the outcome is in the log; Run logs it
	}()
}

// ErrBusy is returned when a recovery or a manual operation already runs
// on the cluster.
var ErrBusy = errors.New("a recovery or manual operation is already running on this cluster")

// RunManual runs an operator's recovery (takeover, forced failover, manual
// recover) synchronously, under the same one-per-cluster rule and with the
// same intent, steps and fencing as an automated one.
func (e *Engine) RunManual(ctx context.Context, in Intent) (res Result, err error) {
	if err := e.claim(in.Started.ClusterName); err != nil {
		return Result{}, err
	}
	defer func() {
		e.mu.Lock()
		delete(e.inflight, in.Started.ClusterName)
		e.noteEnded(in, res)
		e.signalFreed(true)
		e.mu.Unlock()
	}()
	e.awaitHookRecords(ctx, in.Started.ClusterName)
	return e.Runner.Run(ctx, in)
}

// RunOperation runs an operator's manual operation (relocate, stop
// replication, a bulk move, …) on cluster under the same one-actor-per-
// cluster rule as recoveries: refused with ErrBusy while a recovery or
// another operation runs there, and no automated recovery of the cluster
// starts while it runs (the engine decides again when it ends, on a view
// with its outcome). A re-pointed replica passes through states a failure
// also shows; acting on them mid-operation would fight the operator.
func (e *Engine) RunOperation(ctx context.Context, cluster string, op Operation) (string, error) {
	if err := e.claim(cluster); err != nil {
		return "", err
	}
	defer func() {
		e.mu.Lock()
		delete(e.inflight, cluster)
		e.signalFreed(true)
		e.mu.Unlock()
	}()
	e.awaitHookRecords(ctx, cluster)
	return e.Runner.RunOperation(ctx, op)
}

// claim marks cluster in flight, or says it already is.
func (e *Engine) claim(cluster string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.inflight[cluster] {
		return fmt.Errorf("%s: %w", cluster, ErrBusy)
	}
	e.inflight[cluster] = true
	return nil
}

// noteEnded remembers the run of in if it recorded its outcome (see
// orphaned). e.mu is held.
func (e *Engine) noteEnded(in Intent, res Result) {
	if res.EndSeq > 0 {
		e.ended[in.Started.ClusterName] = endedRun{recovery: in.Started.RecoveryID, seq: res.EndSeq}
	}
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

// detectionHooks runs OnFailureDetectionProcesses for a detection that
// does not start a recovery this round (Detect, Block; a Start runs them
// in its announce), in a goroutine owned by the engine, so a slow hook
// never holds the loop back. Nothing runs for a code whose rule has no
// DetectionHooks (analysis.DetectionHooked) or a
// failed instance that is downtimed or in maintenance. Each command's
// hook-ran goes to the cluster's events, correlated by the detection id
// (no recovery id). A failing command stops the list; nothing else
// follows from it (no recovery was to start this round). A recovery may
// start on the cluster while the list runs: the records wait for it to end
// (recordDetectionHook).
func (e *Engine) detectionHooks(ctx context.Context, v *projections.View, d analysis.Decision, epoch uint64) {
	r := e.Runner.snapshot()
	if r.Hooks == nil || len(r.Lists.OnFailureDetection) == 0 || d.Analysis == nil || !analysis.DetectionHooked(d.Analysis.Analysis) {
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
			e.Logger.Warn().Err(err).Str("detection", id).Str("analysis", string(a.Analysis)).Msg("detection hooks failed")
		}
	}()
}

// recordDetectionHook appends a detection hook's hook-ran to its cluster's
// events when no recovery of this node runs there: a recovery's appends
// expect the cluster's previous sequence, and a record landing between two
// of them would fence it. It waits for the recovery to end (woken when the
// cluster is freed) or the engine to stop; during the append no recovery
// launches on the cluster (launch). The hooks themselves never hold a
// recovery back.
func (e *Engine) recordDetectionHook(ctx context.Context, env events.Envelope) error {
	e.claimHookRecord(ctx, env.Cluster)
	defer e.hookRecordDone(env.Cluster)
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
	hc.AutoMasterRecovery = e.CurrentParams().RecoverMasterClusterFilters.Match(cd.ClusterName, cd.ClusterAlias)
	hc.AutoIntermediateMasterRecovery = e.CurrentParams().RecoverIntermediateMasterClusterFilters.Match(cd.ClusterName, cd.ClusterAlias)
	hc.OrchestratorHost = e.Runner.Node
	return hc
}

// claimHookRecord counts one more detection hook record being appended to
// cluster, once no recovery of this node runs there, or at once when ctx
// ends (stopping: the recovery stops too; the record is appended within
// its bound).
func (e *Engine) claimHookRecord(ctx context.Context, cluster string) {
	for {
		e.mu.Lock()
		if !e.inflight[cluster] || ctx.Err() != nil {
			e.hooking[cluster]++
			e.mu.Unlock()
			return
		}
		freed := e.freed
		e.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-freed:
		}
	}
}

// hookRecordDone counts one detection hook record of cluster less; the
// last one frees the cluster (a launch held back by it may go on, an
// operation waiting for it starts).
func (e *Engine) hookRecordDone(cluster string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.hooking[cluster]--; e.hooking[cluster] <= 0 {
		delete(e.hooking, cluster)
		e.signalFreed(true)
	}
}

// awaitHookRecords waits (at most recordHookTimeout) for the detection hook
// records being appended to cluster: an operation's first append expects
// the cluster's last sequence, read at its start. New records wait for the
// operation (cluster in flight).
func (e *Engine) awaitHookRecords(ctx context.Context, cluster string) {
	t := time.NewTimer(recordHookTimeout)
	defer t.Stop()
	for {
		e.mu.Lock()
		n, freed := e.hooking[cluster], e.freed
		e.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			return
		case <-freed:
		}
	}
}
