package lab

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// RegentReadyTimeout bounds the wait for a started Regent node's
// /api/raft-health to answer 200.
const RegentReadyTimeout = 60 * time.Second

// RegentConf is the config (HuJSON) of Regent node k (1-based) of n in the
// lab: HTTP on controller k's address :3000, NATS on :4222, Raft with the
// other controllers when n > 1, its data under dir/data, the NATS
// credentials derived from NATSClusterSecret, the lab's regent
// topology user, 200 ms polls and a 500 ms probe timeout. extra is inserted
// verbatim before the closing brace (keys with trailing commas); a key given
// there again wins over the one above it.
func RegentConf(dir string, k, n int, extra string) string {
	var nodes []string
	for i := 1; i <= n; i++ {
		nodes = append(nodes, fmt.Sprintf("%q", fmt.Sprintf("%s.%d", Net, 100+i)))
	}
	ip := fmt.Sprintf("%s.%d", Net, 100+k)
	raft := ""
	if n > 1 {
		raft = fmt.Sprintf(`"RaftEnabled": true, "RaftBind": %q, "RaftNodes": [%s],`, ip, strings.Join(nodes, ", "))
	}
	return fmt.Sprintf(`{
  // Regent node %d of %d in the lab
  "ListenAddress": "%s:3000",
  "NATSListenAddress": "%s:4222",
  %s
  "RaftDataDir": %q,
  "NATSClusterSecret": %q,
  "MySQLTopologyUser": "regent",
  "MySQLTopologyPassword": "regent",
  "MySQLHostnameResolveMethod": "@@report_host",
  "DiscoverByShowSlaveHosts": true,
  "InstancePollMilliseconds": 200,
  "MySQLConnectTimeoutSeconds": 1,
  "ProbeTimeoutMilliseconds": 500,
  "LogFormat": "json",
  %s
}`, k, n, ip, ip, raft, filepath.Join(dir, "data"), NATSClusterSecret, extra)
}

// Regents are Regent nodes running in the lab's controller namespaces: node
// i (0-based) runs in controller i+1 with its own config and data directory.
// Its methods fail the test given to StartRegents; call them from the test's
// goroutine. Every node is stopped when the test ends, and the tail of each
// node's log is printed when the test failed (RunInNetns).
type Regents struct {
	t     testing.TB
	l     *Lab
	bin   string
	env   []string
	procs []*Process
	urls  []string
	confs []string
}

// StartRegents writes the configs (RegentConf with extra) of n nodes, runs
// `bin serve --config …` for each in controller namespaces c1..cn with env
// added to the test's environment, and waits (RegentReadyTimeout) until
// every node's /api/raft-health answers 200. The lab needs n controllers.
func StartRegents(t testing.TB, l *Lab, bin string, env []string, n int, extra string) *Regents {
	t.Helper()
	r := &Regents{t: t, l: l, bin: bin, env: env}
	for k := 1; k <= n; k++ {
		dir := t.TempDir()
		conf := filepath.Join(dir, "regent.conf.json")
		if err := os.WriteFile(conf, []byte(RegentConf(dir, k, n, extra)), 0o600); err != nil {
			t.Fatalf("lab: write regent config %d: %v", k, err)
		}
		_, ip := l.Controller(k)
		r.confs = append(r.confs, conf)
		r.urls = append(r.urls, "http://"+ip+":3000")
		r.procs = append(r.procs, r.start(k-1))
	}
	for i := range r.procs {
		r.waitReady(i)
	}
	return r
}

// start runs node i with its config and returns its process.
func (r *Regents) start(i int) *Process {
	r.t.Helper()
	ns, _ := r.l.Controller(i + 1)
	return RunInNetns(r.t, ns, r.bin, []string{"serve", "--config", r.confs[i]}, r.env)
}

// waitReady waits until node i's /api/raft-health answers 200, failing the
// test at once (with the node's log) when the node exits first.
func (r *Regents) waitReady(i int) {
	r.t.Helper()
	url, p := r.urls[i]+"/api/raft-health", r.procs[i]
	c := http.Client{Timeout: time.Second}
	deadline := time.Now().Add(RegentReadyTimeout)
	last := "no answer yet"
	for time.Now().Before(deadline) {
		if p.Exited() {
			r.t.Fatalf("lab: regent node %d exited before it was healthy:\n%s", i+1, p.Log(40))
		}
		resp, err := c.Get(url)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("lab: regent node %d: %s not 200 within %v (last: %s)", i+1, url, RegentReadyTimeout, last)
}

// N is the number of nodes.
func (r *Regents) N() int { return len(r.procs) }

// URL is node i's HTTP base URL ("http://198.18.0.101:3000" for node 0).
func (r *Regents) URL(i int) string { return r.urls[i] }

// Conf is the path of node i's config file; its data directory is "data"
// beside it.
func (r *Regents) Conf(i int) string { return r.confs[i] }

// Process is node i's current process (a new one after Restart).
func (r *Regents) Process(i int) *Process { return r.procs[i] }

// Processes is the nodes' processes by index. It is the Regents' own slice,
// not a copy: Restart replaces an element, and a caller that starts a node
// again by itself may store the new process there.
func (r *Regents) Processes() []*Process { return r.procs }

// Stop sends node i SIGTERM and waits until it exits (SIGKILL after 10 s).
func (r *Regents) Stop(i int) {
	r.t.Helper()
	if err := r.procs[i].Stop(); err != nil {
		r.t.Fatalf("lab: regent node %d: %v", i+1, err)
	}
}

// Kill sends node i SIGKILL (a crash) by pid and waits until it is gone.
func (r *Regents) Kill(i int) { r.procs[i].Kill() }

// Restart stops node i (SIGTERM) if it still runs, starts it again with the
// same config and data directory, and waits until it is healthy.
func (r *Regents) Restart(i int) {
	r.t.Helper()
	r.Stop(i)
	r.procs[i] = r.start(i)
	r.waitReady(i)
}

// builds caches Build's results for the test process, one per binary. It
// is package-level mutable state, acceptable in a test helper: each entry is
// written once (sync.Once) and only records where the one build of this
// process went, so nothing of one test's state reaches another.
var builds struct {
	mu   sync.Mutex
	done map[string]*binBuild
}

type binBuild struct {
	once sync.Once
	path string
	err  error
}

// BuildRegent builds cmd/regent once per test process and returns the
// binary's path, for packages other than cmd/regent (whose tests run their
// own test binary as regent).
func BuildRegent(t testing.TB) string { t.Helper(); return Build(t, "regent") }

// Build builds cmd/<name> (regent, regent-client) once per test process and
// returns the binary's path. The binary goes to a directory in os.TempDir
// named after the repository root and is replaced atomically, so concurrent
// test processes never run a half-written file and builds do not pile up.
func Build(t testing.TB, name string) string {
	t.Helper()
	builds.mu.Lock()
	if builds.done == nil {
		builds.done = map[string]*binBuild{}
	}
	b, ok := builds.done[name]
	if !ok {
		b = &binBuild{}
		builds.done[name] = b
	}
	builds.mu.Unlock()
	b.once.Do(func() { b.path, b.err = buildBinary(name) })
	if b.err != nil {
		t.Fatalf("lab: %v", b.err)
	}
	return b.path
}

func buildBinary(name string) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(root))
	dir := filepath.Join(os.TempDir(), "regent-lab-bin-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("build %s: %w", name, err)
	}
	tmp, err := os.CreateTemp(dir, name+"-*.tmp")
	if err != nil {
		return "", fmt.Errorf("build %s: %w", name, err)
	}
	_ = tmp.Close()
	defer os.Remove(tmp.Name()) // gone after the rename; left only on failure
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", tmp.Name(), "./cmd/"+name)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %w\n%s", name, err, out)
	}
	bin := filepath.Join(dir, name)
	if err := os.Rename(tmp.Name(), bin); err != nil {
		return "", fmt.Errorf("build %s: %w", name, err)
	}
	return bin, nil
}
