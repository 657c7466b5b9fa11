package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"golang.org/x/sync/errgroup"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/test/lab"
)

// labCluster is a Regent cluster running in the lab's controller
// namespaces (lab.Regents). nodes, http and confs index the nodes from 0:
// nodes is the Regents' own slice (Restart replaces its element), http the
// base URLs, confs the config paths.
type labCluster struct {
	*lab.Regents
	l     *lab.Lab
	nodes []*lab.Process
	http  []string
	confs []string
}

// labConf is the config of controller k (1-based) of n (lab.RegentConf).
func labConf(dir string, k, n int, extra string) string {
	return lab.RegentConf(dir, k, n, extra)
}

// startLabCluster starts n Regent nodes (this test binary as `regent
// serve`) in controller namespaces c1..cn and waits until they are healthy.
func startLabCluster(t testing.TB, l *lab.Lab, n int, extra string) *labCluster {
	t.Helper()
	r := lab.StartRegents(t, l, os.Args[0], []string{"RGTTEST_EXEC=1"}, n, extra)
	c := &labCluster{Regents: r, l: l, nodes: r.Processes()}
	for i := range r.N() {
		c.http = append(c.http, r.URL(i))
		c.confs = append(c.confs, r.Conf(i))
	}
	return c
}

// api GETs path on node i and decodes the JSON answer.
func (c *labCluster) api(t testing.TB, i int, path string) (int, any) {
	t.Helper()
	code, body, err := httpGet(c.http[i] + path)
	if err != nil {
		t.Fatalf("GET %s%s: %v", c.http[i], path, err)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("GET %s%s: not JSON: %q", c.http[i], path, body)
	}
	return code, v
}

func (c *labCluster) topology(t testing.TB, i int, hint string) string {
	t.Helper()
	code, v := c.api(t, i, "/api/topology/"+hint)
	m, _ := v.(map[string]any)
	text, _ := m["Details"].(string)
	if code != 200 {
		return fmt.Sprintf("HTTP %d: %v", code, v)
	}
	return text
}

// labTopology is the exact topology text (tabulated: topology-tabulated)
// of the lab's MariaDB primary and two GTID replicas; killed shows
// replica 3 down (see projections/testdata/flat_mariadb.txt and
// replica_killed.txt).
func labTopology(version string, tabulated, killed bool) string {
	if tabulated {
		if killed {
			return fmt.Sprintf("198.18.0.1:3306  |     0s|ok     |%[1]s|rw|ROW|>>     \n"+
				"+ 198.18.0.2:3306|     0s|ok     |%[1]s|ro|ROW|>>,GTID\n"+
				"- 198.18.0.3:3306|unknown|invalid|%[1]s|ro|ROW|>>,GTID", version)
		}
		return fmt.Sprintf("198.18.0.1:3306  |0s|ok|%[1]s|rw|ROW|>>     \n"+
			"+ 198.18.0.2:3306|0s|ok|%[1]s|ro|ROW|>>,GTID\n"+
			"+ 198.18.0.3:3306|0s|ok|%[1]s|ro|ROW|>>,GTID", version)
	}
	third := "+ 198.18.0.3:3306 [0s,ok,%[1]s,ro,ROW,>>,GTID]"
	if killed {
		third = "- 198.18.0.3:3306 [unknown,invalid,%[1]s,ro,ROW,>>,GTID]"
	}
	return fmt.Sprintf("198.18.0.1:3306   [0s,ok,%[1]s,rw,ROW,>>]\n"+
		"+ 198.18.0.2:3306 [0s,ok,%[1]s,ro,ROW,>>,GTID]\n"+third, version)
}

// labClientAt runs the regent-client binary against node url only.
func labClientAt(t testing.TB, bin, url string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "ORCHESTRATOR_API="+url, "REGENT_API=")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		return o.String(), fmt.Errorf("regent-client %s at %s: %w (stderr %q)", strings.Join(args, " "), url, err, e.String())
	}
	return o.String(), nil
}

// labClientTopologies checks topology and topology-tabulated through
// regent-client on every node, byte for byte.
func labClientTopologies(t *testing.T, c *labCluster, bin, version string, killed bool, within time.Duration) {
	t.Helper()
	for i, u := range c.http {
		for _, tab := range []bool{false, true} {
			cmd := map[bool]string{false: "topology", true: "topology-tabulated"}[tab]
			want := labTopology(version, tab, killed) + "\n"
			lab.Eventually(t, within, 100*time.Millisecond, func() error {
				out, err := labClientAt(t, bin, u, "-c", cmd, "-i", "198.18.0.1:3306")
				if err != nil {
					return err
				}
				if out != want {
					return fmt.Errorf("node %d %s:\n%q\nwant\n%q", i+1, cmd, out, want)
				}
				return nil
			})
		}
	}
}

// labKillBound is how soon after a replica's mariadbd is SIGKILLed every
// node must show it `- … unknown,invalid`: the last successful probe may
// have ended just before the kill and the next starts one poll interval
// later (1×); each node's view needs a majority of the nodes' fresh reports
// failed, and the nodes' schedules are offset by up to one more interval
// (2×). A killed mariadbd refuses connections at once, so the probe itself
// is fast; the probe timeout (500 ms) is the slack for the append, the
// fold, the 50 ms view cache and the test's own 10 ms polling on a shared
// 2-core machine.
const labKillBound = 2*200*time.Millisecond + 500*time.Millisecond

// labWaitKilled polls node url's topology until it is want, returning the
// time from since.
func labWaitKilled(url, want string, since time.Time, limit time.Duration) (time.Duration, error) {
	var last string
	for time.Since(since) < limit {
		code, body, err := httpGet(url + "/api/topology/198.18.0.1:3306")
		if err == nil && code == 200 {
			var m struct{ Details string }
			if json.Unmarshal(body, &m) == nil {
				if m.Details == want {
					return time.Since(since), nil
				}
				last = m.Details
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 0, fmt.Errorf("%s: not shown killed within %s; last:\n%s", url, limit, last)
}

// TestLabReadPath: three Regent nodes discover the lab's MariaDB topology
// through regent-client; every node shows the same orchestrator-format
// topology, byte for byte; a killed replica turns `- … unknown,invalid`
// within two poll intervals and a probe timeout, and comes back `+ … ok`
// when restarted.
func TestLabReadPath(t *testing.T) {
	bin := buildClient(t)
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3})
	c := startLabCluster(t, l, 3, "")
	if out, err := labClientAt(t, bin, c.http[0], "-c", "discover", "-i", "198.18.0.1:3306"); err != nil || out != "198.18.0.1:3306\n" {
		t.Fatalf("discover: %q %v", out, err)
	}
	var version string
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		vs := map[string]bool{}
		for h := 1; h <= 3; h++ {
			code, v := c.api(t, 0, fmt.Sprintf("/api/instance/198.18.0.%d/3306", h))
			m, _ := v.(map[string]any)
			ver, _ := m["Version"].(string)
			if code != 200 || !strings.HasPrefix(ver, "10.") || !strings.Contains(ver, "MariaDB") {
				return fmt.Errorf("instance 198.18.0.%d: %d %v", h, code, m["Version"])
			}
			vs[ver], version = true, ver
		}
		if len(vs) != 1 {
			return fmt.Errorf("versions differ: %v", vs)
		}
		return nil
	})
	labClientTopologies(t, c, bin, version, false, 15*time.Second)
	t.Logf("topology:\n%s", labTopology(version, false, false))
	labObservationSubjects(t)
	labClustersInfo(t, c, bin)

	l.Kill(3)
	killed := time.Now() // SIGKILL delivered: the kill command has returned
	want := labTopology(version, false, true)
	took := make([]time.Duration, len(c.http))
	var g errgroup.Group
	for i, u := range c.http {
		g.Go(func() (err error) { took[i], err = labWaitKilled(u, want, killed, 10*time.Second); return err })
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed replica shown unknown,invalid after %v (bound %v)", took, labKillBound)
	for i, d := range took {
		if d > labKillBound {
			t.Errorf("node %d showed the killed replica after %v, bound 2×InstancePollMilliseconds + probe timeout = %v", i+1, d, labKillBound)
		}
	}
	labClientTopologies(t, c, bin, version, true, 5*time.Second)
	l.Start(3)
	labClientTopologies(t, c, bin, version, false, 15*time.Second)
}

// labObservationSubjects: observations are plain NATS messages
// (`nats sub 'regent.obs.>'`, as the reader) on the cluster's and
// instance's subject, ending with the token of the node that probed.
func labObservationSubjects(t *testing.T) {
	t.Helper()
	nc, err := nats.Connect("nats://198.18.0.102:4222", nats.Timeout(2*time.Second), lab.NATSAuth(t, lab.NATSClusterSecret, natsnode.RoleReader))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, err := nc.SubscribeSync("regent.obs.>")
	if err != nil {
		t.Fatal(err)
	}
	subjects := map[string]int{}
	for range 30 {
		msg, err := sub.NextMsg(3 * time.Second)
		if err != nil {
			t.Fatalf("no observation on regent.obs.>: %v", err)
		}
		if !strings.Contains(string(msg.Data), `"kind":"instance-`) {
			t.Fatalf("not an observation: %s", msg.Data)
		}
		origin := msg.Header.Get("Regent-Origin")
		if !strings.HasSuffix(msg.Subject, "."+events.Token(origin)) || !strings.HasPrefix(origin, "198.18.0.10") {
			t.Errorf("observation of %s on %s: want the origin node's token last", origin, msg.Subject)
		}
		subjects[msg.Subject+" from "+origin+" "+msg.Header.Get("Regent-Kind")]++
	}
	for subj := range subjects {
		if !strings.HasPrefix(subj, "regent.obs.198_18_0_1-3306.198_18_0_") {
			t.Errorf("observation on %s, want regent.obs.<cluster 198_18_0_1-3306>.<instance>.<origin> (all: %v)", subj, subjects)
		}
	}
}

// labClustersInfo: `-c api -P clusters-info` prints orchestrator's
// ClusterInfo objects on every node.
func labClustersInfo(t *testing.T, c *labCluster, bin string) {
	t.Helper()
	want := map[string]any{"ClusterName": "198.18.0.1:3306", "ClusterAlias": "198.18.0.1:3306", "ClusterDomain": "",
		"CountInstances": 3.0, "HeuristicLag": 0.0, "HasAutomatedMasterRecovery": false, "HasAutomatedIntermediateMasterRecovery": false}
	for i, u := range c.http {
		lab.Eventually(t, 10*time.Second, 200*time.Millisecond, func() error {
			out, err := labClientAt(t, bin, u, "-c", "api", "-P", "clusters-info")
			if err != nil {
				return err
			}
			var got []map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				return fmt.Errorf("node %d: not a JSON array: %q", i+1, out)
			}
			if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
				return fmt.Errorf("node %d clusters-info %v, want [%v]", i+1, got, want)
			}
			if !strings.HasPrefix(out, "[\n  {\n    \"ClusterName\": ") {
				return fmt.Errorf("node %d: not pretty-printed: %q", i+1, out)
			}
			return nil
		})
	}
}
