package analysis

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// Action is what a Decision asks the engine to do.
type Action int

// Actions.
const (
	// ActionDetect: append Failure (a non-actionable failure, with the
	// reason no recovery follows).
	ActionDetect Action = iota + 1
	// ActionStart: append Failure when NewDetection, then start a recovery
	// of RecoveryType for it.
	ActionStart
	// ActionBlock: append Failure when NewDetection, then Blocked.
	ActionBlock
	// ActionClear: append Cleared: a detected failure went away without a
	// recovery.
	ActionClear
)

func (a Action) String() string {
	switch a {
	case ActionDetect:
		return "detect"
	case ActionStart:
		return "start"
	case ActionBlock:
		return "block"
	case ActionClear:
		return "clear"
	}
	return "action-" + strconv.Itoa(int(a))
}

// Decision is one thing the engine should append (and, for Start, do).
type Decision struct {
	Action Action
	// Analysis is the analysis decided on (nil for Clear).
	Analysis *Analysis
	// Failure is the FailureDetected payload, DetectionID set; append it
	// first when NewDetection.
	Failure      events.FailureDetected
	NewDetection bool
	// RecoveryType (events.RecoveryMaster, events.RecoveryIntermediateMaster) and Attempt
	// (1 + recoveries already started for this detection) for Start.
	RecoveryType events.RecoveryType
	Attempt      int
	Blocked      events.RecoveryBlocked
	Cleared      events.FailureCleared
}

// Decide turns the current analysis into decisions, given what the log
// says about detections and recoveries (package documentation: "Decide").
// It is pure: two nodes with the same view, fold, now and params decide the
// same, ids included. Decisions are sorted as the analyses (cluster, key),
// clears last.
func Decide(v *projections.View, r *Recoveries, now time.Time, p Params) []Decision {
	var out []Decision
	current := map[detKey]bool{}
	analyses := Analyze(v, p)
	for i := range analyses {
		a := &analyses[i]
		if !a.Detect {
			continue
		}
		current[detKey{a.AnalyzedInstanceKey, a.Analysis}] = true
		if d, ok := decideOne(v, r, a, now, &p); ok {
			out = append(out, d)
		}
	}
	for _, id := range r.detOrder {
		d := r.detections[id]
		k := detKey{d.AnalysisEntry.AnalyzedInstanceKey, d.AnalysisEntry.Analysis}
		if d.Cleared || d.RelatedRecoveryId != 0 || current[k] || r.lastDetect[k] != id {
			continue
		}
		out = append(out, Decision{Action: ActionClear, Cleared: events.FailureCleared{
			DetectionID: id, Failed: k.key, ClusterName: d.AnalysisEntry.ClusterDetails.ClusterName,
		}})
	}
	return out
}

func decideOne(v *projections.View, r *Recoveries, a *Analysis, now time.Time, p *Params) (Decision, bool) {
	d := Decision{Analysis: a, Failure: a.FailureDetected()}
	d.Failure.DetectionID, d.NewDetection = r.detectionFor(a, now, p)
	if !a.IsActionableRecovery {
		d.Failure.Reason = notActionableReason(a.Analysis)
		return Decision{Action: ActionDetect, Analysis: a, Failure: d.Failure, NewDetection: true}, d.NewDetection
	}
	if r.handled(a, d.Failure.DetectionID) {
		return d, false // this run of failures already has its recovery
	}
	reason, blocking := r.blockReason(v, a, now, p)
	if reason == "" {
		d.Action, d.RecoveryType, d.Attempt = ActionStart, a.RecoveryType, r.attempts[d.Failure.DetectionID]+1
		return d, true
	}
	d.Action = ActionBlock
	d.Failure.Actionable, d.Failure.Reason = false, reason
	d.Blocked = events.RecoveryBlocked{
		DetectionID: d.Failure.DetectionID, Analysis: a.Analysis, Failed: a.AnalyzedInstanceKey,
		ClusterName: a.ClusterDetails.ClusterName, Reason: reason, BlockingRecoveryID: blocking,
	}
	if b, ok := r.blocked[d.Failure.DetectionID]; ok && b.Reason == reason && !d.NewDetection {
		return d, false // already recorded as blocked for this reason
	}
	return d, true
}

// detectionFor returns the detection id for the analysis and whether it is
// new (to be appended): an open detection of the same instance and code is
// reused, as is one within FailureDetectionPeriodBlock that no recovery
// handled; otherwise the id is derived from the cluster, the instance, the
// code, the observation sequence at which the failure run began and the
// sequence of the last clear of the same failure.
func (r *Recoveries) detectionFor(a *Analysis, now time.Time, p *Params) (string, bool) {
	k := detKey{a.AnalyzedInstanceKey, a.Analysis}
	if id, ok := r.lastDetect[k]; ok {
		d := r.detections[id]
		open := !d.Cleared && d.RelatedRecoveryId == 0
		recent := d.RelatedRecoveryId == 0 && now.Sub(d.DetectedAt) < p.FailureDetectionPeriodBlock
		if open || recent {
			return id, false
		}
	}
	id := DetectionID(a.ClusterDetails.ClusterName, a.AnalyzedInstanceKey, a.Analysis, a.FailingSince, r.lastClear[k])
	_, known := r.detections[id]
	return id, !known
}

// DetectionID derives a detection id: the same inputs give the same id on
// every node.
func DetectionID(cluster string, failed events.InstanceKey, code events.AnalysisCode, failingSince, lastClearSeq uint64) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%s\x00%d\x00%d", cluster, failed, code, failingSince, lastClearSeq)))
	return "d-" + hex.EncodeToString(h[:10])
}

// handled reports whether a recovery of the failed instance that is still
// running or succeeded started after the current run of failed probes
// began: the same incident, whatever code it shows now (a view lagging
// behind the recovery's re-pointing must not start a second one). A failed
// recovery does not count: the incident may be retried, subject to the
// anti-flap block and acknowledgement. A failure of a reachable instance
// (AllIntermediateMasterReplicasFailingToConnectOrDead) has no run of
// failed probes: only a running recovery of its detection handles it.
func (r *Recoveries) handled(a *Analysis, detectionID string) bool {
	for _, id := range r.recOrder {
		t := r.recoveries[id]
		if t.Failed() != a.AnalyzedInstanceKey {
			continue
		}
		if a.FailingSinceAt.IsZero() {
			if t.IsActive && t.DetectionID == detectionID {
				return true
			}
			continue
		}
		if !t.StartedAt.Before(a.FailingSinceAt) && (t.IsActive || t.IsSuccessful) {
			return true
		}
	}
	return false
}

// blockReason says why no automated recovery may start for a, and the
// blocking recovery's id when another recovery is the reason.
func (r *Recoveries) blockReason(v *projections.View, a *Analysis, now time.Time, p *Params) (string, string) {
	name, alias := a.ClusterDetails.ClusterName, a.ClusterDetails.ClusterAlias
	filters, filterName := p.RecoverMasterClusterFilters, "RecoverMasterClusterFilters"
	if a.RecoveryType == events.RecoveryIntermediateMaster {
		filters, filterName = p.RecoverIntermediateMasterClusterFilters, "RecoverIntermediateMasterClusterFilters"
	}
	if r.globalDisabled {
		return "global recoveries disabled by " + pickStr(r.globalWho, "unknown"), ""
	}
	// As orchestrator, RecoverNonWriteableMaster and
	// RecoverLockedSemiSyncMaster alone opt clusters into their recoveries:
	// the filters do not apply.
	filtered := a.RecoveryType != events.RecoveryNonWriteableMaster && a.RecoveryType != events.RecoveryLockedSemiSyncMaster &&
		a.RecoveryType != events.RecoverySemiSyncExact
	if filtered && !filters.Match(name, alias) {
		return fmt.Sprintf("cluster %s (alias %s) does not match %s", name, alias, filterName), ""
	}
	if matchAny(p.RecoveryIgnoreHostnameFilters, a.AnalyzedInstanceKey.Hostname) {
		return "host matches RecoveryIgnoreHostnameFilters", ""
	}
	if inst, ok := v.Instance(a.AnalyzedInstanceKey); ok && inst.IsDowntimed {
		return fmt.Sprintf("instance downtimed by %s: %s", inst.DowntimeOwner, inst.DowntimeReason), ""
	}
	if inst, ok := v.Instance(a.AnalyzedInstanceKey); ok && inst.IsInMaintenance {
		return MaintenanceReason(inst), ""
	}
	for _, id := range r.recOrder {
		if t := r.recoveries[id]; t.IsActive && t.concerns(name, alias, a.AnalyzedInstanceKey) {
			return "recovery " + t.UID + " is still running on the cluster", t.UID
		}
	}
	for i := len(r.recOrder) - 1; i >= 0; i-- {
		t := r.recoveries[r.recOrder[i]]
		if t.Acknowledged || !t.concerns(name, alias, a.AnalyzedInstanceKey) {
			continue
		}
		if now.Sub(t.EndedAt) < p.RecoveryPeriodBlock {
			return fmt.Sprintf("recovery %s on the cluster ended at %s, within RecoveryPeriodBlockSeconds (%s), and is not acknowledged",
				t.UID, t.RecoveryEndTimestamp, p.RecoveryPeriodBlock), t.UID
		}
	}
	return "", ""
}

// MaintenanceReason says why an instance under begin-maintenance is left
// alone: no automated recovery, no manual recover, never promoted.
func MaintenanceReason(inst *projections.Instance) string {
	s := fmt.Sprintf("instance in maintenance by %s: %s", inst.MaintenanceOwner, inst.MaintenanceReason)
	if inst.MaintenanceEndTimestamp != "" {
		s += " (until " + inst.MaintenanceEndTimestamp + ")"
	}
	return s
}

func notActionableReason(code events.AnalysisCode) string {
	switch code {
	case events.AnalysisUnreachableMaster, events.AnalysisUnreachableIntermediateMaster:
		return "not actionable: a reachable replica still replicates from it, so only the Regent nodes lost it"
	case events.AnalysisUnreachableMasterWithLaggingReplicas, events.AnalysisUnreachableIntermediateMasterWithLaggingReplicas:
		return "not actionable: its replicas still replicate from it (lagging)"
	case events.AnalysisDeadMasterWithoutReplicas:
		return "not actionable: no replica to promote"
	case events.AnalysisDeadMasterAndReplicas, events.AnalysisDeadIntermediateMasterAndReplicas:
		return "not actionable: none of its replicas is reachable"
	case events.AnalysisDeadIntermediateMasterWithSingleReplica:
		return "not actionable: single replica, nothing to regroup"
	case events.AnalysisLockedSemiSyncMaster:
		return "not actionable: RecoverLockedSemiSyncMaster is off"
	}
	return "not actionable"
}
