package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/test/natstest"
)

// inProcNode is one Regent node of a test cluster run in this process.
type inProcNode struct {
	cfg     config.Config
	n       *node
	cancel  context.CancelFunc
	done    chan error
	stopped bool
}

// inProcCluster writes the configs of a three-node cluster on loopback.
func inProcCluster(t *testing.T) []config.Config {
	t.Helper()
	type ports struct{ http, nats, raft int }
	ps := make([]ports, 3)
	var raftNodes []string
	for i := range ps {
		ps[i] = ports{natstest.FreePort(t), natstest.FreePort(t), natstest.FreePort(t)}
		raftNodes = append(raftNodes, fmt.Sprintf("%q", addr(ps[i].raft)))
	}
	cfgs := make([]config.Config, 3)
	for i, p := range ps {
		dir := t.TempDir()
		conf := fmt.Sprintf(`{"ListenAddress": %q, "NATSListenAddress": %q, "RaftEnabled": true, "RaftBind": %q,
  "RaftDataDir": %q, "RaftNodes": [%s], "LogFormat": "json", "LogLevel": "warn", "NATSClusterSecret": %q}`,
			addr(p.http), addr(p.nats), addr(p.raft), filepath.Join(dir, "data"), strings.Join(raftNodes, ", "), testSecret)
		file := filepath.Join(dir, "regent.conf.json")
		if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, _, err := config.Load(config.LoadOptions{Files: []string{file}, SearchPaths: []string{}})
		if err != nil {
			t.Fatal(err)
		}
		cfgs[i] = cfg
	}
	return cfgs
}

// startInProc starts a node as serve does; it is stopped at cleanup.
func startInProc(t *testing.T, cfg config.Config, name string) *inProcNode {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logger := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel).With().Str("test_node", name).Logger()
	n, err := startNode(ctx, cfg, logger, "test")
	if err != nil {
		cancel()
		t.Fatalf("start %s: %v", name, err)
	}
	ln, err := net.Listen("tcp", cfg.ListenAddress)
	if err != nil {
		cancel()
		n.close()
		t.Fatal(err)
	}
	p := &inProcNode{cfg: cfg, n: n, cancel: cancel, done: make(chan error, 1)}
	go func() {
		err := n.run(ctx, ln, time.Now())
		n.close()
		p.done <- err
	}()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop cancels the node as SIGTERM does and waits (bounded) for it.
func (p *inProcNode) stop(t *testing.T) {
	t.Helper()
	if p.stopped {
		return
	}
	p.stopped = true
	p.cancel()
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("node %s: %v", p.cfg.NodeID(), err)
		}
	case <-time.After(15 * time.Second):
		t.Errorf("node %s did not stop within 15 s", p.cfg.NodeID())
	}
}

// running fails the test if the node's run ended.
func (p *inProcNode) running(t *testing.T) {
	t.Helper()
	select {
	case err := <-p.done:
		t.Fatalf("node %s exited: %v", p.cfg.NodeID(), err)
	default:
	}
}

// status returns the node's /api/status code and its Details.Error.
func (p *inProcNode) status() (int, string, error) {
	code, body, err := httpGet("http://" + p.cfg.ListenAddress + "/api/status")
	if err != nil {
		return 0, "", err
	}
	var r struct{ Details struct{ Error any } }
	if err := json.Unmarshal(body, &r); err != nil {
		return code, "", fmt.Errorf("status body %q: %w", body, err)
	}
	return code, fmt.Sprint(r.Details.Error), nil
}

// skippedMetric reads regent_skipped_records_total for stream and reason
// from the node's /metrics ("" when absent).
func (p *inProcNode) skippedMetric(t *testing.T, stream, reason string) string {
	t.Helper()
	code, body, err := httpGet("http://" + p.cfg.ListenAddress + "/metrics")
	if err != nil || code != 200 {
		t.Fatalf("metrics: %d %v", code, err)
	}
	prefix := fmt.Sprintf(`regent_skipped_records_total{reason=%q,stream=%q} `, reason, stream)
	for _, ln := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(ln, prefix); ok {
			return v
		}
	}
	return ""
}

// TestClusterColdStartAndPoisonRecord: a node of a three-node cluster
// started alone stays up and answers not ready, and becomes ready without
// a restart once its peers start. A message that is not an event,
// published on regent.evt.x.y and replicated to the three nodes, is
// skipped by every node's fold: each stays up, folds the event after it,
// counts the record once in /metrics, and a node restarted on its data
// comes up and skips it again. Then forged lease records (forgedLease)
// steal no write and leave the cluster leaderless only until they expire.
func TestClusterColdStartAndPoisonRecord(t *testing.T) {
	cfgs := inProcCluster(t)
	nodes := make([]*inProcNode, 3)
	nodes[0] = startInProc(t, cfgs[0], "n1")
	// Alone, it cannot form JetStream: it stays up and says why it is not
	// ready.
	natstest.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		code, why, err := nodes[0].status()
		if err != nil || code != 500 || !strings.Contains(why, "not ready") {
			return fmt.Errorf("status %d %q %v; want 500 not ready", code, why, err)
		}
		return nil
	})
	time.Sleep(12 * time.Second) // beyond one attempt to create the streams
	nodes[0].running(t)
	if code, why, err := nodes[0].status(); err != nil || code != 500 || !strings.Contains(why, "attempt") {
		t.Fatalf("alone after 12 s: status %d %q %v; want 500 naming the attempt", code, why, err)
	}
	nodes[1] = startInProc(t, cfgs[1], "n2")
	nodes[2] = startInProc(t, cfgs[2], "n3")
	for i, p := range nodes {
		natstest.Eventually(t, 60*time.Second, 200*time.Millisecond, func() error {
			p.running(t)
			if code, why, err := p.status(); err != nil || code != 200 {
				return fmt.Errorf("node %d: status %d %q %v", i+1, code, why, err)
			}
			return nil
		})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// The bad record, through node 1's own connection; acknowledged once
	// stored on a majority of the R3 stream.
	js := nodes[0].n.elog.JetStream()
	ack, err := js.Publish(ctx, "regent.evt.x.y", []byte("this is not an event"))
	if err != nil {
		t.Fatal(err)
	}
	after, err := events.New(events.KindInstanceDiscovered, time.Now(), "test",
		events.InstanceDiscovered{Key: events.InstanceKey{Hostname: "after-poison", Port: 3306}, Via: "api"})
	if err != nil {
		t.Fatal(err)
	}
	after.Cluster, after.Instance = "after-poison:3306", "after-poison:3306"
	appended, err := nodes[1].n.elog.Append(ctx, after, eventlog.NoExpect)
	if err != nil {
		t.Fatal(err)
	}
	seq := appended.Sequence
	if seq <= ack.Sequence {
		t.Fatalf("good event at seq %d, not after the bad one (%d)", seq, ack.Sequence)
	}
	checkFolded := func(i int, p *inProcNode) {
		t.Helper()
		if err := p.n.app.WaitApplied(ctx, events.EventsName, seq); err != nil {
			t.Fatalf("node %d: the fold did not reach seq %d: %v", i+1, seq, err)
		}
		found := false
		for _, k := range p.n.app.Keys() {
			found = found || k.Hostname == "after-poison"
		}
		if !found {
			t.Errorf("node %d did not fold the event after the bad record", i+1)
		}
		if v := p.skippedMetric(t, events.EventsName, eventlog.SkipDecode); v != "1" {
			t.Errorf("node %d: regent_skipped_records_total = %q, want 1", i+1, v)
		}
		p.running(t)
	}
	for i, p := range nodes {
		checkFolded(i, p)
	}
	// Node 3 restarted on its data: it comes up, skips the record again.
	nodes[2].stop(t)
	nodes[2] = startInProc(t, cfgs[2], "n3-again")
	natstest.Eventually(t, 60*time.Second, 200*time.Millisecond, func() error {
		nodes[2].running(t)
		if code, why, err := nodes[2].status(); err != nil || code != 200 {
			return fmt.Errorf("restarted node 3: status %d %q %v", code, why, err)
		}
		return nil
	})
	checkFolded(2, nodes[2])
	for _, p := range nodes[:2] {
		p.running(t)
	}
	forgedLease(t, ctx, nodes)
}

// forgedLease writes lease records an attacker would: one naming the
// leader but pointing at the attacker's HTTP server, one naming a holder
// that is not a peer. A follower that sees the first refuses to forward a
// write (503) and the attacker's server receives nothing; the second is
// followed by nobody and counted; a leader is elected again afterwards.
func forgedLease(t *testing.T, ctx context.Context, nodes []*inProcNode) {
	t.Helper()
	var hits atomic.Int32
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
	}))
	defer attacker.Close()
	evil := strings.TrimPrefix(attacker.URL, "http://")
	kv, err := nodes[0].n.elog.JetStream().KeyValue(ctx, eventlog.LeaseBucket)
	if err != nil {
		t.Fatal(err)
	}
	leaderIdx := -1
	natstest.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
		for i, p := range nodes {
			if _, _, held := p.n.lease.Current(); held {
				leaderIdx = i
				return nil
			}
		}
		return errors.New("no leader")
	})
	follower := nodes[(leaderIdx+1)%3]
	b, _ := json.Marshal(eventlog.LeaseInfo{Holder: nodes[leaderIdx].cfg.NodeID(), Addr: evil, Epoch: 1 << 40, Since: time.Now()})
	if _, err := kv.Put(ctx, "leader", b); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 5*time.Second, 10*time.Millisecond, func() error {
		if l := follower.n.cluster.Leadership(); l.LeaderAddr != evil {
			return fmt.Errorf("follower's leader %+v", l)
		}
		return nil
	})
	req, _ := http.NewRequest(http.MethodGet, "http://"+follower.cfg.ListenAddress+"/api/disable-global-recoveries", nil)
	req.SetBasicAuth("admin", "secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), evil) {
		t.Errorf("write on a follower led to %s: %d %s; want 503 naming it", evil, resp.StatusCode, body)
	}
	// A holder that is not a peer: followed by nobody, counted by each.
	b, _ = json.Marshal(eventlog.LeaseInfo{Holder: "evil", Addr: evil, Epoch: 1, Since: time.Now()})
	if _, err := kv.Put(ctx, "leader", b); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 5*time.Second, 20*time.Millisecond, func() error {
		for i, p := range nodes {
			if p.n.lease.Rejected() == 0 {
				return fmt.Errorf("node %d has not rejected the record", i+1)
			}
			if l := p.n.cluster.Leadership(); l.Leader == "evil" {
				t.Fatalf("node %d follows holder evil", i+1)
			}
		}
		return nil
	})
	if n := hits.Load(); n != 0 {
		t.Errorf("the attacker's server received %d requests", n)
	}
	// The forged records expire: a peer leads again.
	natstest.Eventually(t, 20*time.Second, 50*time.Millisecond, func() error {
		for _, p := range nodes {
			if info, _, held := p.n.lease.Current(); held && info.Addr != evil {
				return nil
			}
		}
		return errors.New("no leader after the forged records")
	})
}

// TestColdNodeStopsQuicklyWhileWaiting: a node waiting for its absent peers
// stops within 5 s when told to (SIGTERM cancels serve's context), returns
// no error and leaves no goroutine behind.
func TestColdNodeStopsQuicklyWhileWaiting(t *testing.T) {
	before := runtime.NumGoroutine()
	sitesBefore := goroutineSites()
	cfgs := inProcCluster(t)
	p := startInProc(t, cfgs[0], "n1")
	natstest.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		code, why, err := p.status()
		if err != nil || code != 500 || !strings.Contains(why, "not ready") {
			return fmt.Errorf("status %d %q %v; want 500 not ready", code, why, err)
		}
		return nil
	})
	start := time.Now()
	p.cancel()
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("run returned %v after cancel, want nil", err)
		}
		p.stopped = true
	case <-time.After(5 * time.Second):
		t.Fatal("a waiting node did not stop within 5 s")
	}
	t.Logf("stopped in %s", time.Since(start))
	http.DefaultClient.CloseIdleConnections()
	natstest.Eventually(t, 5*time.Second, 50*time.Millisecond, func() error {
		if n := runtime.NumGoroutine(); n > before {
			return fmt.Errorf("%d goroutines, %d before:\n%s", n, before, goroutines())
		}
		for site, n := range goroutineSites() {
			if n > sitesBefore[site] {
				return fmt.Errorf("%d goroutines created by %s, %d before:\n%s", n, site, sitesBefore[site], goroutines())
			}
		}
		return nil
	})
}
