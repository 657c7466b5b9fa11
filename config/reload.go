package config

import "slices"

// reloadableKeys are the keys a running node takes from a reload: the
// hook lists, the recovery policy and the analysis knobs only the recovery
// engine reads, and the API's users. Every other changed key refuses the
// whole reload: it shapes the fold, the probes, NATS or the listeners,
// which are built once at start.
var reloadableKeys = [...]string{
	"OnFailureDetectionProcesses", "PreFailoverProcesses", "PostFailoverProcesses",
	"PostUnsuccessfulFailoverProcesses", "PostMasterFailoverProcesses", "PostIntermediateMasterFailoverProcesses",
	"PreGracefulTakeoverProcesses", "PostGracefulTakeoverProcesses",
	"ApplyMySQLPromotionAfterMasterFailover", "FailMasterPromotionIfSQLThreadNotUpToDate",
	"DetachLostReplicasAfterMasterFailover",
	"RecoveryPeriodBlockSeconds", "FailureDetectionPeriodBlockMinutes", "RecoveryIgnoreHostnameFilters",
	"PromotionIgnoreHostnameFilters", "PreventCrossDataCenterMasterFailover", "PreventCrossRegionMasterFailover",
	"FailMasterPromotionOnLagMinutes", "ReasonableLockedSemiSyncMasterSeconds",
	"HTTPAuthUser", "HTTPAuthPassword", "PowerAuthUsers", "PowerAuthGroups", "AuthUserHeader", "ReadOnly",
}

// Reloadable reports whether a running node takes key from a reload
// (SIGHUP, /api/reload-configuration) without a restart.
func Reloadable(key string) bool { return slices.Contains(reloadableKeys[:], key) }

// ReloadChanges compares the running config with the one a reload read:
// changed lists every key whose value differs (ChangedKeys), refused those
// of them a running node cannot take (not Reloadable); a reload with any
// refused key applies nothing.
func ReloadChanges(running, next Config) (changed, refused []string) {
	changed = ChangedKeys(running, next)
	for _, k := range changed {
		if !Reloadable(k) {
			refused = append(refused, k)
		}
	}
	return changed, refused
}
