package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/test/lab"
)

// TestLabErrantGTID runs the errant-GTID commands through regent-client
// against real MariaDB (gtid_strict_mode=ON, as the lab runs it):
//
//   - inject-empty: a transaction written on replica 3 is listed by
//     which-gtid-errant, shown as GTID:errant in topology and as
//     ErrantGTIDStructureWarning in replication-analysis, located in the
//     binary log that holds it, and gtid-errant-inject-empty makes the
//     primary log a no-op under 3's domain-server-sequence: 3 is no longer
//     errant and still replicates (3 skips the event as its own server
//     id's);
//   - reset-master: a transaction written on replica 2 while the primary
//     takes a write load (2's SQL thread stops on the strict-mode
//     out-of-order sequence that follows) is removed from 2's binary log
//     state by gtid-errant-reset-master under the maintenance lock: 2
//     replicates again, is not errant, and holds the primary's rows exactly
//     (checksums), so no transaction was applied twice or skipped;
//   - refused inject-empty: once the primary has passed replica 3's errant
//     sequence, 3 stops (strict mode, out of order) and inject-empty is
//     refused with that reason; reset-master repairs it;
//   - a failover after another inject-empty repair promotes the repaired
//     replica (the other one registered must_not).
func TestLabErrantGTID(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3})
	l.VIPAdd(1)
	o := startOpsLab(t, l)
	o.writeAndSee(1, 2, 3)
	o.errantInjectEmpty(3, 800_000_001)
	o.errantResetMaster(2)
	o.errantStrictRefused(3)
	o.errantInjectEmpty(3, 800_000_004)
	o.errantFailover(3)
}

// errantWrite writes a row on replica i as root (read_only does not stop
// it) and returns the errant GTID and the binary log it went to. The
// replica's binary log is rotated before and after, so the GTID sits in a
// log that is neither the first nor the last.
func (o *opsLab) errantWrite(i int, id int64) (gtid, binlog string) {
	o.t.Helper()
	o.l.MustSQL(i, "FLUSH BINARY LOGS")
	o.l.MustSQL(i, fmt.Sprintf("INSERT INTO regent_lab.acked (id, written_at) VALUES (%d, NOW(6))", id))
	row := o.l.MustSQL(i, "SELECT @@gtid_binlog_pos")[0]
	st := o.l.MustSQL(i, "SHOW MASTER STATUS")[0]
	o.l.MustSQL(i, "FLUSH BINARY LOGS")
	for _, g := range strings.Split(row[0], ",") {
		if strings.HasPrefix(g, "0-") {
			gtid = g
		}
	}
	if want := fmt.Sprintf("0-%d-", i); !strings.HasPrefix(gtid, want) {
		o.t.Fatalf("host %d logged %q, want a GTID of domain 0, server %d", i, row[0], i)
	}
	return gtid, st[0]
}

func (o *opsLab) errantInjectEmpty(i int, id int64) {
	o.t.Helper()
	key := opsKey(i)
	gtid, binlog := o.errantWrite(i, id)
	o.t.Logf("errant write on %s: %s in %s", key, gtid, binlog)
	o.eventuallyPrints(o.follower, gtid, "-c", "which-gtid-errant", "-i", key)
	topo, _, err := o.run(labAPI, "-c", "topology", "-i", opsKey(1))
	if err != nil || !strings.Contains(topo, key) || !strings.Contains(topo, "GTID:errant") {
		o.t.Fatalf("topology does not show %s errant (err %v):\n%s", key, err, topo)
	}
	o.t.Logf("topology:\n%s", topo)
	o.errantWarning(true)
	o.must(o.follower, binlog, "-c", "locate-gtid-errant", "-i", key)
	o.must(o.follower, key, "-c", "gtid-errant-inject-empty", "-i", key)
	state := o.l.MustSQL(1, "SELECT @@gtid_binlog_state")[0][0]
	if !strings.Contains(","+state+",", ","+gtid+",") {
		o.t.Fatalf("primary's gtid_binlog_state %q lacks the injected %s", state, gtid)
	}
	o.t.Logf("primary's gtid_binlog_state after inject-empty: %s", state)
	o.eventuallyPrints(o.follower, "", "-c", "which-gtid-errant", "-i", key)
	o.errantWarning(false)
	o.writeAndSee(1, 2, 3)
	o.eventuallyHost(i, "replicating", lab.HostStatus.Replicating)
	o.must(o.follower, "", "-c", "locate-gtid-errant", "-i", key)
}

// errantWarning waits until replication-analysis prints (or no longer
// prints) ErrantGTIDStructureWarning for the primary, host 1.
func (o *opsLab) errantWarning(want bool) {
	o.t.Helper()
	lab.Eventually(o.t, 5*time.Second, 100*time.Millisecond, func() error {
		out, errOut, err := o.run(o.follower, "-c", "replication-analysis")
		if err != nil {
			return fmt.Errorf("replication-analysis: %v (%s)", err, errOut)
		}
		shown := slices.ContainsFunc(strings.Split(out, "\n"), func(l string) bool {
			return strings.HasPrefix(l, opsKey(1)+" (cluster ") && strings.HasSuffix(l, "): ErrantGTIDStructureWarning")
		})
		if shown != want {
			return fmt.Errorf("replication-analysis %q: want %s's ErrantGTIDStructureWarning shown %v", out, opsKey(1), want)
		}
		if want {
			o.t.Logf("replication-analysis: %s", strings.TrimSpace(out))
		}
		return nil
	})
}

// errantResetMaster: an errant write on replica i under a write load on
// the primary, repaired by gtid-errant-reset-master.
func (o *opsLab) errantResetMaster(i int) {
	o.t.Helper()
	key := opsKey(i)
	load := o.l.StartWriteLoad(1, 6*time.Second)
	time.Sleep(time.Second)
	gtid, _ := o.errantWrite(i, 800_000_002)
	o.t.Logf("errant write on %s under a write load: %s", key, gtid)
	o.eventuallyPrints(o.follower, gtid, "-c", "which-gtid-errant", "-i", key)
	time.Sleep(time.Second)
	o.resetAndCompare(i)
	if _, err := load.Wait(); err != nil {
		o.t.Fatalf("write load: %v", err)
	}
	o.compare(i)
}

// errantStrictRefused: once the primary has passed replica i's errant
// sequence, i (gtid_strict_mode) stops at the primary's next transaction
// and inject-empty is refused with the reason, changing nothing;
// reset-master repairs it.
func (o *opsLab) errantStrictRefused(i int) {
	o.t.Helper()
	key := opsKey(i)
	gtid, _ := o.errantWrite(i, 800_000_003)
	o.writeAndSee(1, 2)
	o.eventuallyHost(i, "stopped by the out-of-order GTID", func(h lab.HostStatus) bool { return h.SQLRunning == "No" })
	sqlErr := ""
	for _, cell := range o.l.MustSQL(i, "SHOW SLAVE STATUS")[0] {
		if strings.Contains(cell, "out-of-order") {
			sqlErr = cell
		}
	}
	if sqlErr == "" {
		o.t.Fatalf("host %d stopped without the strict-mode out-of-order error: %s", i, o.host(i))
	}
	o.t.Logf("host %d after the primary passed its errant %s: %s; SQL error: %s", i, gtid, o.host(i), sqlErr)
	o.eventuallyPrints(o.follower, gtid, "-c", "which-gtid-errant", "-i", key)
	before := o.l.MustSQL(1, "SELECT @@gtid_binlog_state")[0][0]
	// Refused by Regent when its view of the primary has the passed
	// sequence already, else by the primary itself (ER_GTID_STRICT_OUT_OF_ORDER).
	msg := o.refused(o.follower, []string{gtid, "gtid_strict_mode", "gtid-errant-reset-master"}, "-c", "gtid-errant-inject-empty", "-i", key)
	o.t.Logf("inject-empty: %s", msg)
	if after := o.l.MustSQL(1, "SELECT @@gtid_binlog_state")[0][0]; after != before {
		o.t.Fatalf("refused inject-empty changed the primary's gtid_binlog_state: %s → %s", before, after)
	}
	o.resetAndCompare(i)
}

// resetAndCompare runs gtid-errant-reset-master on replica i and checks
// that i replicates again, is not errant, and holds the primary's rows.
func (o *opsLab) resetAndCompare(i int) {
	o.t.Helper()
	key := opsKey(i)
	o.t.Logf("host %d before the reset: %s", i, o.host(i))
	o.must(o.follower, key, "-c", "gtid-errant-reset-master", "-i", key)
	o.eventuallyInstance(o.follower, i, fields(map[string]any{"IsInMaintenance": false}))
	o.eventuallyPrints(o.follower, "", "-c", "which-gtid-errant", "-i", key)
	o.eventuallyHost(i, "replicating", lab.HostStatus.Replicating)
	o.compare(i)
}

// compare writes on the primary, waits for every host, and compares the
// primary's rows with host i's (the test's errant rows aside).
func (o *opsLab) compare(i int) {
	o.t.Helper()
	o.writeAndSee(1, 2, 3)
	sum := func(h int) string {
		r := o.l.MustSQL(h, "SELECT COUNT(*), COALESCE(BIT_XOR(CRC32(CONCAT(id, '/', written_at))), 0) FROM regent_lab.acked WHERE id NOT BETWEEN 800000000 AND 800999999")[0]
		return r[0] + "/" + r[1]
	}
	lab.Eventually(o.t, 10*time.Second, 100*time.Millisecond, func() error {
		if p, r := sum(1), sum(i); p != r {
			return fmt.Errorf("checksums differ: primary %s, host %d %s", p, i, r)
		}
		return nil
	})
	o.t.Logf("host %d: %s; rows/checksum %s as on the primary", i, o.host(i), sum(i))
}

// errantFailover: the primary is killed with replica i repaired by
// inject-empty and the other replica registered must_not: the failover
// promotes i (an errant replica would have been rejected).
func (o *opsLab) errantFailover(i int) {
	o.t.Helper()
	other := 5 - i // the lab's replicas are 2 and 3
	o.must(o.follower, opsKey(other), "-c", "register-candidate", "-i", opsKey(other), "-R", "must_not")
	o.eventuallyInstance(o.follower, other, fields(map[string]any{"PromotionRule": "must_not"}))
	killed := time.Now()
	o.l.Kill(1)
	var primary int
	lab.Eventually(o.t, 30*time.Second, 100*time.Millisecond, func() error {
		p, err := converged(o.l, 1)
		primary = p
		return err
	})
	if primary != i {
		o.t.Fatalf("failover promoted host %d, want the repaired host %d", primary, i)
	}
	o.t.Logf("failover promoted the repaired host %d %s after SIGKILL", i, time.Since(killed).Round(time.Millisecond))
}
