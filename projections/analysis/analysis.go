package analysis

import (
	"sort"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// Analysis is orchestrator's ReplicationAnalysis for one instance:
// json.Marshal gives orchestrator's field names. Vantage, ReplicaEvidence
// and FailingSince are Regent's evidence (the FailureDetected payload).
type Analysis struct {
	AnalyzedInstanceKey                       events.InstanceKey
	AnalyzedInstanceMasterKey                 events.InstanceKey
	ClusterDetails                            projections.ClusterInfo
	AnalyzedInstanceDataCenter                string
	AnalyzedInstanceRegion                    string
	AnalyzedInstancePhysicalEnvironment       string
	AnalyzedInstanceBinlogCoordinates         projections.BinlogCoordinates
	IsMaster                                  bool
	IsCoMaster                                bool
	LastCheckValid                            bool
	LastCheckPartialSuccess                   bool
	CountReplicas                             uint
	CountValidReplicas                        uint
	CountValidReplicatingReplicas             uint
	CountReplicasFailingToConnectToMaster     uint
	CountDowntimedReplicas                    uint
	ReplicationDepth                          uint
	Replicas                                  []events.InstanceKey
	SlaveHosts                                []events.InstanceKey
	IsFailingToConnectToMaster                bool
	Analysis                                  events.AnalysisCode
	Description                               string
	StructureAnalysis                         []events.StructureCode
	IsDowntimed                               bool
	IsReplicasDowntimed                       bool
	DowntimeEndTimestamp                      string
	DowntimeRemainingSeconds                  int
	IsBinlogServer                            bool
	PseudoGTIDImmediateTopology               bool
	OracleGTIDImmediateTopology               bool
	MariaDBGTIDImmediateTopology              bool
	BinlogServerImmediateTopology             bool
	SemiSyncMasterEnabled                     bool
	SemiSyncMasterStatus                      bool
	SemiSyncMasterWaitForReplicaCount         uint
	SemiSyncMasterClients                     uint
	CountSemiSyncReplicasEnabled              uint
	CountLoggingReplicas                      uint
	CountStatementBasedLoggingReplicas        uint
	CountMixedBasedLoggingReplicas            uint
	CountRowBasedLoggingReplicas              uint
	CountDistinctMajorVersionsLoggingReplicas uint
	CountDelayedReplicas                      uint
	CountLaggingReplicas                      uint
	IsActionableRecovery                      bool
	RecoveryType                              events.RecoveryType
	CountAdditionalAgreeingNodes              int
	SkippableDueToDowntime                    bool
	GTIDMode                                  string
	MaxReplicaGTIDErrant                      string
	CommandHint                               string
	IsReadOnly                                bool

	// Regent's evidence: what each Regent node saw, what each replica said,
	// and the observation sequence at which a quorum of the nodes' current
	// runs of failed probes had begun (0 when reachable).
	Vantage         []events.VantageReport
	ReplicaEvidence []events.ReplicaReport
	FailingSince    uint64
	FailingSinceAt  time.Time
	// Detect: the code is a failure worth a FailureDetected event.
	Detect bool `json:"-"`
}

// Analyze runs the rule table over every instance of the view and returns
// the instances with a problem or a structure warning (every analyzed
// instance with Params.IncludeNoProblem), sorted by cluster name, then
// hostname and port.
func Analyze(v *projections.View, p Params) []Analysis {
	rules := Rules()
	structure := StructureRules()
	var out []Analysis
	for _, inst := range v.Instances() {
		if !inst.Observed && v.Replicas(inst.Key) == nil {
			if ev, ok := v.Evidence(inst.Key); !ok || len(ev.Reports) == 0 {
				continue // discovered, never probed: nothing to analyze
			}
		}
		f := computeFacts(v, inst, &p)
		a := analyze(f, rules, structure, v.Now())
		if a.Analysis == events.AnalysisNoProblem && len(a.StructureAnalysis) == 0 && !p.IncludeNoProblem {
			continue
		}
		out = append(out, a)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].ClusterDetails.ClusterName < out[j].ClusterDetails.ClusterName
	})
	return out
}

// AnalyzeInstance analyzes one instance (false when it is not in the view).
func AnalyzeInstance(v *projections.View, key events.InstanceKey, p Params) (Analysis, bool) {
	inst, ok := v.Instance(key)
	if !ok {
		return Analysis{}, false
	}
	return analyze(computeFacts(v, inst, &p), Rules(), StructureRules(), v.Now()), true
}

func analyze(f *Facts, rules []Rule, structure []StructureRule, now time.Time) Analysis {
	a := newAnalysis(f, now)
	a.Analysis, a.Description = events.AnalysisNoProblem, "No problem"
	a.StructureAnalysis = []events.StructureCode{}
	for i := range rules {
		if rules[i].Match(f) {
			r := &rules[i]
			a.Analysis, a.Description = r.Code, r.Description
			a.IsActionableRecovery, a.RecoveryType, a.Detect = r.Actionable, r.Recovery, r.Detect
			break
		}
	}
	for _, s := range structure {
		if s.Match(f) {
			a.StructureAnalysis = append(a.StructureAnalysis, s.Code)
		}
	}
	a.SkippableDueToDowntime = a.IsDowntimed || (a.IsReplicasDowntimed && a.CountReplicas > 0 && !f.IsMaster)
	return a
}

func newAnalysis(f *Facts, now time.Time) Analysis {
	inst := f.Instance
	a := Analysis{
		AnalyzedInstanceKey:                 inst.Key,
		AnalyzedInstanceMasterKey:           inst.MasterKey,
		ClusterDetails:                      *f.Cluster,
		AnalyzedInstanceDataCenter:          inst.DataCenter,
		AnalyzedInstanceRegion:              inst.Region,
		AnalyzedInstancePhysicalEnvironment: inst.PhysicalEnvironment,
		AnalyzedInstanceBinlogCoordinates:   inst.SelfBinlogCoordinates,
		IsMaster:                            f.IsMaster,
		IsCoMaster:                          f.IsCoMaster,
		LastCheckValid:                      f.LastCheckValid,
		LastCheckPartialSuccess:             f.Evidence.LastCheckPartialSuccess,
		ReplicationDepth:                    inst.ReplicationDepth,
		IsFailingToConnectToMaster:          inst.ReplicationIOThreadState == events.ThreadOther,
		IsDowntimed:                         inst.IsDowntimed,
		DowntimeEndTimestamp:                inst.DowntimeEndTimestamp,
		SemiSyncMasterEnabled:               inst.SemiSyncMasterEnabled,
		SemiSyncMasterStatus:                inst.SemiSyncMasterStatus,
		SemiSyncMasterWaitForReplicaCount:   inst.SemiSyncMasterWaitForReplicaCount,
		SemiSyncMasterClients:               inst.SemiSyncMasterClients,
		GTIDMode:                            inst.GTIDMode,
		IsReadOnly:                          inst.ReadOnly,
		FailingSince:                        f.FailingSince,
		FailingSinceAt:                      f.FailingSinceAt,
		CountAdditionalAgreeingNodes:        max(0, f.SeenUnreachable-1),
	}
	if !f.Unreachable {
		a.CountAdditionalAgreeingNodes = 0
	}
	a.setCounts(f)
	a.Vantage = vantageReports(f.Evidence)
	a.Replicas = make([]events.InstanceKey, 0, len(f.Replicas))
	a.ReplicaEvidence = make([]events.ReplicaReport, 0, len(f.Replicas))
	for _, rf := range f.Replicas {
		a.Replicas = append(a.Replicas, rf.Instance.Key)
		a.ReplicaEvidence = append(a.ReplicaEvidence, replicaReport(rf))
		if e := rf.Instance.GtidErrant; len(e) > len(a.MaxReplicaGTIDErrant) {
			a.MaxReplicaGTIDErrant = e
		}
	}
	a.SlaveHosts = a.Replicas
	if inst.IsDowntimed && inst.DowntimeEndTimestamp != "" {
		if end, err := time.Parse(projections.TimestampLayout, inst.DowntimeEndTimestamp); err == nil {
			a.DowntimeRemainingSeconds = max(0, int(end.Sub(now)/time.Second))
		}
	}
	return a
}

func (a *Analysis) setCounts(f *Facts) {
	a.CountReplicas = uint(f.CountReplicas)
	a.CountValidReplicas = uint(f.CountValidReplicas)
	a.CountValidReplicatingReplicas = uint(f.CountValidReplicatingReplicas)
	a.CountReplicasFailingToConnectToMaster = uint(f.CountReplicasFailingToConnect)
	a.CountDowntimedReplicas = uint(f.CountDowntimedReplicas)
	a.IsReplicasDowntimed = f.CountReplicas > 0 && f.CountDowntimedReplicas == f.CountReplicas
	a.OracleGTIDImmediateTopology = oracleGTIDTopology(f)
	a.MariaDBGTIDImmediateTopology = mariaDBGTIDTopology(f)
	a.CountSemiSyncReplicasEnabled = uint(f.CountSemiSyncReplicasEnabled)
	a.CountLoggingReplicas = uint(f.CountLoggingReplicas)
	a.CountStatementBasedLoggingReplicas = uint(f.CountStatementLoggingReplicas)
	a.CountMixedBasedLoggingReplicas = uint(f.CountMixedLoggingReplicas)
	a.CountRowBasedLoggingReplicas = uint(f.CountRowLoggingReplicas)
	a.CountDistinctMajorVersionsLoggingReplicas = uint(f.CountDistinctMajorVersions)
	a.CountDelayedReplicas = uint(f.CountDelayedReplicas)
	a.CountLaggingReplicas = uint(f.CountLaggingReplicas)
}

func vantageReports(ev *projections.Evidence) []events.VantageReport {
	out := make([]events.VantageReport, 0, len(ev.Reports))
	for _, r := range ev.Reports {
		out = append(out, events.VantageReport{Node: r.Origin, Reachable: r.OK, At: r.At, Error: r.Error, Seq: r.Seq})
	}
	return out
}

func replicaReport(rf ReplicaFacts) events.ReplicaReport {
	r := rf.Instance
	rep := events.ReplicaReport{
		Key: r.Key, Reachable: rf.Valid, IOThread: r.ReplicationIOThreadState, SQLThread: r.ReplicationSQLThreadState,
		LastIOError: r.LastIOError, HeartbeatAge: -1, Agrees: rf.Agrees,
		GTIDPos: receivedMariaDBPos(r), ExecGTIDSet: r.ExecutedGtidSet,
	}
	if rf.IOProgressAge >= 0 {
		rep.HeartbeatAge = rf.IOProgressAge.Seconds()
	}
	return rep
}

// receivedMariaDBPos is what a MariaDB replica has received: Gtid_IO_Pos,
// else gtid_current_pos.
func receivedMariaDBPos(r *projections.Instance) string {
	if r.GtidIOPos != "" {
		return r.GtidIOPos
	}
	return r.MariaDBGTID.CurrentPos
}

// FailureDetected returns the FailureDetected payload of the analysis
// (DetectionID, Actionable and Reason are Decide's).
func (a *Analysis) FailureDetected() events.FailureDetected {
	return events.FailureDetected{
		Analysis: a.Analysis, Description: a.Description, Failed: a.AnalyzedInstanceKey,
		ClusterName: a.ClusterDetails.ClusterName, ClusterAlias: a.ClusterDetails.ClusterAlias,
		Vantage: a.Vantage, Replicas: a.ReplicaEvidence, CountReplicas: int(a.CountReplicas),
		Actionable: a.IsActionableRecovery,
	}
}
