package actuators

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// HookLists are orchestrator's hook settings.
type HookLists struct {
	OnFailureDetection             []string
	PreFailover                    []string
	PostFailover                   []string
	PostUnsuccessfulFailover       []string
	PostMasterFailover             []string
	PostIntermediateMasterFailover []string
	PreGracefulTakeover            []string
	PostGracefulTakeover           []string
}

// Runner executes decided recoveries: it appends the intent, runs the hooks
// and the steps, and records the outcome. It holds no state between
// recoveries; everything it knows comes from the caller and the log.
type Runner struct {
	Node   string
	DB     DB
	VIP    VIP
	Hooks  Hooks
	Log    Log
	Lease  Lease
	Policy Policy
	Lists  HookLists
	// Settings, when set, replaces Policy and Lists and may be changed
	// while recoveries run (reload-configuration); each Run takes a
	// snapshot at its start.
	Settings *Live[RunnerSettings]
	Clock    Clock
	Logger   zerolog.Logger
	// Credentials runs Policy.CredentialsQuery (nil: not run).
	Credentials CredentialsReader
	// SemiSync sets semi-sync on servers (LockedSemiSyncMasterRecovery;
	// nil: that recovery fails).
	SemiSync SemiSyncSetter
}

// Intent is one recovery to run.
type Intent struct {
	Detected *events.FailureDetected // nil for manual operations
	// Started is the intent as appended; it holds the plan (Plan). Build
	// it with NewIntent or ResumeIntent.
	Started events.RecoveryStarted
	Hook    HookContext
	Epoch   uint64
	// Resume: the intent was appended by a node that died; append
	// recovery-lease-taken instead of a new intent and re-run the plan.
	Resume bool
	// ClusterSeq is, with SeqFromView, the sequence of the cluster's last
	// event in the fold the decision was made on
	// (analysis.Recoveries.ClusterSeq): the first append expects it, so a
	// decision made on a view that misses an event of the cluster (another
	// node's recovery-started, say) appends nothing and runs nothing.
	// Without SeqFromView (manual operations) the first append expects the
	// log's last sequence at the start of Run.
	ClusterSeq  uint64
	SeqFromView bool
}

// ErrNotStarted is matched (beside the cause) by the errors of a Run that
// ended before its intent was appended: nothing was done on any server, and
// the caller may decide again at once. The causes: the decision's view was
// behind the log (ErrFenced as well), or an OnFailureDetectionProcesses
// command failed.
var ErrNotStarted = errors.New("recovery not started")

// Run carries out in. It returns ErrFenced (wrapped) when another node owns
// the cluster's recovery or the decision's view was behind the log (then
// also ErrNotStarted: nothing appended, nothing done), and the recovery's
// error when it failed — which it has then recorded as failed.
func (r *Runner) Run(ctx context.Context, in Intent) (res Result, err error) {
	r = r.snapshot() // the hooks and policy of this recovery, whatever a reload does meanwhile
	start, plan := r.Clock.Now(), in.Plan()
	seq := in.ClusterSeq
	if !in.SeqFromView {
		if seq, err = r.Log.LastClusterSeq(ctx, plan.Cluster); err != nil {
			return Result{}, fmt.Errorf("recover %s: %w", plan.Cluster, err)
		}
	}
	rec := &recorder{log: r.Log, lease: r.Lease, node: r.Node, cluster: plan.Cluster, recovery: in.Started.RecoveryID,
		corr: in.Started.RecoveryID, epoch: in.Epoch, seq: seq, clock: r.Clock, noHooks: in.Started.SkipHooks}
	defer func() { res.EndSeq = rec.endSeq }()
	lg := r.Logger.With().Str(events.LogCluster, plan.Cluster).Str(events.LogRecovery, in.Started.RecoveryID).
		Uint64(events.LogEpoch, in.Epoch).Logger()
	hc := in.Hook
	hc.RecoveryUID, hc.OrchestratorHost = in.Started.RecoveryID, r.Node
	if err = r.announce(ctx, rec, in, hc); err != nil {
		lg.Info().Err(err).Msg("recovery not started")
		return Result{}, fmt.Errorf("recover %s: %w: %w", plan.Cluster, ErrNotStarted, err)
	}
	lg.Info().Str("successor", plan.Successor.String()).Bool("resume", in.Resume).Msg("recovery started")
	// As orchestrator: PreFailoverProcesses run before a successor is
	// chosen (its placeholders stay literal); a graceful takeover's
	// designated replica is known to PreGracefulTakeoverProcesses.
	pre, preHC := r.Lists.PreFailover, withoutSuccessor(hc)
	if plan.Graceful {
		pre, preHC = r.Lists.PreGracefulTakeover, hc
	}
	if plan.SemiSync {
		pre = nil // as orchestrator's checkAndRecoverLockedSemiSyncMaster
	}
	if err := r.hooks(ctx, rec, preName(plan.Graceful), pre, preHC, true); err != nil {
		// As orchestrator: a failing Pre hook aborts before any topology
		// change and no post hook runs (not even PostUnsuccessful…).
		return Result{}, r.fail(ctx, rec, in, hc, "pre-hooks", err, start, false)
	}
	x := &executor{db: r.DB, vip: r.VIP, policy: r.Policy, rec: rec, creds: r.Credentials, semi: r.SemiSync}
	switch {
	case plan.SetWriteable:
		res, err = x.setWriteable(ctx, plan.Failed)
	case plan.SemiSync:
		res, err = x.enableSemiSync(ctx, plan.Failed, plan.Replicas, plan.SemiSyncOff)
	case plan.Successor.IsZero():
		err = &StepError{Step: "choose-candidate", Err: errors.New("no acceptable candidate: " + candidateReasons(in.Started.Candidates))}
	case plan.Graceful:
		res, err = x.takeover(ctx, plan)
	case plan.Intermediate:
		res.Successor = plan.Successor
		res.LostReplicas, err = x.repointAll(ctx, plan.Replicas, plan.Successor, SlavePos)
	default:
		res, err = x.promote(ctx, plan)
	}
	if err != nil {
		if errors.Is(err, ErrFenced) {
			lg.Warn().Err(err).Msg("recovery taken over by another node")
			return res, err
		}
		step := "execute"
		var se *StepError
		if errors.As(err, &se) {
			step = se.Step
		}
		return res, r.fail(ctx, rec, in, hc, step, err, start, true)
	}
	return res, r.complete(ctx, rec, in, hc, res, start)
}

// withoutSuccessor is hc as before a successor was chosen.
func withoutSuccessor(hc HookContext) HookContext {
	hc.SuccessorHost, hc.SuccessorPort, hc.SuccessorAlias, hc.SuccessorBinlogCoordinates = "", 0, "", ""
	return hc
}

func preName(graceful bool) string {
	if graceful {
		return "PreGracefulTakeoverProcesses"
	}
	return "PreFailoverProcesses"
}

// announce appends the detection (with its hooks) and the intent, or, when
// resuming, the lease takeover.
func (r *Runner) announce(ctx context.Context, rec *recorder, in Intent, hc HookContext) error {
	if in.Resume {
		return rec.append(ctx, events.KindRecoveryLeaseTaken, in.Started, in.Plan().Failed.String())
	}
	if in.Detected != nil {
		if err := r.appendDetection(ctx, rec, in); err != nil {
			return err
		}
		// As orchestrator: the list stops at the first failing command and
		// no recovery starts this round; the next round proceeds, because
		// the detection (already appended) does not run its hooks again.
		if err := r.hooks(ctx, rec, listOnFailureDetection, r.Lists.OnFailureDetection, withoutSuccessor(hc), true); err != nil {
			return err
		}
	}
	return rec.append(ctx, events.KindRecoveryStarted, in.Started, in.Plan().Failed.String())
}

// appendDetection appends the intent's failure-detected (id
// "det-<DetectionID>") where the decision's fold stands. An append that
// finds it already stored (another node's, or this node's on a view that
// had not folded it) is refused as fenced: the view was behind, and the
// detection's hooks ran where it was stored.
func (r *Runner) appendDetection(ctx context.Context, rec *recorder, in Intent) error {
	if !rec.lease.Holds(rec.epoch) {
		return fmt.Errorf("append %s: %w (epoch %d no longer held)", events.KindFailureDetected, ErrFenced, rec.epoch)
	}
	env, err := events.New(events.KindFailureDetected, r.Clock.Now(), r.Node, in.Detected)
	if err != nil {
		return fmt.Errorf("build failure-detected: %w", err)
	}
	env.ID = "det-" + in.Detected.DetectionID
	env.Cluster, env.Instance, env.Epoch, env.CorrelationID = rec.cluster, in.Plan().Failed.String(), rec.epoch, rec.corr
	seq, stored, err := appendAck(ctx, r.Log, env, rec.seq)
	if err != nil {
		return fmt.Errorf("append failure-detected for recovery %s: %w", rec.recovery, err)
	}
	if !stored {
		return fmt.Errorf("append failure-detected %s: %w (already stored)", in.Detected.DetectionID, ErrFenced)
	}
	rec.seq = seq
	return nil
}

// hooks runs a list and records each command's outcome. Asynchronous
// commands are recorded when they finish (best effort: the recovery may
// have ended; their record then goes to the log without a precondition).
func (r *Runner) hooks(ctx context.Context, rec *recorder, list string, cmds []string, hc HookContext, failFast bool) error {
	if len(cmds) == 0 || r.Hooks == nil || rec.noHooks {
		return nil
	}
	done := func(h events.HookRan) {
		h.RecoveryID = rec.recovery
		env, err := events.New(events.KindHookRan, r.Clock.Now(), r.Node, h)
		if err != nil {
			return
		}
		env.Cluster, env.Epoch, env.CorrelationID = rec.cluster, rec.epoch, rec.corr
		if _, err := r.Log.AppendCluster(context.Background(), env, AnyPosition); err != nil {
			r.Logger.Warn().Err(err).Str(events.LogHook, h.Command).Msg("record asynchronous hook")
		}
	}
	ran, err := r.Hooks.Run(ctx, list, cmds, hc, failFast, done)
	for _, h := range ran {
		h.RecoveryID = rec.recovery
		if aerr := rec.append(ctx, events.KindHookRan, h, ""); aerr != nil {
			return aerr
		}
	}
	return err
}

// fail records the recovery failed at step and, with post, runs
// PostUnsuccessfulFailoverProcesses.
func (r *Runner) fail(ctx context.Context, rec *recorder, in Intent, hc HookContext, step string, cause error, start time.Time, post bool) error {
	hc.IsSuccessful = false
	if err := rec.append(ctx, events.KindRecoveryFailed, events.RecoveryFailed{RecoveryID: in.Started.RecoveryID, Step: step,
		Error: cause.Error(), Took: r.Clock.Now().Sub(start)}, in.Plan().Failed.String()); err != nil {
		return errors.Join(cause, err)
	}
	if post { // as orchestrator: an unsuccessful recovery has no successor
		if err := r.hooks(ctx, rec, "PostUnsuccessfulFailoverProcesses", r.Lists.PostUnsuccessfulFailover, withoutSuccessor(hc), false); err != nil {
			return errors.Join(cause, err)
		}
	}
	r.Logger.Error().Err(cause).Str(events.LogRecovery, in.Started.RecoveryID).Str(events.LogStep, step).Msg("recovery failed")
	return fmt.Errorf("recovery %s failed at %s: %w", in.Started.RecoveryID, step, cause)
}

func (r *Runner) complete(ctx context.Context, rec *recorder, in Intent, hc HookContext, res Result, start time.Time) error {
	if addr := r.VIP.Address(); addr != "" && !in.Plan().SetWriteable && !in.Plan().SemiSync {
		if err := rec.append(ctx, events.KindVIPMoved, events.VIPMoved{RecoveryID: in.Started.RecoveryID, VIP: addr,
			From: in.Plan().Failed, To: res.Successor}, res.Successor.String()); err != nil {
			return err
		}
	}
	if err := rec.append(ctx, events.KindRecoveryCompleted, events.RecoveryCompleted{RecoveryID: in.Started.RecoveryID,
		Successor: res.Successor, LostReplicas: res.LostReplicas, Took: r.Clock.Now().Sub(start)}, res.Successor.String()); err != nil {
		return err
	}
	hc.IsSuccessful = true
	hc.SuccessorHost, hc.SuccessorPort = res.Successor.Hostname, res.Successor.Port
	hc.LostReplicas = keyStrings(res.LostReplicas)
	hc.CountLostReplicas = len(res.LostReplicas)
	lists := []struct {
		name string
		cmds []string
	}{{"PostMasterFailoverProcesses", r.Lists.PostMasterFailover}, {"PostFailoverProcesses", r.Lists.PostFailover}}
	if in.Plan().Intermediate {
		lists[0].name, lists[0].cmds = "PostIntermediateMasterFailoverProcesses", r.Lists.PostIntermediateMasterFailover
	}
	if in.Plan().SetWriteable || in.Plan().SemiSync {
		lists = lists[1:] // as orchestrator: PostFailoverProcesses only
	}
	if in.Plan().Graceful {
		lists = lists[:0]
		lists = append(lists, struct {
			name string
			cmds []string
		}{"PostGracefulTakeoverProcesses", r.Lists.PostGracefulTakeover})
	}
	for _, l := range lists {
		if err := r.hooks(ctx, rec, l.name, l.cmds, hc, false); err != nil {
			return err
		}
	}
	r.Logger.Info().Str(events.LogRecovery, in.Started.RecoveryID).Str("successor", res.Successor.String()).
		Dur(events.LogDuration, r.Clock.Now().Sub(start)).Msg("recovery completed")
	return nil
}

func candidateReasons(cs []events.Candidate) string {
	if len(cs) == 0 {
		return "no replicas"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Key.String() + ": " + c.Reason
	}
	return strings.Join(parts, "; ")
}

func keyStrings(ks []events.InstanceKey) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.String()
	}
	return out
}

// HookContextFor fills the placeholders known from the plan and, when v is
// not nil, those only the topology knows (FillFromView).
func HookContextFor(v *projections.View, p MasterPlan, analysis events.AnalysisCode, description, command string, replicas []string) HookContext {
	hc := HookContext{
		FailureType: string(analysis), FailureDescription: description, InstanceType: "master", IsMaster: true,
		Command: command, FailedHost: p.Failed.Hostname, FailedPort: p.Failed.Port,
		FailureCluster: p.Cluster, FailureClusterAlias: p.Alias, FailureClusterDomain: p.Domain,
		CountReplicas: len(replicas), ReplicaHosts: replicas,
		SuccessorHost: p.Successor.Hostname, SuccessorPort: p.Successor.Port,
	}
	if v != nil {
		FillFromView(&hc, v, p.Failed, p.Successor)
	}
	return hc
}
