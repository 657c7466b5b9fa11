package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/test/fleetsim"
	"github.com/regent-ha/regent/test/natstest"
)

// fleetSetup is one fleet measurement: simulated instances, Regent nodes,
// the steady window the CPU and message rate are measured over, and how
// many primaries are killed one after another to time detection.
type fleetSetup struct {
	instances, nodes int
	window           time.Duration
	kills            int
	pollMillis       int
	ready            time.Duration // bound on discovery
	perf             string        // record node 1 with perf(1) over the window into this file ("" none)
}

// fleetResult is what one measurement found.
type fleetResult struct {
	setup      fleetSetup
	discovery  time.Duration   // until every node lists every instance
	cpu        []float64       // cores, per node, over the window
	rss        []float64       // MiB, per node, at the end of the window
	simCPU     float64         // cores used by the simulator (this process)
	obsRate    float64         // REGENT_OBS messages per second
	probeRate  float64         // statements per second the simulator answered
	detections []time.Duration // kill → failure-detected (DeadMaster*) on node 1
	missed     int             // kills not detected as DeadMaster within 30 s
	watches    []int           // primary watch connections open, per node, at the end of the window
	flood      *floodResult    // FLEET_FLOOD: every primary killed at once
}

// fleetNode is one Regent node of the measurement.
type fleetNode struct {
	p               *proc
	http, nats      string
	httpP, natsP, r int
}

// runFleet starts the simulator and the nodes, waits until every node
// lists every instance, measures a steady window, then kills primaries.
func runFleet(t testing.TB, s fleetSetup) fleetResult {
	t.Helper()
	if err := fleetsim.RaiseFileLimit(); err != nil { // the nodes inherit it
		t.Logf("raise the open-file limit: %v", err)
	}
	f := startSim(t, s.instances)
	clusters := f.Clusters()
	nodes := startFleetNodes(t, s)
	res := fleetResult{setup: s}
	start := time.Now()
	discoverAll(t, nodes[0], clusters)
	for i, n := range nodes {
		waitInstances(t, n, s.instances, s.ready-time.Since(start), i)
	}
	res.discovery = time.Since(start)
	nc, err := nats.Connect("nats://"+nodes[0].nats, nats.Timeout(5*time.Second), testAuth(t, natsnode.RoleReader))
	if err != nil {
		t.Fatalf("connect to node 1's NATS: %v", err)
	}
	t.Cleanup(nc.Close)
	// Let the first full observations and the fold settle.
	time.Sleep(min(s.window/2, 10*time.Second))
	measureSteady(t, s, nodes, nc, f, &res)
	t.Logf("steady state:\n%s", fleetTable([]fleetResult{res}))
	res.detections, res.missed = timeDetections(t, s, f, clusters, nc)
	if os.Getenv("FLEET_FLOOD") != "" {
		fl := floodKill(t, f, clusters, nodes, nc, killedBy(s, clusters))
		res.flood = &fl
		t.Logf("%s", fl)
	}
	return res
}

// fleetConf is node k's (0-based) configuration: detection only (no
// RecoverMasterClusterFilters, so no cluster is recovered). The instances
// are discovered through node 1's API (discoverAll); the other nodes learn
// them from the event log.
func fleetConf(dir string, k int, nodes []fleetNode, s fleetSetup) string {
	raft := ""
	if len(nodes) > 1 {
		var peers []string
		for _, n := range nodes {
			peers = append(peers, fmt.Sprintf("%q", addr(n.r)))
		}
		raft = fmt.Sprintf(`"RaftEnabled": true, "RaftBind": %q, "RaftNodes": [%s],`, addr(nodes[k].r), strings.Join(peers, ", "))
	}
	return fmt.Sprintf(`{
  "ListenAddress": %q,
  "NATSListenAddress": %q,
  %s
  "RaftDataDir": %q,
  "NATSClusterSecret": %q,
  "MySQLTopologyUser": "regent",
  "MySQLTopologyPassword": "regent",
  "MySQLHostnameResolveMethod": "@@report_host",
  "DiscoverByShowSlaveHosts": true,
  "InstancePollMilliseconds": %d,
  "MySQLConnectTimeoutSeconds": 1,
  "ProbeTimeoutMilliseconds": 1000,
  "DiscoveryMaxConcurrency": 1000,
  "RecoverMasterClusterFilters": [],
  "LogFormat": "json",
  "LogLevel": "warn",
}`, addr(nodes[k].httpP), addr(nodes[k].natsP), raft, filepath.Join(dir, "data"), testSecret, s.pollMillis)
}

func startFleetNodes(t testing.TB, s fleetSetup) []fleetNode {
	t.Helper()
	nodes := make([]fleetNode, s.nodes)
	for i := range nodes {
		nodes[i].httpP, nodes[i].natsP, nodes[i].r = natstest.FreePort(t), natstest.FreePort(t), natstest.FreePort(t)
		nodes[i].http, nodes[i].nats = addr(nodes[i].httpP), addr(nodes[i].natsP)
	}
	for i := range nodes {
		dir := t.TempDir()
		conf := filepath.Join(dir, "regent.conf.json")
		if err := os.WriteFile(conf, []byte(fleetConf(dir, i, nodes, s)), 0o600); err != nil {
			t.Fatal(err)
		}
		nodes[i].p = startRegent(t, dir, "--config", conf)
	}
	for _, n := range nodes {
		waitHTTP(t, n.p, "http://"+n.http+"/api/raft-health", 200, 60*time.Second)
	}
	return nodes
}

// discoverWorkers is how many /api/async-discover calls run at once.
// DiscoverySeeds and /api/discover are much slower at this scale: seeds are
// discovered one after another and /api/discover waits for a fresh view
// (≈ 8–45 instances/s here at 5,000–10,000 instances).
const discoverWorkers = 16

// discoverAll records and schedules every instance through n's
// /api/async-discover.
func discoverAll(t testing.TB, n fleetNode, clusters [][]events.InstanceKey) {
	t.Helper()
	work := make(chan events.InstanceKey)
	errs := make(chan error, len(clusters))
	var wg sync.WaitGroup
	for range discoverWorkers {
		wg.Go(func() {
			for k := range work {
				url := fmt.Sprintf("http://%s/api/async-discover/%s/%d", n.http, k.Hostname, k.Port)
				var err error
				for try := 0; try < 3; try++ {
					var code int
					var body []byte
					if code, body, err = httpGetTimeout(url, time.Minute); err == nil && code != 200 {
						err = fmt.Errorf("discover %s: %d %s", k, code, body)
					}
					if err == nil {
						break
					}
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	for _, c := range clusters {
		for _, k := range c {
			work <- k
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("discover: %v", err)
	}
}

// waitInstances waits until node i lists want instances.
func waitInstances(t testing.TB, n fleetNode, want int, timeout time.Duration, i int) {
	t.Helper()
	natstest.Eventually(t, max(timeout, time.Second), 2*time.Second, func() error {
		if n.p.exited() {
			t.Fatalf("node %d exited:\n%s", i+1, n.p.output())
		}
		code, body, err := httpGetTimeout("http://"+n.http+"/api/all-instances", 30*time.Second)
		if err != nil || code != 200 {
			return fmt.Errorf("all-instances: %d %v", code, err)
		}
		var all []json.RawMessage
		if err := json.Unmarshal(body, &all); err != nil {
			return fmt.Errorf("all-instances: %w", err)
		}
		if len(all) < want {
			return fmt.Errorf("node %d lists %d of %d instances", i+1, len(all), want)
		}
		return nil
	})
}

// measureSteady samples the nodes' CPU, the simulator's and the
// observation stream's last sequence over the window.
func measureSteady(t testing.TB, s fleetSetup, nodes []fleetNode, nc *nats.Conn, f *simFleet, res *fleetResult) {
	t.Helper()
	cpu0 := make([]float64, len(nodes))
	for i, n := range nodes {
		cpu0[i] = procCPUSeconds(t, n.p.cmd.Process.Pid)
	}
	sim0 := f.cpuSeconds(t)
	seq0 := obsLastSeq(t, nc)
	q0 := f.Queries(t)
	start := time.Now()
	var perf *exec.Cmd
	if s.perf != "" {
		perf = exec.Command("perf", "record", "-F", "499", "-g", "-o", s.perf, "-p", strconv.Itoa(nodes[0].p.cmd.Process.Pid))
		if err := perf.Start(); err != nil {
			t.Fatalf("perf record: %v", err)
		}
	}
	time.Sleep(s.window)
	if perf != nil {
		_ = perf.Process.Signal(syscall.SIGINT)
		_ = perf.Wait() // perf exits non-zero after SIGINT; the file is what matters
	}
	el := time.Since(start).Seconds()
	for i, n := range nodes {
		if n.p.exited() {
			t.Fatalf("node %d exited:\n%s", i+1, n.p.output())
		}
		res.cpu = append(res.cpu, (procCPUSeconds(t, n.p.cmd.Process.Pid)-cpu0[i])/el)
		res.rss = append(res.rss, procRSSMiB(t, n.p.cmd.Process.Pid))
		res.watches = append(res.watches, int(metricValue(t, "http://"+n.http+"/metrics", "regent_watch_connections_open")))
	}
	res.simCPU = (f.cpuSeconds(t) - sim0) / el
	res.obsRate = float64(obsLastSeq(t, nc)-seq0) / el
	res.probeRate = float64(f.Queries(t)-q0) / el
}

// killedBy is the set of primaries timeDetections kills.
func killedBy(s fleetSetup, clusters [][]events.InstanceKey) map[events.InstanceKey]bool {
	out := map[events.InstanceKey]bool{}
	for i := 0; i < s.kills && i < len(clusters); i++ {
		out[clusters[(i*len(clusters))/max(s.kills, 1)][0]] = true
	}
	return out
}

// timeDetections kills the primary of s.kills clusters one after another
// and times each DeadMaster failure-detected event seen through node 1.
func timeDetections(t testing.TB, s fleetSetup, f *simFleet, clusters [][]events.InstanceKey, nc *nats.Conn) ([]time.Duration, int) {
	t.Helper()
	// The first failure-detected event of a killed primary may be
	// UnreachableMaster (the replicas' last observations still show their IO
	// threads running); detection is the first DeadMaster* event.
	var mu sync.Mutex
	detected := map[string]time.Time{}
	sub, err := nc.Subscribe(events.EventRoot+".*."+events.KindFailureDetected.String(), func(m *nats.Msg) {
		env, err := events.Unmarshal(m.Data)
		if err != nil {
			return
		}
		var fd events.FailureDetected
		if json.Unmarshal(env.Payload, &fd) != nil || !strings.HasPrefix(string(fd.Analysis), string(events.AnalysisDeadMaster)) {
			return
		}
		mu.Lock()
		if _, ok := detected[fd.Failed.String()]; !ok {
			detected[fd.Failed.String()] = time.Now()
		}
		mu.Unlock()
	})
	if err != nil {
		t.Fatalf("subscribe to failures: %v", err)
	}
	defer sub.Unsubscribe() //nolint:errcheck // the connection closes at cleanup
	var out []time.Duration
	missed := 0
	killed := map[string]bool{}
	// One kill per cluster at most: a primary killed again after a revival
	// is not reported as a new failure while the first is unacknowledged,
	// so the 3-instance baseline is measured as several runs.
	for i := 0; i < s.kills && i < len(clusters); i++ {
		c := clusters[(i*len(clusters))/max(s.kills, 1)]
		// Kill at a random phase of the poll interval, as a real crash is.
		time.Sleep(time.Duration(float64(s.pollMillis)*(0.37*float64(i%3)+0.1)) * time.Millisecond)
		killed[c[0].String()] = true
		at := time.Now()
		if err := f.Kill(c[0]); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			mu.Lock()
			d, ok := detected[c[0].String()]
			mu.Unlock()
			if ok {
				out = append(out, d.Sub(at))
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("kill of primary %s not detected as DeadMaster within 30 s", c[0])
				missed++
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// A primary that was not killed must never be concluded dead, however
	// loaded the nodes are.
	mu.Lock()
	defer mu.Unlock()
	for k := range detected {
		if !killed[k] {
			t.Errorf("DeadMaster detected for %s, which was not killed", k)
		}
	}
	return out, missed
}

func obsLastSeq(t testing.TB, nc *nats.Conn) uint64 {
	t.Helper()
	msg, err := nc.Request("$JS.API.STREAM.INFO."+events.ObservationsName, nil, 10*time.Second)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	var info struct {
		State struct {
			LastSeq uint64 `json:"last_seq"`
		} `json:"state"`
	}
	if err := json.Unmarshal(msg.Data, &info); err != nil {
		t.Fatalf("stream info: %v", err)
	}
	return info.State.LastSeq
}

// metricValue reads one unlabelled sample from a node's /metrics.
func metricValue(t testing.TB, url, name string) float64 {
	t.Helper()
	code, body, err := httpGetTimeout(url, 10*time.Second)
	if err != nil || code != 200 {
		t.Fatalf("GET %s: %d %v", url, code, err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("%s: %s = %q: %v", url, name, v, err)
			}
			return f
		}
	}
	t.Fatalf("%s: no %s", url, name)
	return 0
}

// procCPUSeconds is utime+stime of pid from /proc/PID/stat.
func procCPUSeconds(t testing.TB, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatalf("read stat of %d: %v", pid, err)
	}
	// Fields after the command name (which may hold spaces): state is 3rd.
	rest := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseFloat(rest[11], 64)
	st, _ := strconv.ParseFloat(rest[12], 64)
	return (ut + st) / 100 // USER_HZ
}

func procRSSMiB(t testing.TB, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read status of %d: %v", pid, err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func httpGetTimeout(url string, timeout time.Duration) (int, []byte, error) {
	c := http.Client{Timeout: timeout}
	resp, err := c.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close() //nolint:errcheck // read-only
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// fleetTable renders results as a Markdown table.
func fleetTable(rs []fleetResult) string {
	var b strings.Builder
	b.WriteString("| instances | nodes | discovery | CPU per node (cores) | RSS per node (MiB) | REGENT_OBS msgs/s | simulator CPU | detection median | detection max | kills missed | watch connections per node |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		var cpu, rss, watches []string
		for i := range r.cpu {
			cpu = append(cpu, fmt.Sprintf("%.3f", r.cpu[i]))
			rss = append(rss, fmt.Sprintf("%.0f", r.rss[i]))
		}
		for _, w := range r.watches {
			watches = append(watches, strconv.Itoa(w))
		}
		mx := time.Duration(0)
		for _, d := range r.detections {
			mx = max(mx, d)
		}
		fmt.Fprintf(&b, "| %d | %d | %s | %s | %s | %.0f | %.2f | %s | %s | %d of %d | %s |\n", r.setup.instances, r.setup.nodes,
			r.discovery.Round(100*time.Millisecond), strings.Join(cpu, " / "), strings.Join(rss, " / "), r.obsRate, r.simCPU,
			median(r.detections).Round(time.Millisecond), mx.Round(time.Millisecond), r.missed, r.missed+len(r.detections),
			strings.Join(watches, " / "))
	}
	return b.String()
}
