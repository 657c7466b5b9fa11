package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/lab"
)

// TestLabBulkRefactoring runs orchestrator's refactorings in bulk and by
// role through the real regent-client against three Regent nodes on five
// MariaDB hosts (host 1 the primary) under a write load on the primary:
// relocate-replicas, move-below-gtid, take-master, take-siblings,
// move-up-replicas, repoint-replicas, disable-/enable-gtid,
// regroup-replicas, move-replicas-gtid, through chains and siblings and
// back to a flat tree. After each the servers replicate as the expected
// tree says; refusals change nothing; at the end every acknowledged write
// is on every host, every host replicates from the primary, and each
// operation is one manual-operation-started event with one outcome,
// written by the leader. Last, recover-lite with a designated candidate
// after the primary is killed (automated recoveries disabled) promotes it
// without running a hook.
func TestLabBulkRefactoring(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 5, Controllers: 3})
	hookLog := filepath.Join(t.TempDir(), "hooks.log")
	c := startLabCluster(t, l, 3, recoveryConf(t, l, hookLog, ""))
	if code, v := c.api(t, 0, "/api/discover/198.18.0.1/3306"); code != 200 {
		t.Fatalf("discover: %d %v", code, v)
	}
	lab.Eventually(t, 20*time.Second, 100*time.Millisecond, func() error {
		if text := c.topology(t, 1, "198.18.0.1:3306"); strings.Count(text, "+ ") != 4 {
			return fmt.Errorf("topology not complete:\n%s", text)
		}
		return nil
	})
	t.Cleanup(func() {
		if t.Failed() {
			logTimeline(t)
		}
	})
	leader, follower := labFollower(t, c)
	b := &bulkLab{opsLab: &opsLab{t: t, l: l, c: c, bin: buildClient(t), leader: leader, follower: follower}}
	load := l.StartWriteLoad(1, 15*time.Second)
	if err := load.WaitAcked(20, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	before, _ := load.Acked()
	start := time.Now()
	b.chainsAndSiblings()
	b.gtidSwitch(4)
	b.regroupAndFlatten()
	b.refusals()
	during, _ := load.Acked()
	t.Logf("refactorings under the write load took %v; %d writes acknowledged meanwhile", time.Since(start).Round(time.Millisecond), len(during)-len(before))
	if len(during)-len(before) < 10 {
		t.Fatalf("only %d writes acknowledged during the refactorings: not under a write load", len(during)-len(before))
	}
	acked, err := load.Wait()
	if err != nil {
		t.Fatalf("write load: %v", err)
	}
	b.allWritesEverywhere(acked)
	b.checkLog(leader)
	b.recoverLite(hookLog, 4)
}

// recoverLite: with automated recoveries disabled, the primary is killed
// under a write load and recover-lite promotes the designated host cand:
// the other hosts replicate from it, every acknowledged write is on it,
// and neither PreFailoverProcesses nor any post-failover hook ran.
func (b *bulkLab) recoverLite(hookLog string, cand int) {
	b.t.Helper()
	b.must(b.follower, "disabled", "-c", "disable-global-recoveries")
	load := b.l.StartWriteLoad(1, 3*time.Second)
	if err := load.WaitAcked(20, 10*time.Second); err != nil {
		b.t.Fatal(err)
	}
	b.l.Kill(1)
	_, _ = load.Wait() // the writes after the kill fail: the load may end with an error
	acked, err := load.Acked()
	if err != nil || len(acked) < 20 {
		b.t.Fatalf("acknowledged writes before the kill: %d, %v", len(acked), err)
	}
	killed := time.Now()
	var out, errOut string
	lab.Eventually(b.t, 30*time.Second, 500*time.Millisecond, func() error {
		var err error
		out, errOut, err = b.run(b.follower, "-c", "recover-lite", "-i", opsKey(1), "-d", opsKey(cand))
		if err != nil {
			return fmt.Errorf("recover-lite: %v: %s", err, errOut)
		}
		return nil
	})
	if got := strings.TrimSpace(out); got != opsKey(cand) {
		b.t.Fatalf("recover-lite printed %q, want %s (stderr %q)", got, opsKey(cand), errOut)
	}
	b.t.Logf("recover-lite promoted host %d %v after the kill", cand, time.Since(killed).Round(time.Millisecond))
	src := fmt.Sprintf("198.18.0.%d", cand)
	for i := 2; i <= 5; i++ {
		if i != cand {
			b.eventuallyHost(i, "replicating from "+src, func(h lab.HostStatus) bool { return h.Source == src && h.Replicating() })
		}
	}
	if h := b.host(cand); h.ReadOnly || h.Source != "" {
		b.t.Fatalf("promoted host: %s", h)
	}
	have, err := b.l.IDs(cand)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, id := range acked {
		if !have[id] {
			b.t.Fatalf("acknowledged write %d lost on the new primary (of %d)", id, len(acked))
		}
	}
	hooks, _ := os.ReadFile(hookLog)
	for _, l := range strings.Split(string(hooks), "\n") {
		if strings.HasPrefix(l, "pre ") || strings.HasPrefix(l, "post") || strings.HasPrefix(l, "unsuccessful") {
			b.t.Fatalf("recover-lite ran a hook: %q (hooks log:\n%s)", l, hooks)
		}
	}
	_, all := eventKinds(b.t, "198.18.0.102:4222")
	var started []string
	for _, e := range all {
		var s events.RecoveryStarted
		if e.Kind == events.KindRecoveryStarted && e.Decode(&s) == nil {
			started = append(started, s.RecoveryID)
			if !s.SkipHooks || s.Successor.Hostname != src || !s.Manual {
				b.t.Fatalf("recovery-started %+v: want a manual recovery to %s without hooks", s, src)
			}
		}
	}
	if len(started) != 1 {
		b.t.Fatalf("recoveries started %v, want 1", started)
	}
	for _, e := range all {
		var h events.HookRan
		if e.Kind == events.KindHookRan && e.Decode(&h) == nil && h.RecoveryID == started[0] {
			b.t.Fatalf("recover-lite ran hook %s: %s", h.Hook, h.Command)
		}
	}
	b.t.Logf("%d acknowledged writes on the new primary; hooks log:\n%s", len(acked), hooks)
}

// bulkLab drives the five-host refactorings.
type bulkLab struct {
	*opsLab
	ops []string // the operations expected in the log: "name target"
}

// tree waits until every host i in want replicates (both threads) from
// host want[i], and until Regent shows each source.
func (b *bulkLab) tree(want map[int]int) {
	b.t.Helper()
	for i := 2; i <= 5; i++ {
		src := fmt.Sprintf("198.18.0.%d", want[i])
		b.eventuallyHost(i, "replicating from "+src, func(h lab.HostStatus) bool { return h.Source == src && h.Replicating() })
		b.eventuallyPrints(b.follower, opsKey(want[i]), "-c", "which-master", "-i", opsKey(i))
	}
	if h := b.host(1); h.ReadOnly || h.Source != "" {
		b.t.Fatalf("the primary changed: %s", h)
	}
}

// lines runs a command that must succeed and returns its output lines,
// sorted.
func (b *bulkLab) lines(url string, op, target string, args ...string) []string {
	b.t.Helper()
	out, errOut, err := b.run(url, args...)
	if err != nil {
		b.t.Fatalf("regent-client %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
	}
	b.ops = append(b.ops, op+" "+target)
	got := strings.Fields(out)
	slices.Sort(got)
	return got
}

func keys(hosts ...int) []string {
	var out []string
	for _, h := range hosts {
		out = append(out, opsKey(h))
	}
	slices.Sort(out)
	return out
}

// expectLines runs a bulk command and checks the keys it prints.
func (b *bulkLab) expectLines(url string, want []string, op string, target int, args ...string) {
	b.t.Helper()
	if got := b.lines(url, op, fmt.Sprintf("198.18.0.%d", target), args...); !slices.Equal(got, want) {
		b.t.Fatalf("regent-client %s printed %v, want %v", strings.Join(args, " "), got, want)
	}
}

// chainsAndSiblings: 1→{2,3,4,5} becomes 1→2→{3,4,5} (relocate-replicas),
// 1→2→{3,4→5} (move-below-gtid), 1→2→{3,5→4} (take-master),
// 1→2→3→5→4 (take-siblings), 1→2→{3,5→4} (move-up-replicas), and stays
// so through repoint-replicas.
func (b *bulkLab) chainsAndSiblings() {
	b.t.Helper()
	b.tree(map[int]int{2: 1, 3: 1, 4: 1, 5: 1})
	b.expectLines(b.follower, keys(3, 4, 5), "relocate-replicas", 1, "-c", "relocate-replicas", "-i", opsKey(1), "-d", opsKey(2))
	b.tree(map[int]int{2: 1, 3: 2, 4: 2, 5: 2})
	b.expectLines(b.leader, []string{opsKey(5) + "<" + opsKey(4)}, "move-below-gtid", 5, "-c", "move-below-gtid", "-i", opsKey(5), "-d", opsKey(4))
	b.tree(map[int]int{2: 1, 3: 2, 4: 2, 5: 4})
	b.expectLines(b.follower, []string{opsKey(5) + "<" + opsKey(2)}, "take-master", 5, "-c", "take-master", "-i", opsKey(5))
	b.tree(map[int]int{2: 1, 3: 2, 4: 5, 5: 2})
	b.expectLines(b.leader, []string{opsKey(3) + "<" + opsKey(2)}, "take-siblings", 3, "-c", "take-siblings", "-i", opsKey(3))
	b.tree(map[int]int{2: 1, 3: 2, 4: 5, 5: 3})
	b.expectLines(b.follower, keys(5), "move-up-replicas", 3, "-c", "move-up-replicas", "-i", opsKey(3))
	b.tree(map[int]int{2: 1, 3: 2, 4: 5, 5: 2})
	b.expectLines(b.leader, keys(4), "repoint-replicas", 5, "-c", "repoint-replicas", "-i", opsKey(5))
	b.tree(map[int]int{2: 1, 3: 2, 4: 5, 5: 2})
}

// gtidSwitch: disable-gtid makes host i replicate by binary log
// coordinates (Using_Gtid No), enable-gtid back to slave_pos; it keeps
// replicating throughout and Regent sees each.
func (b *bulkLab) gtidSwitch(i int) {
	b.t.Helper()
	r := &replCtlLab{opsLab: b.opsLab}
	for _, c := range []struct {
		op, using string
		regent    bool
	}{{"disable-gtid", "No", false}, {"enable-gtid", "Slave_Pos", true}} {
		b.expectLines(b.follower, []string{opsKey(i)}, c.op, i, "-c", c.op, "-i", opsKey(i))
		if got := r.status(i)["Using_Gtid"]; got != c.using {
			b.t.Fatalf("after %s: Using_Gtid %q, want %q", c.op, got, c.using)
		}
		b.eventuallyHost(i, "replicating", lab.HostStatus.Replicating)
		b.eventuallyInstance(b.follower, i, fields(map[string]any{"UsingMariaDBGTID": c.regent}))
	}
}

// regroupAndFlatten: regroup-replicas of 2 promotes one of its replicas 3
// and 5 over the other; move-replicas-gtid and relocate-replicas then
// bring every host back below the primary.
func (b *bulkLab) regroupAndFlatten() {
	b.t.Helper()
	got := b.lines(b.follower, "regroup-replicas", "198.18.0.2", "-c", "regroup-replicas", "-i", opsKey(2))
	if len(got) != 1 || (got[0] != opsKey(3) && got[0] != opsKey(5)) {
		b.t.Fatalf("regroup-replicas printed %v, want 3 or 5", got)
	}
	p, other := 3, 5
	if got[0] == opsKey(5) {
		p, other = 5, 3
	}
	b.t.Logf("regroup-replicas promoted host %d", p)
	b.tree(map[int]int{2: 1, p: 2, other: p, 4: 5})
	b.expectLines(b.leader, []string{opsKey(1)}, "move-replicas-gtid", 2, "-c", "move-replicas-gtid", "-i", opsKey(2), "-d", opsKey(1))
	b.tree(map[int]int{2: 1, p: 1, other: p, 4: 5})
	if p == 5 {
		b.expectLines(b.follower, keys(3, 4), "relocate-replicas", 5, "-c", "relocate-replicas", "-i", opsKey(5), "-d", opsKey(1))
	} else {
		b.expectLines(b.follower, keys(5), "relocate-replicas", 3, "-c", "relocate-replicas", "-i", opsKey(3), "-d", opsKey(1))
		b.tree(map[int]int{2: 1, 3: 1, 4: 5, 5: 1})
		b.expectLines(b.follower, keys(4), "relocate-replicas", 5, "-c", "relocate-replicas", "-i", opsKey(5), "-d", opsKey(1))
	}
	b.tree(map[int]int{2: 1, 3: 1, 4: 1, 5: 1})
}

// refusals: each is refused with the reason and changes nothing.
func (b *bulkLab) refusals() {
	b.t.Helper()
	b.refused(b.follower, []string{"does not run co-master topologies"}, "-c", "make-co-master", "-i", opsKey(2))
	b.refused(b.leader, []string{"replicates from the primary 198.18.0.1:3306", "takeover"}, "-c", "take-master", "-i", opsKey(2))
	b.refused(b.follower, []string{"198.18.0.1:3306", "not a replica"}, "-c", "move-up-replicas", "-i", opsKey(1))
	b.refused(b.follower, []string{"unknown instance 198.18.0.9:3306"}, "-c", "relocate-replicas", "-i", opsKey(1), "-d", "198.18.0.9")
	b.refused(b.follower, []string{"destination must be provided (-d)"}, "-c", "move-replicas-gtid", "-i", opsKey(1))
	b.tree(map[int]int{2: 1, 3: 1, 4: 1, 5: 1})
}

// allWritesEverywhere: every write the load saw acknowledged is on every
// host.
func (b *bulkLab) allWritesEverywhere(acked []int64) {
	b.t.Helper()
	if len(acked) < 100 {
		b.t.Fatalf("only %d writes acknowledged", len(acked))
	}
	for i := 1; i <= 5; i++ {
		lab.Eventually(b.t, 15*time.Second, 200*time.Millisecond, func() error {
			have, err := b.l.IDs(i)
			if err != nil {
				return err
			}
			missing := 0
			for _, id := range acked {
				if !have[id] {
					missing++
				}
			}
			if missing > 0 {
				return fmt.Errorf("host %d lacks %d of %d acknowledged writes", i, missing, len(acked))
			}
			return nil
		})
	}
	b.t.Logf("%d acknowledged writes on all 5 hosts", len(acked))
}

// checkLog: the operations carried out, and only those, are
// manual-operation-started events by the leader, each with one completed
// outcome.
func (b *bulkLab) checkLog(leader string) {
	b.t.Helper()
	leaderIP := strings.TrimSuffix(strings.TrimPrefix(leader, "http://"), ":3000")
	_, all := eventKinds(b.t, "198.18.0.101:4222")
	var ops []string
	for _, e := range all {
		if e.Kind != events.KindManualOperationStarted {
			continue
		}
		var m events.ManualOperation
		if err := e.Decode(&m); err != nil {
			b.t.Fatalf("decode %s: %v", e.Kind, err)
		}
		if host, _, _ := strings.Cut(e.Origin, ":"); host != leaderIP {
			b.t.Errorf("%s %s written by %s, not the leader %s", m.Operation, m.Target, e.Origin, leaderIP)
		}
		ops = append(ops, m.Operation+" "+m.Target.Hostname)
		b.t.Logf("%s %s: %s, steps %v", m.Operation, m.Target, m.Detail, m.Steps)
	}
	if !slices.Equal(ops, b.ops) {
		b.t.Fatalf("manual operations in the log:\n%s\nwant\n%s", strings.Join(ops, "\n"), strings.Join(b.ops, "\n"))
	}
	checkOutcomes(b.t, all, nil)
}
