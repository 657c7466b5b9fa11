package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/lab"
	"github.com/regent-ha/regent/test/natstest"
)

// leakConf is a single in-process node on the lab (reached through the
// lab's bridge) that recovers a dead primary, moves the VIP (its
// gratuitous ARP runs in the background) and runs an asynchronous
// PostFailoverProcesses hook that outlives the recovery by two seconds.
func leakConf(t *testing.T, l *lab.Lab, dir, hookLog string) config.Config {
	t.Helper()
	body := fmt.Sprintf(`{
  "ListenAddress": %q, "NATSListenAddress": %q, "RaftDataDir": %q, "NATSClusterSecret": %q,
  "MySQLTopologyUser": "regent", "MySQLTopologyPassword": "regent", "MySQLHostnameResolveMethod": "@@report_host",
  "DiscoverByShowSlaveHosts": true, "InstancePollMilliseconds": 200, "MySQLConnectTimeoutSeconds": 1, "ProbeTimeoutMilliseconds": 500,
  "DiscoverySeeds": ["198.18.0.1:3306"], "LogFormat": "json", "LogLevel": "warn",
  "RecoverMasterClusterFilters": ["*"], "RecoveryPeriodBlockSeconds": 600, "FailureDetectionPeriodBlockMinutes": 1,
  "VIPAddress": %q, "VIPInterface": "eth0", "RemoteExecPrefix": "%s on {host}",
  "ReplicationUser": "repl", "ReplicationPassword": "repl", "ReplicationStallMilliseconds": 600, "ReplicationHeartbeatMilliseconds": 200,
  "HookTimeoutSeconds": 10,
  "PostFailoverProcesses": ["sleep 2; echo async-done >> %s &"]
}`, addr(natstest.FreePort(t)), addr(natstest.FreePort(t)), filepath.Join(dir, "data"), lab.NATSClusterSecret,
		lab.VIP, filepath.Join(l.Root(), "scripts", "lab"), hookLog)
	path := filepath.Join(dir, "regent.conf.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load(config.LoadOptions{Files: []string{path}, SearchPaths: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// descendants are the processes below this one (from /proc), as
// "pid command" lines.
func descendants(t *testing.T) []string {
	t.Helper()
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	parent, cmd := map[int]int{}, map[int]string{}
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue // ended meanwhile
		}
		// pid (comm) state ppid …: comm may hold spaces, it ends at the last ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		f := strings.Fields(s[i+1:])
		if i < 0 || len(f) < 2 {
			continue
		}
		parent[pid], _ = strconv.Atoi(f[1])
		cmd[pid] = s[strings.IndexByte(s, '(')+1 : i]
	}
	var out []string
	for pid := range parent {
		for p := parent[pid]; p > 1; p = parent[p] {
			if p == os.Getpid() {
				out = append(out, fmt.Sprintf("%d %s", pid, cmd[pid]))
				break
			}
		}
	}
	return out
}

// TestLabServeNoLeakAfterRecovery runs serve in this process on the lab,
// SIGKILLs the primary, and stops serve as SIGTERM would right after the
// recovery completed, while its asynchronous hook and the VIP's gratuitous
// ARP still run: serve returns only once the hook finished (its outcome is
// in the hook's file), and then no goroutine it started and no process it
// spawned is left.
func TestLabServeNoLeakAfterRecovery(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3})
	l.VIPAdd(1)
	dir := t.TempDir()
	hookLog := filepath.Join(dir, "hooks.log")
	cfg := leakConf(t, l, dir, hookLog)
	before, sitesBefore := runtime.NumGoroutine(), goroutineSites()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errOut bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, env{stdout: io.Discard, stderr: &lockedWriter{w: &errOut}}) }()
	lab.Eventually(t, 20*time.Second, 100*time.Millisecond, func() error {
		for h := 1; h <= 3; h++ {
			if code, _, err := httpGet(fmt.Sprintf("http://%s/api/instance/198.18.0.%d/3306", cfg.ListenAddress, h)); err != nil || code != 200 {
				return fmt.Errorf("instance %d: %d %v", h, code, err)
			}
		}
		return nil
	})
	l.Kill(1)
	lab.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		counts, _ := eventKinds(t, cfg.NATSListenAddress)
		if counts[events.KindRecoveryCompleted] != 1 || counts[events.KindVIPMoved] != 1 {
			return fmt.Errorf("events %v", counts)
		}
		return nil
	})
	if b, _ := os.ReadFile(hookLog); strings.Contains(string(b), "async-done") {
		t.Fatal("the asynchronous hook finished before serve was stopped: the test proves nothing")
	}
	stopped := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not return within 20 s of cancel")
	}
	t.Logf("serve returned %v after cancel", time.Since(stopped).Round(time.Millisecond))
	if b, _ := os.ReadFile(hookLog); !strings.Contains(string(b), "async-done") {
		t.Errorf("serve returned before its asynchronous hook finished (hook file %q)", b)
	}
	if left := descendants(t); len(left) > 0 {
		t.Errorf("processes left after serve returned: %v", left)
	}
	http.DefaultClient.CloseIdleConnections()
	checkNoGoroutinesLeft(t, before, sitesBefore)
}
