package projections

import (
	"slices"
	"time"

	"github.com/regent-ha/regent/events"
)

// View is an immutable snapshot of the topology with every derived fact
// computed as of one instant. Later Apply calls never change it; it is safe
// for concurrent readers. Every slice it returns is shared: read-only.
type View struct {
	now       time.Time
	s         Settings
	instances []*Instance // sorted by hostname, port
	byKey     map[events.InstanceKey]*Instance
	evidence  map[events.InstanceKey]*Evidence
	replicas  map[events.InstanceKey][]*Instance // by MasterKey, sorted
	clusters  []*ClusterInfo                     // sorted by name
	byCluster map[string]*ClusterInfo
	members   map[string][]*Instance // sorted by hostname, port
	tags      tagSet                 // shared, never changed
	rules     []CandidateRule        // sorted by key
}

// View computes the read view as of now.
func (t *Topology) View(now time.Time) *View {
	keys := t.sortedKeys()
	v := &View{
		now:       now,
		s:         t.s,
		instances: make([]*Instance, len(keys)),
		byKey:     make(map[events.InstanceKey]*Instance, len(keys)),
		evidence:  make(map[events.InstanceKey]*Evidence, len(keys)),
		replicas:  make(map[events.InstanceKey][]*Instance),
		byCluster: make(map[string]*ClusterInfo),
		members:   make(map[string][]*Instance),
		tags:      t.tags,
		rules:     t.candidateRules(now),
	}
	backing := make([]Instance, len(keys))
	evs := make([]Evidence, len(keys))
	masters := make([]events.InstanceKey, len(keys))
	for i, k := range keys {
		st := t.instances[k]
		inst := &backing[i]
		evs[i] = evaluate(k, slices.Clone(st.origins), now, &t.s)
		if !t.obsHorizon.IsZero() {
			evs[i].KnownSince = st.since
			if t.obsHorizon.After(st.since) {
				evs[i].KnownSince = t.obsHorizon
			}
		}
		t.buildInstance(inst, k, st, &evs[i], now)
		v.instances[i], v.byKey[k], v.evidence[k] = inst, inst, &evs[i]
		masters[i] = inst.MasterKey
	}
	res := resolveClusters(keys, masters)
	for i, inst := range v.instances {
		inst.ClusterName, inst.ReplicationDepth, inst.IsCoMaster = res[i].name, res[i].depth, res[i].coMaster
		if m := res[i].master; m >= 0 {
			v.replicas[inst.MasterKey] = append(v.replicas[inst.MasterKey], inst)
		}
		v.members[inst.ClusterName] = append(v.members[inst.ClusterName], inst)
	}
	for i, inst := range v.instances {
		v.deriveGTID(inst, res, i)
		inst.Problems = problems(inst, &t.s)
	}
	t.buildClusters(v)
	return v
}

// buildInstance fills the observed and time-derived fields.
func (t *Topology) buildInstance(inst *Instance, k events.InstanceKey, st *instState, ev *Evidence, now time.Time) {
	inst.Key = k
	inst.Replicas, inst.SlaveHosts, inst.ReplicationGroupMembers = []events.InstanceKey{}, []events.InstanceKey{}, []events.InstanceKey{}
	inst.ReplicationSQLThreadState, inst.ReplicationIOThreadState = events.ThreadNone, events.ThreadNone
	inst.PromotionRule = PromotionNeutral
	if o := st.obs; o != nil {
		fillObserved(inst, o, &st.mv)
	}
	inst.DataCenter = pick(inst.DataCenter, patternGroup(t.s.DataCenterPattern, k.Hostname))
	inst.Region = pick(inst.Region, patternGroup(t.s.RegionPattern, k.Hostname))
	inst.PhysicalEnvironment = pick(inst.PhysicalEnvironment, patternGroup(t.s.PhysicalEnvironmentPattern, k.Hostname))

	poll := t.s.PollInterval
	inst.IsLastCheckValid = ev.LastCheckValid
	inst.LastCheckPartialSuccess = ev.LastCheckPartialSuccess
	if !ev.LastCheck.IsZero() {
		since := now.Sub(ev.LastCheck)
		inst.IsUpToDate = since <= poll
		inst.IsRecentlyChecked = since <= 5*poll
	}
	if !ev.LastSeen.IsZero() {
		inst.LastSeenTimestamp = ev.LastSeen.UTC().Format(TimestampLayout)
		inst.SecondsSinceLastSeen = NullInt64{Int64: max(0, int64(now.Sub(ev.LastSeen)/time.Second)), Valid: true}
	}
	for _, r := range ev.Reports {
		if r.At.Equal(ev.LastCheck) {
			inst.LastDiscoveryLatency = r.ProbeDuration
		}
	}
	if c, ok := t.candidates[k]; ok && c.rule != "" && (c.until.IsZero() || now.Before(c.until)) {
		inst.PromotionRule = c.rule
	}
	inst.IsCandidate = inst.PromotionRule == PromotionMust || inst.PromotionRule == PromotionPrefer
	if d, ok := t.downtimes[k]; ok && (d.until.IsZero() || now.Before(d.until)) {
		inst.IsDowntimed = true
		inst.DowntimeOwner, inst.DowntimeReason = d.owner, d.reason
		if !d.until.IsZero() {
			inst.DowntimeEndTimestamp = d.until.UTC().Format(TimestampLayout)
		}
		inst.ElapsedDowntime = max(0, now.Sub(d.began))
	}
	t.setMaintenance(inst, k, now)
}

func pick(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// fillObserved copies a full observation merged with its moving parts.
func fillObserved(inst *Instance, o *events.InstanceObserved, mv *moving) {
	inst.Observed = true
	inst.IOProgressAt, inst.IOCheckedAt, inst.SelfProgressAt = mv.io.progressAt, mv.io.checkedAt, mv.io.selfAt
	inst.GtidIOPos, inst.RetrievedGtidSet = mv.gtidIOPos, mv.retrieved
	inst.InstanceAlias = o.InstanceAlias
	inst.Uptime = uint(max(0, mv.uptime))
	inst.ServerID, inst.ServerUUID = uint(o.ServerID), o.ServerUUID
	inst.Version, inst.VersionComment, inst.FlavorName = o.Version, o.VersionComment, o.Flavor
	inst.ReadOnly = o.ReadOnly
	inst.BinlogFormat, inst.BinlogRowImage = o.BinlogFormat, o.BinlogRowImage
	if inst.IsMariaDB() {
		inst.BinlogRowImage = "" // orchestrator reads it on MySQL and Percona only
	}
	inst.LogBinEnabled = o.LogBin
	inst.LogSlaveUpdatesEnabled, inst.LogReplicationUpdatesEnabled = o.LogReplicaUpdates, o.LogReplicaUpdates
	inst.SelfBinlogCoordinates = coords(mv.self, BinaryLog)
	inst.RelaylogCoordinates = BinlogCoordinates{Type: RelayLog} // a primary's too, as orchestrator
	inst.GTIDMode = o.GTID.Mode
	inst.SupportsOracleGTID = o.GTID.Mode != "" && o.GTID.Mode != "OFF"
	inst.ExecutedGtidSet, inst.GtidPurged = mv.gtidExecuted, o.GTID.Purged
	inst.MariaDBGTID = o.GTID
	inst.MariaDBGTID.Executed = mv.gtidExecuted
	inst.MariaDBGTID.CurrentPos, inst.MariaDBGTID.SlavePos, inst.MariaDBGTID.BinlogPos = mv.gtidCurrent, mv.gtidSlave, mv.gtidBinlog
	inst.MariaDBGTID.BinlogState = mv.gtidBinlogState
	inst.ReplicationLagSeconds = nullInt64(mv.lag, mv.lagValid)
	inst.SlaveLagSeconds = inst.ReplicationLagSeconds
	if len(o.Replicas) > 0 {
		inst.Replicas = slices.Clone(o.Replicas)
		slices.SortFunc(inst.Replicas, compareKeys)
		inst.SlaveHosts = inst.Replicas
	}
	inst.DetectedClusterAlias, inst.DetectedClusterDomain = o.ClusterAlias, o.ClusterDomain
	inst.DataCenter, inst.Region, inst.PhysicalEnvironment = o.DataCenter, o.Region, o.PhysicalEnvironment
	if o.PromotionRule != "" {
		inst.PromotionRule = o.PromotionRule
	}
	ss := o.SemiSync
	inst.SemiSyncAvailable, inst.SemiSyncEnforced = ss.Available, ss.Enforced
	if ss.Enforced {
		inst.SemiSyncPriority = 1
	}
	inst.SemiSyncMasterEnabled, inst.SemiSyncReplicaEnabled = ss.MasterEnabled, ss.ReplicaEnabled
	inst.SemiSyncMasterTimeout = uint64(max(0, ss.MasterTimeout))
	inst.SemiSyncMasterWaitForReplicaCount = uint(max(0, ss.MasterWaitForCount))
	inst.SemiSyncMasterStatus, inst.SemiSyncReplicaStatus = ss.MasterStatus, ss.ReplicaStatus
	inst.SemiSyncMasterClients = uint(max(0, ss.MasterClients))
	if r := o.Replication; r != nil {
		fillReplication(inst, r, mv)
	}
}

func fillReplication(inst *Instance, r *events.Replication, mv *moving) {
	inst.MasterKey, inst.MasterUUID = r.SourceKey, r.SourceUUID
	if inst.MasterUUID == "" && inst.IsMariaDB() {
		inst.MasterUUID = "No" // orchestrator's default for MariaDB's absent Master_UUID column
	}
	inst.IsDetachedMaster = len(r.SourceKey.Hostname) >= 2 && r.SourceKey.Hostname[:2] == "//"
	inst.ReplicationSQLThreadState, inst.ReplicationIOThreadState = r.SQLThread, r.IOThread
	inst.ReplicationSQLThreadRunning = r.SQLThread == events.ThreadRunning
	inst.ReplicationIOThreadRunning = r.IOThread == events.ThreadRunning
	inst.SlaveSQLRunning, inst.SlaveIORunning = inst.ReplicationSQLThreadRunning, inst.ReplicationIOThreadRunning
	inst.HasReplicationFilters = r.HasFilters
	inst.UsingOracleGTID, inst.UsingMariaDBGTID = r.AutoPosition, r.UsingMariaDBGTID
	inst.ReadBinlogCoordinates = coords(mv.read, BinaryLog)
	inst.ExecBinlogCoordinates = coords(mv.exec, BinaryLog)
	inst.IsDetached = len(mv.exec.LogFile) >= 2 && mv.exec.LogFile[:2] == "//"
	inst.RelaylogCoordinates = coords(r.RelayCoordinates, RelayLog)
	inst.LastSQLError, inst.LastIOError = r.LastSQLError, r.LastIOError
	inst.SecondsBehindMaster = nullInt64(max(0, mv.sbm), mv.sbmValid)
	inst.SQLDelay = uint(max(0, r.SQLDelay))
	inst.HasReplicationCredentials = r.HasCredentials
	inst.AllowTLS = r.AllowTLS
}

func compareKeys(a, b events.InstanceKey) int {
	switch {
	case keyLess(a, b):
		return -1
	case keyLess(b, a):
		return 1
	}
	return 0
}
