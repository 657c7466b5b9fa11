package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/config"
)

// TestIssue17KeysReachTheirUsers: the orchestrator keys issue 17 made
// honoured reach the code that acts on them, off by default as
// orchestrator's: the recovery policy (lost-instance downtime,
// ReplicationCredentialsQuery), the analysis parameters
// (RecoverNonWriteableMaster, VerifyReplicationFilters,
// RecoverLockedSemiSyncMaster) and the audit
// writer (AuditLogFile; a file that cannot be opened is an error naming
// the key).
func TestIssue17KeysReachTheirUsers(t *testing.T) {
	cfg := config.Default()
	pol := recoveryPolicy(cfg)
	p, err := analysisParams(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if pol.LostDowntime != 0 || pol.CredentialsQuery != "" || p.RecoverNonWriteableMaster || p.VerifyReplicationFilters || p.RecoverLockedSemiSyncMaster ||
		p.EnforceExactSemiSyncReplicas {
		t.Errorf("defaults: downtime %v, query %q, non-writeable %v, filters %v", pol.LostDowntime, pol.CredentialsQuery, p.RecoverNonWriteableMaster, p.VerifyReplicationFilters)
	}
	if w, err := newAuditWriter(cfg, nil, zerolog.Nop()); w != nil || err != nil {
		t.Errorf("default audit writer %v, %v: want none", w, err)
	}
	cfg.MasterFailoverLostInstancesDowntimeMinutes = 15
	cfg.ReplicationCredentialsQuery = "SELECT u, p FROM meta.repl"
	cfg.RecoverNonWriteableMaster, cfg.VerifyReplicationFilters, cfg.RecoverLockedSemiSyncMaster = true, true, true
	cfg.EnforceExactSemiSyncReplicas = true
	pol = recoveryPolicy(cfg)
	if p, err = analysisParams(cfg); err != nil {
		t.Fatal(err)
	}
	if pol.LostDowntime != 15*time.Minute || pol.CredentialsQuery != cfg.ReplicationCredentialsQuery || !p.RecoverNonWriteableMaster ||
		!p.VerifyReplicationFilters || !p.RecoverLockedSemiSyncMaster || !p.EnforceExactSemiSyncReplicas {
		t.Errorf("set: downtime %v, query %q, non-writeable %v, filters %v", pol.LostDowntime, pol.CredentialsQuery, p.RecoverNonWriteableMaster, p.VerifyReplicationFilters)
	}
	cfg.AuditLogFile = filepath.Join(t.TempDir(), "missing-dir", "audit.log")
	if _, err := newAuditWriter(cfg, nil, zerolog.Nop()); err == nil || !strings.Contains(err.Error(), "AuditLogFile") {
		t.Errorf("unopenable AuditLogFile: %v", err)
	}
	cfg.AuditLogFile = filepath.Join(t.TempDir(), "audit.log")
	w, err := newAuditWriter(cfg, nil, zerolog.Nop())
	if err != nil || w == nil {
		t.Fatalf("AuditLogFile: writer %v, %v", w, err)
	}
	if err := w.Close(); err != nil {
		t.Error(err)
	}
}
