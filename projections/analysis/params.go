package analysis

import (
	"regexp"
	"time"

	"github.com/regent-ha/regent/projections"
)

// Params are the knobs of analysis, candidate choice and decision, as plain
// values. cmd/ fills them from the configuration; this package never reads
// configuration itself.
type Params struct {
	// IOStallThreshold: a replica whose IO thread still says Running but
	// whose IO progress (heartbeats, read positions, Gtid_IO_Pos) has not
	// advanced for longer than this agrees that its source is gone. About
	// 3× the replication heartbeat period. Zero disables the stall test
	// (only a non-running IO thread then agrees).
	IOStallThreshold time.Duration
	// ReasonableReplicationLagSeconds: a replica lagging more is "lagging".
	ReasonableReplicationLagSeconds int64
	// LockedSemiSyncMasterThreshold (ReasonableLockedSemiSyncMasterSeconds):
	// how long a semi-sync primary short of ACKing replicas must show no
	// binary log movement to be LockedSemiSyncMaster.
	LockedSemiSyncMasterThreshold time.Duration
	// IncludeNoProblem makes Analyze return every analyzed instance, not
	// only those with a problem or a structure warning.
	IncludeNoProblem bool

	// RecoverMasterClusterFilters and RecoverIntermediateMasterClusterFilters
	// opt clusters into automated recovery (orchestrator's syntax; the zero
	// value matches no cluster).
	RecoverMasterClusterFilters             projections.ClusterFilters
	RecoverIntermediateMasterClusterFilters projections.ClusterFilters
	// RecoveryIgnoreHostnameFilters: failed hosts matching one are never
	// recovered automatically.
	RecoveryIgnoreHostnameFilters []*regexp.Regexp
	// PromotionIgnoreHostnameFilters: hosts matching one are never promoted.
	PromotionIgnoreHostnameFilters []*regexp.Regexp
	// PreventCrossDataCenterMasterFailover / PreventCrossRegionMasterFailover
	// reject candidates outside the failed primary's data center / region.
	PreventCrossDataCenterMasterFailover bool
	PreventCrossRegionMasterFailover     bool
	// FailMasterPromotionOnLagMinutes rejects candidates whose known lag is
	// above it (0: no limit).
	FailMasterPromotionOnLagMinutes int64
	// RecoveryPeriodBlock (RecoveryPeriodBlockSeconds): after a recovery on
	// a cluster ends, no automated recovery starts on it for this long
	// unless the recovery is acknowledged.
	RecoveryPeriodBlock time.Duration
	// FailureDetectionPeriodBlock (FailureDetectionPeriodBlockMinutes): a
	// detection of the same instance and analysis is not emitted again
	// within this period.
	FailureDetectionPeriodBlock time.Duration
	// RecoverNonWriteableMaster (orchestrator's key): a reachable primary
	// that is read-only while replicas replicate from it is the actionable
	// NoWriteableMasterStructureWarning, recovered by setting it writeable.
	RecoverNonWriteableMaster bool
	// VerifyReplicationFilters (orchestrator's key): a candidate with
	// replication filters is refused when a live sibling without filters
	// would replicate from it (orchestrator's CanReplicateFrom).
	VerifyReplicationFilters bool
	// RecoverLockedSemiSyncMaster (orchestrator's key): LockedSemiSyncMaster
	// is actionable, recovered by enabling semi-sync on enough replicas.
	RecoverLockedSemiSyncMaster bool
	// EnforceExactSemiSyncReplicas (orchestrator's key): a semi-sync
	// primary's semi-sync replicas are made exactly its wait count, on
	// LockedSemiSyncMaster and MasterWithTooManySemiSyncReplicas.
	EnforceExactSemiSyncReplicas bool
}

// DefaultParams returns orchestrator's defaults, with a 3 s IO stall
// threshold (3× a 1 s replication heartbeat period). No cluster is opted
// into automated recovery.
func DefaultParams() Params {
	return Params{
		IOStallThreshold:                3 * time.Second,
		ReasonableReplicationLagSeconds: 10,
		LockedSemiSyncMasterThreshold:   10 * time.Second,
		RecoveryPeriodBlock:             time.Hour,
		FailureDetectionPeriodBlock:     time.Hour,
	}
}

func matchAny(filters []*regexp.Regexp, host string) bool {
	for _, rx := range filters {
		if rx != nil && rx.MatchString(host) {
			return true
		}
	}
	return false
}
