package analysis

import (
	"fmt"
	"slices"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// historyLimit bounds the ended recoveries, detections and blocked entries
// the fold keeps; active recoveries and open detections are never dropped.
const historyLimit = 1000

// TopologyRecovery is orchestrator's TopologyRecovery JSON shape (the
// audit-recovery API), with Regent's extensions after RecoveryType.
type TopologyRecovery struct {
	Id                        uint64
	UID                       string
	AnalysisEntry             Analysis
	SuccessorKey              *events.InstanceKey
	SuccessorAlias            string
	IsActive                  bool
	IsSuccessful              bool
	LostReplicas              []events.InstanceKey
	ParticipatingInstanceKeys []events.InstanceKey
	AllErrors                 []string
	RecoveryStartTimestamp    string
	RecoveryEndTimestamp      string
	ProcessingNodeHostname    string
	ProcessingNodeToken       string
	Acknowledged              bool
	AcknowledgedAt            string
	AcknowledgedBy            string
	AcknowledgedComment       string
	LastDetectionId           uint64
	RelatedRecoveryId         uint64
	Type                      events.RecoveryType
	RecoveryType              events.RecoveryType

	// DetectionID is the FailureDetected this recovery acts on; Epoch the
	// fencing epoch of its RecoveryStarted envelope.
	DetectionID string
	Epoch       uint64
	Manual      bool
	Who         string
	Candidates  []events.Candidate
	// Started is the recovery's started event: its plan, which a node
	// resuming the recovery runs again (not part of orchestrator's shape).
	Started events.RecoveryStarted `json:"-"`
	// Steps are the steps recorded so far, in log order: a node taking
	// over an unfinished recovery resumes from them.
	Steps      []events.RecoveryStep
	FailedStep string
	Hooks      []events.HookRan
	VIPMoves   []events.VIPMoved

	StartedAt      time.Time `json:"-"`
	EndedAt        time.Time `json:"-"`
	AcknowledgedOn time.Time `json:"-"`
}

// Failed is the instance the recovery acts on.
func (t *TopologyRecovery) Failed() events.InstanceKey { return t.AnalysisEntry.AnalyzedInstanceKey }

// ClusterName is the cluster the recovery started on.
func (t *TopologyRecovery) ClusterName() string { return t.AnalysisEntry.ClusterDetails.ClusterName }

// concerns reports whether the recovery is about the cluster of (name,
// alias) or the instance failed: by the cluster it started on, the cluster
// its successor heads (cluster names follow the root), the alias, or
// because failed is its successor.
func (t *TopologyRecovery) concerns(name, alias string, failed events.InstanceKey) bool {
	cd := t.AnalysisEntry.ClusterDetails
	switch {
	case cd.ClusterName == name:
		return true
	case t.SuccessorKey != nil && (t.SuccessorKey.String() == name || *t.SuccessorKey == failed):
		return true
	case alias != "" && alias != name && cd.ClusterAlias == alias:
		return true
	}
	return false
}

func (t *TopologyRecovery) clone() TopologyRecovery {
	c := *t
	if t.SuccessorKey != nil {
		k := *t.SuccessorKey
		c.SuccessorKey = &k
	}
	c.LostReplicas = slices.Clone(t.LostReplicas)
	c.ParticipatingInstanceKeys = slices.Clone(t.ParticipatingInstanceKeys)
	c.AllErrors = slices.Clone(t.AllErrors)
	c.Candidates = slices.Clone(t.Candidates)
	c.Started.Candidates = slices.Clone(t.Started.Candidates)
	c.Started.Replicas = slices.Clone(t.Started.Replicas)
	c.Steps = slices.Clone(t.Steps)
	c.Hooks = slices.Clone(t.Hooks)
	c.VIPMoves = slices.Clone(t.VIPMoves)
	return c
}

// FailureDetection is orchestrator's audit-failure-detection entry (a
// TopologyRecovery-shaped record of a detection), with Regent's extensions
// after RelatedRecoveryId.
type FailureDetection struct {
	Id                     uint64
	UID                    string
	AnalysisEntry          Analysis
	ProcessingNodeHostname string
	ProcessingNodeToken    string
	RecoveryStartTimestamp string
	IsActive               bool
	RelatedRecoveryId      uint64

	Actionable   bool
	Reason       string
	Cleared      bool
	ClearedAt    string
	RecoveryUIDs []string
	// Hooks are the detection's OnFailureDetectionProcesses when no
	// recovery ran them (hook-ran without a recovery id, correlated by
	// the detection id).
	Hooks []events.HookRan `json:",omitempty"`

	DetectedAt  time.Time `json:"-"`
	ClearedTime time.Time `json:"-"`
}

// BlockedRecovery is orchestrator's blocked-recoveries entry, with the
// reason and detection.
type BlockedRecovery struct {
	FailedInstanceKey    events.InstanceKey
	ClusterName          string
	Analysis             events.AnalysisCode
	LastBlockedTimestamp string
	BlockingRecoveryId   uint64
	BlockingRecoveryUID  string
	Reason               string
	DetectionID          string
	Count                int
	LastBlockedAt        time.Time `json:"-"`
}

type detKey struct {
	key  events.InstanceKey
	code events.AnalysisCode
}

// Recoveries folds the failure and recovery events into what the decision
// and the audit API need. It is not safe for concurrent use; Clone it for
// readers.
type Recoveries struct {
	lastSeq uint64
	// clusterSeq: per cluster (Envelope.Cluster; "" is the global
	// aggregate) the stream sequence of the last event on its subject
	// events.ClusterEvents(cluster), whatever its kind.
	clusterSeq map[string]uint64

	globalDisabled bool
	globalWho      string
	globalAt       time.Time

	detections map[string]*FailureDetection
	detOrder   []string
	lastDetect map[detKey]string
	lastClear  map[detKey]uint64

	recoveries map[string]*TopologyRecovery
	recOrder   []string
	attempts   map[string]int // detection id → recoveries started

	blocked      map[string]*BlockedRecovery // by detection id, else failed+analysis
	blockedOrder []string
}

// NewRecoveries returns an empty fold (global recoveries enabled).
func NewRecoveries() *Recoveries {
	return &Recoveries{
		clusterSeq: map[string]uint64{},
		detections: map[string]*FailureDetection{},
		lastDetect: map[detKey]string{},
		lastClear:  map[detKey]uint64{},
		recoveries: map[string]*TopologyRecovery{},
		attempts:   map[string]int{},
		blocked:    map[string]*BlockedRecovery{},
	}
}

// LastSeq is the sequence of the last event applied.
func (r *Recoveries) LastSeq() uint64 { return r.lastSeq }

// Apply folds one event of the event stream. seq is its sequence (0:
// unsequenced, always applied); an event at or below the last sequence is
// a redelivery and ignored. Kinds it does not fold are consumed. A payload
// that cannot be decoded returns an error and changes nothing.
func (r *Recoveries) Apply(seq uint64, e events.Envelope) error {
	if e.Kind.IsObservation() || (seq != 0 && seq <= r.lastSeq) {
		return nil
	}
	if seq != 0 {
		// Every domain event is on its cluster's subject, also one this
		// build cannot fold or decode: the expected sequence must count it.
		r.clusterSeq[e.Cluster] = seq
	}
	var err error
	switch e.Kind {
	case events.KindFailureDetected:
		err = r.applyDetected(seq, e)
	case events.KindFailureCleared:
		err = r.applyCleared(seq, e)
	case events.KindRecoveryStarted:
		err = r.applyStarted(seq, e)
	case events.KindRecoveryStep, events.KindRecoveryCompleted, events.KindRecoveryFailed,
		events.KindHookRan, events.KindVIPMoved:
		err = r.applyProgress(e)
	case events.KindRecoveryLeaseTaken:
		err = r.applyLeaseTaken(e)
	case events.KindRecoveryAcknowledged:
		err = r.applyAck(e)
	case events.KindRecoveryBlocked:
		err = r.applyBlocked(e)
	case events.KindGlobalRecoveriesSet:
		var p events.GlobalRecoveriesSet
		if err = e.Decode(&p); err == nil {
			r.globalDisabled, r.globalWho, r.globalAt = !p.Enabled, p.Who, e.Time
		}
	}
	if err != nil {
		return fmt.Errorf("apply %s seq %d: %w", e.Kind, seq, err)
	}
	if seq != 0 {
		r.lastSeq = seq
	}
	return nil
}

// applyLeaseTaken records that another node took over an unfinished
// recovery: its epoch and node become the recovery's.
func (r *Recoveries) applyLeaseTaken(e events.Envelope) error {
	var p events.RecoveryStarted
	if err := e.Decode(&p); err != nil {
		return err
	}
	if t, ok := r.recoveries[p.RecoveryID]; ok && t.IsActive {
		t.Epoch, t.ProcessingNodeHostname, t.ProcessingNodeToken = e.Epoch, e.Origin, e.Origin
	}
	return nil
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(projections.TimestampLayout)
}

// entryOf rebuilds the analysis entry a FailureDetected carries.
func entryOf(p *events.FailureDetected) Analysis {
	return Analysis{
		AnalyzedInstanceKey: p.Failed, Analysis: p.Analysis, Description: p.Description,
		ClusterDetails: projections.ClusterInfo{ClusterName: p.ClusterName, ClusterAlias: p.ClusterAlias},
		CountReplicas:  uint(max(0, p.CountReplicas)), IsActionableRecovery: p.Actionable,
		Vantage: p.Vantage, ReplicaEvidence: p.Replicas, Replicas: replicaKeys(p.Replicas), Detect: true,
	}
}

func replicaKeys(rs []events.ReplicaReport) []events.InstanceKey {
	out := make([]events.InstanceKey, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.Key)
	}
	return out
}

func (r *Recoveries) applyDetected(seq uint64, e events.Envelope) error {
	var p events.FailureDetected
	if err := e.Decode(&p); err != nil {
		return err
	}
	if p.DetectionID == "" {
		return fmt.Errorf("failure detection without id")
	}
	if _, dup := r.detections[p.DetectionID]; dup {
		return nil
	}
	entry := entryOf(&p)
	entry.SlaveHosts = entry.Replicas
	r.detections[p.DetectionID] = &FailureDetection{
		Id: seq, UID: p.DetectionID, AnalysisEntry: entry, ProcessingNodeHostname: e.Origin,
		RecoveryStartTimestamp: stamp(e.Time), IsActive: true, Actionable: p.Actionable, Reason: p.Reason,
		DetectedAt: e.Time,
	}
	r.detOrder = append(r.detOrder, p.DetectionID)
	r.lastDetect[detKey{p.Failed, p.Analysis}] = p.DetectionID
	r.trimDetections()
	return nil
}

func (r *Recoveries) applyCleared(seq uint64, e events.Envelope) error {
	var p events.FailureCleared
	if err := e.Decode(&p); err != nil {
		return err
	}
	d, ok := r.detections[p.DetectionID]
	if !ok || d.Cleared {
		return nil
	}
	d.Cleared, d.IsActive, d.ClearedAt, d.ClearedTime = true, false, stamp(e.Time), e.Time
	r.lastClear[detKey{d.AnalysisEntry.AnalyzedInstanceKey, d.AnalysisEntry.Analysis}] = seq
	return nil
}

func (r *Recoveries) applyStarted(seq uint64, e events.Envelope) error {
	var p events.RecoveryStarted
	if err := e.Decode(&p); err != nil {
		return err
	}
	if p.RecoveryID == "" {
		return fmt.Errorf("recovery started without id")
	}
	if _, dup := r.recoveries[p.RecoveryID]; dup {
		return nil
	}
	t := &TopologyRecovery{
		Id: seq, UID: p.RecoveryID, IsActive: true, RecoveryStartTimestamp: stamp(e.Time),
		ProcessingNodeHostname: pickStr(p.Node, e.Origin), Type: p.Type, DetectionID: p.DetectionID,
		Epoch: e.Epoch, Manual: p.Manual, Who: p.Who, Candidates: slices.Clone(p.Candidates), StartedAt: e.Time,
	}
	t.AnalysisEntry = Analysis{
		AnalyzedInstanceKey: p.Failed, Analysis: p.Analysis,
		ClusterDetails: projections.ClusterInfo{ClusterName: p.ClusterName, ClusterAlias: p.ClusterAlias},
	}
	if d, ok := r.detections[p.DetectionID]; ok {
		t.AnalysisEntry, t.LastDetectionId = d.AnalysisEntry, d.Id
		d.RelatedRecoveryId, d.IsActive = seq, false
		d.RecoveryUIDs = append(d.RecoveryUIDs, p.RecoveryID)
	}
	if p.Description == "" { // written before the started event carried it
		p.Description = t.AnalysisEntry.Description
	}
	t.Started = p
	if !p.Successor.IsZero() {
		k := p.Successor
		t.SuccessorKey = &k
	}
	if p.DetectionID != "" {
		r.attempts[p.DetectionID]++
	}
	r.recoveries[p.RecoveryID] = t
	r.recOrder = append(r.recOrder, p.RecoveryID)
	r.trimRecoveries()
	return nil
}

func pickStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
