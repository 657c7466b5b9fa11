package lab

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// regentStatus GETs url/api/status and decodes the answer's Details.
func regentStatus(url string) (map[string]any, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url + "/api/status")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/api/status: %s %s", url, resp.Status, body)
	}
	var v struct {
		Code    string
		Details map[string]any
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, fmt.Errorf("GET %s/api/status: not JSON: %q", url, body)
	}
	if v.Code != "OK" || v.Details["Healthy"] != true {
		return nil, fmt.Errorf("GET %s/api/status: not healthy: %s", url, body)
	}
	return v.Details, nil
}

// TestRegentConf: the config names the node's own address, Raft only with
// more than one node, and extra keys last.
func TestRegentConf(t *testing.T) {
	one := RegentConf("/d", 1, 1, `"Debug": true,`)
	three := RegentConf("/d", 2, 3, "")
	for _, c := range []struct {
		conf, want string
		has        bool
	}{
		{one, `"ListenAddress": "198.18.0.101:3000"`, true},
		{one, `"RaftDataDir": "/d/data"`, true},
		{one, `"RaftEnabled"`, false},
		{one, "\"Debug\": true,\n}", true},
		{three, `"ListenAddress": "198.18.0.102:3000"`, true},
		{three, `"NATSListenAddress": "198.18.0.102:4222"`, true},
		{three, `"NATSClusterSecret": "` + NATSClusterSecret + `"`, true},
		{one, `"NATSClusterSecret": "` + NATSClusterSecret + `"`, true},
		{three, `"RaftBind": "198.18.0.102", "RaftNodes": ["198.18.0.101", "198.18.0.102", "198.18.0.103"]`, true},
	} {
		if strings.Contains(c.conf, c.want) != c.has {
			t.Errorf("contains %q = %v, want %v:\n%s", c.want, !c.has, c.has, c.conf)
		}
	}
}

// TestStartRegents: a regent built by BuildRegent starts in c1 against a
// one-host lab, answers /api/status, restarts with the same config and data
// directory (also after a SIGKILL), and stops on SIGTERM within 5 s.
func TestStartRegents(t *testing.T) {
	bin := BuildRegent(t)
	if again := BuildRegent(t); again != bin {
		t.Fatalf("BuildRegent built twice: %s, then %s", bin, again)
	}
	l := Up(t, Options{Hosts: 1, Controllers: 1})
	r := StartRegents(t, l, bin, nil, 1, "")
	if r.N() != 1 || r.URL(0) != "http://198.18.0.101:3000" {
		t.Fatalf("N %d, URL(0) %q", r.N(), r.URL(0))
	}
	st, err := regentStatus(r.URL(0))
	if err != nil {
		t.Fatal(err)
	}
	if st["IsActiveNode"] != true {
		t.Errorf("a single node is not the active node: %v", st)
	}
	data := filepath.Join(filepath.Dir(r.Conf(0)), "data")
	before, err := os.ReadDir(data)
	if err != nil || len(before) == 0 {
		t.Fatalf("node 0 has no data in %s: %v %v", data, before, err)
	}
	old := r.Process(0)
	r.Restart(0)
	if !old.Exited() || running(old.Pid()) {
		t.Errorf("the old process (pid %d) still runs after Restart", old.Pid())
	}
	if p := r.Process(0); p == old || p.Exited() || r.Processes()[0] != p {
		t.Fatalf("Restart: process %p (exited %v), old %p, Processes()[0] %p", p, p.Exited(), old, r.Processes()[0])
	}
	after, err := os.ReadDir(data)
	if err != nil {
		t.Fatal(err)
	}
	kept := map[string]bool{}
	for _, e := range after {
		kept[e.Name()] = true
	}
	for _, e := range before {
		if !kept[e.Name()] {
			t.Errorf("Restart did not keep the data directory: %s gone from %s", e.Name(), data)
		}
	}
	if _, err := regentStatus(r.URL(0)); err != nil {
		t.Fatalf("after Restart: %v", err)
	}
	crashed := r.Process(0)
	r.Kill(0)
	if !crashed.Exited() || running(crashed.Pid()) {
		t.Fatalf("Kill: pid %d still runs", crashed.Pid())
	}
	r.Restart(0) // after a crash: nothing to stop, the same data directory
	if _, err := regentStatus(r.URL(0)); err != nil {
		t.Fatalf("after Kill and Restart: %v", err)
	}
	p := r.Process(0)
	start := time.Now()
	r.Stop(0)
	took := time.Since(start)
	if !p.Exited() || running(p.Pid()) || took > 5*time.Second {
		t.Fatalf("Stop: exited %v, pid %d running %v, took %v (bound 5 s)", p.Exited(), p.Pid(), running(p.Pid()), took)
	}
	if _, err := regentStatus(r.URL(0)); err == nil {
		t.Errorf("node 0 still answers after Stop")
	}
	t.Logf("restart and SIGTERM stop in %v", took.Round(time.Millisecond))
}
