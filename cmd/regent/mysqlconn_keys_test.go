package main

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/config"
)

// TestMySQLConnectionKeys: MySQLTopologyReadTimeoutSeconds is the
// actuators' read timeout (the probes keep MySQLDiscoveryReadTimeoutSeconds),
// MySQLConnectionLifetimeSeconds reaches both pools, UseSuperReadOnly the
// actuators; the defaults are orchestrator's (600 s, 0, false).
func TestMySQLConnectionKeys(t *testing.T) {
	cfg := config.Default()
	if a := actuatorOptions(cfg, zerolog.Nop()); a.Conn.ReadTimeout != 600*time.Second || a.Conn.ConnectionLifetime != 0 || a.UseSuperReadOnly {
		t.Errorf("defaults: read timeout %v, lifetime %v, super_read_only %v", a.Conn.ReadTimeout, a.Conn.ConnectionLifetime, a.UseSuperReadOnly)
	}
	cfg.MySQLTopologyReadTimeoutSeconds, cfg.MySQLConnectionLifetimeSeconds, cfg.UseSuperReadOnly = 7, 30, true
	cfg.MySQLDiscoveryReadTimeoutSeconds = 4
	a := actuatorOptions(cfg, zerolog.Nop())
	if a.Conn.ReadTimeout != 7*time.Second || a.Conn.ConnectionLifetime != 30*time.Second || !a.UseSuperReadOnly {
		t.Errorf("actuators: read timeout %v, lifetime %v, super_read_only %v", a.Conn.ReadTimeout, a.Conn.ConnectionLifetime, a.UseSuperReadOnly)
	}
	p, err := probeOptions(cfg, "n1")
	if err != nil {
		t.Fatal(err)
	}
	if p.ReadTimeout != 4*time.Second || p.ConnectionLifetime != 30*time.Second {
		t.Errorf("probes: read timeout %v, lifetime %v", p.ReadTimeout, p.ConnectionLifetime)
	}
}
