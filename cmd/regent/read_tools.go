package main

import (
	"fmt"

	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/projections"
)

// readToolsOptions hands the tool-facing reads (api.RegisterReadTools)
// their configuration: can-replicate-from's rules, OSCIgnoreHostnameFilters
// and the recovery filters automated-recovery-filters reports.
func readToolsOptions(cfg config.Config) (api.ReadToolsOptions, error) {
	osc, err := projections.CompileHostnameFilters(cfg.OSCIgnoreHostnameFilters)
	if err != nil {
		return api.ReadToolsOptions{}, fmt.Errorf("key \"OSCIgnoreHostnameFilters\": %w", err)
	}
	return api.ReadToolsOptions{
		Rules: projections.ReplicateRules{
			ReasonableMaintenanceLag: int64(cfg.ReasonableMaintenanceReplicationLagSeconds),
			VerifyReplicationFilters: cfg.VerifyReplicationFilters,
		},
		OSCIgnore:                               osc,
		RecoverMasterClusterFilters:             cfg.RecoverMasterClusterFilters,
		RecoverIntermediateMasterClusterFilters: cfg.RecoverIntermediateMasterClusterFilters,
		RecoveryIgnoreHostnameFilters:           cfg.RecoveryIgnoreHostnameFilters,
	}, nil
}
