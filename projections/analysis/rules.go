package analysis

import "github.com/regent-ha/regent/events"

// Rule is one analysis code: the first rule, in ascending Priority, whose
// Match holds for an instance's facts gives its analysis.
type Rule struct {
	Code        events.AnalysisCode
	Description string
	Priority    int
	Match       func(*Facts) bool
	// Detect: a match is a failure worth a FailureDetected event.
	Detect bool
	// DetectionHooks: a detection of the code runs
	// OnFailureDetectionProcesses. As orchestrator: every code that has a
	// recovery handler (getCheckAndRecoverFunction), actionable or not;
	// DeadMasterWithoutReplicas, UnreachableIntermediateMaster and
	// DeadIntermediateMasterWithSingleReplica have none. Only detections
	// run hooks: a code without Detect runs none however this is set.
	DetectionHooks bool
	// Actionable: a recovery may follow (still gated by Decide).
	Actionable bool
	// Recovery is the recovery type that acts on it ("" for none).
	Recovery events.RecoveryType
}

// Rules returns the rule table in priority order. It is built afresh on
// each call; callers may keep and share the result.
func Rules() []Rule {
	return append(masterRules(), intermediateMasterRules()...)
}

// masterRules are the rules about a primary (priorities below 100).
func masterRules() []Rule {
	return []Rule{
		{Code: events.AnalysisDeadMasterWithoutReplicas, Priority: 10, Detect: true,
			Description: "Master cannot be reached by a quorum of Regent nodes and has no replicas",
			Match:       func(f *Facts) bool { return f.IsMaster && f.Unreachable && f.CountReplicas == 0 }},
		{Code: events.AnalysisDeadMasterAndReplicas, Priority: 20, DetectionHooks: true, Detect: true,
			Description: "Master cannot be reached by a quorum of Regent nodes and none of its replicas is reachable",
			Match: func(f *Facts) bool {
				return f.IsMaster && f.Unreachable && f.CountReplicas > 0 && f.CountValidReplicas == 0
			}},
		{Code: events.AnalysisDeadMaster, Priority: 30, DetectionHooks: true, Detect: true, Actionable: true, Recovery: events.RecoveryMaster,
			Description: "Master cannot be reached by a quorum of Regent nodes and all of its replicas agree it is gone",
			Match: func(f *Facts) bool {
				return f.IsMaster && f.Unreachable && f.CountReplicas > 0 && f.CountValidReplicas == f.CountReplicas && allAgree(f)
			}},
		{Code: events.AnalysisDeadMasterAndSomeReplicas, Priority: 40, DetectionHooks: true, Detect: true, Actionable: true, Recovery: events.RecoveryMaster,
			Description: "Master cannot be reached by a quorum of Regent nodes; some replicas are unreachable and all reachable ones agree it is gone",
			Match: func(f *Facts) bool {
				return f.IsMaster && f.Unreachable && f.CountValidReplicas > 0 && f.CountValidReplicas < f.CountReplicas && allAgree(f)
			}},
		{Code: events.AnalysisUnreachableMasterWithLaggingReplicas, Priority: 50, DetectionHooks: true, Detect: true,
			Description: "Master cannot be reached by a quorum of Regent nodes; its replicas still replicate from it but all lag",
			Match: func(f *Facts) bool {
				return f.IsMaster && f.Unreachable && f.CountValidReplicas > 0 && !allAgree(f) &&
					f.CountLaggingReplicas == f.CountReplicas && f.CountDelayedReplicas < f.CountReplicas
			}},
		{Code: events.AnalysisUnreachableMaster, Priority: 60, DetectionHooks: true, Detect: true,
			Description: "Master cannot be reached by a quorum of Regent nodes but some replica still replicates from it: no failover",
			Match:       func(f *Facts) bool { return f.IsMaster && f.Unreachable && f.CountValidReplicas > 0 && !allAgree(f) }},
		// With EnforceExactSemiSyncReplicas or RecoverLockedSemiSyncMaster
		// the same code is actionable; exact wins, as orchestrator.
		{Code: events.AnalysisLockedSemiSyncMaster, Priority: 64, DetectionHooks: true, Detect: true, Actionable: true, Recovery: events.RecoverySemiSyncExact,
			Description: "Semi-sync master waits for more replica acknowledgements than it has clients and its binary log does not move",
			Match: func(f *Facts) bool {
				return f.EnforceExactSemiSyncReplicas && f.IsMaster && !f.Unreachable && f.SemiSyncMasterLocked
			}},
		{Code: events.AnalysisLockedSemiSyncMaster, Priority: 65, DetectionHooks: true, Detect: true, Actionable: true, Recovery: events.RecoveryLockedSemiSyncMaster,
			Description: "Semi-sync master waits for more replica acknowledgements than it has clients and its binary log does not move",
			Match: func(f *Facts) bool {
				return f.RecoverLockedSemiSyncMaster && f.IsMaster && !f.Unreachable && f.SemiSyncMasterLocked
			}},
		{Code: events.AnalysisLockedSemiSyncMaster, Priority: 70, DetectionHooks: true, Detect: true,
			Description: "Semi-sync master waits for more replica acknowledgements than it has clients and its binary log does not move",
			Match:       func(f *Facts) bool { return f.IsMaster && !f.Unreachable && f.SemiSyncMasterLocked }},
		// Only with RecoverNonWriteableMaster, as orchestrator: the code is
		// otherwise a structure warning only.
		{Code: events.AnalysisNoWriteableMaster, Priority: 75, Detect: true, Actionable: true, Recovery: events.RecoveryNonWriteableMaster,
			Description: "Master with replicas is read_only",
			Match: func(f *Facts) bool {
				return f.RecoverNonWriteableMaster && f.IsMaster && !f.Unreachable && f.LastCheckValid &&
					f.Instance.ReadOnly && f.CountValidReplicatingReplicas > 0
			}},
		// Unlike orchestrator, the view must also show more valid
		// replicating semi-sync replicas than the wait count: the primary's
		// client count alone fired right after a discovery, before its
		// replicas were in the view, and the recovery then found nothing to
		// turn off, failed, and blocked the cluster for
		// RecoveryPeriodBlockSeconds (cmd/regent.TestLabSemiSyncExactRecovery).
		{Code: events.AnalysisMasterWithTooManySemiSyncReplicas, Priority: 77, DetectionHooks: true, Detect: true, Actionable: true, Recovery: events.RecoverySemiSyncExact,
			Description: "Semi sync master has more semi sync replicas than configured",
			Match: func(f *Facts) bool {
				m := f.Instance
				return f.EnforceExactSemiSyncReplicas && f.IsMaster && !f.Unreachable && m.SemiSyncMasterEnabled && m.SemiSyncMasterStatus &&
					m.SemiSyncMasterWaitForReplicaCount > 0 && m.SemiSyncMasterClients > m.SemiSyncMasterWaitForReplicaCount &&
					uint(f.CountValidSemiSyncReplicating) > m.SemiSyncMasterWaitForReplicaCount
			}},
		{Code: events.AnalysisAllMasterReplicasNotReplicating, Priority: 80, DetectionHooks: true,
			Description: "Master is reachable but none of its replicas is replicating",
			Match: func(f *Facts) bool {
				return f.IsMaster && !f.Unreachable && f.LastCheckValid && f.CountReplicas > 0 &&
					f.CountValidReplicas == f.CountReplicas && f.CountValidReplicatingReplicas == 0
			}},
		{Code: events.AnalysisAllMasterReplicasNotReplicatingOrDead, Priority: 90, DetectionHooks: true,
			Description: "Master is reachable but none of its replicas is replicating, and some are unreachable",
			Match: func(f *Facts) bool {
				return f.IsMaster && !f.Unreachable && f.LastCheckValid && f.CountReplicas > 0 &&
					f.CountValidReplicas < f.CountReplicas && f.CountValidReplicatingReplicas == 0
			}},
	}
}

// intermediateMasterRules are the rules about a replica with replicas
// (priorities from 100).
func intermediateMasterRules() []Rule {
	return []Rule{
		{Code: events.AnalysisDeadIntermediateMasterWithSingleReplicaFailingToConnect, Priority: 110, DetectionHooks: true, Detect: true, Actionable: true, Recovery: events.RecoveryIntermediateMaster,
			Description: "Intermediate master cannot be reached by a quorum of Regent nodes and its single replica is failing to connect to it",
			Match: func(f *Facts) bool {
				return f.IsIntermediateMaster && f.Unreachable && f.CountReplicas == 1 && f.CountValidReplicas == 1 &&
					f.CountReplicasFailingToConnect == 1
			}},
		{Code: events.AnalysisDeadIntermediateMasterWithSingleReplica, Priority: 120, Detect: true,
			Description: "Intermediate master cannot be reached by a quorum of Regent nodes and its single replica is not replicating",
			Match: func(f *Facts) bool {
				return f.IsIntermediateMaster && f.Unreachable && f.CountReplicas == 1 && f.CountValidReplicas == 1 && allAgree(f)
			}},
		{Code: events.AnalysisDeadIntermediateMaster, Priority: 130, DetectionHooks: true, Detect: true, Actionable: true, Recovery: events.RecoveryIntermediateMaster,
			Description: "Intermediate master cannot be reached by a quorum of Regent nodes and all of its replicas agree it is gone",
			Match: func(f *Facts) bool {
				return f.IsIntermediateMaster && f.Unreachable && f.CountReplicas > 1 && f.CountValidReplicas == f.CountReplicas && allAgree(f)
			}},
		{Code: events.AnalysisDeadIntermediateMasterAndSomeReplicas, Priority: 140, DetectionHooks: true, Detect: true, Actionable: true, Recovery: events.RecoveryIntermediateMaster,
			Description: "Intermediate master cannot be reached by a quorum of Regent nodes; some replicas are unreachable and all reachable ones agree it is gone",
			Match: func(f *Facts) bool {
				return f.IsIntermediateMaster && f.Unreachable && f.CountValidReplicas > 0 && f.CountValidReplicas < f.CountReplicas && allAgree(f)
			}},
		{Code: events.AnalysisDeadIntermediateMasterAndReplicas, Priority: 150, DetectionHooks: true, Detect: true,
			Description: "Intermediate master and all of its replicas cannot be reached",
			Match:       func(f *Facts) bool { return f.IsIntermediateMaster && f.Unreachable && f.CountValidReplicas == 0 }},
		{Code: events.AnalysisUnreachableIntermediateMasterWithLaggingReplicas, Priority: 155, DetectionHooks: true, Detect: true,
			Description: "Intermediate master cannot be reached by a quorum of Regent nodes; its replicas still replicate from it but all lag",
			Match: func(f *Facts) bool {
				return f.IsIntermediateMaster && f.Unreachable && f.CountValidReplicas > 0 && !allAgree(f) &&
					f.CountLaggingReplicas == f.CountReplicas && f.CountDelayedReplicas < f.CountReplicas
			}},
		{Code: events.AnalysisUnreachableIntermediateMaster, Priority: 160, Detect: true,
			Description: "Intermediate master cannot be reached by a quorum of Regent nodes but some replica still replicates from it",
			Match:       func(f *Facts) bool { return f.IsIntermediateMaster && f.Unreachable && !allAgree(f) }},
		// The intermediate master answers the Regent nodes, but every
		// reachable replica fails to connect to it (and at least two
		// replicas exist): orchestrator treats it as dead and moves the
		// replicas away.
		{Code: events.AnalysisAllIntermediateMasterReplicasFailingToConnectOrDead, Priority: 170, DetectionHooks: true, Detect: true, Actionable: true, Recovery: events.RecoveryIntermediateMaster,
			Description: "Intermediate master is reachable but all of its reachable replicas are failing to connect to it",
			Match: func(f *Facts) bool {
				return f.IsIntermediateMaster && !f.Unreachable && f.LastCheckValid && f.CountReplicas > 1 &&
					f.CountValidReplicatingReplicas == 0 && f.CountReplicasFailingToConnect > 0 &&
					f.CountReplicasFailingToConnect == f.CountValidReplicas
			}},
	}
}

// DetectionHooked reports whether a detection of code runs
// OnFailureDetectionProcesses: its rule's DetectionHooks (false for a code
// no rule has, such as one from another version's log).
func DetectionHooked(code events.AnalysisCode) bool {
	for _, r := range Rules() {
		if r.Code == code {
			return r.DetectionHooks
		}
	}
	return false
}

// allAgree: every reachable replica says the source is gone.
func allAgree(f *Facts) bool { return f.CountAgreeingReplicas == f.CountValidReplicas }

// StructureRule is one structure warning and its condition.
type StructureRule struct {
	Code        events.StructureCode
	Description string
	Match       func(*Facts) bool
}

// StructureRules returns the structure warnings in the order they are
// reported.
func StructureRules() []StructureRule {
	return []StructureRule{
		{events.NoLoggingReplicasStructureWarning, "master with more than one replica and none logs its updates (log_bin and log_slave_updates)",
			func(f *Facts) bool { return f.IsMaster && f.CountReplicas > 1 && f.CountLoggingReplicas == 0 }},
		{events.NoFailoverSupportStructureWarning, "more than one replica and they do not all use GTID (MySQL auto-position or MariaDB GTID)",
			func(f *Facts) bool {
				return f.CountReplicas > 1 && !oracleGTIDTopology(f) && !mariaDBGTIDTopology(f)
			}},
		{events.StatementAndMixedLoggingReplicasStructureWarning, "logging replicas mix STATEMENT and MIXED binlog formats",
			func(f *Facts) bool { return f.CountStatementLoggingReplicas > 0 && f.CountMixedLoggingReplicas > 0 }},
		{events.StatementAndRowLoggingReplicasStructureWarning, "logging replicas mix STATEMENT and ROW binlog formats",
			func(f *Facts) bool { return f.CountStatementLoggingReplicas > 0 && f.CountRowLoggingReplicas > 0 }},
		{events.MixedAndRowLoggingReplicasStructureWarning, "logging replicas mix MIXED and ROW binlog formats",
			func(f *Facts) bool { return f.CountMixedLoggingReplicas > 0 && f.CountRowLoggingReplicas > 0 }},
		{events.MultipleMajorVersionsLoggingReplicasStructureWarning, "logging replicas run different major versions",
			func(f *Facts) bool { return f.CountDistinctMajorVersions > 1 }},
		{events.DifferentGTIDModesStructureWarning, "replicas use different GTID modes",
			func(f *Facts) bool { return f.CountDistinctGTIDModes > 1 }},
		{events.ErrantGTIDStructureWarning, "a replica that is not downtimed has errant GTIDs",
			func(f *Facts) bool { return f.CountErrantReplicas > 0 }},
		{events.NoWriteableMasterStructureWarning, "reachable master is read-only while replicas replicate from it",
			func(f *Facts) bool {
				return f.IsMaster && f.LastCheckValid && f.Instance.ReadOnly && f.CountValidReplicatingReplicas > 0
			}},
		{events.NotEnoughValidSemiSyncReplicasStructureWarning, "semi-sync master has fewer valid replicating semi-sync replicas than it waits for",
			func(f *Facts) bool {
				m := f.Instance
				return f.IsMaster && m.SemiSyncMasterEnabled && m.SemiSyncMasterWaitForReplicaCount > 0 &&
					uint(f.CountValidSemiSyncReplicating) < m.SemiSyncMasterWaitForReplicaCount
			}},
	}
}

func oracleGTIDTopology(f *Facts) bool {
	return f.CountValidReplicas > 0 && f.CountOracleGTIDReplicas == f.CountValidReplicas
}

func mariaDBGTIDTopology(f *Facts) bool {
	return f.CountValidReplicas > 0 && f.CountMariaDBGTIDReplicas == f.CountValidReplicas
}
