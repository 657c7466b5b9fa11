package events

// The codes of the analysis and the types of recovery, in one place: the
// analysis' rule table (projections/analysis.Rules) gives each code its
// condition, whether it is a detection, whether it fires the detection
// hooks and which recovery acts on it. In the log a code or a type is a
// JSON string, as orchestrator's; the set is open there (an older or newer
// log may carry codes not named here) but Regent emits only these.

// AnalysisCode is an analysis code (orchestrator's AnalysisCode).
type AnalysisCode string

// Analysis codes (orchestrator's).
const (
	AnalysisNoProblem                                               AnalysisCode = "NoProblem"
	AnalysisDeadMaster                                              AnalysisCode = "DeadMaster"
	AnalysisDeadMasterAndSomeReplicas                               AnalysisCode = "DeadMasterAndSomeReplicas"
	AnalysisDeadMasterAndReplicas                                   AnalysisCode = "DeadMasterAndReplicas"
	AnalysisDeadMasterWithoutReplicas                               AnalysisCode = "DeadMasterWithoutReplicas"
	AnalysisUnreachableMaster                                       AnalysisCode = "UnreachableMaster"
	AnalysisUnreachableMasterWithLaggingReplicas                    AnalysisCode = "UnreachableMasterWithLaggingReplicas"
	AnalysisAllMasterReplicasNotReplicating                         AnalysisCode = "AllMasterReplicasNotReplicating"
	AnalysisAllMasterReplicasNotReplicatingOrDead                   AnalysisCode = "AllMasterReplicasNotReplicatingOrDead"
	AnalysisDeadIntermediateMaster                                  AnalysisCode = "DeadIntermediateMaster"
	AnalysisDeadIntermediateMasterWithSingleReplica                 AnalysisCode = "DeadIntermediateMasterWithSingleReplica"
	AnalysisDeadIntermediateMasterWithSingleReplicaFailingToConnect AnalysisCode = "DeadIntermediateMasterWithSingleReplicaFailingToConnect"
	AnalysisDeadIntermediateMasterAndSomeReplicas                   AnalysisCode = "DeadIntermediateMasterAndSomeReplicas"
	AnalysisDeadIntermediateMasterAndReplicas                       AnalysisCode = "DeadIntermediateMasterAndReplicas"
	AnalysisUnreachableIntermediateMaster                           AnalysisCode = "UnreachableIntermediateMaster"
	AnalysisUnreachableIntermediateMasterWithLaggingReplicas        AnalysisCode = "UnreachableIntermediateMasterWithLaggingReplicas"
	AnalysisAllIntermediateMasterReplicasFailingToConnectOrDead     AnalysisCode = "AllIntermediateMasterReplicasFailingToConnectOrDead"
	AnalysisLockedSemiSyncMaster                                    AnalysisCode = "LockedSemiSyncMaster"
	// AnalysisMasterWithTooManySemiSyncReplicas: a semi-sync primary with
	// more semi-sync clients than it waits for (analysed only with
	// EnforceExactSemiSyncReplicas).
	AnalysisMasterWithTooManySemiSyncReplicas AnalysisCode = "MasterWithTooManySemiSyncReplicas"
	// AnalysisNoWriteableMaster is NoWriteableMasterStructureWarning as the
	// analysis of a primary (actionable with RecoverNonWriteableMaster).
	AnalysisNoWriteableMaster AnalysisCode = AnalysisCode(NoWriteableMasterStructureWarning)
)

// StructureCode is a structure warning (orchestrator's
// StructureAnalysisCode).
type StructureCode string

// Structure warnings (orchestrator's).
const (
	NoLoggingReplicasStructureWarning                    StructureCode = "NoLoggingReplicasStructureWarning"
	NoFailoverSupportStructureWarning                    StructureCode = "NoFailoverSupportStructureWarning"
	StatementAndMixedLoggingReplicasStructureWarning     StructureCode = "StatementAndMixedLoggingReplicasStructureWarning"
	StatementAndRowLoggingReplicasStructureWarning       StructureCode = "StatementAndRowLoggingReplicasStructureWarning"
	MixedAndRowLoggingReplicasStructureWarning           StructureCode = "MixedAndRowLoggingReplicasStructureWarning"
	MultipleMajorVersionsLoggingReplicasStructureWarning StructureCode = "MultipleMajorVersionsLoggingReplicasStructureWarning"
	DifferentGTIDModesStructureWarning                   StructureCode = "DifferentGTIDModesStructureWarning"
	ErrantGTIDStructureWarning                           StructureCode = "ErrantGTIDStructureWarning"
	NoWriteableMasterStructureWarning                    StructureCode = "NoWriteableMasterStructureWarning"
	NotEnoughValidSemiSyncReplicasStructureWarning       StructureCode = "NotEnoughValidSemiSyncReplicasStructureWarning"
)

// RecoveryType is the type of a recovery (orchestrator's
// TopologyRecovery.Type): an automated one's, from its rule, or a manual
// operation's.
type RecoveryType string

// Recovery types (orchestrator's names).
const (
	RecoveryMaster                     RecoveryType = "MasterRecovery"
	RecoveryIntermediateMaster         RecoveryType = "IntermediateMasterRecovery"
	RecoveryGracefulMasterTakeover     RecoveryType = "GracefulMasterTakeover"
	RecoveryGracefulMasterTakeoverAuto RecoveryType = "GracefulMasterTakeoverAuto"
	RecoveryForceMasterFailover        RecoveryType = "ForceMasterFailover"
	RecoveryForceMasterTakeover        RecoveryType = "ForceMasterTakeover"
	RecoveryManual                     RecoveryType = "ManualRecovery"
	// RecoveryNonWriteableMaster makes a read-only primary writeable
	// (RecoverNonWriteableMaster).
	RecoveryNonWriteableMaster RecoveryType = "NonWriteableMasterRecovery"
	// RecoveryLockedSemiSyncMaster enables semi-sync on enough replicas of
	// a locked semi-sync primary (RecoverLockedSemiSyncMaster).
	RecoveryLockedSemiSyncMaster RecoveryType = "LockedSemiSyncMasterRecovery"
	// RecoverySemiSyncExact makes the primary's semi-sync replicas exactly
	// its wait count (EnforceExactSemiSyncReplicas).
	RecoverySemiSyncExact RecoveryType = "SemiSyncExactRecovery"
)
