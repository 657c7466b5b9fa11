package actuators

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/regent-ha/regent/events"
)

// ErrorKind classifies an actuator error for the retry and escalation logic.
type ErrorKind int

// Error kinds.
const (
	Transient    ErrorKind = iota + 1 // may succeed if retried (network blip, lock wait)
	Permanent                         // will not succeed by retrying (privilege missing, bad state)
	Precondition                      // the server is not in the state the step requires
	Fenced                            // this node no longer holds the lease/epoch
)

func (k ErrorKind) String() string {
	switch k {
	case Transient:
		return "transient"
	case Permanent:
		return "permanent"
	case Precondition:
		return "precondition"
	case Fenced:
		return "fenced"
	}
	return "unknown"
}

// Error is an actuator error with its kind, the operation and the instance.
type Error struct {
	Kind ErrorKind
	Op   string // e.g. "set read_only", "change source"
	Key  events.InstanceKey
	Err  error
}

func (e *Error) Error() string {
	if e.Key.IsZero() {
		return fmt.Sprintf("%s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("%s on %s: %v", e.Op, e.Key, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of err (Permanent for unclassified errors).
func KindOf(err error) ErrorKind {
	var ae *Error
	if errors.As(err, &ae) {
		return ae.Kind
	}
	return Permanent
}

// Status is what a step needs to know about one instance, read fresh from
// the server (not from the projection).
type Status struct {
	Key               events.InstanceKey
	Flavor            string // MariaDB, MySQL, Percona
	Version           string
	ServerID          uint32
	ReadOnly          bool
	SuperReadOnly     bool
	LogBin            bool
	LogReplicaUpdates bool
	// Replication; IsReplica is false when no source is configured.
	IsReplica  bool
	Source     events.InstanceKey
	IORunning  bool
	SQLRunning bool
	// GTID positions: MariaDB gtid_current_pos / gtid_slave_pos /
	// gtid_binlog_pos and the IO thread's Gtid_IO_Pos; MySQL gtid_executed
	// and Retrieved_Gtid_Set.
	GTIDCurrentPos   string
	GTIDSlavePos     string
	GTIDBinlogPos    string
	GTIDIOPos        string
	GTIDExecuted     string
	RetrievedGTIDSet string
	UsingGTID        bool
	RelayLogSpace    int64 // bytes not yet applied, when known
}

// SourceMode selects how a MariaDB replica positions itself on its new
// source: slave_pos for a replica, current_pos for a former primary whose own
// writes must count. MySQL always uses auto-positioning.
type SourceMode string

// MariaDB GTID modes.
const (
	SlavePos   SourceMode = "slave_pos"
	CurrentPos SourceMode = "current_pos"
)

// Credentials for CHANGE MASTER when a replica has none (a former primary).
type Credentials struct {
	User, Password string
}

// DB performs operations on one MySQL/MariaDB instance. Implementations are
// idempotent where the operation allows (stopping a stopped replica is not an
// error) and classify their errors with *Error.
type DB interface {
	Status(ctx context.Context, key events.InstanceKey) (Status, error)
	StopReplica(ctx context.Context, key events.InstanceKey) error
	StartReplica(ctx context.Context, key events.InstanceKey) error
	// StopReplicaIO stops only the IO thread (so the SQL thread can drain
	// the relay log).
	StopReplicaIO(ctx context.Context, key events.InstanceKey) error
	// ResetReplica forgets the replica's source (RESET SLAVE ALL).
	ResetReplica(ctx context.Context, key events.InstanceKey) error
	SetReadOnly(ctx context.Context, key events.InstanceKey, readOnly bool) error
	// ChangeSource points key at source and starts replication. creds may be
	// nil to keep the existing credentials.
	ChangeSource(ctx context.Context, key, source events.InstanceKey, mode SourceMode, creds *Credentials) error
	// WaitRelayApplied waits until the SQL thread has applied everything the
	// IO thread fetched (bounded by ctx).
	WaitRelayApplied(ctx context.Context, key events.InstanceKey) error
	// DetachSource stops replication on key and turns its source host
	// into "//host" (orchestrator's detach-replica-master-host), so it
	// cannot reconnect until reattached; an already detached replica is
	// left alone, one without a source is a Precondition error.
	DetachSource(ctx context.Context, key events.InstanceKey) error
	// WaitGTID waits until key has executed pos (a MariaDB GTID list or a
	// MySQL GTID set), bounded by ctx.
	WaitGTID(ctx context.Context, key events.InstanceKey, pos string) error
	// Close releases pooled connections.
	Close() error
}

// VIP moves the virtual IP between hosts. Add and Remove report whether they
// changed anything (false: it was already so).
type VIP interface {
	Address() string // "" when no VIP is configured
	Add(ctx context.Context, host events.InstanceKey) (changed bool, err error)
	Remove(ctx context.Context, host events.InstanceKey) (changed bool, err error)
	Has(ctx context.Context, host events.InstanceKey) (bool, error)
}

// HookContext holds the values of orchestrator's hook placeholders and ORC_*
// environment variables for one run.
type HookContext struct {
	FailureType                    string
	FailureDescription             string
	InstanceType                   string // "master", "intermediate-master", "replica"
	IsMaster                       bool
	IsCoMaster                     bool
	Command                        string // "graceful-master-takeover", "force-master-failover", …
	FailedHost                     string
	FailedPort                     int
	FailureCluster                 string
	FailureClusterAlias            string
	FailureClusterDomain           string
	CountReplicas                  int
	ReplicaHosts                   []string
	IsDowntimed                    bool
	AutoMasterRecovery             bool
	AutoIntermediateMasterRecovery bool
	OrchestratorHost               string // the Regent node's name
	RecoveryUID                    string
	IsSuccessful                   bool
	LostReplicas                   []string
	CountLostReplicas              int
	SuccessorHost                  string
	SuccessorPort                  int
	SuccessorAlias                 string
	SuccessorBinlogCoordinates     string
}

// Hooks runs one configured hook list.
type Hooks interface {
	// Run executes the commands of list (e.g. "PreFailoverProcesses") in
	// order with hc's values. It returns one record per command. With
	// failFast (Pre* hooks) it stops at the first failure and err is
	// non-nil; otherwise failures are recorded and err is nil. Commands
	// ending in '&' run asynchronously: their record says Async and the
	// outcome is reported later through done (may be nil).
	Run(ctx context.Context, list string, commands []string, hc HookContext, failFast bool, done func(events.HookRan)) ([]events.HookRan, error)
}

// Clock is the time source of the engine (injected for tests).
type Clock interface{ Now() time.Time }
