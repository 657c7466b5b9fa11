package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/regent-ha/regent/test/lab"
)

// labCluster is a Regent cluster running in the lab's controller namespaces.
type labCluster struct {
	l     *lab.Lab
	nodes []*lab.Process
	http  []string // base URLs
	confs []string
}

// labConf is the config of controller k (1-based) of n.
func labConf(dir string, k, n int, extra string) string {
	var nodes []string
	for i := 1; i <= n; i++ {
		nodes = append(nodes, fmt.Sprintf("%q", fmt.Sprintf("198.18.0.%d", 100+i)))
	}
	ip := fmt.Sprintf("198.18.0.%d", 100+k)
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
  "MySQLTopologyUser": "regent",
  "MySQLTopologyPassword": "regent",
  "MySQLHostnameResolveMethod": "@@report_host",
  "DiscoverByShowSlaveHosts": true,
  "InstancePollMilliseconds": 200,
  "MySQLConnectTimeoutSeconds": 1,
  "ProbeTimeoutMilliseconds": 500,
  "LogFormat": "json",
  %s
}`, k, n, ip, ip, raft, filepath.Join(dir, "data"), extra)
}

// startLabCluster starts n Regent nodes (this test binary as `regent
// serve`) in controller namespaces c1..cn and waits until they are healthy.
func startLabCluster(t testing.TB, l *lab.Lab, n int, extra string) *labCluster {
	t.Helper()
	c := &labCluster{l: l}
	for k := 1; k <= n; k++ {
		dir := t.TempDir()
		conf := filepath.Join(dir, "regent.conf.json")
		if err := os.WriteFile(conf, []byte(labConf(dir, k, n, extra)), 0o600); err != nil {
			t.Fatal(err)
		}
		ns, ip := l.Controller(k)
		p := lab.RunInNetns(t, ns, os.Args[0], []string{"serve", "--config", conf}, []string{"RGTTEST_EXEC=1"})
		c.nodes = append(c.nodes, p)
		c.http = append(c.http, "http://"+ip+":3000")
		c.confs = append(c.confs, conf)
	}
	for _, u := range c.http {
		waitHTTP(t, nil, u+"/api/raft-health", 200, 60*time.Second)
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

// TestLabReadPath: three Regent nodes discover the lab's MariaDB topology;
// every node shows the same orchestrator-format topology; a killed replica
// turns `-` with unknown,invalid, and comes back `+ … ok` when restarted.
func TestLabReadPath(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3})
	c := startLabCluster(t, l, 3, "")
	code, v := c.api(t, 0, "/api/discover/198.18.0.1/3306")
	m, _ := v.(map[string]any)
	if code != 200 || m["Code"] != "OK" {
		t.Fatalf("discover: %d %v", code, v)
	}
	if key := m["Details"].(map[string]any)["Key"].(map[string]any); key["Hostname"] != "198.18.0.1" || key["Port"] != 3306.0 {
		t.Fatalf("discover key: %v", key)
	}
	want := func(text string) error {
		lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
		if len(lines) != 3 {
			return fmt.Errorf("want 3 lines, got:\n%s", text)
		}
		if !strings.HasPrefix(lines[0], "198.18.0.1:3306") || !strings.Contains(lines[0], "[0s,ok,10.11") || !strings.Contains(lines[0], ",rw,ROW,>>,GTID]") {
			return fmt.Errorf("primary line %q", lines[0])
		}
		for i, h := range []string{"198.18.0.2:3306", "198.18.0.3:3306"} {
			ln := lines[i+1]
			if !strings.HasPrefix(ln, "+ "+h) || !strings.Contains(ln, "[0s,ok,10.11") || !strings.Contains(ln, ",ro,ROW,>>,GTID]") {
				return fmt.Errorf("replica line %q", ln)
			}
		}
		if strings.Index(lines[0], "[") != strings.Index(lines[1], "[") {
			return fmt.Errorf("brackets not aligned:\n%s", text)
		}
		return nil
	}
	for i := range 3 {
		lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error { return want(c.topology(t, i, "198.18.0.1:3306")) })
	}
	first := c.topology(t, 0, "198.18.0.1:3306")
	t.Logf("topology:\n%s", first)
	// Observations are plain NATS messages: `nats sub 'regent.obs.>'`.
	nc, err := nats.Connect("nats://198.18.0.102:4222", nats.Timeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
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
		subjects[msg.Subject+" from "+msg.Header.Get("Regent-Origin")+" "+msg.Header.Get("Regent-Kind")]++
	}
	nc.Close()
	for subj := range subjects {
		if !strings.HasPrefix(subj, "regent.obs.198_18_0_1-3306.198_18_0_") {
			t.Errorf("observation on %s, want regent.obs.<cluster 198_18_0_1-3306>.<instance> (all: %v)", subj, subjects)
		}
	}
	// Tabulated, through the cluster alias-free hint of a replica.
	code, v = c.api(t, 1, "/api/topology-tabulated/198.18.0.3:3306")
	if text := v.(map[string]any)["Details"].(string); code != 200 || strings.Count(text, "|") < 12 {
		t.Fatalf("topology-tabulated: %d %q", code, text)
	}
	// Kill replica 3: within two poll intervals (+ slack) it is `-` and
	// unknown,invalid on every node.
	l.Kill(3)
	killed := time.Now()
	for i := range 3 {
		lab.Eventually(t, 3*time.Second, 50*time.Millisecond, func() error {
			text := c.topology(t, i, "198.18.0.1:3306")
			if !strings.Contains(text, "- 198.18.0.3:3306") || !strings.Contains(text, "[unknown,invalid,") {
				return fmt.Errorf("node %d:\n%s", i+1, text)
			}
			return nil
		})
	}
	t.Logf("killed replica shown invalid on all nodes after %s", time.Since(killed).Round(time.Millisecond))
	l.Start(3)
	for i := range 3 {
		lab.Eventually(t, 15*time.Second, 100*time.Millisecond, func() error { return want(c.topology(t, i, "198.18.0.1:3306")) })
	}
}
