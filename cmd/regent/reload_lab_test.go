package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/lab"
)

// hookScript writes an executable shell script to dir/name that appends
// its arguments to marker, and returns the script's path.
func hookScript(t *testing.T, dir, name, marker string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	body := fmt.Sprintf("#!/bin/sh\necho \"$@\" >> %q\n", marker)
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// postMasterHook is the config key (trailing comma) that runs script after
// a primary's recovery, with the failed and the promoted instance.
func postMasterHook(script string) string {
	return fmt.Sprintf(`"PostMasterFailoverProcesses": ["%s {failedHost}:{failedPort} {successorHost}:{successorPort}"],`, script)
}

// rewriteConfs writes every node's config file again with extra (after the
// recovery part base) and sends each node SIGHUP.
func rewriteConfs(t *testing.T, c *labCluster, base, extra string) {
	t.Helper()
	for i, conf := range c.confs {
		text := labConf(filepath.Dir(conf), i+1, len(c.confs), base+"\n  "+extra)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for i := range c.confs {
		if err := syscall.Kill(c.Process(i).Pid(), syscall.SIGHUP); err != nil {
			t.Fatalf("SIGHUP node %d: %v", i+1, err)
		}
	}
}

// reloadsIn decodes the config-reloaded events of all with their
// positions in the log.
func reloadsIn(all []events.Envelope) (idx []int, out []events.ConfigReloaded) {
	for i, e := range all {
		var r events.ConfigReloaded
		if e.Kind == events.KindConfigReloaded && e.Decode(&r) == nil {
			idx, out = append(idx, i), append(out, r)
		}
	}
	return idx, out
}

// waitReloads waits until the log holds want config-reloaded events and
// returns the log and the reloads' positions and payloads.
func waitReloads(t *testing.T, want int) ([]events.Envelope, []int, []events.ConfigReloaded) {
	t.Helper()
	var all []events.Envelope
	var idx []int
	var rs []events.ConfigReloaded
	lab.Eventually(t, 15*time.Second, 100*time.Millisecond, func() error {
		_, all = eventKinds(t, "198.18.0.101:4222")
		if idx, rs = reloadsIn(all); len(rs) < want {
			return fmt.Errorf("%d config-reloaded events, want %d: %+v", len(rs), want, rs)
		}
		return nil
	})
	if len(rs) != want {
		t.Fatalf("%d config-reloaded events, want %d: %+v", len(rs), want, rs)
	}
	return all, idx, rs
}

// hooksRan is the hook-ran events of all for hook whose command contains
// script.
func hooksRan(all []events.Envelope, hook, script string) []events.HookRan {
	var out []events.HookRan
	for _, e := range all {
		var h events.HookRan
		if e.Kind == events.KindHookRan && e.Decode(&h) == nil && h.Hook == hook && strings.Contains(h.Command, script) {
			out = append(out, h)
		}
	}
	return out
}

// TestLabSIGHUPChangesTheNextRecoverysHooks: three `regent serve` nodes on
// the MariaDB lab start with a PostMasterFailoverProcesses script that
// writes one marker file. A SIGHUP after a config change that also touches
// RaftNodes is refused on every node, naming RaftNodes, and applies
// nothing; a SIGHUP after the hook list alone changed to a second script is
// applied on every node. Both are config-reloaded events. The primary is
// then SIGKILLed: the recovery runs the new script (its marker names the
// failed and the promoted instance, its hook-ran event is in the log), the
// old one never runs, and every config-reloaded event precedes the
// recovery's events in the log.
func TestLabSIGHUPChangesTheNextRecoverysHooks(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3})
	l.VIPAdd(1)
	began := time.Now()
	dir := t.TempDir()
	oldMarker, newMarker := filepath.Join(dir, "old.marker"), filepath.Join(dir, "new.marker")
	oldScript := hookScript(t, dir, "old-hook.sh", oldMarker)
	newScript := hookScript(t, dir, "new-hook.sh", newMarker)
	base := recoveryConf(t, l, filepath.Join(dir, "hooks.log"), "")
	c := startLabCluster(t, l, 3, base+"\n  "+postMasterHook(oldScript))
	discoverLab(t, c)

	// A changed RaftNodes refuses the whole reload, hook list included.
	rewriteConfs(t, c, base, postMasterHook(newScript)+
		`"RaftNodes": ["198.18.0.101", "198.18.0.102", "198.18.0.103", "198.18.0.104"],`)
	_, _, rs := waitReloads(t, 3)
	for _, r := range rs {
		if r.Applied || r.Trigger != "SIGHUP" || !slices.Equal(r.Refused, []string{"RaftNodes"}) ||
			!slices.Contains(r.Changed, "PostMasterFailoverProcesses") {
			t.Fatalf("SIGHUP with new RaftNodes recorded as %+v, want refused naming RaftNodes only", r)
		}
	}
	for i := range c.confs {
		if log := c.Process(i).Log(400); !strings.Contains(log, `"refused":["RaftNodes"]`) {
			t.Errorf("node %d's log does not name RaftNodes as refused:\n%s", i+1, c.Process(i).Log(20))
		}
	}

	// The hook list alone: applied on every node.
	rewriteConfs(t, c, base, postMasterHook(newScript))
	all, idx, rs := waitReloads(t, 6)
	nodes := map[string]bool{}
	for _, r := range rs[3:] {
		if !r.Applied || r.Trigger != "SIGHUP" || !slices.Equal(r.Changed, []string{"PostMasterFailoverProcesses"}) || len(r.Refused) != 0 {
			t.Fatalf("SIGHUP with a new hook list recorded as %+v, want applied", r)
		}
		nodes[r.Node] = true
	}
	if len(nodes) != 3 {
		t.Fatalf("applied reloads come from %d nodes, want 3: %+v", len(nodes), rs[3:])
	}
	for _, e := range all {
		if e.Kind == events.KindRecoveryStarted {
			t.Fatalf("a recovery started before the primary was killed: %+v", e)
		}
	}

	l.Kill(1)
	killed := time.Now()
	var primary int
	lab.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
		var err error
		primary, err = converged(l, 1)
		return err
	})
	t.Logf("converged on host %d %s after SIGKILL", primary, time.Since(killed).Round(time.Millisecond))
	want := fmt.Sprintf("198.18.0.1:3306 198.18.0.%d:3306", primary)
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		if got := strings.TrimSpace(readFile(newMarker)); got != want {
			return fmt.Errorf("new hook's marker holds %q, want %q", got, want)
		}
		_, all = eventKinds(t, "198.18.0.101:4222")
		if ran := hooksRan(all, "PostMasterFailoverProcesses", newScript); len(ran) != 1 || ran[0].ExitCode != 0 || ran[0].RecoveryID == "" {
			return fmt.Errorf("hook-ran events of the new hook: %+v", ran)
		}
		return nil
	})
	t.Logf("the new hook ran %s after SIGKILL", time.Since(killed).Round(time.Millisecond))
	if _, err := os.Stat(oldMarker); !os.IsNotExist(err) {
		t.Errorf("the old hook ran (marker %s: %v): %q", oldMarker, err, readFile(oldMarker))
	}
	if ran := hooksRan(all, "PostMasterFailoverProcesses", oldScript); len(ran) != 0 {
		t.Errorf("hook-ran events of the old hook: %+v", ran)
	}
	assertReloadsPrecedeRecovery(t, all, idx)
	t.Logf("the test body took %s on the lab", time.Since(began).Round(time.Millisecond))
}

// assertReloadsPrecedeRecovery fails t unless the log all holds exactly one
// recovery and every config-reloaded event (at positions idx) comes before
// its first event.
func assertReloadsPrecedeRecovery(t *testing.T, all []events.Envelope, idx []int) {
	t.Helper()
	first, started := -1, 0
	for i, e := range all {
		switch e.Kind {
		case events.KindRecoveryStarted:
			started++
			if first < 0 {
				first = i
			}
		case events.KindRecoveryStep, events.KindRecoveryCompleted, events.KindRecoveryFailed, events.KindHookRan:
			if first < 0 {
				first = i
			}
		}
	}
	if started != 1 {
		t.Fatalf("%d recovery-started events, want 1", started)
	}
	if last := idx[len(idx)-1]; last >= first {
		t.Errorf("config-reloaded at log position %d is not before the recovery's first event at %d", last, first)
	}
	if _, rs := reloadsIn(all); len(rs) != 6 {
		t.Errorf("%d config-reloaded events after the recovery, want still 6", len(rs))
	}
}
