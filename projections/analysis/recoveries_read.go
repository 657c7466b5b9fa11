package analysis

import (
	"maps"
	"slices"
	"time"

	"github.com/regent-ha/regent/events"
)

// applyProgress folds the events that belong to a started recovery. One
// for an unknown recovery (trimmed, or a foreign id) is consumed.
func (r *Recoveries) applyProgress(e events.Envelope) error {
	var id string
	var apply func(t *TopologyRecovery)
	switch e.Kind {
	case events.KindRecoveryStep:
		var p events.RecoveryStep
		if err := e.Decode(&p); err != nil {
			return err
		}
		id, apply = p.RecoveryID, func(t *TopologyRecovery) { t.addStep(p) }
	case events.KindRecoveryCompleted:
		var p events.RecoveryCompleted
		if err := e.Decode(&p); err != nil {
			return err
		}
		id, apply = p.RecoveryID, func(t *TopologyRecovery) { t.complete(p, e.Time) }
	case events.KindRecoveryFailed:
		var p events.RecoveryFailed
		if err := e.Decode(&p); err != nil {
			return err
		}
		id, apply = p.RecoveryID, func(t *TopologyRecovery) { t.fail(p, e.Time) }
	case events.KindHookRan:
		var p events.HookRan
		if err := e.Decode(&p); err != nil {
			return err
		}
		if d, ok := r.detections[e.CorrelationID]; ok && p.RecoveryID == "" {
			d.Hooks = append(d.Hooks, p) // a detection's hooks, no recovery
			return nil
		}
		id, apply = p.RecoveryID, func(t *TopologyRecovery) { t.Hooks = append(t.Hooks, p) }
	case events.KindVIPMoved:
		var p events.VIPMoved
		if err := e.Decode(&p); err != nil {
			return err
		}
		id, apply = p.RecoveryID, func(t *TopologyRecovery) { t.VIPMoves = append(t.VIPMoves, p) }
	}
	if t, ok := r.recoveries[id]; ok {
		apply(t)
	}
	return nil
}

func (t *TopologyRecovery) addStep(p events.RecoveryStep) {
	t.Steps = append(t.Steps, p)
	if !p.Target.IsZero() && !slices.Contains(t.ParticipatingInstanceKeys, p.Target) {
		t.ParticipatingInstanceKeys = append(t.ParticipatingInstanceKeys, p.Target)
	}
	if p.Outcome == events.StepFailed && p.Error != "" {
		t.AllErrors = append(t.AllErrors, p.Step+": "+p.Error)
	}
}

func (t *TopologyRecovery) complete(p events.RecoveryCompleted, at time.Time) {
	if !t.IsActive {
		return
	}
	t.IsActive, t.IsSuccessful, t.EndedAt, t.RecoveryEndTimestamp = false, true, at, stamp(at)
	if !p.Successor.IsZero() {
		k := p.Successor
		t.SuccessorKey = &k
	}
	t.LostReplicas = slices.Clone(p.LostReplicas)
}

func (t *TopologyRecovery) fail(p events.RecoveryFailed, at time.Time) {
	if !t.IsActive {
		return
	}
	t.IsActive, t.IsSuccessful, t.EndedAt, t.RecoveryEndTimestamp = false, false, at, stamp(at)
	t.FailedStep = p.Step
	if p.Error != "" {
		t.AllErrors = append(t.AllErrors, p.Step+": "+p.Error)
	}
}

func (r *Recoveries) applyAck(e events.Envelope) error {
	var p events.RecoveryAcknowledged
	if err := e.Decode(&p); err != nil {
		return err
	}
	for _, id := range r.recOrder {
		t := r.recoveries[id]
		match := p.All || (p.RecoveryID != "" && p.RecoveryID == t.UID) ||
			(p.ClusterName != "" && t.concerns(p.ClusterName, "", events.InstanceKey{})) ||
			(!p.Instance.IsZero() && p.Instance == t.Failed())
		if !match || t.Acknowledged {
			continue
		}
		t.Acknowledged, t.AcknowledgedBy, t.AcknowledgedComment = true, p.Who, p.Comment
		t.AcknowledgedAt, t.AcknowledgedOn = stamp(e.Time), e.Time
	}
	return nil
}

func (r *Recoveries) applyBlocked(e events.Envelope) error {
	var p events.RecoveryBlocked
	if err := e.Decode(&p); err != nil {
		return err
	}
	id := p.DetectionID
	if id == "" {
		id = p.Failed.String() + "/" + string(p.Analysis)
	}
	b, ok := r.blocked[id]
	if !ok {
		b = &BlockedRecovery{FailedInstanceKey: p.Failed, ClusterName: p.ClusterName, Analysis: p.Analysis, DetectionID: p.DetectionID}
		r.blocked[id] = b
	}
	b.Reason, b.BlockingRecoveryUID, b.Count = p.Reason, p.BlockingRecoveryID, b.Count+1
	b.LastBlockedAt, b.LastBlockedTimestamp = e.Time, stamp(e.Time)
	b.BlockingRecoveryId = 0
	if t, ok := r.recoveries[p.BlockingRecoveryID]; ok {
		b.BlockingRecoveryId = t.Id
	}
	r.blockedOrder = slices.DeleteFunc(r.blockedOrder, func(s string) bool { return s == id })
	r.blockedOrder = append(r.blockedOrder, id)
	if len(r.blockedOrder) > historyLimit {
		delete(r.blocked, r.blockedOrder[0])
		r.blockedOrder = r.blockedOrder[1:]
	}
	return nil
}

func (r *Recoveries) trimDetections() {
	for len(r.detOrder) > historyLimit {
		i := slices.IndexFunc(r.detOrder, func(id string) bool { return !r.detections[id].IsActive })
		if i < 0 {
			return
		}
		d := r.detections[r.detOrder[i]]
		if k := (detKey{d.AnalysisEntry.AnalyzedInstanceKey, d.AnalysisEntry.Analysis}); r.lastDetect[k] == d.UID {
			delete(r.lastDetect, k)
		}
		delete(r.detections, d.UID)
		delete(r.attempts, d.UID)
		r.detOrder = slices.Delete(r.detOrder, i, i+1)
	}
}

func (r *Recoveries) trimRecoveries() {
	for len(r.recOrder) > historyLimit {
		i := slices.IndexFunc(r.recOrder, func(id string) bool { return !r.recoveries[id].IsActive })
		if i < 0 {
			return
		}
		delete(r.recoveries, r.recOrder[i])
		r.recOrder = slices.Delete(r.recOrder, i, i+1)
	}
}

// Clone returns an independent copy: applying events to either never
// changes the other.
func (r *Recoveries) Clone() *Recoveries {
	n := *r
	n.detections = make(map[string]*FailureDetection, len(r.detections))
	for k, d := range r.detections {
		c := *d
		c.RecoveryUIDs = slices.Clone(d.RecoveryUIDs)
		c.Hooks = slices.Clone(d.Hooks)
		n.detections[k] = &c
	}
	n.recoveries = make(map[string]*TopologyRecovery, len(r.recoveries))
	for k, t := range r.recoveries {
		c := t.clone()
		n.recoveries[k] = &c
	}
	n.blocked = make(map[string]*BlockedRecovery, len(r.blocked))
	for k, b := range r.blocked {
		c := *b
		n.blocked[k] = &c
	}
	n.detOrder, n.recOrder, n.blockedOrder = slices.Clone(r.detOrder), slices.Clone(r.recOrder), slices.Clone(r.blockedOrder)
	n.lastDetect, n.lastClear, n.attempts = maps.Clone(r.lastDetect), maps.Clone(r.lastClear), maps.Clone(r.attempts)
	n.clusterSeq = maps.Clone(r.clusterSeq)
	return &n
}

// ClusterSeq is the stream sequence of the last event folded on cluster's
// subject (events.ClusterEvents; "" is the global aggregate), 0 when none:
// the position a decision made on this fold was made at. An append that
// expects it (eventlog.ExpectClusterSeq) fails when any event of the
// cluster was stored after it, folded here or not.
func (r *Recoveries) ClusterSeq(cluster string) uint64 { return r.clusterSeq[cluster] }

// GlobalRecoveriesEnabled reports the disable/enable-global-recoveries
// switch, who set it last and when.
func (r *Recoveries) GlobalRecoveriesEnabled() (enabled bool, who string, at time.Time) {
	return !r.globalDisabled, r.globalWho, r.globalAt
}

// Recovery returns one recovery by its UID (RecoveryStarted.RecoveryID).
func (r *Recoveries) Recovery(uid string) (TopologyRecovery, bool) {
	t, ok := r.recoveries[uid]
	if !ok {
		return TopologyRecovery{}, false
	}
	return t.clone(), true
}

// Active returns the active (started, neither completed nor failed)
// recovery that concerns the cluster, if any: the one the engine resumes.
func (r *Recoveries) Active(cluster string) (TopologyRecovery, bool) {
	for _, id := range r.recOrder {
		if t := r.recoveries[id]; t.IsActive && t.concerns(cluster, "", events.InstanceKey{}) {
			return t.clone(), true
		}
	}
	return TopologyRecovery{}, false
}

// ActiveRecoveries returns every active recovery, oldest first.
func (r *Recoveries) ActiveRecoveries() []TopologyRecovery {
	var out []TopologyRecovery
	for _, id := range r.recOrder {
		if t := r.recoveries[id]; t.IsActive {
			out = append(out, t.clone())
		}
	}
	return out
}

// Recent returns the recoveries that concern cluster ("" for all), newest
// first (audit-recovery).
func (r *Recoveries) Recent(cluster string) []TopologyRecovery {
	out := []TopologyRecovery{}
	for i := len(r.recOrder) - 1; i >= 0; i-- {
		t := r.recoveries[r.recOrder[i]]
		if cluster == "" || t.concerns(cluster, "", events.InstanceKey{}) {
			out = append(out, t.clone())
		}
	}
	return out
}

// Detections returns the failure detections of cluster ("" for all),
// newest first (audit-failure-detection).
func (r *Recoveries) Detections(cluster string) []FailureDetection {
	out := []FailureDetection{}
	for i := len(r.detOrder) - 1; i >= 0; i-- {
		d := r.detections[r.detOrder[i]]
		if cluster == "" || d.AnalysisEntry.ClusterDetails.ClusterName == cluster {
			c := *d
			c.RecoveryUIDs = slices.Clone(d.RecoveryUIDs)
			c.Hooks = slices.Clone(d.Hooks)
			out = append(out, c)
		}
	}
	return out
}

// Detection returns one detection by id.
func (r *Recoveries) Detection(id string) (FailureDetection, bool) {
	d, ok := r.detections[id]
	if !ok {
		return FailureDetection{}, false
	}
	c := *d
	c.RecoveryUIDs = slices.Clone(d.RecoveryUIDs)
	c.Hooks = slices.Clone(d.Hooks)
	return c, true
}

// Blocked returns the blocked recoveries of cluster ("" for all), most
// recently blocked first.
func (r *Recoveries) Blocked(cluster string) []BlockedRecovery {
	out := []BlockedRecovery{}
	for i := len(r.blockedOrder) - 1; i >= 0; i-- {
		b := r.blocked[r.blockedOrder[i]]
		if cluster == "" || b.ClusterName == cluster {
			out = append(out, *b)
		}
	}
	return out
}

// Instances are the instances recovery uid names (nil for an unknown
// uid): the failed one, its successor, the replicas its plan re-points or
// changes, those its steps acted on and those it lost; zero keys and
// repeats are the caller's to drop.
func (r *Recoveries) Instances(uid string) []events.InstanceKey {
	t, ok := r.recoveries[uid]
	if !ok {
		return nil
	}
	out := []events.InstanceKey{t.Failed(), t.Started.Successor}
	if t.SuccessorKey != nil {
		out = append(out, *t.SuccessorKey)
	}
	out = append(out, t.Started.Replicas...)
	out = append(out, t.Started.SemiSyncDisable...)
	out = append(out, t.ParticipatingInstanceKeys...)
	return append(out, t.LostReplicas...)
}
