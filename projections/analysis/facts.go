package analysis

import (
	"strings"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// Facts are what the rules look at for one analyzed instance: its role,
// what the Regent nodes saw of it and what its replicas say.
type Facts struct {
	Instance *projections.Instance
	Evidence *projections.Evidence
	Cluster  *projections.ClusterInfo
	Replicas []ReplicaFacts

	// Role. A master has no known source (depth 0) and is not in a ring; an
	// intermediate master has a source and at least one replica.
	IsMaster             bool
	IsCoMaster           bool
	IsIntermediateMaster bool

	// Vantage: Nodes is the configured number of Regent nodes, Quorum its
	// majority; Fresh counts the nodes whose latest report is fresh and
	// SeenReachable/SeenUnreachable split them by outcome.
	Nodes, Quorum                         int
	Fresh, SeenReachable, SeenUnreachable int
	// Unreachable: at least Quorum nodes last saw it unreachable.
	Unreachable bool
	// LastCheckValid is the projection's vantage rule (strict majority of
	// fresh reports ok).
	LastCheckValid bool
	// FailingSince is the observation sequence at which a quorum of the
	// nodes' current runs of failed probes had begun (0: not unreachable).
	FailingSince   uint64
	FailingSinceAt time.Time

	CountReplicas                  int
	CountValidReplicas             int
	CountValidReplicatingReplicas  int // valid, IO and SQL running, IO not stalled
	CountReplicasFailingToConnect  int
	CountAgreeingReplicas          int // valid replicas that say the source is gone
	CountLaggingReplicas           int
	CountDelayedReplicas           int
	CountDowntimedReplicas         int
	CountLoggingReplicas           int
	CountStatementLoggingReplicas  int
	CountMixedLoggingReplicas      int
	CountRowLoggingReplicas        int
	CountDistinctMajorVersions     int // among logging replicas
	CountDistinctGTIDModes         int
	CountOracleGTIDReplicas        int // valid replicas using auto-position
	CountMariaDBGTIDReplicas       int // valid replicas using MariaDB GTID
	CountErrantReplicas            int // non-downtimed replicas with errant GTIDs
	CountSemiSyncReplicasEnabled   int
	CountValidSemiSyncReplicating  int
	SemiSyncMasterLocked           bool // enabled, waiting for more clients than it has, log not moving
	SemiSyncMasterLockedHypothesis bool // as above but the log moved recently
	// RecoverNonWriteableMaster is Params.RecoverNonWriteableMaster: a
	// read-only primary is a failure to recover.
	RecoverNonWriteableMaster bool
	// RecoverLockedSemiSyncMaster is Params.RecoverLockedSemiSyncMaster.
	RecoverLockedSemiSyncMaster bool
	// EnforceExactSemiSyncReplicas is Params.EnforceExactSemiSyncReplicas.
	EnforceExactSemiSyncReplicas bool
}

// ReplicaFacts is one replica of the analyzed instance.
type ReplicaFacts struct {
	Instance *projections.Instance
	// Valid: the Regent nodes reach it (last check valid).
	Valid bool
	// Replicating: IO and SQL threads running.
	Replicating bool
	// FailingToConnect: IO thread Connecting, or stopped with a connect
	// error.
	FailingToConnect bool
	// IOProgressAge is how long its IO progress had not advanced at its
	// latest observation; -1 when unknown or that observation is stale.
	IOProgressAge time.Duration
	// IOStalled: IOProgressAge > Params.IOStallThreshold.
	IOStalled bool
	// Agrees: valid, and its IO thread is not running or its IO progress
	// stalled: it confirms the source is gone.
	Agrees    bool
	Lagging   bool
	Delayed   bool
	Downtimed bool
}

func computeFacts(v *projections.View, inst *projections.Instance, p *Params) *Facts {
	f := &Facts{Instance: inst, RecoverNonWriteableMaster: p.RecoverNonWriteableMaster,
		RecoverLockedSemiSyncMaster: p.RecoverLockedSemiSyncMaster, EnforceExactSemiSyncReplicas: p.EnforceExactSemiSyncReplicas}
	f.Evidence, _ = v.Evidence(inst.Key)
	if f.Evidence == nil {
		f.Evidence = &projections.Evidence{Key: inst.Key}
	}
	f.Cluster, _ = v.Cluster(inst.ClusterName)
	if f.Cluster == nil {
		f.Cluster = &projections.ClusterInfo{ClusterName: inst.ClusterName, ClusterAlias: inst.ClusterName}
	}
	replicas := v.Replicas(inst.Key)
	f.IsCoMaster = inst.IsCoMaster
	f.IsMaster = inst.ReplicationDepth == 0 && !inst.IsCoMaster
	f.IsIntermediateMaster = inst.ReplicationDepth > 0 && !inst.IsCoMaster && len(replicas) > 0
	f.vantage(v)
	f.Replicas = make([]ReplicaFacts, 0, len(replicas))
	for _, r := range replicas {
		f.Replicas = append(f.Replicas, replicaFacts(v, r, p))
	}
	f.count(p)
	f.semiSync(v.Now(), p)
	return f
}

func (f *Facts) vantage(v *projections.View) {
	s := v.Settings()
	f.Nodes, f.Quorum = max(1, s.Nodes), s.Quorum()
	ev := f.Evidence
	f.Fresh, f.SeenReachable, f.SeenUnreachable = ev.Fresh, ev.FreshOK, ev.FreshFailed
	f.LastCheckValid = ev.LastCheckValid
	f.Unreachable = ev.FreshFailed >= f.Quorum
	if !f.Unreachable {
		return
	}
	var since []projections.OriginReport
	for _, r := range ev.Reports {
		if !r.OK && s.ReportFresh(&r, v.Now()) {
			since = append(since, r)
		}
	}
	for i := 1; i < len(since); i++ {
		for j := i; j > 0 && since[j].FailingSince < since[j-1].FailingSince; j-- {
			since[j], since[j-1] = since[j-1], since[j]
		}
	}
	f.FailingSince, f.FailingSinceAt = since[f.Quorum-1].FailingSince, since[f.Quorum-1].FailingSinceAt
}

func replicaFacts(v *projections.View, r *projections.Instance, p *Params) ReplicaFacts {
	rf := ReplicaFacts{
		Instance:      r,
		Valid:         r.IsLastCheckValid,
		Replicating:   r.ReplicationIOThreadState == events.ThreadRunning && r.ReplicationSQLThreadState == events.ThreadRunning,
		IOProgressAge: -1,
		Lagging:       r.ReplicationLagSeconds.Valid && r.ReplicationLagSeconds.Int64 > p.ReasonableReplicationLagSeconds,
		Delayed:       r.SQLDelay > 0,
		Downtimed:     r.IsDowntimed,
	}
	io := r.ReplicationIOThreadState
	// As orchestrator, only a connect error counts: an IO thread that is
	// Connecting with no error is a replica just (re)started or re-pointed
	// (every replica of a refactoring passes through it), not one that
	// fails. MariaDB and MySQL before 8.0.23 say "error (re)connecting to
	// master", later MySQL "Error connecting to source".
	rf.FailingToConnect = (io == events.ThreadOther || io == events.ThreadStopped) &&
		strings.Contains(strings.ToLower(r.LastIOError), "connecting to")
	// The replica's latest observation counts as current within
	// Evidence.ObservationWindow: 2×PollInterval, or twice the interval the
	// slowest fresh node achieves, up to a cap.
	window := 2 * v.Settings().PollInterval // no evidence yet
	if ev, ok := v.Evidence(r.Key); ok {
		window = ev.ObservationWindow
	}
	if !r.IOProgressAt.IsZero() && v.Now().Sub(r.IOCheckedAt) <= window {
		rf.IOProgressAge = r.IOCheckedAt.Sub(r.IOProgressAt)
	}
	rf.IOStalled = p.IOStallThreshold > 0 && rf.IOProgressAge > p.IOStallThreshold
	rf.Agrees = rf.Valid && (io != events.ThreadRunning || rf.IOStalled)
	return rf
}

func (f *Facts) count(p *Params) {
	majors, modes := map[string]bool{}, map[string]bool{}
	f.CountReplicas = len(f.Replicas)
	for _, rf := range f.Replicas {
		r := rf.Instance
		f.CountDowntimedReplicas += b2i(rf.Downtimed)
		if !rf.Valid {
			continue
		}
		f.CountValidReplicas++
		f.CountValidReplicatingReplicas += b2i(rf.Replicating && !rf.IOStalled)
		f.CountReplicasFailingToConnect += b2i(rf.FailingToConnect)
		f.CountAgreeingReplicas += b2i(rf.Agrees)
		f.CountLaggingReplicas += b2i(rf.Lagging)
		f.CountDelayedReplicas += b2i(rf.Delayed)
		f.CountOracleGTIDReplicas += b2i(r.UsingOracleGTID)
		f.CountMariaDBGTIDReplicas += b2i(r.UsingMariaDBGTID)
		f.CountErrantReplicas += b2i(r.GtidErrant != "" && !rf.Downtimed)
		f.CountSemiSyncReplicasEnabled += b2i(r.SemiSyncReplicaEnabled)
		f.CountValidSemiSyncReplicating += b2i(r.SemiSyncReplicaEnabled && rf.Replicating)
		modes[gtidMode(r)] = true
		if r.LogBinEnabled && r.LogSlaveUpdatesEnabled {
			f.CountLoggingReplicas++
			majors[majorVersion(r.Version)] = true
			switch strings.ToUpper(r.BinlogFormat) {
			case "STATEMENT":
				f.CountStatementLoggingReplicas++
			case "MIXED":
				f.CountMixedLoggingReplicas++
			case "ROW":
				f.CountRowLoggingReplicas++
			}
		}
	}
	f.CountDistinctMajorVersions, f.CountDistinctGTIDModes = len(majors), len(modes)
}

func (f *Facts) semiSync(now time.Time, p *Params) {
	m := f.Instance
	short := m.SemiSyncMasterEnabled && m.SemiSyncMasterStatus && m.SemiSyncMasterWaitForReplicaCount > 0 &&
		m.SemiSyncMasterClients < m.SemiSyncMasterWaitForReplicaCount
	if !short || !f.LastCheckValid {
		return
	}
	if !m.SelfProgressAt.IsZero() && now.Sub(m.SelfProgressAt) > p.LockedSemiSyncMasterThreshold {
		f.SemiSyncMasterLocked = true
		return
	}
	f.SemiSyncMasterLockedHypothesis = true
}

// gtidMode is a replica's GTID mode for DifferentGTIDModesStructureWarning.
func gtidMode(i *projections.Instance) string {
	if i.IsMariaDB() {
		if i.UsingMariaDBGTID {
			return "mariadb-gtid"
		}
		return "mariadb-no-gtid"
	}
	return "mysql-" + i.GTIDMode
}

// majorVersion is "5.7" of "5.7.28-log", "10.11" of "10.11.6-MariaDB".
func majorVersion(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
