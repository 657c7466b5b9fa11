package control

import (
	"time"

	"github.com/regent-ha/regent/events"
)

// TakeoverKind selects a manual promotion of a cluster's primary.
type TakeoverKind int

// Manual promotions (orchestrator's commands).
const (
	GracefulTakeover     TakeoverKind = iota + 1 // planned, designated or single replica; demoted primary left stopped
	GracefulTakeoverAuto                         // planned; Regent may choose; demoted primary replicating
	ForceFailover                                // unplanned promotion now, Regent chooses
	ForceTakeover                                // unplanned promotion now of the designated replica
)

// Command is the orchestrator command name ({command} of the hooks).
func (k TakeoverKind) Command() string {
	switch k {
	case GracefulTakeover:
		return "graceful-master-takeover"
	case GracefulTakeoverAuto:
		return "graceful-master-takeover-auto"
	case ForceFailover:
		return "force-master-failover"
	case ForceTakeover:
		return "force-master-takeover"
	}
	return "unknown"
}

// Takeover is one requested promotion.
type Takeover struct {
	Kind       TakeoverKind
	Cluster    string             // resolved cluster name
	Designated events.InstanceKey // zero: Regent chooses where the kind allows it
}

// Ack selects the recoveries to acknowledge: one recovery (RecoveryID), a
// cluster's, an instance's, or all.
type Ack struct {
	RecoveryID string
	Cluster    string
	Instance   events.InstanceKey
	All        bool
	Comment    string
}

// Downtime is a begin-downtime request.
type Downtime struct {
	Key      events.InstanceKey
	Owner    string
	Reason   string
	Duration time.Duration
}

// Maintenance is a begin-maintenance request. Duration bounds it:
// orchestrator's MaintenanceExpireMinutes, a fixed 10 minutes.
type Maintenance struct {
	Key      events.InstanceKey
	Owner    string
	Reason   string
	Duration time.Duration
}

// MaintenanceExpire is how long a maintenance lasts unless ended first
// (orchestrator's MaintenanceExpireMinutes, a constant there too).
const MaintenanceExpire = 10 * time.Minute

// ReplicaOp is a replication or read-only control on one instance; its
// value is the orchestrator command name.
type ReplicaOp string

// Replica operations on an instance alone (Operator.Replica).
const (
	OpStartReplica    ReplicaOp = "start-replica"
	OpStopReplica     ReplicaOp = "stop-replica"
	OpRestartReplica  ReplicaOp = "restart-replica"
	OpResetReplica    ReplicaOp = "reset-replica"
	OpDetachReplica   ReplicaOp = "detach-replica"
	OpReattachReplica ReplicaOp = "reattach-replica"
	OpSetReadOnly     ReplicaOp = "set-read-only"
	OpSetWriteable    ReplicaOp = "set-writeable"
	OpErrantInject    ReplicaOp = "gtid-errant-inject-empty"
	OpErrantReset     ReplicaOp = "gtid-errant-reset-master"
)

// orchestrator-client's remaining replication controls. The ones on an
// instance alone go through Operator.Replica; those with an argument and
// the moves through PurgeBinaryLogs, DelayReplication and Move.
const (
	OpStopReplicaNice        ReplicaOp = "stop-replica-nice"
	OpSkipQuery              ReplicaOp = "skip-query"
	OpEnableSemiSyncMaster   ReplicaOp = "enable-semi-sync-master"
	OpDisableSemiSyncMaster  ReplicaOp = "disable-semi-sync-master"
	OpEnableSemiSyncReplica  ReplicaOp = "enable-semi-sync-replica"
	OpDisableSemiSyncReplica ReplicaOp = "disable-semi-sync-replica"
	OpFlushBinaryLogs        ReplicaOp = "flush-binary-logs"
	OpPurgeBinaryLogs        ReplicaOp = "purge-binary-logs"
	OpDelayReplication       ReplicaOp = "delay-replication"
	OpMoveUp                 ReplicaOp = "move-up"
	OpMoveBelow              ReplicaOp = "move-below"
	OpRepoint                ReplicaOp = "repoint"
	// OpRelocate is relocate's name in the log (it has its own endpoint).
	OpRelocate ReplicaOp = "relocate"
)
