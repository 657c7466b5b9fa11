package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/fleetsim"
	"github.com/regent-ha/regent/test/natstest"
)

// TestMySQLSimLocateSkipSemiSync runs, against the simulator as each MySQL
// version, the errant and repair commands the runbook does not: an errant
// transaction written on a replica between two binary log rotations is
// shown as GTID:errant in topology and as ErrantGTIDStructureWarning in
// replication-analysis, located by locate-gtid-errant in the one log that
// holds it, and repaired by gtid-errant-inject-empty; skip-query commits
// the transaction a replica's SQL thread failed on empty (the source's
// next GTID) and replication goes on; the semi-sync switches are set under
// the version's variable names. No statement sent is invalid for the
// version.
func TestMySQLSimLocateSkipSemiSync(t *testing.T) {
	for _, version := range mysqlSimVersions {
		t.Run(version, func(t *testing.T) {
			r := startMySQLSimWith(t, fleetsim.Options{Instances: 3, MySQL: version, WritesPerSecond: 5, SemiSync: true}, "")
			p, a, b := r.keys[0], r.keys[1], r.keys[2]
			r.run("-c", "discover", "-i", p.String())
			r.eventually(30*time.Second, r.topologyCheck(false, p, a, b), "-c", "topology", "-i", p.String())
			r.locateErrant(p, b)
			r.skipQuery(p, a)
			r.semiSync(p, a)
			r.checkStatements()
		})
	}
}

// locateErrant writes an errant transaction on replica k inside its
// second binary log and checks what topology, replication-analysis and
// locate-gtid-errant show, before and after gtid-errant-inject-empty.
func (r *mysqlSimRun) locateErrant(p, k events.InstanceKey) {
	r.t.Helper()
	r.synced(k)
	r.run("-c", "flush-binary-logs", "-i", k.String())
	r.waitState(k, "on binary log 2", func(s fleetsim.MySQLState) bool { return s.BinaryLog == "mysql-bin.000002" })
	gtid, err := r.f.Transact(k, 1)
	if err != nil {
		r.t.Fatal(err)
	}
	r.run("-c", "flush-binary-logs", "-i", k.String())
	r.waitState(k, "on binary log 3", func(s fleetsim.MySQLState) bool { return s.BinaryLog == "mysql-bin.000003" })
	r.eventually(10*time.Second, func(out string) error {
		if out != gtid {
			return fmt.Errorf("which-gtid-errant %s: %q, want %s", k, out, gtid)
		}
		return nil
	}, "-c", "which-gtid-errant", "-i", k.String())
	topo := r.eventually(10*time.Second, func(out string) error {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "+ "+k.String()) && strings.HasSuffix(l, ",ROW,>>,GTID:errant]") {
				return nil
			}
		}
		return fmt.Errorf("topology %q: %s not shown GTID:errant", out, k)
	}, "-c", "topology", "-i", p.String())
	r.t.Logf("topology with the errant replica:\n%s", topo)
	want := fmt.Sprintf("%s (cluster %s): ErrantGTIDStructureWarning", p, p)
	r.eventually(10*time.Second, func(out string) error {
		if !strings.Contains(out, want) {
			return fmt.Errorf("replication-analysis %q: want %q", out, want)
		}
		return nil
	}, "-c", "replication-analysis")
	if out := r.run("-c", "locate-gtid-errant", "-i", k.String()); out != "mysql-bin.000002" {
		r.t.Errorf("%s: locate-gtid-errant %s: %q, want mysql-bin.000002 (the errant %s)", r.version, k, out, gtid)
	}
	r.run("-c", "gtid-errant-inject-empty", "-i", k.String())
	r.holds(p, gtid, "the injected errant transaction")
	r.eventually(10*time.Second, func(out string) error {
		if out != "" {
			return fmt.Errorf("which-gtid-errant %s after the injection: %q, want none", k, out)
		}
		return nil
	}, "-c", "which-gtid-errant", "-i", k.String())
	if out := r.run("-c", "locate-gtid-errant", "-i", k.String()); out != "" {
		r.t.Errorf("%s: locate-gtid-errant %s after the injection: %q, want none", r.version, k, out)
	}
	r.eventually(10*time.Second, func(out string) error {
		if strings.Contains(out, "ErrantGTIDStructureWarning") {
			return fmt.Errorf("replication-analysis after the injection: %q", out)
		}
		return nil
	}, "-c", "replication-analysis")
}

// skipQuery makes replica k's SQL thread fail on a transaction from p and
// skips it with skip-query: k replicates on, holds what p committed, and
// has no errant transaction (the empty one carries p's GTID).
func (r *mysqlSimRun) skipQuery(p, k events.InstanceKey) {
	r.t.Helper()
	if err := r.f.FailApply(k); err != nil {
		r.t.Fatal(err)
	}
	r.waitState(k, "SQL thread stopped on error 1062", func(s fleetsim.MySQLState) bool { return !s.SQLRunning && s.LastSQLErrno == 1062 })
	failed := r.state(k).Executed
	r.synced(k)
	r.run("-c", "skip-query", "-i", k.String())
	r.waitState(k, "replicating from p, no SQL error", func(s fleetsim.MySQLState) bool { return replicating(p)(s) && s.LastSQLErrno == 0 })
	target := r.state(p).Executed
	natstest.Eventually(r.t, 10*time.Second, 100*time.Millisecond, func() error {
		ok, err := fleetsim.GTIDSubset(target, r.state(k).Executed)
		if err != nil || !ok {
			return fmt.Errorf("%s: %s has %s, want ⊇ %s (%v)", r.version, k, r.state(k).Executed, target, err)
		}
		return nil
	})
	if n := r.state(k).AppliedTwice; n != 0 {
		r.t.Errorf("%s: %d transactions applied twice on %s", r.version, n, k)
	}
	r.t.Logf("%s: stopped at %s, skipped, now %s", k, failed, r.state(k).Executed)
	r.eventually(10*time.Second, func(out string) error {
		if out != "" {
			return fmt.Errorf("which-gtid-errant %s after skip-query: %q, want none", k, out)
		}
		return nil
	}, "-c", "which-gtid-errant", "-i", k.String())
}

// semiSync switches semi-sync on p's source side and k's replica side and
// back off.
func (r *mysqlSimRun) semiSync(p, k events.InstanceKey) {
	r.t.Helper()
	for _, on := range []bool{true, false} {
		verb := map[bool]string{true: "enable", false: "disable"}[on]
		r.synced(p, k)
		r.run("-c", verb+"-semi-sync-master", "-i", p.String())
		r.waitState(p, verb+"d semi-sync source", func(s fleetsim.MySQLState) bool { return s.SemiSyncSource == on && !s.SemiSyncReplica })
		r.run("-c", verb+"-semi-sync-replica", "-i", k.String())
		r.waitState(k, verb+"d semi-sync replica, replicating", func(s fleetsim.MySQLState) bool {
			return s.SemiSyncReplica == on && !s.SemiSyncSource && replicating(p)(s)
		})
	}
}

// TestMySQLSimUseSuperReadOnly: with UseSuperReadOnly set, set-read-only
// sets super_read_only on MySQL 5.7 and 8.4 and set-writeable clears both;
// without it (orchestrator's default, TestMySQLSimReplicaCommands)
// super_read_only stays off.
func TestMySQLSimUseSuperReadOnly(t *testing.T) {
	for _, version := range []string{"5.7.28-log", "8.4.3"} {
		t.Run(version, func(t *testing.T) {
			r := startMySQLSimWith(t, fleetsim.Options{Instances: 3, MySQL: version, WritesPerSecond: 5}, `"UseSuperReadOnly": true,`)
			p, a, b := r.keys[0], r.keys[1], r.keys[2]
			r.run("-c", "discover", "-i", p.String())
			r.eventually(30*time.Second, r.topologyCheck(false, p, a, b), "-c", "topology", "-i", p.String())
			r.synced(b)
			r.run("-c", "set-writeable", "-i", b.String())
			r.waitState(b, "writable", func(s fleetsim.MySQLState) bool { return !s.ReadOnly && !s.SuperReadOnly })
			r.synced(b)
			r.run("-c", "set-read-only", "-i", b.String())
			r.waitState(b, "super_read_only", func(s fleetsim.MySQLState) bool { return s.ReadOnly && s.SuperReadOnly })
			r.checkStatements()
		})
	}
}

// TestMySQLSimErrantNotPromoted: a replica registered prefer but holding
// an errant transaction is not promoted when the primary is killed; the
// other replica is, and the errant one is pointed at it.
func TestMySQLSimErrantNotPromoted(t *testing.T) {
	for _, version := range mysqlSimVersions {
		t.Run(version, func(t *testing.T) {
			r := startMySQLSim(t, version, 5, 0)
			p, a, b := r.keys[0], r.keys[1], r.keys[2]
			r.run("-c", "discover", "-i", p.String())
			r.eventually(30*time.Second, r.topologyCheck(false, p, a, b), "-c", "topology", "-i", p.String())
			r.run("-c", "register-candidate", "-i", b.String(), "-R", "prefer")
			natstest.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
				code, body, err := httpGet(fmt.Sprintf("%s/api/instance/%s/%d", r.url, b.Hostname, b.Port))
				var v struct{ PromotionRule string }
				if err == nil && code == 200 {
					err = json.Unmarshal(body, &v)
				}
				if err != nil || v.PromotionRule != "prefer" {
					return fmt.Errorf("instance %s: %d %v, PromotionRule %q, want prefer", b, code, err, v.PromotionRule)
				}
				return nil
			})
			gtid, err := r.f.Transact(b, 1)
			if err != nil {
				t.Fatal(err)
			}
			r.eventually(10*time.Second, func(out string) error {
				if out != gtid {
					return fmt.Errorf("which-gtid-errant %s: %q, want %s", b, out, gtid)
				}
				return nil
			}, "-c", "which-gtid-errant", "-i", b.String())
			if err := r.f.Kill(p); err != nil {
				t.Fatal(err)
			}
			r.waitState(a, "promoted", func(s fleetsim.MySQLState) bool { return !s.ReadOnly && !s.IORunning })
			if s := r.state(b); !s.ReadOnly {
				t.Fatalf("%s: the errant replica %s was made writable: %+v", version, b, s)
			}
			r.waitState(b, "replicating from the new primary", replicating(a))
			r.checkStatements()
		})
	}
}
