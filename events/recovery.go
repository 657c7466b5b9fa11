package events

import "time"

// VantageReport is what one Regent node last saw of an instance.
type VantageReport struct {
	Node      string    `json:"node"`
	Reachable bool      `json:"reachable"`
	At        time.Time `json:"at"`
	Error     string    `json:"error,omitempty"`
	Seq       uint64    `json:"seq,omitempty"` // observation stream sequence
}

// ReplicaReport is what a replica of the failed instance said about it.
type ReplicaReport struct {
	Key          InstanceKey `json:"key"`
	Reachable    bool        `json:"reachable"`
	IOThread     ThreadState `json:"io_thread"`
	SQLThread    ThreadState `json:"sql_thread"`
	LastIOError  string      `json:"last_io_error,omitempty"`
	HeartbeatAge float64     `json:"heartbeat_age_s,omitempty"` // seconds since its last heartbeat from the source, -1 unknown
	Agrees       bool        `json:"agrees"`                    // it confirms the source is gone
	GTIDPos      string      `json:"gtid_pos,omitempty"`
	ExecGTIDSet  string      `json:"exec_gtid_set,omitempty"`
}

// FailureDetected is the payload of KindFailureDetected: an analysis result
// with its evidence.
type FailureDetected struct {
	DetectionID   string          `json:"detection_id"`
	Analysis      AnalysisCode    `json:"analysis"`
	Description   string          `json:"description"`
	Failed        InstanceKey     `json:"failed"`
	ClusterName   string          `json:"cluster_name"`
	ClusterAlias  string          `json:"cluster_alias,omitempty"`
	Vantage       []VantageReport `json:"vantage"`
	Replicas      []ReplicaReport `json:"replicas"`
	CountReplicas int             `json:"count_replicas"`
	// Actionable is false when a failure is recorded but no recovery is
	// allowed to follow (UnreachableMaster, filters, downtime…); Reason says
	// why.
	Actionable bool   `json:"actionable"`
	Reason     string `json:"reason,omitempty"`
}

// Candidate is one replica considered for promotion.
type Candidate struct {
	Key     InstanceKey `json:"key"`
	Chosen  bool        `json:"chosen"`
	Reason  string      `json:"reason"` // why chosen, or why rejected
	GTIDPos string      `json:"gtid_pos,omitempty"`
	Rule    string      `json:"promotion_rule,omitempty"`
}

// RecoveryStarted is the payload of KindRecoveryStarted: the intent, appended
// with optimistic concurrency on the cluster. Its envelope Epoch is the
// holder's fencing epoch.
type RecoveryStarted struct {
	RecoveryID   string       `json:"recovery_id"`
	DetectionID  string       `json:"detection_id,omitempty"`
	Type         RecoveryType `json:"type"` // MasterRecovery, IntermediateMasterRecovery, GracefulMasterTakeover, …
	Analysis     AnalysisCode `json:"analysis"`
	Failed       InstanceKey  `json:"failed"`
	ClusterName  string       `json:"cluster_name"`
	ClusterAlias string       `json:"cluster_alias,omitempty"`
	Candidates   []Candidate  `json:"candidates,omitempty"`
	Successor    InstanceKey  `json:"successor,omitempty"` // the chosen candidate
	Node         string       `json:"node"`                // the node running it
	Manual       bool         `json:"manual,omitempty"`
	Who          string       `json:"who,omitempty"`
	// The rest of the plan, so that a node resuming the recovery reads it
	// from here (absent from events written before they were added: the
	// resuming node then re-points the failed instance's replicas it sees).
	Description   string        `json:"description,omitempty"` // the failure's, as the hooks got it
	ClusterDomain string        `json:"cluster_domain,omitempty"`
	Replicas      []InstanceKey `json:"replicas,omitempty"` // the other replicas to re-point below Successor
	// SemiSyncDisable: the replicas a semi-sync recovery turns semi-sync
	// off on (EnforceExactSemiSyncReplicas); Replicas are those it turns
	// it on on.
	SemiSyncDisable []InstanceKey `json:"semi_sync_disable,omitempty"`
	// SkipHooks: no hook runs (orchestrator's recover-lite).
	SkipHooks bool `json:"skip_hooks,omitempty"`
	// SemiSyncMoves: the semi-sync settings a promotion moves, one per
	// server (absent when no server of the plan has a semi-sync priority).
	SemiSyncMoves []SemiSyncMove `json:"semi_sync_moves,omitempty"`
}

// SemiSyncMove is one server's semi-sync change in a promotion: the source
// (master) side and the replica side, each nil when it stays as it is;
// Why says why nothing changes when both are nil.
type SemiSyncMove struct {
	Target  InstanceKey `json:"target"`
	Master  *bool       `json:"master,omitempty"`
	Replica *bool       `json:"replica,omitempty"`
	Why     string      `json:"why,omitempty"`
}

// Step outcomes.
const (
	StepOK      = "ok"
	StepSkipped = "skipped" // already in the wanted state (idempotent re-run)
	StepFailed  = "failed"
)

// RecoveryStep is the payload of KindRecoveryStep: one action and its
// outcome.
type RecoveryStep struct {
	RecoveryID string        `json:"recovery_id"`
	Step       string        `json:"step"` // e.g. "promote", "repoint 198.18.0.3:3306", "fence", "vip-add"
	Target     InstanceKey   `json:"target,omitempty"`
	Outcome    string        `json:"outcome"`
	Detail     string        `json:"detail,omitempty"`
	Error      string        `json:"error,omitempty"`
	Took       time.Duration `json:"took_ns"`
}

// RecoveryCompleted is the payload of KindRecoveryCompleted.
type RecoveryCompleted struct {
	RecoveryID   string        `json:"recovery_id"`
	Successor    InstanceKey   `json:"successor"`
	LostReplicas []InstanceKey `json:"lost_replicas,omitempty"`
	Took         time.Duration `json:"took_ns"`
}

// RecoveryFailed is the payload of KindRecoveryFailed.
type RecoveryFailed struct {
	RecoveryID string        `json:"recovery_id"`
	Step       string        `json:"step"`
	Error      string        `json:"error"`
	Took       time.Duration `json:"took_ns"`
}

// RecoveryAcknowledged is the payload of KindRecoveryAcknowledged.
type RecoveryAcknowledged struct {
	RecoveryID  string      `json:"recovery_id,omitempty"` // empty: every recovery of the cluster/instance
	ClusterName string      `json:"cluster_name,omitempty"`
	Instance    InstanceKey `json:"instance,omitempty"`
	All         bool        `json:"all,omitempty"`
	Who         string      `json:"who"`
	Comment     string      `json:"comment"`
}

// RecoveryBlocked is the payload of KindRecoveryBlocked: a failure that would
// have been recovered but was not, and why.
type RecoveryBlocked struct {
	DetectionID        string       `json:"detection_id,omitempty"`
	Analysis           AnalysisCode `json:"analysis"`
	Failed             InstanceKey  `json:"failed"`
	ClusterName        string       `json:"cluster_name"`
	Reason             string       `json:"reason"`
	BlockingRecoveryID string       `json:"blocking_recovery_id,omitempty"`
}

// GlobalRecoveriesSet is the payload of KindGlobalRecoveriesSet.
type GlobalRecoveriesSet struct {
	Enabled bool   `json:"enabled"`
	Who     string `json:"who"`
}

// HookRan is the payload of KindHookRan.
type HookRan struct {
	RecoveryID string        `json:"recovery_id,omitempty"`
	Hook       string        `json:"hook"`    // the config list, e.g. PostFailoverProcesses
	Command    string        `json:"command"` // as configured (placeholders unexpanded)
	ExitCode   int           `json:"exit_code"`
	Output     string        `json:"output,omitempty"` // combined, truncated
	TimedOut   bool          `json:"timed_out,omitempty"`
	Async      bool          `json:"async,omitempty"`
	Error      string        `json:"error,omitempty"`
	Took       time.Duration `json:"took_ns"`
}

// VIPMoved is the payload of KindVIPMoved.
type VIPMoved struct {
	RecoveryID string      `json:"recovery_id,omitempty"`
	VIP        string      `json:"vip"`
	From       InstanceKey `json:"from,omitempty"`
	To         InstanceKey `json:"to"`
}

// FailureCleared is the payload of KindFailureCleared: a detected failure
// that went away without a recovery.
type FailureCleared struct {
	DetectionID string      `json:"detection_id"`
	Failed      InstanceKey `json:"failed"`
	ClusterName string      `json:"cluster_name"`
}

// ManualOperation is the payload of KindManualOperationStarted: an
// operator's action on one instance (start-replica, set-read-only,
// relocate, …), recorded before it is carried out. Its outcome follows,
// correlated by OperationID: KindManualOperationCompleted or
// KindManualOperationFailed.
type ManualOperation struct {
	OperationID string      `json:"operation_id,omitempty"` // absent before outcomes were recorded
	Operation   string      `json:"operation"`              // orchestrator's command name
	Target      InstanceKey `json:"target"`
	Who         string      `json:"who"`
	Detail      string      `json:"detail,omitempty"` // e.g. the relocation's destination
	Steps       []string    `json:"steps,omitempty"`  // the steps it will take, in order
}

// ManualOperationCompleted is the payload of KindManualOperationCompleted:
// every step of the operation was carried out.
type ManualOperationCompleted struct {
	OperationID string        `json:"operation_id"`
	Operation   string        `json:"operation"`
	Target      InstanceKey   `json:"target"`
	Detail      string        `json:"detail,omitempty"` // what the steps reported, e.g. "relay log applied"
	Took        time.Duration `json:"took_ns"`
}

// ManualOperationFailed is the payload of KindManualOperationFailed: Step
// failed with Error, or was not attempted because the node no longer held
// the lease epoch it started with (Fenced). Done are the steps carried out
// before it.
type ManualOperationFailed struct {
	OperationID string        `json:"operation_id"`
	Operation   string        `json:"operation"`
	Target      InstanceKey   `json:"target"`
	Step        string        `json:"step"`
	Error       string        `json:"error"`
	Fenced      bool          `json:"fenced,omitempty"`
	Done        []string      `json:"done,omitempty"`
	Took        time.Duration `json:"took_ns"`
}
