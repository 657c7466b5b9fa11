package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/fleetsim"
	"github.com/regent-ha/regent/test/lab"
	"github.com/regent-ha/regent/test/natstest"
)

// mysqlSimRun is one Regent node against one simulated MySQL cluster.
type mysqlSimRun struct {
	t       *testing.T
	f       *fleetsim.Fleet
	p       *proc
	url     string
	client  string
	keys    []events.InstanceKey // primary first
	version string
}

// startMySQLSim runs a 3-instance simulated cluster of version, its
// primary written to at writesPerSecond (negative: not at all), its
// replicas applying applyLag after they received, and one `regent serve` with
// automated recovery against it.
func startMySQLSim(t *testing.T, version string, writesPerSecond float64, applyLag time.Duration) *mysqlSimRun {
	t.Helper()
	return startMySQLSimWith(t, fleetsim.Options{Instances: 3, MySQL: version, WritesPerSecond: writesPerSecond, ApplyLag: applyLag}, "")
}

// startMySQLSimWith is startMySQLSim with the simulator's options and
// extra configuration keys (`"Key": value,` lines).
func startMySQLSimWith(t *testing.T, opts fleetsim.Options, extraConf string) *mysqlSimRun {
	t.Helper()
	version := opts.MySQL
	f := fleetsim.Start(t, opts, zerolog.Nop())
	httpP, natsP := natstest.FreePort(t), natstest.FreePort(t)
	dir := t.TempDir()
	conf := fmt.Sprintf(`{
  "ListenAddress": %q,
  "NATSListenAddress": %q,
  "RaftDataDir": %q,
  "NATSClusterSecret": %q,
  "MySQLTopologyUser": "regent",
  "MySQLTopologyPassword": "regent",
  "MySQLHostnameResolveMethod": "@@report_host",
  "InstancePollMilliseconds": 500,
  "MySQLConnectTimeoutSeconds": 1,
  "RecoverMasterClusterFilters": ["*"],
  "RecoveryPeriodBlockSeconds": 1,
  "ReplicationUser": "repl",
  "ReplicationPassword": "repl",
  "LogFormat": "json",
  "LogLevel": "info",
%s
}`, addr(httpP), addr(natsP), filepath.Join(dir, "data"), testSecret, extraConf)
	path := filepath.Join(dir, "regent.conf.json")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	r := &mysqlSimRun{t: t, f: f, url: "http://" + addr(httpP), client: lab.Build(t, "regent-client"),
		keys: f.Clusters()[0], version: version}
	r.p = startRegent(t, dir, "--config", path)
	waitHTTP(t, r.p, r.url+"/api/raft-health", 200, 60*time.Second)
	return r
}

// run runs regent-client against the node and fails the test on an error.
func (r *mysqlSimRun) run(args ...string) string {
	r.t.Helper()
	out, err := labClientAt(r.t, r.client, r.url, args...)
	if err != nil {
		r.t.Fatalf("%s: %v\noutput: %s", r.version, err, out)
	}
	return strings.TrimSpace(out)
}

// eventually retries regent-client until check accepts its output.
func (r *mysqlSimRun) eventually(d time.Duration, check func(out string) error, args ...string) string {
	r.t.Helper()
	var out string
	natstest.Eventually(r.t, d, 200*time.Millisecond, func() error {
		if r.p.exited() {
			r.t.Fatalf("regent exited:\n%s", r.p.output())
		}
		var err error
		if out, err = labClientAt(r.t, r.client, r.url, args...); err != nil {
			return err
		}
		return check(strings.TrimSpace(out))
	})
	return strings.TrimSpace(out)
}

// state reads a simulated server's state.
func (r *mysqlSimRun) state(k events.InstanceKey) fleetsim.MySQLState {
	r.t.Helper()
	st, err := r.f.MySQLState(k)
	if err != nil {
		r.t.Fatal(err)
	}
	return st
}

// waitTopology waits until the simulator shows primary writable and every
// other live instance replicating from it with both threads running.
func (r *mysqlSimRun) waitTopology(d time.Duration, primary events.InstanceKey, replicas ...events.InstanceKey) {
	r.t.Helper()
	natstest.Eventually(r.t, d, 100*time.Millisecond, func() error {
		if p := r.state(primary); p.ReadOnly || p.IORunning || p.SQLRunning {
			return fmt.Errorf("%s: primary %s read_only %v, replicating %v/%v", r.version, primary, p.ReadOnly, p.IORunning, p.SQLRunning)
		}
		for _, k := range replicas {
			if s := r.state(k); s.Source != primary || !s.Connected || !s.SQLRunning || !s.ReadOnly || !s.AutoPosition {
				return fmt.Errorf("%s: replica %s: %+v, want replicating from %s, read-only", r.version, k, s, primary)
			}
		}
		return nil
	})
}

// topologyCheck checks a topology (tabulated: topology-tabulated) text:
// primary first and writable, each replica indented below it read-only,
// every line with the version and GTID replication, as orchestrator
// prints them.
func (r *mysqlSimRun) topologyCheck(tabulated bool, primary events.InstanceKey, replicas ...events.InstanceKey) func(string) error {
	role := func(rw string) string {
		if tabulated {
			return "|ok|" + r.version + "|" + rw + "|ROW|>>,GTID"
		}
		return ",ok," + r.version + "," + rw + ",ROW,>>,GTID]"
	}
	return func(out string) error {
		lines := strings.Split(out, "\n")
		if len(lines) != 1+len(replicas) || !strings.HasPrefix(lines[0], primary.String()) || !strings.HasSuffix(lines[0], role("rw")) {
			return fmt.Errorf("topology %q: want %s first, writable, and %d replicas", out, primary, len(replicas))
		}
		for _, k := range replicas {
			if !slices.ContainsFunc(lines[1:], func(l string) bool {
				return strings.HasPrefix(l, "+ "+k.String()) && strings.HasSuffix(l, role("ro"))
			}) {
				return fmt.Errorf("topology %q: no read-only replica line for %s", out, k)
			}
		}
		return nil
	}
}

// checkStatements lists every statement Regent sent to the simulator by
// instance and fails on one the version refuses as invalid or deprecates,
// or one the simulator does not model.
func (r *mysqlSimRun) checkStatements() {
	r.t.Helper()
	log, err := r.f.Statements()
	if err != nil {
		r.t.Fatal(err)
	}
	count := map[string]int{}
	for _, st := range log {
		count[st.SQL]++
		if st.Invalid || st.Unsupported {
			r.t.Errorf("%s: Regent sent %q to %s: error %d %s (unsupported by the simulator: %v)", r.version, st.SQL, st.Instance, st.Code, st.Error, st.Unsupported)
		}
		if st.Deprecated {
			r.t.Errorf("%s: Regent sent %q to %s, deprecated on this version", r.version, st.SQL, st.Instance)
		}
	}
	var distinct []string
	for s := range count {
		distinct = append(distinct, s)
	}
	sort.Strings(distinct)
	var b strings.Builder
	for _, s := range distinct {
		fmt.Fprintf(&b, "%6d  %.160s\n", count[s], s)
	}
	r.t.Logf("%s: %d statements, %d distinct:\n%s", r.version, len(log), len(distinct), b.String())
}

// mysqlSimVersions are the versions the runbook passes against on this
// branch (see docs/mysql-simulator.md for what fails on the others).
var mysqlSimVersions = []string{"5.7.28-log", "8.0.36", "8.4.3"}

// TestMySQLSimRunbook runs the user's runbook through regent-client and a
// real `regent serve` against the simulator as each MySQL version:
// discover, topology, topology-tabulated, an errant transaction on a
// replica repaired by gtid-errant-inject-empty, graceful-master-takeover,
// start-replica on the demoted primary, and a failover after the new
// primary is killed. The simulator's state shows each step's result, and no
// statement Regent sent is invalid for the version.
func TestMySQLSimRunbook(t *testing.T) {
	for _, version := range mysqlSimVersions {
		t.Run(version, func(t *testing.T) {
			r := startMySQLSim(t, version, 20, 300*time.Millisecond)
			p, a, b := r.keys[0], r.keys[1], r.keys[2]
			r.run("-c", "discover", "-i", p.String())
			out := r.eventually(30*time.Second, r.topologyCheck(false, p, a, b), "-c", "topology", "-i", p.String())
			t.Logf("topology:\n%s", out)
			out = r.eventually(10*time.Second, r.topologyCheck(true, p, a, b), "-c", "topology-tabulated", "-i", p.String())
			t.Logf("topology-tabulated:\n%s", out)
			r.errantInject(b)
			r.takeover(p, a, b)
			r.failover(a, p, b)
			r.checkStatements()
		})
	}
}

// errantInject commits an errant transaction on replica k and repairs it
// with gtid-errant-inject-empty: the primary then holds the GTID.
func (r *mysqlSimRun) errantInject(k events.InstanceKey) {
	r.t.Helper()
	gtid, err := r.f.Transact(k, 1)
	if err != nil {
		r.t.Fatal(err)
	}
	primary := r.keys[0]
	r.eventually(10*time.Second, func(out string) error {
		if out != gtid {
			return fmt.Errorf("which-gtid-errant %s: %q, want %s", k, out, gtid)
		}
		return nil
	}, "-c", "which-gtid-errant", "-i", k.String())
	r.run("-c", "gtid-errant-inject-empty", "-i", k.String())
	natstest.Eventually(r.t, 10*time.Second, 100*time.Millisecond, func() error {
		if p := r.state(primary); !strings.Contains(p.Executed, gtid) {
			return fmt.Errorf("%s: primary gtid_executed %s lacks the injected %s", r.version, p.Executed, gtid)
		}
		return nil
	})
	r.eventually(10*time.Second, func(out string) error {
		if out != "" {
			return fmt.Errorf("which-gtid-errant %s after the injection: %q, want none", k, out)
		}
		return nil
	}, "-c", "which-gtid-errant", "-i", k.String())
}

// resetMasterCases are the versions and primary write rates
// gtid-errant-reset-master is run with: on 8.4 with its own RESET BINARY
// LOGS AND GTIDS, and under 200 writes/s, where reading gtid_executed
// before replication stopped would make transactions apply twice
// (AppliedTwice counts them).
var resetMasterCases = []struct {
	version         string
	writesPerSecond float64
}{{"5.7.28-log", -1}, {"8.0.36", -1}, {"8.4.3", -1}, {"5.7.28-log", 200}, {"8.0.36", 200}, {"8.4.3", 200}} // -1: no writes

// TestMySQLSimErrantResetMaster repairs an errant transaction on a replica
// with gtid-errant-reset-master: the replica's gtid_executed no longer
// holds it, the replica replicates again with no transaction applied
// twice, and every statement was valid for the version.
func TestMySQLSimErrantResetMaster(t *testing.T) {
	for _, tc := range resetMasterCases {
		version := tc.version
		t.Run(fmt.Sprintf("%s/%g-writes-per-second", version, max(tc.writesPerSecond, 0)), func(t *testing.T) {
			r := startMySQLSim(t, version, tc.writesPerSecond, 0)
			p, a, b := r.keys[0], r.keys[1], r.keys[2]
			r.run("-c", "discover", "-i", p.String())
			r.eventually(30*time.Second, r.topologyCheck(false, p, a, b), "-c", "topology", "-i", p.String())
			gtid, err := r.f.Transact(b, 2)
			if err != nil {
				t.Fatal(err)
			}
			r.eventually(10*time.Second, func(out string) error {
				if out != gtid {
					return fmt.Errorf("which-gtid-errant %s: %q, want %s", b, out, gtid)
				}
				return nil
			}, "-c", "which-gtid-errant", "-i", b.String())
			r.run("-c", "gtid-errant-reset-master", "-i", b.String())
			st := r.state(b)
			if strings.Contains(st.Executed, r.state(b).UUID) {
				t.Errorf("%s: gtid_executed %s still holds the errant %s", version, st.Executed, gtid)
			}
			r.waitTopology(10*time.Second, p, a, b)
			if n := r.state(b).AppliedTwice; n != 0 {
				t.Errorf("%s: %d transactions applied twice on %s", version, n, b)
			}
			r.eventually(10*time.Second, func(out string) error {
				if out != "" {
					return fmt.Errorf("which-gtid-errant %s after the reset: %q, want none", b, out)
				}
				return nil
			}, "-c", "which-gtid-errant", "-i", b.String())
			r.checkStatements()
		})
	}
}

// takeover runs graceful-master-takeover to a and starts replication on
// the demoted primary p with start-replica.
func (r *mysqlSimRun) takeover(p, a, b events.InstanceKey) {
	r.t.Helper()
	r.waitTopology(10*time.Second, p, a, b)
	r.run("-c", "graceful-master-takeover", "-i", p.String(), "-d", a.String())
	r.holds(a, r.state(p).Executed, "the demoted primary's transactions")
	natstest.Eventually(r.t, 30*time.Second, 100*time.Millisecond, func() error {
		if s := r.state(p); s.Source != a {
			return fmt.Errorf("%s: demoted primary %+v, want it pointed at %s", r.version, s, a)
		}
		return nil
	})
	r.run("-c", "start-replica", "-i", p.String())
	r.waitTopology(30*time.Second, a, p, b)
	r.eventually(30*time.Second, r.topologyCheck(false, a, p, b), "-c", "topology", "-i", a.String())
}

// holds fails the test unless k's gtid_executed contains set.
func (r *mysqlSimRun) holds(k events.InstanceKey, set, what string) {
	r.t.Helper()
	have := r.state(k).Executed
	ok, err := fleetsim.GTIDSubset(set, have)
	if err != nil {
		r.t.Fatal(err)
	}
	if !ok {
		r.t.Errorf("%s: %s lacks %s: has %s, want ⊇ %s", r.version, k, what, have, set)
	}
}

// failover kills primary a: Regent promotes one of the others and points
// the last at it.
func (r *mysqlSimRun) failover(a, p, b events.InstanceKey) {
	r.t.Helper()
	if err := r.f.Kill(a); err != nil {
		r.t.Fatal(err)
	}
	committed := r.state(a).Executed // frozen: the server is down
	var winner events.InstanceKey
	natstest.Eventually(r.t, 60*time.Second, 200*time.Millisecond, func() error {
		for _, k := range []events.InstanceKey{p, b} {
			if s := r.state(k); !s.ReadOnly && !s.IORunning {
				winner = k
				return nil
			}
		}
		return fmt.Errorf("%s: no instance promoted after %s was killed", r.version, a)
	})
	other := p
	if winner == p {
		other = b
	}
	r.waitTopology(30*time.Second, winner, other)
	// The replicas had received every transaction the primary committed
	// (they stream): the winner must hold them all.
	r.holds(winner, committed, "the killed primary's transactions")
	// Only the live instances' lines are checked (the killed primary may
	// still be listed, unreachable).
	out := r.eventually(30*time.Second, func(out string) error {
		live := []string{}
		for _, l := range strings.Split(out, "\n") {
			if !strings.Contains(l, a.String()) {
				live = append(live, l)
			}
		}
		return r.topologyCheck(false, winner, other)(strings.Join(live, "\n"))
	}, "-c", "topology", "-i", winner.String())
	r.t.Logf("topology after the failover:\n%s", out)
}

// synced waits until Regent's view of each instance shows the simulator's
// state: read_only, the source, the threads.
func (r *mysqlSimRun) synced(keys ...events.InstanceKey) {
	r.t.Helper()
	for _, k := range keys {
		natstest.Eventually(r.t, 10*time.Second, 50*time.Millisecond, func() error {
			s := r.state(k)
			code, body, err := httpGet(fmt.Sprintf("%s/api/instance/%s/%d", r.url, k.Hostname, k.Port))
			if err != nil || code != 200 {
				return fmt.Errorf("instance %s: %d %v", k, code, err)
			}
			var v struct {
				ReadOnly       bool
				MasterKey      events.InstanceKey
				SlaveIORunning bool `json:"Slave_IO_Running"`
				SQLRunning     bool `json:"Slave_SQL_Running"`
			}
			if err := json.Unmarshal(body, &v); err != nil {
				return fmt.Errorf("instance %s: %w", k, err)
			}
			src := s.Source
			src.Hostname = strings.TrimPrefix(src.Hostname, "//")
			v.MasterKey.Hostname = strings.TrimPrefix(v.MasterKey.Hostname, "//")
			if v.ReadOnly != s.ReadOnly || v.MasterKey != src || v.SlaveIORunning != (s.IORunning && s.Connected) || v.SQLRunning != s.SQLRunning {
				return fmt.Errorf("%s: Regent sees %s as %+v, the simulator %+v", r.version, k, v, s)
			}
			return nil
		})
	}
}

// waitState waits until check accepts k's simulated state.
func (r *mysqlSimRun) waitState(k events.InstanceKey, what string, check func(fleetsim.MySQLState) bool) {
	r.t.Helper()
	natstest.Eventually(r.t, 10*time.Second, 50*time.Millisecond, func() error {
		if s := r.state(k); !check(s) {
			return fmt.Errorf("%s: %s: want %s, state %+v", r.version, k, what, s)
		}
		return nil
	})
}

func replicating(from events.InstanceKey) func(fleetsim.MySQLState) bool {
	return func(s fleetsim.MySQLState) bool { return s.Source == from && s.Connected && s.SQLRunning }
}

func stopped(s fleetsim.MySQLState) bool { return !s.IORunning && !s.SQLRunning }

// TestMySQLSimReplicaCommands runs regent-client's replication commands
// against the simulator as each version and checks each one's effect on
// the simulated servers, and that every statement was valid for the
// version.
func TestMySQLSimReplicaCommands(t *testing.T) {
	for _, version := range mysqlSimVersions {
		t.Run(version, func(t *testing.T) {
			r := startMySQLSim(t, version, 5, 0)
			p, a, b := r.keys[0], r.keys[1], r.keys[2]
			r.run("-c", "discover", "-i", p.String())
			r.eventually(30*time.Second, r.topologyCheck(false, p, a, b), "-c", "topology", "-i", p.String())
			steps := []struct {
				args  []string
				on    events.InstanceKey
				what  string
				check func(fleetsim.MySQLState) bool
			}{
				{[]string{"stop-replica", "-i", b.String()}, b, "stopped", stopped},
				{[]string{"start-replica", "-i", b.String()}, b, "replicating from p", replicating(p)},
				{[]string{"restart-replica", "-i", b.String()}, b, "replicating from p", replicating(p)},
				{[]string{"detach-replica", "-i", b.String()}, b, "detached", func(s fleetsim.MySQLState) bool {
					return stopped(s) && s.Source.Hostname == "//"+p.Hostname
				}},
				{[]string{"reattach-replica", "-i", b.String()}, b, "replicating from p", replicating(p)},
				{[]string{"set-writeable", "-i", b.String()}, b, "writable", func(s fleetsim.MySQLState) bool { return !s.ReadOnly && !s.SuperReadOnly }},
				{[]string{"set-read-only", "-i", b.String()}, b, "read-only, super_read_only off (UseSuperReadOnly unset)", func(s fleetsim.MySQLState) bool {
					return s.ReadOnly && !s.SuperReadOnly
				}},
				{[]string{"relocate", "-i", b.String(), "-d", a.String()}, b, "replicating from a", replicating(a)},
				{[]string{"move-up", "-i", b.String()}, b, "replicating from p", replicating(p)},
				{[]string{"move-below", "-i", b.String(), "-d", a.String()}, b, "replicating from a", replicating(a)},
				{[]string{"repoint", "-i", b.String(), "-d", p.String()}, b, "replicating from p", replicating(p)},
				{[]string{"flush-binary-logs", "-i", p.String()}, p, "on binary log 2", func(s fleetsim.MySQLState) bool { return s.BinaryLog == "mysql-bin.000002" }},
				{[]string{"purge-binary-logs", "-i", p.String(), "-n", "mysql-bin.000002"}, p, "binary log 1 purged", func(s fleetsim.MySQLState) bool {
					return s.FirstBinaryLog == "mysql-bin.000002" && s.Purged != ""
				}},
				{[]string{"delay-replication", "-i", b.String(), "-S", "5"}, b, "delayed 5 s, replicating", func(s fleetsim.MySQLState) bool {
					return s.Delay == 5 && replicating(p)(s)
				}},
				{[]string{"stop-replica-nice", "-i", b.String()}, b, "stopped", stopped},
				{[]string{"reset-replica", "-i", b.String()}, b, "stopped, no source", func(s fleetsim.MySQLState) bool {
					return stopped(s) && (s.Source == events.InstanceKey{})
				}},
			}
			for _, s := range steps {
				// Each command acts on Regent's view: let it observe the last step.
				r.synced(p, a, b)
				r.run(append([]string{"-c"}, s.args...)...)
				r.waitState(s.on, s.what, s.check)
			}
			r.checkStatements()
		})
	}
}
