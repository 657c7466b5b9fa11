package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/test/lab"
)

// opsLab runs manual operations through the regent-client binary against
// a 3-node Regent cluster on the lab, and checks MariaDB's state after each.
type opsLab struct {
	t        *testing.T
	l        *lab.Lab
	c        *labCluster
	bin      string
	leader   string // base URL of the leading node when the test started
	follower string // base URL of a node that does not lead: writes are forwarded
	nextID   int64  // ids of the rows written on the primary by the test itself
}

// opsKey is host i's instance key as regent-client prints it.
func opsKey(i int) string { return fmt.Sprintf("198.18.0.%d:3306", i) }

// run runs regent-client against url only (several URLs: the leader check).
func (o *opsLab) run(url string, args ...string) (stdout, stderr string, err error) {
	o.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.bin, args...)
	cmd.Env = append(os.Environ(), "ORCHESTRATOR_API="+url, "REGENT_API=")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// must runs a command that must succeed and print want (trimmed).
func (o *opsLab) must(url, want string, args ...string) {
	o.t.Helper()
	out, errOut, err := o.run(url, args...)
	if err != nil {
		o.t.Fatalf("regent-client %s at %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), url, err, out, errOut)
	}
	if got := strings.TrimSpace(out); got != want {
		o.t.Fatalf("regent-client %s printed %q, want %q (stderr %q)", strings.Join(args, " "), got, want, errOut)
	}
}

// eventuallyPrints waits until a read command prints want.
func (o *opsLab) eventuallyPrints(url, want string, args ...string) {
	o.t.Helper()
	lab.Eventually(o.t, 5*time.Second, 100*time.Millisecond, func() error {
		out, errOut, err := o.run(url, args...)
		if got := strings.TrimSpace(out); err != nil || got != want {
			return fmt.Errorf("regent-client %s printed %q (err %v, stderr %q), want %q", strings.Join(args, " "), got, err, errOut, want)
		}
		return nil
	})
}

// refused runs a command that must fail with exit status 1 and every one
// of wants in its stderr.
func (o *opsLab) refused(url string, wants []string, args ...string) string {
	o.t.Helper()
	out, errOut, err := o.run(url, args...)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		o.t.Fatalf("regent-client %s: err %v, want exit status 1\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
	}
	for _, w := range wants {
		if !strings.Contains(errOut, w) {
			o.t.Fatalf("regent-client %s: stderr %q lacks %q", strings.Join(args, " "), errOut, w)
		}
	}
	return strings.TrimSpace(errOut)
}

// instance reads host i's instance JSON through regent-client's api command
// on url.
func (o *opsLab) instance(url string, i int) (map[string]any, error) {
	out, errOut, err := o.run(url, "-c", "api", "-P", fmt.Sprintf("instance/198.18.0.%d/3306", i))
	if err != nil {
		return nil, fmt.Errorf("api instance %d: %w (stderr %q)", i, err, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		return nil, fmt.Errorf("api instance %d: %w in %q", i, err, out)
	}
	return m, nil
}

// eventuallyInstance waits until host i's instance JSON on url passes check.
func (o *opsLab) eventuallyInstance(url string, i int, check func(m map[string]any) error) {
	o.t.Helper()
	lab.Eventually(o.t, 5*time.Second, 50*time.Millisecond, func() error {
		m, err := o.instance(url, i)
		if err != nil {
			return err
		}
		return check(m)
	})
}

// fields checks that m holds want's values (compared as printed).
func fields(want map[string]any) func(map[string]any) error {
	return func(m map[string]any) error {
		for k, v := range want {
			if fmt.Sprint(m[k]) != fmt.Sprint(v) {
				return fmt.Errorf("instance %v: %s is %v, want %v", m["Key"], k, m[k], v)
			}
		}
		return nil
	}
}

// host samples host i's replication and read-only state.
func (o *opsLab) host(i int) lab.HostStatus { return o.l.Status()[i-1] }

// eventuallyHost waits until host i's sampled state passes check.
func (o *opsLab) eventuallyHost(i int, what string, check func(h lab.HostStatus) bool) {
	o.t.Helper()
	lab.Eventually(o.t, 5*time.Second, 50*time.Millisecond, func() error {
		if h := o.host(i); !check(h) {
			return fmt.Errorf("host %d not %s: %s", i, what, h)
		}
		return nil
	})
}

// writeAndSee inserts a row on primary p and waits until host i has it:
// host i replicates, through whatever chain it is on.
func (o *opsLab) writeAndSee(p int, hosts ...int) int64 {
	o.t.Helper()
	o.nextID++
	id := 900_000_000 + o.nextID
	o.l.MustSQL(p, fmt.Sprintf("INSERT INTO regent_lab.acked (id, written_at) VALUES (%d, NOW(6))", id))
	for _, i := range hosts {
		lab.Eventually(o.t, 5*time.Second, 50*time.Millisecond, func() error { return o.has(i, id) })
	}
	return id
}

func (o *opsLab) has(i int, id int64) error {
	rows, err := o.l.SQL(i, fmt.Sprintf("SELECT COUNT(*) FROM regent_lab.acked WHERE id = %d", id))
	if err != nil {
		return err
	}
	if len(rows) != 1 || rows[0][0] != "1" {
		return fmt.Errorf("host %d lacks row %d", i, id)
	}
	return nil
}

// replicationThreads reads the ids of host i's replication threads.
func (o *opsLab) replicationThreads(i int) string {
	o.t.Helper()
	rows := o.l.MustSQL(i, "SELECT IFNULL(GROUP_CONCAT(ID ORDER BY ID), '') FROM information_schema.PROCESSLIST WHERE COMMAND IN ('Slave_IO', 'Slave_SQL')")
	return rows[0][0]
}

// labFollower returns the base URL of a node that answers leader-check
// with anything but 200.
func labFollower(t *testing.T, c *labCluster) (leader, follower string) {
	t.Helper()
	lab.Eventually(t, 15*time.Second, 100*time.Millisecond, func() error {
		leader, follower = "", ""
		for _, u := range c.http {
			code, _, err := httpGet(u + "/api/leader-check")
			switch {
			case err != nil:
				return err
			case code == 200 && leader != "":
				return fmt.Errorf("two leaders: %s and %s", leader, u)
			case code == 200:
				leader = u
			case follower == "":
				follower = u
			}
		}
		if leader == "" || follower == "" {
			return fmt.Errorf("leader %q, follower %q", leader, follower)
		}
		return nil
	})
	return leader, follower
}

// TestLabManualOperations runs orchestrator-client's manual operations
// through the real regent-client against three Regent nodes on MariaDB:
// each prints what orchestrator-client prints and changes the servers as
// it says; writes sent to a follower are forwarded to the leader; refusals
// carry orchestrator's (or the documented) message; two takeovers there and
// back keep one writable primary and every acknowledged write.
// startOpsLab starts 3 Regent nodes on l, discovers the lab and returns the
// harness that drives them through the regent-client binary (writes also
// through a follower); the event timeline is logged if the test fails.
func startOpsLab(t *testing.T, l *lab.Lab) *opsLab {
	t.Helper()
	bin := buildClient(t)
	c := startLabCluster(t, l, 3, recoveryConf(t, l, filepath.Join(t.TempDir(), "hooks.log"), ""))
	discoverLab(t, c)
	t.Cleanup(func() {
		if t.Failed() {
			logTimeline(t)
		}
	})
	leader, follower := labFollower(t, c)
	t.Logf("leader %s, writes also sent to follower %s", leader, follower)
	return &opsLab{t: t, l: l, c: c, bin: bin, leader: leader, follower: follower}
}

func TestLabManualOperations(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3})
	l.VIPAdd(1)
	o := startOpsLab(t, l)
	o.replicaThreadOps()
	o.readOnlyOps()
	o.detachReattach()
	o.relocate()
	o.candidates()
	o.downtime()
	o.maintenance()
	o.refusals()
	o.checkLog(o.leader)
	takeover(t, l, o.bin, "graceful-master-takeover-auto", 1, 2, false, 1)
	takeover(t, l, o.bin, "graceful-master-takeover-auto", 2, 1, false, 2)
}

// replicaThreadOps: stop-replica, start-replica, restart-replica on host 2
// through the follower.
func (o *opsLab) replicaThreadOps() {
	o.t.Helper()
	o.must(o.follower, opsKey(2), "-c", "stop-replica", "-i", opsKey(2))
	if h := o.host(2); h.IORunning != "No" || h.SQLRunning != "No" || h.Source != "198.18.0.1" {
		o.t.Fatalf("after stop-replica: %s", h)
	}
	o.must(labAPI, opsKey(2), "-c", "is-replication-stopped", "-i", opsKey(2))
	o.eventuallyInstance(o.follower, 2, fields(map[string]any{"ReplicationIOThreadState": 0, "ReplicationSQLThreadState": 0}))
	o.must(o.follower, opsKey(2), "-c", "start-slave", "-i", opsKey(2)) // the slave spelling, as old scripts use it
	o.eventuallyHost(2, "replicating", lab.HostStatus.Replicating)
	o.eventuallyPrints(labAPI, opsKey(2), "-c", "is-replicating", "-i", opsKey(2)) // the IO thread connects after START SLAVE
	before := o.replicationThreads(2)
	o.must(o.follower, opsKey(2), "-c", "restart-replica", "-i", opsKey(2))
	o.eventuallyHost(2, "replicating", lab.HostStatus.Replicating)
	if after := o.replicationThreads(2); after == before || after == "" {
		o.t.Fatalf("restart-replica: replication threads %q before, %q after: not restarted", before, after)
	}
	o.writeAndSee(1, 2, 3)
}

// readOnlyOps: set-writeable, set-read-only on replica 3 (@@read_only).
func (o *opsLab) readOnlyOps() {
	o.t.Helper()
	readOnly := func() string { return o.l.MustSQL(3, "SELECT @@global.read_only")[0][0] }
	o.must(o.follower, opsKey(3), "-c", "set-writeable", "-i", opsKey(3))
	if v := readOnly(); v != "0" {
		o.t.Fatalf("after set-writeable: @@read_only=%s", v)
	}
	o.eventuallyInstance(labAPI, 3, fields(map[string]any{"ReadOnly": false}))
	o.must(labAPI, opsKey(3), "-c", "set-read-only", "-i", opsKey(3))
	if v := readOnly(); v != "1" {
		o.t.Fatalf("after set-read-only: @@read_only=%s", v)
	}
	o.eventuallyInstance(o.follower, 3, fields(map[string]any{"ReadOnly": true}))
}

// detachReattach: detach-replica turns host 3's source into //198.18.0.1
// (no longer replicating); reattach-replica undoes it and it catches up.
func (o *opsLab) detachReattach() {
	o.t.Helper()
	o.must(o.follower, opsKey(3), "-c", "detach-replica", "-i", opsKey(3))
	if h := o.host(3); h.Source != "//198.18.0.1" || h.IORunning != "No" || h.SQLRunning != "No" {
		o.t.Fatalf("after detach-replica: %s", h)
	}
	id := o.writeAndSee(1, 2)
	if err := o.has(3, id); err == nil {
		o.t.Fatalf("detached host 3 received row %d", id)
	}
	o.eventuallyInstance(labAPI, 3, func(m map[string]any) error {
		mk, _ := m["MasterKey"].(map[string]any)
		if mk["Hostname"] != "//198.18.0.1" {
			return fmt.Errorf("detached host 3: MasterKey %v", m["MasterKey"])
		}
		return nil
	})
	o.must(labAPI, opsKey(3), "-c", "reattach-replica", "-i", opsKey(3))
	o.eventuallyHost(3, "replicating from 198.18.0.1", func(h lab.HostStatus) bool { return h.Source == "198.18.0.1" && h.Replicating() })
	lab.Eventually(o.t, 5*time.Second, 50*time.Millisecond, func() error { return o.has(3, id) })
	o.eventuallyInstance(o.follower, 3, func(m map[string]any) error {
		mk, _ := m["MasterKey"].(map[string]any)
		if mk["Hostname"] != "198.18.0.1" {
			return fmt.Errorf("reattached host 3: MasterKey %v", m["MasterKey"])
		}
		return nil
	})
	// The detached "//198.18.0.1" was never taken for an instance.
	o.must(labAPI, strings.Join([]string{opsKey(1), opsKey(2), opsKey(3)}, "\n"), "-c", "all-instances")
}

// relocate: host 3 below host 2 (chained, prints 3<2), then back below 1.
func (o *opsLab) relocate() {
	o.t.Helper()
	o.must(o.follower, opsKey(3)+"<"+opsKey(2), "-c", "relocate", "-i", opsKey(3), "-d", opsKey(2))
	o.eventuallyHost(3, "replicating from 198.18.0.2", func(h lab.HostStatus) bool { return h.Source == "198.18.0.2" && h.Replicating() })
	o.writeAndSee(1, 2, 3) // through the chain 1 → 2 → 3
	o.must(labAPI, opsKey(2), "-c", "which-master", "-i", opsKey(3))
	o.refused(labAPI, []string{"cannot relocate 198.18.0.2:3306 below 198.18.0.3:3306"}, "-c", "relocate", "-i", opsKey(2), "-d", opsKey(3))
	if h := o.host(2); h.Source != "198.18.0.1" || !h.Replicating() {
		o.t.Fatalf("refused relocate changed host 2: %s", h)
	}
	o.must(labAPI, opsKey(3)+"<"+opsKey(1), "-c", "relocate", "-i", opsKey(3), "-d", opsKey(1))
	o.eventuallyHost(3, "replicating from 198.18.0.1", func(h lab.HostStatus) bool { return h.Source == "198.18.0.1" && h.Replicating() })
	o.writeAndSee(1, 2, 3)
	lab.Eventually(o.t, 5*time.Second, 100*time.Millisecond, func() error {
		if text := o.c.topology(o.t, 1, opsKey(1)); strings.Count(text, "\n+ ") != 2 {
			return fmt.Errorf("topology after relocating back:\n%s", text)
		}
		return nil
	})
}

// candidates: register-candidate prefer on 2, must_not on 3.
func (o *opsLab) candidates() {
	o.t.Helper()
	o.must(o.follower, opsKey(2), "-c", "register-candidate", "-i", opsKey(2), "-R", "prefer")
	o.must(labAPI, opsKey(3), "-c", "register-candidate", "-i", opsKey(3), "-R", "must_not")
	o.eventuallyInstance(labAPI, 2, fields(map[string]any{"PromotionRule": "prefer"}))
	o.eventuallyInstance(o.follower, 3, fields(map[string]any{"PromotionRule": "must_not"}))
	o.refused(labAPI, []string{"invalid promotion rule"}, "-c", "register-candidate", "-i", opsKey(3), "-R", "always")
}

// downtime: begin-downtime / end-downtime on 3.
func (o *opsLab) downtime() {
	o.t.Helper()
	o.must(o.follower, opsKey(3), "-c", "begin-downtime", "-i", opsKey(3), "-o", "alice", "-r", "kernel upgrade", "-u", "5m")
	o.eventuallyInstance(labAPI, 3, fields(map[string]any{"IsDowntimed": true, "DowntimeOwner": "alice", "DowntimeReason": "kernel upgrade"}))
	m, err := o.instance(labAPI, 3)
	if err != nil {
		o.t.Fatal(err)
	}
	end, err := time.ParseInLocation(projections.TimestampLayout, fmt.Sprint(m["DowntimeEndTimestamp"]), time.UTC)
	if err != nil || time.Until(end) < 4*time.Minute || time.Until(end) > 6*time.Minute {
		o.t.Fatalf("DowntimeEndTimestamp %v (%v): want about 5m from now", m["DowntimeEndTimestamp"], err)
	}
	o.must(labAPI, opsKey(3), "-c", "end-downtime", "-i", opsKey(3))
	o.eventuallyInstance(o.follower, 3, fields(map[string]any{"IsDowntimed": false}))
}

// maintenance: begin-maintenance, a second one refused, relocate refused
// meanwhile, end-maintenance, a second one refused.
func (o *opsLab) maintenance() {
	o.t.Helper()
	o.must(o.follower, opsKey(3), "-c", "begin-maintenance", "-i", opsKey(3), "-o", "bob", "-r", "disk swap")
	o.eventuallyInstance(labAPI, 3, fields(map[string]any{"IsInMaintenance": true, "MaintenanceOwner": "bob", "MaintenanceReason": "disk swap"}))
	msg := o.refused(labAPI, []string{"Cannot begin maintenance for instance: 198.18.0.3:3306", "bob", "disk swap"},
		"-c", "begin-maintenance", "-i", opsKey(3), "-o", "carol", "-r", "other")
	o.t.Logf("second begin-maintenance: %s", msg)
	o.refused(o.follower, []string{"Cannot begin maintenance for instance: 198.18.0.3:3306"}, "-c", "relocate", "-i", opsKey(3), "-d", opsKey(2))
	if h := o.host(3); h.Source != "198.18.0.1" {
		o.t.Fatalf("relocate refused in maintenance moved host 3: %s", h)
	}
	o.must(labAPI, opsKey(3), "-c", "end-maintenance", "-i", opsKey(3))
	o.eventuallyInstance(o.follower, 3, fields(map[string]any{"IsInMaintenance": false}))
	o.refused(o.follower, []string{"Instance is not in maintenance mode"}, "-c", "end-maintenance", "-i", opsKey(3))
}

// refusals: recover on healthy instances; errant-GTID repairs on a
// replica without errant GTIDs (TestLabErrantGTID repairs real ones).
func (o *opsLab) refusals() {
	o.t.Helper()
	for _, i := range []int{1, 2} {
		msg := o.refused(labAPI, []string{"Recovery not attempted", "not an actionable failure"}, "-c", "recover", "-i", opsKey(i))
		o.t.Logf("recover %s: %s", opsKey(i), msg)
	}
	o.must(o.follower, "", "-c", "which-gtid-errant", "-i", opsKey(2))
	pos := func() string { return o.l.MustSQL(1, "SELECT @@global.gtid_binlog_pos")[0][0] }
	before := pos()
	for _, cmd := range []string{"gtid-errant-inject-empty", "gtid-errant-reset-master"} {
		o.refused(o.follower, []string{"198.18.0.2:3306 has no errant GTIDs"}, "-c", cmd, "-i", opsKey(2))
	}
	o.must(o.follower, "", "-c", "locate-gtid-errant", "-i", opsKey(2))
	if after := pos(); after != before {
		o.t.Fatalf("refused errant-GTID commands changed the primary's gtid_binlog_pos: %s → %s", before, after)
	}
	if h := o.host(2); !h.Replicating() || !h.ReadOnly {
		o.t.Fatalf("refused errant-GTID commands changed host 2: %s", h)
	}
}

// checkLog: every replica operation that was carried out, and only those
// (refusals append nothing), is in the log as manual-operation-started,
// and every operation event was written by the leader, also those sent to
// the follower.
func (o *opsLab) checkLog(leader string) {
	o.t.Helper()
	leaderIP := strings.TrimSuffix(strings.TrimPrefix(leader, "http://"), ":3000")
	_, all := eventKinds(o.t, "198.18.0.101:4222")
	var ops []string
	operator := map[events.Kind]bool{events.KindManualOperationStarted: true, events.KindCandidateRegistered: true,
		events.KindDowntimeBegun: true, events.KindDowntimeEnded: true, events.KindMaintenanceBegun: true, events.KindMaintenanceEnded: true}
	n := 0
	for _, e := range all {
		if !operator[e.Kind] {
			continue
		}
		n++
		if host, _, _ := strings.Cut(e.Origin, ":"); host != leaderIP {
			o.t.Errorf("%s %s written by %s, not the leader %s", e.Kind, e.Instance, e.Origin, leaderIP)
		}
		var m events.ManualOperation
		if e.Kind == events.KindManualOperationStarted && e.Decode(&m) == nil {
			ops = append(ops, m.Operation+" "+m.Target.String())
		}
	}
	want := []string{"stop-replica 198.18.0.2:3306", "start-replica 198.18.0.2:3306", "restart-replica 198.18.0.2:3306",
		"set-writeable 198.18.0.3:3306", "set-read-only 198.18.0.3:3306", "detach-replica 198.18.0.3:3306",
		"reattach-replica 198.18.0.3:3306", "relocate 198.18.0.3:3306", "relocate 198.18.0.3:3306"}
	if strings.Join(ops, ", ") != strings.Join(want, ", ") {
		o.t.Fatalf("manual operations in the log:\n%s\nwant\n%s", strings.Join(ops, "\n"), strings.Join(want, "\n"))
	}
	if n != len(want)+6 { // 2 candidates, downtime begun and ended, maintenance begun and ended
		o.t.Fatalf("%d operator events in the log, want %d", n, len(want)+6)
	}
	checkOutcomes(o.t, all, nil)
}

// checkOutcomes: every manual operation started in the log has exactly one
// outcome with its operation id, written by the same node:
// manual-operation-failed for the operations named in failed ("op host"),
// manual-operation-completed for the others.
func checkOutcomes(t *testing.T, all []events.Envelope, failed map[string]bool) {
	t.Helper()
	outcomes := map[string][]events.Envelope{}
	for _, e := range all {
		if e.Kind == events.KindManualOperationCompleted || e.Kind == events.KindManualOperationFailed {
			outcomes[e.CorrelationID] = append(outcomes[e.CorrelationID], e)
		}
	}
	for _, e := range all {
		var m events.ManualOperation
		if e.Kind != events.KindManualOperationStarted || e.Decode(&m) != nil {
			continue
		}
		name := m.Operation + " " + m.Target.Hostname
		out := outcomes[m.OperationID]
		if m.OperationID == "" || len(out) != 1 {
			t.Fatalf("%s (operation %q) has %d outcomes in the log, want 1", name, m.OperationID, len(out))
		}
		want := events.KindManualOperationCompleted
		if failed[name] {
			want = events.KindManualOperationFailed
		}
		if out[0].Kind != want || out[0].Origin != e.Origin {
			t.Fatalf("%s ended with %s by %s, want %s by %s", name, out[0].Kind, out[0].Origin, want, e.Origin)
		}
	}
}
