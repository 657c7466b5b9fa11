package projections

import (
	"strings"
	"time"

	"github.com/regent-ha/regent/events"
)

// NullInt64 serialises as orchestrator's sql.NullInt64: {"Int64":n,"Valid":b}.
type NullInt64 struct {
	Int64 int64
	Valid bool
}

func nullInt64(v int64, valid bool) NullInt64 {
	if !valid {
		return NullInt64{}
	}
	return NullInt64{Int64: v, Valid: true}
}

// Binlog coordinate types, as orchestrator's BinlogType.
const (
	BinaryLog = 0
	RelayLog  = 1
)

// BinlogCoordinates is orchestrator's {LogFile, LogPos, Type}.
type BinlogCoordinates struct {
	LogFile string
	LogPos  int64
	Type    int
}

func coords(c events.BinlogCoordinates, typ int) BinlogCoordinates {
	return BinlogCoordinates{LogFile: c.LogFile, LogPos: c.LogPos, Type: typ}
}

// Promotion rules (orchestrator's CandidatePromotionRule).
const (
	PromotionMust      = "must"
	PromotionPrefer    = "prefer"
	PromotionNeutral   = "neutral"
	PromotionPreferNot = "prefer_not"
	PromotionMustNot   = "must_not"
)

// TimestampLayout is how LastSeenTimestamp and DowntimeEndTimestamp are
// written (UTC), as orchestrator's backend timestamps.
const TimestampLayout = "2006-01-02 15:04:05"

// Instance is one instance as of a View, in orchestrator's Instance JSON
// shape: json.Marshal gives orchestrator's field names, including its
// spellings (Binlog_format, ReplicationSQLThreadRuning, Slave_SQL_Running)
// and the legacy copies (SlaveHosts, SlaveLagSeconds,
// LogSlaveUpdatesEnabled). Fields tagged `json:"-"` are Regent extensions.
//
// An Instance belongs to its View: treat it, and its slices, as read-only.
type Instance struct {
	Key                          events.InstanceKey
	InstanceAlias                string
	Uptime                       uint
	ServerID                     uint
	ServerUUID                   string
	Version                      string
	VersionComment               string
	FlavorName                   string
	ReadOnly                     bool
	BinlogFormat                 string `json:"Binlog_format"`
	BinlogRowImage               string
	LogBinEnabled                bool
	LogSlaveUpdatesEnabled       bool
	LogReplicationUpdatesEnabled bool
	SelfBinlogCoordinates        BinlogCoordinates
	MasterKey                    events.InstanceKey
	MasterUUID                   string
	AncestryUUID                 string
	IsDetachedMaster             bool

	SlaveSQLRunning             bool `json:"Slave_SQL_Running"`
	ReplicationSQLThreadRunning bool `json:"ReplicationSQLThreadRuning"`
	SlaveIORunning              bool `json:"Slave_IO_Running"`
	ReplicationIOThreadRunning  bool `json:"ReplicationIOThreadRuning"`
	ReplicationSQLThreadState   events.ThreadState
	ReplicationIOThreadState    events.ThreadState

	HasReplicationFilters bool
	GTIDMode              string
	SupportsOracleGTID    bool
	UsingOracleGTID       bool
	UsingMariaDBGTID      bool
	UsingPseudoGTID       bool
	ReadBinlogCoordinates BinlogCoordinates
	ExecBinlogCoordinates BinlogCoordinates
	IsDetached            bool
	RelaylogCoordinates   BinlogCoordinates
	LastSQLError          string
	LastIOError           string
	SecondsBehindMaster   NullInt64
	SQLDelay              uint
	ExecutedGtidSet       string
	GtidPurged            string
	GtidErrant            string

	SlaveLagSeconds                   NullInt64
	ReplicationLagSeconds             NullInt64
	SlaveHosts                        []events.InstanceKey
	Replicas                          []events.InstanceKey
	ClusterName                       string
	SuggestedClusterAlias             string
	DataCenter                        string
	Region                            string
	PhysicalEnvironment               string
	ReplicationDepth                  uint
	IsCoMaster                        bool
	HasReplicationCredentials         bool
	ReplicationCredentialsAvailable   bool
	SemiSyncAvailable                 bool
	SemiSyncPriority                  uint
	SemiSyncEnforced                  bool
	SemiSyncMasterEnabled             bool
	SemiSyncReplicaEnabled            bool
	SemiSyncMasterTimeout             uint64
	SemiSyncMasterWaitForReplicaCount uint
	SemiSyncMasterStatus              bool
	SemiSyncMasterClients             uint
	SemiSyncReplicaStatus             bool

	LastSeenTimestamp    string
	IsLastCheckValid     bool
	IsUpToDate           bool
	IsRecentlyChecked    bool
	SecondsSinceLastSeen NullInt64
	CountMySQLSnapshots  int

	IsCandidate          bool
	PromotionRule        string
	IsDowntimed          bool
	DowntimeReason       string
	DowntimeOwner        string
	DowntimeEndTimestamp string
	ElapsedDowntime      time.Duration
	UnresolvedHostname   string
	AllowTLS             bool

	// IsInMaintenance and the Maintenance fields are Regent's: orchestrator
	// keeps maintenance out of its instance JSON (begin-maintenance).
	IsInMaintenance           bool
	MaintenanceOwner          string
	MaintenanceReason         string
	MaintenanceBeginTimestamp string
	MaintenanceEndTimestamp   string

	Problems []string

	LastDiscoveryLatency time.Duration

	ReplicationGroupName               string
	ReplicationGroupIsSinglePrimary    bool
	ReplicationGroupMemberState        string
	ReplicationGroupMemberRole         string
	ReplicationGroupMembers            []events.InstanceKey
	ReplicationGroupPrimaryInstanceKey events.InstanceKey

	// MariaDBGTID holds MariaDB's GTID positions (orchestrator does not
	// read them; Regent uses them for errant detection and candidates).
	MariaDBGTID events.GTIDState `json:"-"`
	// LastCheckPartialSuccess: the latest failed probe read something.
	LastCheckPartialSuccess bool `json:"-"`
	// DetectedClusterAlias and DetectedClusterDomain are the probe's
	// DetectClusterAliasQuery / DetectClusterDomainQuery answers.
	DetectedClusterAlias  string `json:"-"`
	DetectedClusterDomain string `json:"-"`
	// Observed reports whether a full observation of the instance exists;
	// a discovered but never probed instance has only its Key.
	Observed bool `json:"-"`
	// IOProgressAt is the event time at which the replica's IO progress
	// last advanced: heartbeats received grew, or the read coordinates,
	// Gtid_IO_Pos or Retrieved_Gtid_Set moved. IOCheckedAt is the time of
	// the latest observation merged into it. Both are zero on a
	// non-replica; both restart when the source changes.
	IOProgressAt time.Time `json:"-"`
	IOCheckedAt  time.Time `json:"-"`
	// SelfProgressAt is the event time at which the instance's own binary
	// log position (or executed GTIDs) last moved.
	SelfProgressAt time.Time `json:"-"`
	// GtidIOPos (MariaDB Gtid_IO_Pos) and RetrievedGtidSet (MySQL
	// Retrieved_Gtid_Set) are what a replica has received from its source.
	GtidIOPos        string `json:"-"`
	RetrievedGtidSet string `json:"-"`
}

// IsMariaDB reports whether the instance runs MariaDB.
func (i *Instance) IsMariaDB() bool {
	return i.FlavorName == "MariaDB" || strings.Contains(i.Version, "MariaDB")
}

// UsingGTID reports whether the instance replicates with GTID (either flavor).
func (i *Instance) UsingGTID() bool { return i.UsingOracleGTID || i.UsingMariaDBGTID }

// IsReplica is orchestrator's heuristic: a source is configured and the
// replica has read coordinates or uses GTID.
func (i *Instance) IsReplica() bool {
	m := i.MasterKey
	return m.Hostname != "" && m.Hostname != "_" && m.Port != 0 &&
		(i.ReadBinlogCoordinates.LogFile != "" || i.UsingGTID())
}

// ReplicaRunning reports a replica whose IO and SQL threads both run.
func (i *Instance) ReplicaRunning() bool {
	return i.IsReplica() && i.ReplicationSQLThreadState == events.ThreadRunning &&
		i.ReplicationIOThreadState == events.ThreadRunning
}

// ReplicationThreadsExist reports whether the instance has replication
// threads at all (it is, or was, configured as a replica).
func (i *Instance) ReplicationThreadsExist() bool {
	return i.ReplicationSQLThreadState != events.ThreadNone && i.ReplicationIOThreadState != events.ThreadNone
}

// HasReasonableMaintenanceReplicationLag is orchestrator's test used by the
// `lag` status: Seconds_Behind_Master, minus SQL delay on delayed replicas,
// within threshold seconds.
func (i *Instance) HasReasonableMaintenanceReplicationLag(threshold int64) bool {
	if i.SQLDelay > 0 {
		d := i.SecondsBehindMaster.Int64 - int64(i.SQLDelay)
		if d < 0 {
			d = -d
		}
		return d <= threshold
	}
	return i.SecondsBehindMaster.Int64 <= threshold
}

// ClusterInfo is orchestrator's cluster summary.
type ClusterInfo struct {
	ClusterName                            string
	ClusterAlias                           string
	ClusterDomain                          string
	CountInstances                         uint
	HeuristicLag                           int64
	HasAutomatedMasterRecovery             bool
	HasAutomatedIntermediateMasterRecovery bool
}
