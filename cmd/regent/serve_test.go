package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/test/natstest"
)

// proc is a regent process started from this test binary.
type proc struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	mu   *sync.Mutex
	done chan struct{}
}

type lockedBuf struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (l lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func startRegent(t testing.TB, dir string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "RGTTEST_EXEC=1")
	p := &proc{cmd: cmd, out: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{})}
	w := lockedBuf{p.mu, p.out}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatalf("start regent: %v", err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("regent %v output:\n%s", args, p.output())
		}
	})
	return p
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func (p *proc) kill() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func httpGet(url string) (int, []byte, error) {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func waitHTTP(t testing.TB, p *proc, url string, want int, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	natstest.Eventually(t, timeout, 20*time.Millisecond, func() error {
		if p != nil && p.exited() {
			t.Fatalf("regent exited early:\n%s", p.output())
		}
		code, body, err := httpGet(url)
		if err != nil {
			return err
		}
		if code != want {
			return fmt.Errorf("%s: %d %s", url, code, body)
		}
		return nil
	})
	return time.Since(start)
}

func addr(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }

// TestServeDefaultsReadyFastAndListsStreams: `regent serve` with no config
// file at all is ready in under 2 s, and its NATS client port serves
// Regent's streams.
func TestServeDefaultsReadyFastAndListsStreams(t *testing.T) {
	dir := t.TempDir()
	httpPort, natsPort := natstest.FreePort(t), natstest.FreePort(t)
	// No config file: only the two ports are moved off their defaults
	// (3000/4222) so that tests can run beside a real node.
	p := startRegent(t, dir, "--listen", addr(httpPort), "--nats-listen", addr(natsPort))
	ready := waitHTTP(t, p, "http://"+addr(httpPort)+"/api/status", 200, 10*time.Second)
	if ready > 2*time.Second {
		t.Errorf("ready after %s, want < 2s", ready)
	}
	t.Logf("ready in %s", ready)
	if _, err := os.Stat(filepath.Join(dir, "regent-data", "jetstream")); err != nil {
		t.Errorf("default data dir ./regent-data not used: %v", err)
	}
	anonymousRefused(t, "nats://"+addr(natsPort))
	code, url, errs := runCmd(t, runNATSURL, "--role", "reader", "--data-dir", filepath.Join(dir, "regent-data"), "--set", "NATSListenAddress="+addr(natsPort))
	url = strings.TrimSpace(url)
	if code != 0 {
		t.Fatalf("regent nats-url --role reader: %d %s", code, errs)
	}
	names := streamNames(t, url)
	for _, want := range []string{events.EventsName, events.ObservationsName} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("streams %v lack %s", names, want)
		}
	}
	if nats := natsCLI(t); nats != "" {
		out, err := exec.Command(nats, "--server", url, "stream", "ls", "--names").CombinedOutput()
		if err != nil || !strings.Contains(string(out), events.EventsName) || !strings.Contains(string(out), events.ObservationsName) {
			t.Errorf("nats stream ls: %v\n%s", err, out)
		}
	}
	// SIGTERM stops the node in under 5 s, cleanly.
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Fatalf("still running 5 s after SIGTERM:\n%s", p.output())
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGTERM:\n%s", code, p.output())
	}
	t.Logf("stopped %s after SIGTERM", time.Since(start))
}

// natsCLI finds the NATS CLI (`nats`): on PATH or in ./bin of the repo,
// where .ci/run installs it. Missing in CI is a failure.
func natsCLI(t testing.TB) string {
	if p, err := exec.LookPath("nats"); err == nil {
		return p
	}
	if p, err := filepath.Abs("../../bin/nats"); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Errorf("the NATS CLI is missing: .ci/run installs it with `GOBIN=$PWD/bin go install github.com/nats-io/natscli/nats@v0.5.1`")
	} else {
		t.Log("NATS CLI not installed; checked the streams with nats.go only (make natscli installs it)")
	}
	return ""
}

func streamNames(t testing.TB, url string) []string {
	t.Helper()
	names := streamNamesErr(url)
	if names == nil {
		t.Fatalf("cannot list the streams of %s", url)
	}
	return names
}

// streamNamesErr lists the streams of the server at url (nil on error).
func streamNamesErr(url string) []string {
	nc, err := nats.Connect(url, nats.Timeout(2*time.Second))
	if err != nil {
		return nil
	}
	defer nc.Close()
	l, err := eventlog.New(nc, zerolog.Nop(), events.StreamOptions{})
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	names := []string{}
	lister := l.JetStream().StreamNames(ctx)
	for n := range lister.Name() {
		names = append(names, n)
	}
	if lister.Err() != nil {
		return nil
	}
	return names
}

// TestServeInProcessLeavesNoGoroutines runs serve in this process, cancels
// it as SIGTERM would, and checks every goroutine it started has ended.
func TestServeInProcessLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	sitesBefore := goroutineSites()
	dir := t.TempDir()
	cfg, _, err := config.Load(config.LoadOptions{SearchPaths: []string{}, Flags: map[string]string{
		"ListenAddress": addr(natstest.FreePort(t)), "NATSListenAddress": addr(natstest.FreePort(t)),
		"RaftDataDir": filepath.Join(dir, "data"), "LogLevel": "warn", "LogFormat": "json",
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var errOut bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, env{stdout: io.Discard, stderr: &errOut}) }()
	waitHTTP(t, nil, "http://"+cfg.ListenAddress+"/api/raft-health", 200, 10*time.Second)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return within 5 s of cancel")
	}
	if strings.Contains(errOut.String(), "UNAUTHENTICATED API") {
		t.Errorf("serve on 127.0.0.1 warned of an unauthenticated API:\n%s", errOut.String())
	}
	http.DefaultClient.CloseIdleConnections()
	checkNoGoroutinesLeft(t, before, sitesBefore)
}

// checkNoGoroutinesLeft waits (5 s at most) until no more goroutines run
// than before and none was created by a site that had fewer before (one
// leaked goroutine cannot hide behind one that ended).
func checkNoGoroutinesLeft(t testing.TB, before int, sitesBefore map[string]int) {
	t.Helper()
	natstest.Eventually(t, 5*time.Second, 50*time.Millisecond, func() error {
		if n := runtime.NumGoroutine(); n > before {
			return fmt.Errorf("%d goroutines, %d before serve:\n%s", n, before, goroutines())
		}
		for site, n := range goroutineSites() {
			if n > sitesBefore[site] {
				return fmt.Errorf("%d goroutines created by %s, %d before serve:\n%s", n, site, sitesBefore[site], goroutines())
			}
		}
		return nil
	})
}

func goroutines() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// goroutineSites counts the live goroutines by the function that created
// them ("created by …" in their stacks; "main" for the main goroutine).
func goroutineSites() map[string]int {
	sites := map[string]int{}
	for _, g := range strings.Split(goroutines(), "\n\n") {
		site := "main"
		if _, after, ok := strings.Cut(g, "\ncreated by "); ok {
			site, _, _ = strings.Cut(after, " in goroutine")
			site, _, _ = strings.Cut(site, "\n")
		}
		sites[site]++
	}
	return sites
}

// TestThreeNodeCluster: three processes with RaftNodes (and one
// NATSClusterSecret) form one cluster that refuses anonymous NATS clients; an
// event appended through one node is read through the others; after SIGKILL
// of one node the other two keep serving and report healthy; the killed node
// rejoins on restart and catches up.
func TestThreeNodeCluster(t *testing.T) {
	type nodeAddr struct{ http, nats, raft int }
	na := make([]nodeAddr, 3)
	var raftNodes []string
	for i := range na {
		na[i] = nodeAddr{natstest.FreePort(t), natstest.FreePort(t), natstest.FreePort(t)}
		raftNodes = append(raftNodes, fmt.Sprintf("%q", addr(na[i].raft)))
	}
	dirs := make([]string, 3)
	procs := make([]*proc, 3)
	start := func(i int) {
		if dirs[i] == "" {
			dirs[i] = t.TempDir()
			conf := fmt.Sprintf(`{
  // one of three Regent nodes on loopback
  "ListenAddress": %q,
  "NATSListenAddress": %q,
  "RaftEnabled": true,
  "RaftBind": %q,
  "RaftDataDir": %q,
  "RaftNodes": [%s],
  "NATSClusterSecret": %q,
  "LogFormat": "json",
}`, addr(na[i].http), addr(na[i].nats), addr(na[i].raft), filepath.Join(dirs[i], "data"), strings.Join(raftNodes, ", "), testSecret)
			if err := os.WriteFile(filepath.Join(dirs[i], "regent.conf.json"), []byte(conf), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		procs[i] = startRegent(t, dirs[i], "--config", filepath.Join(dirs[i], "regent.conf.json"))
	}
	for i := range 3 {
		start(i)
	}
	for i := range 3 {
		waitHTTP(t, procs[i], fmt.Sprintf("http://%s/api/raft-health", addr(na[i].http)), 200, 30*time.Second)
	}
	// Exactly one leader; lb-check and _ping answer 200 "OK" on every node
	// (orchestrator's LBCheck), routed-leader-check 200 on the leader.
	leaders := 0
	for i := range 3 {
		code, _, _ := httpGet(fmt.Sprintf("http://%s/api/leader-check", addr(na[i].http)))
		if code == 200 {
			leaders++
			if rc, body, _ := httpGet(fmt.Sprintf("http://%s/api/routed-leader-check", addr(na[i].http))); rc != 200 || string(body) != `"OK"` {
				t.Errorf("node %d leads: routed-leader-check %d %s", i+1, rc, body)
			}
		}
		for _, p := range []string{"lb-check", "_ping"} {
			if lc, body, _ := httpGet(fmt.Sprintf("http://%s/api/%s", addr(na[i].http), p)); lc != 200 || string(body) != `"OK"` {
				t.Errorf("node %d (leader-check %d): %s %d %s, want 200 \"OK\"", i+1, code, p, lc, body)
			}
		}
	}
	if leaders != 1 {
		t.Errorf("%d nodes answer leader-check 200, want 1", leaders)
	}
	logs := make([]*eventlog.Log, 3)
	for i := range 3 {
		anonymousRefused(t, "nats://"+addr(na[i].nats))
		logs[i] = externalLog(t, addr(na[i].nats))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	e1 := noteEnv(t, "appended through node 1")
	if _, err := logs[0].Append(ctx, e1, eventlog.NoExpect); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 3; i++ {
		natstest.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error { return hasEvent(ctx, logs[i], e1.ID) })
	}
	// SIGKILL node 3: nodes 1 and 2 keep serving.
	procs[2].kill()
	var e2 events.Envelope
	natstest.Eventually(t, 30*time.Second, 200*time.Millisecond, func() error {
		e2 = noteEnv(t, "appended while node 3 is dead")
		_, err := logs[1].Append(ctx, e2, eventlog.NoExpect)
		return err
	})
	for i := range 2 {
		waitHTTP(t, procs[i], fmt.Sprintf("http://%s/api/raft-health", addr(na[i].http)), 200, 30*time.Second)
	}
	// Restart node 3 on its data: it rejoins and catches up.
	start(2)
	waitHTTP(t, procs[2], fmt.Sprintf("http://%s/api/raft-health", addr(na[2].http)), 200, 60*time.Second)
	l3 := externalLog(t, addr(na[2].nats))
	natstest.Eventually(t, 30*time.Second, 200*time.Millisecond, func() error { return hasEvent(ctx, l3, e2.ID) })
}

func externalLog(t testing.TB, a string) *eventlog.Log {
	t.Helper()
	nc, err := nats.Connect("nats://"+a, nats.Timeout(2*time.Second), nats.MaxReconnects(-1), testAuth(t, natsnode.RoleAdmin))
	if err != nil {
		t.Fatalf("connect %s: %v", a, err)
	}
	t.Cleanup(nc.Close)
	l, err := eventlog.New(nc, zerolog.Nop(), events.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func noteEnv(t testing.TB, text string) events.Envelope {
	t.Helper()
	e, err := events.New(events.KindNote, time.Now(), "test", events.Note{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func hasEvent(ctx context.Context, l *eventlog.Log, id string) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	found := false
	err := l.Read(cctx, eventlog.ReadOptions{Stream: events.EventsName}, func(r eventlog.Record) error {
		found = found || r.Env.ID == id
		return nil
	})
	if err != nil {
		return err
	}
	if !found {
		return errors.New("event not there yet")
	}
	return nil
}
