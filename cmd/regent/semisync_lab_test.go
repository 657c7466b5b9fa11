package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/lab"
)

// TestLabFailoverMovesSemiSync: with a semi-sync priority on every server
// (DetectSemiSyncEnforcedQuery), a dead-primary failover turns the promoted
// server's source side of semi-sync on (it was off, as on a replica) and
// the re-pointed replica's replica side on (host 3's was off), each a
// recorded step, so that the new primary has a semi-sync client again.
func TestLabFailoverMovesSemiSync(t *testing.T) {
	l, c, _ := failoverLab(t, `"DetectSemiSyncEnforcedQuery": "SELECT 1",`)
	// Replicas do not act as semi-sync sources; host 3 does not ACK (host 2
	// still does, so host 1's writes are acknowledged).
	l.MustSQL(2, "SET GLOBAL rpl_semi_sync_master_enabled = OFF")
	l.MustSQL(3, "SET GLOBAL rpl_semi_sync_master_enabled = OFF; SET GLOBAL rpl_semi_sync_slave_enabled = OFF; "+
		"STOP SLAVE IO_THREAD; START SLAVE IO_THREAD")
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		for _, h := range []string{"198.18.0.2/3306", "198.18.0.3/3306"} {
			code, v := c.api(t, 1, "/api/instance/"+h)
			m, _ := v.(map[string]any)
			if code != 200 || m["SemiSyncMasterEnabled"] != false || m["SemiSyncPriority"] != float64(1) {
				return fmt.Errorf("%s not yet seen with the source side off and priority 1: %d %v %v", h, code, m["SemiSyncMasterEnabled"], m["SemiSyncPriority"])
			}
		}
		return nil
	})
	l.Kill(1)
	var primary int
	lab.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
		var err error
		primary, err = converged(l, 1)
		return err
	})
	other := 5 - primary
	successor := fmt.Sprintf("198.18.0.%d:3306", primary)
	variable := func(i int, name string) string {
		rows, err := l.SQL(i, "SHOW GLOBAL VARIABLES LIKE '"+name+"'")
		if err != nil || len(rows) != 1 {
			return fmt.Sprintf("%v %v", rows, err)
		}
		return rows[0][1]
	}
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		_, all := eventKinds(t, "198.18.0.101:4222")
		got := map[string]events.RecoveryStep{}
		for _, s := range stepsOf(all) {
			got[s.Step] = s
		}
		var line []string
		for _, s := range stepsOf(all) {
			line = append(line, fmt.Sprintf("%s=%s(%s)", s.Step, s.Outcome, s.Took.Round(time.Millisecond)))
		}
		t.Logf("steps: %s", strings.Join(line, ", "))
		if s := got["semi-sync "+successor]; s.Outcome != events.StepOK {
			return fmt.Errorf("successor's semi-sync step %+v", s)
		}
		t.Logf("semi-sync details: %s: %s; %d: %s", successor, got["semi-sync "+successor].Detail, other, got[fmt.Sprintf("semi-sync 198.18.0.%d:3306", other)].Detail)
		o := got[fmt.Sprintf("semi-sync 198.18.0.%d:3306", other)]
		if o.Outcome != events.StepOK {
			return fmt.Errorf("other replica's semi-sync step %+v", o)
		}
		return nil
	})
	if v := variable(primary, "rpl_semi_sync_master_enabled"); v != "ON" {
		t.Errorf("promoted host %d: rpl_semi_sync_master_enabled %s, want ON", primary, v)
	}
	if v := variable(other, "rpl_semi_sync_slave_enabled"); v != "ON" {
		t.Errorf("re-pointed host %d: rpl_semi_sync_slave_enabled %s, want ON", other, v)
	}
	if v := variable(other, "rpl_semi_sync_master_enabled"); v != "OFF" {
		t.Errorf("re-pointed host %d: rpl_semi_sync_master_enabled %s, want OFF", other, v)
	}
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		rows, err := l.SQL(primary, "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_clients'")
		if err != nil || len(rows) != 1 || strings.TrimSpace(rows[0][1]) != "1" {
			return fmt.Errorf("semi-sync clients of the new primary: %v %v", rows, err)
		}
		return nil
	})
}
