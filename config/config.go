package config

// Config is Regent's effective configuration. Its file keys are the field
// names, flat and PascalCase like orchestrator's (the embedded group structs
// are only a convenience for callers: cfg.Cluster, cfg.Recovery, …).
//
// Struct tags under `regent:"…"` drive the loader:
//
//	unused        accepted for orchestrator compatibility, not read by Regent
//	secret        replaced by "********" in Masked
//	alias=Key     legacy synonym, folded into Key after loading
type Config struct {
	Logging
	HTTP
	Topology
	Discovery
	Recovery
	VIP
	Cluster
	Legacy
}

// Logging is how a node logs.
type Logging struct {
	Debug        bool   // orchestrator's debug switch; makes the default LogLevel "debug"
	EnableSyslog bool   `regent:"unused"`
	LogFormat    string // json | console | auto (console when stderr is a terminal)
	LogLevel     string // trace | debug | info | warn | error; "" = info (debug when Debug)
}

// HTTP is the API listener and its authentication, in orchestrator's shapes.
type HTTP struct {
	ListenAddress        string
	ListenSocket         string `regent:"unused"`
	HTTPAdvertise        string // scheme://host:port peers use to reach this node's API
	URLPrefix            string
	StatusEndpoint       string
	StatusOUVerify       bool
	StatusSimpleHealth   bool `regent:"unused"` // in orchestrator's sample config, read by no code
	ReadOnly             bool
	AuthenticationMethod string // "" | basic | multi | proxy
	HTTPAuthUser         string
	HTTPAuthPassword     string `regent:"secret"`
	AuthUserHeader       string
	PowerAuthUsers       []string
	PowerAuthGroups      []string // proxy method: members of these unix groups of this host may act too
	UseSSL               bool
	UseMutualTLS         bool
	SSLSkipVerify        bool // a write forwarded to the leader over HTTPS does not verify its certificate
	SSLPrivateKeyFile    string
	SSLCertFile          string
	SSLCAFile            string
	SSLValidOUs          []string
	WebMessage           string `regent:"unused"`
}

// Topology is how Regent connects to the MySQL/MariaDB servers it manages.
type Topology struct {
	MySQLTopologyUser                  string
	MySQLTopologyPassword              string `regent:"secret"`
	MySQLTopologyCredentialsConfigFile string
	MySQLTopologySSLPrivateKeyFile     string
	MySQLTopologySSLCertFile           string
	MySQLTopologySSLCAFile             string
	MySQLTopologySSLSkipVerify         bool
	MySQLTopologyUseMutualTLS          bool
	MySQLTopologyUseMixedTLS           bool
	MySQLConnectTimeoutSeconds         int
	MySQLDiscoveryReadTimeoutSeconds   int
	MySQLTopologyReadTimeoutSeconds    int
	MySQLConnectionLifetimeSeconds     int
	DefaultInstancePort                int
	ReplicationLagQuery                string
	SlaveLagQuery                      string `regent:"alias=ReplicationLagQuery"`
	ReplicationCredentialsQuery        string // run on a takeover's designated replica: user, password of the demoted primary
	UseSuperReadOnly                   bool
}

// Discovery is polling, discovery and naming.
type Discovery struct {
	InstancePollSeconds                        uint
	InstancePollMilliseconds                   int  // Regent: > 0 overrides InstancePollSeconds (sub-second polling)
	ProbeTimeoutMilliseconds                   int  // Regent: 0 = MySQLConnectTimeoutSeconds*1000
	ReasonableInstanceCheckSeconds             uint `regent:"unused"`
	DiscoverByShowSlaveHosts                   bool
	DiscoveryMaxConcurrency                    uint
	DiscoverySeeds                             []string
	DiscoveryIgnoreReplicaHostnameFilters      []string
	DiscoveryIgnoreMasterHostnameFilters       []string
	DiscoveryIgnoreHostnameFilters             []string
	UnseenInstanceForgetHours                  uint
	HostnameResolveMethod                      string
	MySQLHostnameResolveMethod                 string
	ExpiryHostnameResolvesMinutes              int
	RejectHostnameResolvePattern               string `regent:"unused"`
	ReasonableReplicationLagSeconds            int
	ReasonableMaintenanceReplicationLagSeconds int
	ReasonableLockedSemiSyncMasterSeconds      uint
	ProblemIgnoreHostnameFilters               []string
	OSCIgnoreHostnameFilters                   []string
	VerifyReplicationFilters                   bool
	CandidateInstanceExpireMinutes             uint
	RemoveTextFromHostnameDisplay              string
	ClusterNameToAlias                         map[string]string
	DetectClusterAliasQuery                    string
	DetectClusterDomainQuery                   string
	DetectInstanceAliasQuery                   string
	DetectPromotionRuleQuery                   string
	DetectSemiSyncEnforcedQuery                string
	DataCenterPattern                          string
	RegionPattern                              string
	PhysicalEnvironmentPattern                 string
	DetectDataCenterQuery                      string
	DetectRegionQuery                          string
	DetectPhysicalEnvironmentQuery             string
	MaxConcurrentReplicaOperations             int `regent:"unused"`
}

// Recovery is failure handling, promotion rules and hooks.
type Recovery struct {
	FailureDetectionPeriodBlockMinutes         int
	RecoveryPeriodBlockSeconds                 int
	RecoveryPeriodBlockMinutes                 int `regent:"alias=RecoveryPeriodBlockSeconds"`
	RecoveryIgnoreHostnameFilters              []string
	RecoverMasterClusterFilters                []string
	RecoverIntermediateMasterClusterFilters    []string
	PromotionIgnoreHostnameFilters             []string
	ProcessesShellCommand                      string
	HookTimeoutSeconds                         int // Regent: a synchronous hook is killed after this
	OnFailureDetectionProcesses                []string
	PreGracefulTakeoverProcesses               []string
	PreFailoverProcesses                       []string
	PostFailoverProcesses                      []string
	PostUnsuccessfulFailoverProcesses          []string
	PostMasterFailoverProcesses                []string
	PostIntermediateMasterFailoverProcesses    []string
	PostGracefulTakeoverProcesses              []string
	PostTakeMasterProcesses                    []string `regent:"unused"`
	RecoverNonWriteableMaster                  bool
	CoMasterRecoveryMustPromoteOtherCoMaster   bool `regent:"unused"`
	DetachLostSlavesAfterMasterFailover        bool `regent:"alias=DetachLostReplicasAfterMasterFailover"`
	DetachLostReplicasAfterMasterFailover      bool
	ApplyMySQLPromotionAfterMasterFailover     bool
	PreventCrossDataCenterMasterFailover       bool
	PreventCrossRegionMasterFailover           bool
	MasterFailoverLostInstancesDowntimeMinutes uint
	MasterFailoverDetachSlaveMasterHost        bool `regent:"unused,alias=MasterFailoverDetachReplicaMasterHost"`
	MasterFailoverDetachReplicaMasterHost      bool `regent:"unused"`
	FailMasterPromotionOnLagMinutes            uint
	FailMasterPromotionIfSQLThreadNotUpToDate  bool
	DelayMasterPromotionIfSQLThreadNotUpToDate bool `regent:"unused"`
	PostponeSlaveRecoveryOnLagMinutes          uint `regent:"unused,alias=PostponeReplicaRecoveryOnLagMinutes"`
	PostponeReplicaRecoveryOnLagMinutes        uint `regent:"unused"`
	EnforceExactSemiSyncReplicas               bool
	RecoverLockedSemiSyncMaster                bool
	RemoteExecPrefix                           string // Regent: prefix for commands run on a MySQL host, e.g. "ssh {host}"
	// Regent: credentials a demoted primary uses to replicate from the new
	// one (CHANGE MASTER … MASTER_USER); empty keeps what the server has.
	ReplicationUser     string
	ReplicationPassword string `regent:"secret"`
	// Regent: a replica whose IO thread has received nothing (no event, no
	// heartbeat) for this long, and at least 2.5× its own heartbeat period,
	// agrees that its source is gone.
	ReplicationStallMilliseconds int
	// Regent: MASTER_HEARTBEAT_PERIOD, in milliseconds, of every replica
	// Regent points at a source (failover, re-pointing, takeover). Keep
	// ReplicationStallMilliseconds at 2.5× it or more.
	ReplicationHeartbeatMilliseconds int
	// Regent: how often the leader re-evaluates the analysis when no event
	// arrives (a stall is the absence of events).
	RecoveryTickMilliseconds int
}

// VIP is Regent's built-in virtual IP handling. Placeholders {vip},
// {interface}, {host} are filled in by the actuator.
type VIP struct {
	VIPAddress       string
	VIPInterface     string
	VIPAddCommand    string
	VIPRemoveCommand string
	VIPCheckCommand  string
}

// Cluster is the Regent node cluster: orchestrator's Raft* keys mapped onto
// an embedded NATS JetStream cluster (see the package doc), or an external
// NATS when NATSServers is set.
type Cluster struct {
	RaftEnabled                 bool
	RaftBind                    string
	RaftAdvertise               string
	RaftDataDir                 string
	DefaultRaftPort             int
	RaftNodes                   []string
	NodeName                    string
	NATSListenAddress           string
	NATSClusterName             string
	NATSServers                 []string
	NATSStreamReplicas          int // Regent: stream replicas on an external NATS (NATSServers), 1-5
	NATSCredentialsFile         string
	NATSUser                    string
	NATSPassword                string `regent:"secret"`
	NATSToken                   string `regent:"secret"`
	NATSTLSCertFile             string
	NATSTLSKeyFile              string
	NATSTLSCAFile               string
	NATSClusterUser             string
	NATSClusterPassword         string `regent:"secret"`
	NATSClusterSecret           string `regent:"secret"` // Regent: every NATS credential derives from it
	NATSClusterSecretFile       string // Regent: a file holding NATSClusterSecret (trimmed)
	NATSClusterTLSCertFile      string
	NATSClusterTLSKeyFile       string
	NATSClusterTLSCAFile        string
	NATSMaxMemoryMB             int
	NATSMaxStoreMB              int
	ObservationRetentionMinutes int
	EventStreamMaxMB            int
}

// Legacy holds orchestrator keys that Regent accepts so existing files
// load, but does not use (backend database, agents, Pseudo-GTID, KV
// stores, metrics sinks, web sessions …). `regent config check` lists
// the ones a file sets.
type Legacy struct {
	AgentsServerPort                          string   `regent:"unused"`
	ServeAgentsHttp                           bool     `regent:"unused"`
	AgentsUseSSL                              bool     `regent:"unused"`
	AgentsUseMutualTLS                        bool     `regent:"unused"`
	AgentSSLSkipVerify                        bool     `regent:"unused"`
	AgentSSLPrivateKeyFile                    string   `regent:"unused"`
	AgentSSLCertFile                          string   `regent:"unused"`
	AgentSSLCAFile                            string   `regent:"unused"`
	AgentSSLValidOUs                          []string `regent:"unused"`
	AgentPollMinutes                          uint     `regent:"unused"`
	UnseenAgentForgetHours                    uint     `regent:"unused"`
	StaleSeedFailMinutes                      uint     `regent:"unused"`
	SeedAcceptableBytesDiff                   int64    `regent:"unused"`
	SeedWaitSecondsBeforeSend                 int64    `regent:"unused"`
	BackendDB                                 string   `regent:"unused"`
	SQLite3DataFile                           string   `regent:"unused"`
	SkipOrchestratorDatabaseUpdate            bool     `regent:"unused"`
	PanicIfDifferentDatabaseDeploy            bool     `regent:"unused"`
	MySQLOrchestratorHost                     string   `regent:"unused"`
	MySQLOrchestratorMaxPoolConnections       int      `regent:"unused"`
	MySQLOrchestratorPort                     uint     `regent:"unused"`
	MySQLOrchestratorDatabase                 string   `regent:"unused"`
	MySQLOrchestratorUser                     string   `regent:"unused"`
	MySQLOrchestratorPassword                 string   `regent:"unused,secret"`
	MySQLOrchestratorCredentialsConfigFile    string   `regent:"unused"`
	MySQLOrchestratorSSLPrivateKeyFile        string   `regent:"unused"`
	MySQLOrchestratorSSLCertFile              string   `regent:"unused"`
	MySQLOrchestratorSSLCAFile                string   `regent:"unused"`
	MySQLOrchestratorSSLSkipVerify            bool     `regent:"unused"`
	MySQLOrchestratorUseMutualTLS             bool     `regent:"unused"`
	MySQLOrchestratorReadTimeoutSeconds       int      `regent:"unused"`
	MySQLOrchestratorRejectReadOnly           bool     `regent:"unused"`
	TLSCacheTTLFactor                         uint     `regent:"unused"`
	ExpectFailureAnalysisConcensus            bool     `regent:"unused"`
	InstanceWriteBufferSize                   int      `regent:"unused"`
	BufferInstanceWrites                      bool     `regent:"unused"`
	InstanceFlushIntervalMilliseconds         int      `regent:"unused"`
	SkipMaxScaleCheck                         bool     `regent:"unused"`
	SnapshotTopologiesIntervalHours           uint     `regent:"unused"`
	DiscoveryQueueCapacity                    uint     `regent:"unused"`
	DiscoveryQueueMaxStatisticsSize           int      `regent:"unused"`
	DiscoveryCollectionRetentionSeconds       uint     `regent:"unused"`
	InstanceBulkOperationsWaitTimeoutSeconds  uint     `regent:"unused"`
	SkipBinlogServerUnresolveCheck            bool     `regent:"unused"`
	AuditLogFile                              string   // every event, one line each (control/audit.Writer)
	AuditToSyslog                             bool     // every event, one syslog message each
	AuditToBackendDB                          bool     `regent:"unused"`
	AuditPurgeDays                            uint     `regent:"unused"`
	OAuthClientId                             string   `regent:"unused"`
	OAuthClientSecret                         string   `regent:"unused,secret"`
	OAuthScopes                               []string `regent:"unused"`
	SessionSecretKey                          string   `regent:"unused,secret"`
	AzureClientID                             string   `regent:"unused"`
	AzureTenantID                             string   `regent:"unused"`
	AzureGraphUserScope                       string   `regent:"unused"`
	AzureRedirectURL                          string   `regent:"unused"`
	AzureApplicationName                      string   `regent:"unused"`
	AzureApplicationID                        string   `regent:"unused"`
	AzureAdminRole                            string   `regent:"unused"`
	AccessTokenUseExpirySeconds               uint     `regent:"unused"`
	AccessTokenExpiryMinutes                  uint     `regent:"unused"`
	SupportFuzzyPoolHostnames                 bool     `regent:"unused"`
	InstancePoolExpiryMinutes                 uint     `regent:"unused"`
	AutoPseudoGTID                            bool     `regent:"unused"`
	PseudoGTIDPattern                         string   `regent:"unused"`
	PseudoGTIDPatternIsFixedSubstring         bool     `regent:"unused"`
	PseudoGTIDMonotonicHint                   string   `regent:"unused"`
	DetectPseudoGTIDQuery                     string   `regent:"unused"`
	BinlogEventsChunkSize                     int      `regent:"unused"`
	SkipBinlogEventsContaining                []string `regent:"unused"`
	ReduceReplicationAnalysisCount            bool     `regent:"unused"`
	UnreachableMasterWithStaleSlavesProcesses []string `regent:"unused"`
	RemoteSSHForMasterFailover                bool     `regent:"unused"`
	RemoteSSHCommand                          string   `regent:"unused"`
	RemoteSSHCommandUseSudo                   bool     `regent:"unused"`
	GraphiteAddr                              string   `regent:"unused"`
	GraphitePath                              string   `regent:"unused"`
	GraphiteConvertHostnameDotsToUnderscores  bool     `regent:"unused"`
	GraphitePollSeconds                       int      `regent:"unused"`
	MaxOutdatedKeysToShow                     int      `regent:"unused"`
	ConsulAddress                             string   `regent:"unused"`
	ConsulScheme                              string   `regent:"unused"`
	ConsulAclToken                            string   `regent:"unused,secret"`
	ConsulCrossDataCenterDistribution         bool     `regent:"unused"`
	ConsulKVStoreProvider                     string   `regent:"unused"`
	ConsulMaxKVsPerTransaction                int      `regent:"unused"`
	ZkAddress                                 string   `regent:"unused"`
	KVClusterMasterPrefix                     string
}

// deprecatedKeys are keys orchestrator itself lists as deprecated and
// ignores; Regent accepts them too, with an info line.
var deprecatedKeys = [...]string{
	"DatabaselessMode__experimental", "BufferBinlogEvents", "BinlogFileHistoryDays",
	"MaintenanceOwner", "ReadLongRunningQueries", "DiscoveryPollSeconds",
	"ActiveNodeExpireSeconds", "AuditPageSize", "SlaveStartPostWaitMilliseconds",
	"MySQLTopologyMaxPoolConnections", "MaintenancePurgeDays", "MaintenanceExpireMinutes",
	"HttpTimeoutSeconds", "AgentAutoDiscover", "PseudoGTIDCoordinatesHistoryHeuristicMinutes",
	"PseudoGTIDPreferIndependentMultiMatch",
}

// Default returns the configuration before any file is read: orchestrator's
// defaults for its keys, Regent's for its own.
func Default() Config {
	return Config{
		Logging: Logging{LogFormat: "auto"},
		HTTP: HTTP{
			ListenAddress:   ":3000",
			StatusEndpoint:  "/api/status",
			AuthUserHeader:  "X-Forwarded-User",
			PowerAuthUsers:  []string{"*"},
			PowerAuthGroups: []string{},
			SSLValidOUs:     []string{},
		},
		Topology: Topology{
			MySQLTopologyUseMixedTLS:         true,
			MySQLConnectTimeoutSeconds:       2,
			MySQLDiscoveryReadTimeoutSeconds: 10,
			MySQLTopologyReadTimeoutSeconds:  600,
			DefaultInstancePort:              3306,
		},
		Discovery: defaultDiscovery(),
		Recovery:  defaultRecovery(),
		VIP:       defaultVIP(),
		Cluster:   defaultCluster(),
		Legacy:    defaultLegacy(),
	}
}

func defaultDiscovery() Discovery {
	return Discovery{
		InstancePollSeconds:                        5,
		ReasonableInstanceCheckSeconds:             1,
		DiscoveryMaxConcurrency:                    300,
		DiscoverySeeds:                             []string{},
		DiscoveryIgnoreReplicaHostnameFilters:      []string{},
		DiscoveryIgnoreMasterHostnameFilters:       []string{},
		DiscoveryIgnoreHostnameFilters:             []string{},
		UnseenInstanceForgetHours:                  240,
		HostnameResolveMethod:                      "default",
		MySQLHostnameResolveMethod:                 "@@hostname",
		ExpiryHostnameResolvesMinutes:              60,
		ReasonableReplicationLagSeconds:            10,
		ReasonableMaintenanceReplicationLagSeconds: 20,
		ProblemIgnoreHostnameFilters:               []string{},
		OSCIgnoreHostnameFilters:                   []string{},
		CandidateInstanceExpireMinutes:             60,
		ClusterNameToAlias:                         map[string]string{},
		MaxConcurrentReplicaOperations:             5,
	}
}

func defaultRecovery() Recovery {
	return Recovery{
		FailureDetectionPeriodBlockMinutes:       60,
		RecoveryPeriodBlockSeconds:               3600,
		RecoveryPeriodBlockMinutes:               60,
		RecoveryIgnoreHostnameFilters:            []string{},
		RecoverMasterClusterFilters:              []string{},
		RecoverIntermediateMasterClusterFilters:  []string{},
		PromotionIgnoreHostnameFilters:           []string{},
		ProcessesShellCommand:                    "bash",
		HookTimeoutSeconds:                       60,
		OnFailureDetectionProcesses:              []string{},
		PreGracefulTakeoverProcesses:             []string{},
		PreFailoverProcesses:                     []string{},
		PostFailoverProcesses:                    []string{},
		PostUnsuccessfulFailoverProcesses:        []string{},
		PostMasterFailoverProcesses:              []string{},
		PostIntermediateMasterFailoverProcesses:  []string{},
		PostGracefulTakeoverProcesses:            []string{},
		PostTakeMasterProcesses:                  []string{},
		CoMasterRecoveryMustPromoteOtherCoMaster: true,
		DetachLostSlavesAfterMasterFailover:      true,
		ApplyMySQLPromotionAfterMasterFailover:   true,
		ReplicationStallMilliseconds:             1500,
		ReplicationHeartbeatMilliseconds:         500,
		RecoveryTickMilliseconds:                 50,
	}
}

func defaultVIP() VIP {
	return VIP{
		VIPAddCommand:    "ip address add {vip}/32 dev {interface}",
		VIPRemoveCommand: "ip address del {vip}/32 dev {interface}",
		VIPCheckCommand:  "ip -o address show dev {interface}",
	}
}

func defaultCluster() Cluster {
	return Cluster{
		RaftBind:                    "127.0.0.1:10008",
		RaftDataDir:                 "./regent-data",
		DefaultRaftPort:             DefaultRaftPort,
		RaftNodes:                   []string{},
		NATSListenAddress:           "127.0.0.1:4222",
		NATSClusterName:             "regent",
		NATSServers:                 []string{},
		NATSStreamReplicas:          1,
		NATSMaxMemoryMB:             256,
		NATSMaxStoreMB:              10240,
		ObservationRetentionMinutes: 1440,
		EventStreamMaxMB:            4096,
	}
}

func defaultLegacy() Legacy {
	return Legacy{
		AgentsServerPort:                          ":3001",
		AgentSSLValidOUs:                          []string{},
		AgentPollMinutes:                          60,
		UnseenAgentForgetHours:                    6,
		StaleSeedFailMinutes:                      60,
		SeedAcceptableBytesDiff:                   8192,
		SeedWaitSecondsBeforeSend:                 2,
		BackendDB:                                 "mysql",
		MySQLOrchestratorMaxPoolConnections:       128,
		MySQLOrchestratorPort:                     3306,
		MySQLOrchestratorReadTimeoutSeconds:       30,
		TLSCacheTTLFactor:                         100,
		ExpectFailureAnalysisConcensus:            true,
		InstanceWriteBufferSize:                   100,
		InstanceFlushIntervalMilliseconds:         100,
		SkipMaxScaleCheck:                         true,
		DiscoveryQueueCapacity:                    100000,
		DiscoveryQueueMaxStatisticsSize:           120,
		DiscoveryCollectionRetentionSeconds:       120,
		InstanceBulkOperationsWaitTimeoutSeconds:  10,
		SkipBinlogServerUnresolveCheck:            true,
		AuditPurgeDays:                            7,
		OAuthScopes:                               []string{},
		SessionSecretKey:                          "secret",
		AccessTokenUseExpirySeconds:               60,
		AccessTokenExpiryMinutes:                  1440,
		SupportFuzzyPoolHostnames:                 true,
		InstancePoolExpiryMinutes:                 60,
		BinlogEventsChunkSize:                     10000,
		SkipBinlogEventsContaining:                []string{},
		ReduceReplicationAnalysisCount:            true,
		UnreachableMasterWithStaleSlavesProcesses: []string{},
		RemoteSSHCommandUseSudo:                   true,
		GraphiteConvertHostnameDotsToUnderscores:  true,
		GraphitePollSeconds:                       60,
		MaxOutdatedKeysToShow:                     64,
		ConsulScheme:                              "http",
		ConsulKVStoreProvider:                     "consul",
		ConsulMaxKVsPerTransaction:                5,
		KVClusterMasterPrefix:                     "mysql/master",
	}
}
