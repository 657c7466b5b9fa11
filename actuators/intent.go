package actuators

import (
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// IntentSpec is what a recovery's intent is built from, whoever decided
// it: the engine (an automated recovery, or the resume of an orphaned
// one), or the operator (a takeover, a forced failover, a recover).
type IntentSpec struct {
	RecoveryID  string
	DetectionID string // empty for manual recoveries
	// Type is the recovery type (MasterRecovery, IntermediateMasterRecovery,
	// GracefulMasterTakeover, …); the plan's Graceful, Reattach and
	// Intermediate follow from it.
	Type        events.RecoveryType
	Analysis    events.AnalysisCode
	Description string // the failure's description ({failureDescription})
	Command     string // {command}: the operator's command, "" for automated
	Failed      events.InstanceKey
	Cluster     projections.ClusterInfo // name, alias and domain
	Successor   events.InstanceKey      // zero: none acceptable (the run fails at choose-candidate)
	Candidates  []events.Candidate
	// Replicas are the failed instance's other replicas to re-point; nil:
	// the failed instance's replicas in the view, but the successor.
	Replicas []events.InstanceKey
	// SemiSyncDisable: a semi-sync recovery's replicas to turn semi-sync
	// off on (nil with Replicas nil: computed from the view).
	SemiSyncDisable []events.InstanceKey
	Manual          bool
	Who             string
	Node            string // the node that runs it
	Epoch           uint64
	// Automated marks an engine decision: {autoMasterRecovery} and
	// {autoIntermediateMasterRecovery} are true. IsCoMaster is the
	// analysis' (orchestrator's {isCoMaster}).
	Automated  bool
	IsCoMaster bool
	// SkipHooks runs the recovery without its hooks (recover-lite).
	SkipHooks bool
	// RecoverLockedSemiSyncMaster and EnforceExactSemiSyncReplicas choose
	// how a promotion sets the replica side of semi-sync on the re-pointed
	// replicas (analysis.PromotionSemiSync).
	RecoverLockedSemiSyncMaster  bool
	EnforceExactSemiSyncReplicas bool
	// SemiSyncMoves: a resumed promotion's semi-sync moves (nil: computed
	// from the view).
	SemiSyncMoves []events.SemiSyncMove
}

// NewIntent is the one builder of a recovery's intent: the started event
// (which is the plan: Intent.Plan derives it) and the hook context, from
// spec and the view (nil: the hook placeholders only the topology knows
// stay empty).
func NewIntent(v *projections.View, s IntentSpec) Intent {
	started := events.RecoveryStarted{RecoveryID: s.RecoveryID, DetectionID: s.DetectionID, Type: s.Type,
		Analysis: s.Analysis, Description: s.Description, Failed: s.Failed, ClusterName: s.Cluster.ClusterName,
		ClusterAlias: s.Cluster.ClusterAlias, ClusterDomain: s.Cluster.ClusterDomain, Candidates: s.Candidates,
		Successor: s.Successor, Replicas: s.Replicas, SemiSyncDisable: s.SemiSyncDisable, Node: s.Node, Manual: s.Manual, Who: s.Who, SkipHooks: s.SkipHooks,
		SemiSyncMoves: s.SemiSyncMoves}
	switch {
	case started.Replicas != nil || started.SemiSyncDisable != nil || v == nil:
	case s.Type == events.RecoveryLockedSemiSyncMaster, s.Type == events.RecoverySemiSyncExact:
		// The replicas to turn semi-sync on and off on; none: the run fails.
		started.Replicas, started.SemiSyncDisable, _ = analysis.SemiSyncActions(v, s.Failed, s.Type == events.RecoverySemiSyncExact)
	default:
		for _, r := range v.Replicas(s.Failed) {
			if r.Key != s.Successor {
				started.Replicas = append(started.Replicas, r.Key)
			}
		}
	}
	if v != nil && started.SemiSyncMoves == nil && promotes(s.Type) && !s.Successor.IsZero() {
		var demoted events.InstanceKey
		if s.Type == events.RecoveryGracefulMasterTakeover || s.Type == events.RecoveryGracefulMasterTakeoverAuto {
			demoted = s.Failed
		}
		started.SemiSyncMoves = analysis.PromotionSemiSync(v, s.Successor, started.Replicas, demoted,
			s.RecoverLockedSemiSyncMaster, s.EnforceExactSemiSyncReplicas)
	}
	in := Intent{Started: started, Epoch: s.Epoch}
	in.Hook = hookContext(v, in.Plan(), s)
	return in
}

// ResumeIntent is the intent of a recovery another node (or an earlier
// epoch of this one) started and did not finish, read from its started
// event: same id, same plan, every step re-run idempotently.
func ResumeIntent(v *projections.View, started events.RecoveryStarted, node string, epoch uint64) Intent {
	s := IntentSpec{RecoveryID: started.RecoveryID, DetectionID: started.DetectionID, Type: started.Type,
		Analysis: started.Analysis, Description: started.Description, Failed: started.Failed,
		Cluster:   projections.ClusterInfo{ClusterName: started.ClusterName, ClusterAlias: started.ClusterAlias, ClusterDomain: started.ClusterDomain},
		Successor: started.Successor, Candidates: started.Candidates, Replicas: started.Replicas,
		SemiSyncDisable: started.SemiSyncDisable, Manual: started.Manual, Who: started.Who, Node: node, Epoch: epoch, SkipHooks: started.SkipHooks,
		SemiSyncMoves: started.SemiSyncMoves}
	in := NewIntent(v, s)
	in.Resume = true
	return in
}

// Plan is the promotion the intent's started event describes.
func (in Intent) Plan() MasterPlan {
	s := in.Started
	return MasterPlan{RecoveryID: s.RecoveryID, Type: s.Type, Analysis: s.Analysis, Cluster: s.ClusterName,
		Alias: s.ClusterAlias, Domain: s.ClusterDomain, Failed: s.Failed, Successor: s.Successor, Replicas: s.Replicas,
		Graceful:     s.Type == events.RecoveryGracefulMasterTakeover || s.Type == events.RecoveryGracefulMasterTakeoverAuto,
		Reattach:     s.Type == events.RecoveryGracefulMasterTakeoverAuto,
		Intermediate: s.Type == events.RecoveryIntermediateMaster,
		SetWriteable: s.Type == events.RecoveryNonWriteableMaster,
		SemiSync:     s.Type == events.RecoveryLockedSemiSyncMaster || s.Type == events.RecoverySemiSyncExact,
		SemiSyncOff:  s.SemiSyncDisable, SemiSyncMoves: s.SemiSyncMoves}
}

// promotes tells whether a recovery type promotes a replica to primary.
func promotes(t events.RecoveryType) bool {
	switch t {
	case events.RecoveryIntermediateMaster, events.RecoveryNonWriteableMaster,
		events.RecoveryLockedSemiSyncMaster, events.RecoverySemiSyncExact:
		return false
	}
	return true
}

// ChooseSuccessor picks where a failed instance's replicas go: the best
// replica to promote, or, for an intermediate primary, the sibling or
// grandparent to move them below. The candidates say why each was chosen
// or rejected.
func ChooseSuccessor(v *projections.View, failed events.InstanceKey, recoveryType events.RecoveryType, p analysis.Params) (events.InstanceKey, []events.Candidate, error) {
	switch recoveryType {
	case events.RecoveryIntermediateMaster:
		return analysis.ChooseIntermediateTarget(v, failed, p)
	case events.RecoveryNonWriteableMaster, events.RecoveryLockedSemiSyncMaster, events.RecoverySemiSyncExact:
		return failed, nil, nil // the primary stays the primary
	}
	return analysis.ChooseCandidate(v, failed, p)
}

// hookContext fills the placeholders of a recovery's hooks. The replica
// hosts are the ones the plan names: the promoted replica first, then the
// replicas to re-point (an intermediate primary's successor is not its
// replica).
func hookContext(v *projections.View, p MasterPlan, s IntentSpec) HookContext {
	var hosts []string
	if !p.Intermediate && !p.Successor.IsZero() {
		hosts = append(hosts, p.Successor.String())
	}
	hosts = append(hosts, keyStrings(p.Replicas)...)
	hc := HookContextFor(v, p, s.Analysis, s.Description, s.Command, hosts)
	hc.IsCoMaster = s.IsCoMaster
	if p.Intermediate {
		hc.InstanceType, hc.IsMaster = "intermediate-master", false
	}
	if s.Automated {
		hc.AutoMasterRecovery, hc.AutoIntermediateMasterRecovery = true, true
	}
	return hc
}
