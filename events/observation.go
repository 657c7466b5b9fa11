package events

import "time"

// InstanceKey names a MySQL/MariaDB instance as orchestrator does.
type InstanceKey struct {
	Hostname string `json:"Hostname"`
	Port     int    `json:"Port"`
}

// String is host:port ("" for the zero key).
func (k InstanceKey) String() string {
	if k.Hostname == "" && k.Port == 0 {
		return ""
	}
	return k.Hostname + ":" + itoa(k.Port)
}

// IsZero reports whether the key is empty.
func (k InstanceKey) IsZero() bool { return k.Hostname == "" && k.Port == 0 }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// BinlogCoordinates is a position in a binary or relay log.
type BinlogCoordinates struct {
	LogFile string `json:"LogFile"`
	LogPos  int64  `json:"LogPos"`
}

// ThreadState mirrors orchestrator's ReplicationThreadState.
type ThreadState int

// Thread states: no thread (not a replica), stopped, running, other (e.g.
// Connecting).
const (
	ThreadNone    ThreadState = -1
	ThreadStopped ThreadState = 0
	ThreadRunning ThreadState = 1
	ThreadOther   ThreadState = 2
)

// Replication is what SHOW SLAVE/REPLICA STATUS said (nil when the instance is
// not a replica).
type Replication struct {
	SourceKey          InstanceKey       `json:"source_key"`
	SourceUUID         string            `json:"source_uuid,omitempty"`
	SourceServerID     uint32            `json:"source_server_id,omitempty"`
	IOThread           ThreadState       `json:"io_thread"`
	SQLThread          ThreadState       `json:"sql_thread"`
	IOState            string            `json:"io_state,omitempty"` // Slave_IO_State text
	LastIOError        string            `json:"last_io_error,omitempty"`
	LastSQLError       string            `json:"last_sql_error,omitempty"`
	LastIOErrno        int               `json:"last_io_errno,omitempty"`
	LastSQLErrno       int               `json:"last_sql_errno,omitempty"`
	SecondsBehind      *int64            `json:"seconds_behind,omitempty"` // nil = NULL
	SQLDelay           int64             `json:"sql_delay,omitempty"`
	ReadCoordinates    BinlogCoordinates `json:"read_coordinates"`
	ExecCoordinates    BinlogCoordinates `json:"exec_coordinates"`
	RelayCoordinates   BinlogCoordinates `json:"relay_coordinates"`
	UsingMariaDBGTID   bool              `json:"using_mariadb_gtid,omitempty"` // Using_Gtid != No
	MariaDBGTIDMode    string            `json:"mariadb_gtid_mode,omitempty"`  // Slave_Pos / Current_Pos / No
	AutoPosition       bool              `json:"auto_position,omitempty"`      // MySQL Auto_Position=1
	RetrievedGTIDSet   string            `json:"retrieved_gtid_set,omitempty"`
	ExecutedGTIDSet    string            `json:"executed_gtid_set,omitempty"`
	GTIDIOPos          string            `json:"gtid_io_pos,omitempty"` // MariaDB Gtid_IO_Pos
	HasFilters         bool              `json:"has_filters,omitempty"`
	AllowTLS           bool              `json:"allow_tls,omitempty"`
	HasCredentials     bool              `json:"has_credentials,omitempty"`
	HeartbeatsReceived int64             `json:"heartbeats_received,omitempty"`
	LastHeartbeat      *time.Time        `json:"last_heartbeat,omitempty"`
	HeartbeatPeriod    float64           `json:"heartbeat_period,omitempty"` // seconds
}

// GTIDState is the GTID state of an instance, for both flavors.
type GTIDState struct {
	// MySQL
	Mode     string `json:"mode,omitempty"` // @@gtid_mode
	Executed string `json:"executed,omitempty"`
	Purged   string `json:"purged,omitempty"`
	// MariaDB
	CurrentPos string `json:"current_pos,omitempty"`
	SlavePos   string `json:"slave_pos,omitempty"`
	BinlogPos  string `json:"binlog_pos,omitempty"`
	// BinlogState is @@gtid_binlog_state: the last GTID of every
	// (domain, server id) in the binary log, for server-aware errant checks.
	BinlogState string `json:"binlog_state,omitempty"`
	StrictMode  bool   `json:"strict_mode,omitempty"`
	DomainID    uint32 `json:"domain_id,omitempty"`
}

// SemiSync is the semi-synchronous replication state.
type SemiSync struct {
	Available          bool  `json:"available,omitempty"`
	MasterEnabled      bool  `json:"master_enabled,omitempty"`
	ReplicaEnabled     bool  `json:"replica_enabled,omitempty"`
	MasterStatus       bool  `json:"master_status,omitempty"`
	ReplicaStatus      bool  `json:"replica_status,omitempty"`
	MasterClients      int   `json:"master_clients,omitempty"`
	MasterTimeout      int64 `json:"master_timeout,omitempty"`
	MasterWaitForCount int   `json:"master_wait_for_count,omitempty"`
	Enforced           bool  `json:"enforced,omitempty"` // DetectSemiSyncEnforcedQuery
}

// InstanceObserved is the payload of KindInstanceObserved: everything one probe
// of one instance read. Derived facts (cluster, depth, problems) are the
// projections' business and are not here.
type InstanceObserved struct {
	Key               InstanceKey       `json:"key"`
	ServerID          uint32            `json:"server_id"`
	ServerUUID        string            `json:"server_uuid,omitempty"`
	Version           string            `json:"version"`
	VersionComment    string            `json:"version_comment,omitempty"`
	Flavor            string            `json:"flavor"` // MySQL, MariaDB, Percona
	Uptime            int64             `json:"uptime,omitempty"`
	ReadOnly          bool              `json:"read_only"`
	SuperReadOnly     bool              `json:"super_read_only,omitempty"`
	LogBin            bool              `json:"log_bin"`
	LogReplicaUpdates bool              `json:"log_replica_updates"`
	BinlogFormat      string            `json:"binlog_format,omitempty"`
	BinlogRowImage    string            `json:"binlog_row_image,omitempty"`
	SelfCoordinates   BinlogCoordinates `json:"self_coordinates"`
	GTID              GTIDState         `json:"gtid"`
	Replication       *Replication      `json:"replication,omitempty"`
	SemiSync          SemiSync          `json:"semi_sync"`
	// LagSeconds is ReplicationLagQuery's answer when configured, else
	// Seconds_Behind_Master; nil = NULL/unknown.
	LagSeconds *int64 `json:"lag_seconds,omitempty"`
	// Replicas found with SHOW SLAVE HOSTS or the processlist.
	Replicas []InstanceKey `json:"replicas,omitempty"`
	// From the Detect*Query options and patterns, as read by the probe.
	InstanceAlias       string `json:"instance_alias,omitempty"`
	ClusterAlias        string `json:"cluster_alias,omitempty"`
	ClusterDomain       string `json:"cluster_domain,omitempty"`
	DataCenter          string `json:"data_center,omitempty"`
	Region              string `json:"region,omitempty"`
	PhysicalEnvironment string `json:"physical_environment,omitempty"`
	PromotionRule       string `json:"promotion_rule,omitempty"`
	// Probe bookkeeping.
	ProbeDuration time.Duration `json:"probe_duration_ns"`
	// Digest identifies the state part of this observation (everything but
	// positions, lag and heartbeats); progress events refer to it.
	Digest string `json:"digest"`
}

// InstanceProgress is the payload of KindInstanceProgress: the instance looks
// as in the full observation with Digest, except for these moving parts.
type InstanceProgress struct {
	Key                InstanceKey       `json:"key"`
	Digest             string            `json:"digest"`
	SelfCoordinates    BinlogCoordinates `json:"self_coordinates"`
	GTIDExecuted       string            `json:"gtid_executed,omitempty"`    // MySQL
	GTIDCurrentPos     string            `json:"gtid_current_pos,omitempty"` // MariaDB
	GTIDSlavePos       string            `json:"gtid_slave_pos,omitempty"`
	GTIDBinlogPos      string            `json:"gtid_binlog_pos,omitempty"`
	GTIDBinlogState    string            `json:"gtid_binlog_state,omitempty"`
	ReadCoordinates    BinlogCoordinates `json:"read_coordinates"`
	ExecCoordinates    BinlogCoordinates `json:"exec_coordinates"`
	RelayCoordinates   BinlogCoordinates `json:"relay_coordinates"`
	RetrievedGTIDSet   string            `json:"retrieved_gtid_set,omitempty"` // MySQL replica
	GTIDIOPos          string            `json:"gtid_io_pos,omitempty"`        // MariaDB replica
	SecondsBehind      *int64            `json:"seconds_behind,omitempty"`
	LagSeconds         *int64            `json:"lag_seconds,omitempty"`
	HeartbeatsReceived int64             `json:"heartbeats_received,omitempty"`
	LastHeartbeat      *time.Time        `json:"last_heartbeat,omitempty"`
	Uptime             int64             `json:"uptime,omitempty"`
	ProbeDuration      time.Duration     `json:"probe_duration_ns"`
}

// InstanceUnreachable is the payload of KindInstanceUnreachable.
type InstanceUnreachable struct {
	Key   InstanceKey `json:"key"`
	Error string      `json:"error"`
	// Timeout is true when the probe was cut off by its deadline (a hung
	// server), false when it failed fast (refused, reset, bad answer).
	Timeout bool `json:"timeout,omitempty"`
	// ConnectionLost is true when an open pooled connection dropped: evidence
	// at once, without waiting for a timeout.
	ConnectionLost bool `json:"connection_lost,omitempty"`
	// Partial is true when the server answered some queries but the probe
	// could not complete (e.g. the @@report_host rule).
	Partial bool `json:"partial,omitempty"`
	// Kind is the probe's classification of Error: timeout, refused,
	// connection-lost, partial, auth, privilege or unknown.
	Kind          string        `json:"kind,omitempty"`
	ProbeDuration time.Duration `json:"probe_duration_ns"`
}
