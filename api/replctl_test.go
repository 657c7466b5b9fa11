package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/control"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// fakeControl adds ReplicaControl to fakeOps.
type fakeControl struct{ *fakeOps }

func (f fakeControl) PurgeBinaryLogs(_ context.Context, key events.InstanceKey, binlog string, force bool, who string) (*projections.Instance, error) {
	f.call(fmt.Sprintf("purge %s %s force=%v", key, binlog, force), who)
	return &projections.Instance{Key: key}, nil
}

func (f fakeControl) DelayReplication(_ context.Context, key events.InstanceKey, seconds int, who string) (*projections.Instance, error) {
	f.call(fmt.Sprintf("delay %s %d", key, seconds), who)
	return &projections.Instance{Key: key}, nil
}

func (f fakeControl) Move(_ context.Context, op control.ReplicaOp, key, dest events.InstanceKey, who string) (*projections.Instance, error) {
	f.call(fmt.Sprintf("%s %s %s", op, key, dest), who)
	if dest.IsZero() {
		dest = k("198.18.0.1")
	}
	return &projections.Instance{Key: key, MasterKey: dest}, nil
}

func controlServer(t *testing.T, c Cluster, forwardTo ...string) (*Server, *fakeOps) {
	t.Helper()
	ops := &fakeOps{}
	s := New(Options{ForwardTo: forwardTo}, c, prometheus.NewRegistry(), zerolog.Nop())
	v := staticViews{testView(t)}
	s.RegisterRead(v, &fakeInventory{v: v.v}, 3306)
	s.RegisterRecovery(v, foldReader{testFold(t)}, fakeControl{ops})
	return s, ops
}

// Every replication-control path answers OK with the instance as Details
// (Details.Key is what orchestrator-client prints) and reaches the
// operation with its arguments; the slave and master-host spellings are
// synonyms.
func TestReplicaControlShapes(t *testing.T) {
	s, ops := controlServer(t, leader())
	cases := []struct{ path, call, key, master string }{
		{"/api/enable-semi-sync-master/198.18.0.1/3306", "enable-semi-sync-master 198.18.0.1:3306", "198.18.0.1", ""},
		{"/api/disable-semi-sync-master/198.18.0.1/3306", "disable-semi-sync-master 198.18.0.1:3306", "198.18.0.1", ""},
		{"/api/enable-semi-sync-replica/198.18.0.2/3306", "enable-semi-sync-replica 198.18.0.2:3306", "198.18.0.2", ""},
		{"/api/disable-semi-sync-replica/198.18.0.2/3306", "disable-semi-sync-replica 198.18.0.2:3306", "198.18.0.2", ""},
		{"/api/stop-replica-nice/198.18.0.2/3306", "stop-replica-nice 198.18.0.2:3306", "198.18.0.2", ""},
		{"/api/stop-slave-nice/198.18.0.3/3306", "stop-replica-nice 198.18.0.3:3306", "198.18.0.3", ""},
		{"/api/skip-query/198.18.0.2/3306", "skip-query 198.18.0.2:3306", "198.18.0.2", ""},
		{"/api/flush-binary-logs/198.18.0.1/3306", "flush-binary-logs 198.18.0.1:3306", "198.18.0.1", ""},
		{"/api/detach-replica-master-host/198.18.0.2/3306", "detach-replica 198.18.0.2:3306", "198.18.0.2", ""},
		{"/api/reattach-slave-master-host/198.18.0.2/3306", "reattach-replica 198.18.0.2:3306", "198.18.0.2", ""},
		{"/api/purge-binary-logs/198.18.0.1/3306/mysql-bin.000042", "purge 198.18.0.1:3306 mysql-bin.000042 force=false", "198.18.0.1", ""},
		{"/api/purge-binary-logs/198.18.0.1/3306/mysql-bin.000042?force=true", "purge 198.18.0.1:3306 mysql-bin.000042 force=true", "198.18.0.1", ""},
		{"/api/delay-replication/198.18.0.2/3306/3600", "delay 198.18.0.2:3306 3600", "198.18.0.2", ""},
		{"/api/delay-replication/198.18.0.2/3306/0", "delay 198.18.0.2:3306 0", "198.18.0.2", ""},
		{"/api/move-up/198.18.0.3/3306", "move-up 198.18.0.3:3306 ", "198.18.0.3", "198.18.0.1"},
		{"/api/move-below/198.18.0.3/3306/198.18.0.2/3306", "move-below 198.18.0.3:3306 198.18.0.2:3306", "198.18.0.3", "198.18.0.2"},
		{"/api/repoint/198.18.0.3/3306/198.18.0.2/3306", "repoint 198.18.0.3:3306 198.18.0.2:3306", "198.18.0.3", "198.18.0.2"},
	}
	for _, c := range cases {
		w, body := get(t, s, c.path, func(r *http.Request) { r.SetBasicAuth("dba", "") })
		code, _, d := envelope(t, body)
		last := ""
		if n := len(ops.calls); n > 0 {
			last = ops.calls[n-1]
		}
		if w.Code != 200 || code != "OK" || last != c.call || !hasKey("Key", c.key)(d) || ops.who != "dba" {
			t.Errorf("%s: %d %v; last call %q by %q, want %q", c.path, w.Code, body, last, ops.who, c.call)
			continue
		}
		if c.master != "" && !hasKey("MasterKey", c.master)(d) {
			t.Errorf("%s: Details.MasterKey %v, want %s", c.path, d.(map[string]any)["MasterKey"], c.master)
		}
	}
}

// Bad input is answered with an ERROR naming the argument (and the client
// flag) and never reaches the operations.
func TestReplicaControlRejectsBadInput(t *testing.T) {
	s, ops := controlServer(t, leader())
	for path, want := range map[string]string{
		"/api/enable-semi-sync-master/198.18.0.9/3306":               "198.18.0.9:3306",
		"/api/skip-query/198.18.0.2/x":                               "400 invalid {port}",
		"/api/purge-binary-logs/198.18.0.9/3306/mysql-bin.000001":    "198.18.0.9:3306",
		"/api/purge-binary-logs/198.18.0.1/3306/-bin.1":              `invalid binary log name "-bin.1" (-n)`,
		"/api/purge-binary-logs/198.18.0.1/3306/a%20b":               `invalid binary log name "a b"`,
		"/api/purge-binary-logs/198.18.0.1/3306/mysql-bin.1?force=x": `invalid force "x"`,
		"/api/delay-replication/198.18.0.2/3306/-1":                  `invalid seconds "-1" (-S)`,
		"/api/delay-replication/198.18.0.2/3306/1h":                  `invalid seconds "1h"`,
		"/api/delay-replication/198.18.0.2/3306/604801":              `invalid seconds "604801"`,
		"/api/move-up/198.18.0.8/3306":                               "198.18.0.8:3306",
		"/api/move-below/198.18.0.3/3306/198.18.0.3/3306":            "below itself",
		"/api/move-below/198.18.0.3/3306/198.18.0.7/3306":            "destination: unknown instance 198.18.0.7:3306",
		"/api/repoint/198.18.0.3/3306/198.18.0.2/0":                  "400 invalid {dport}: invalid name: port 0",
	} {
		w, body := get(t, s, path, nil)
		code, msg, _ := envelope(t, body)
		status := 500
		if bad, ok := strings.CutPrefix(want, "400 "); ok {
			status, want = 400, bad // an invalid instance key: 400 naming the parameter
		}
		if w.Code != status || code != "ERROR" || !strings.Contains(msg, want) {
			t.Errorf("%s: %d %q, want %d ERROR naming %q", path, w.Code, msg, status, want)
		}
	}
	for _, p := range []string{"/api/purge-binary-logs/198.18.0.1/3306", "/api/delay-replication/198.18.0.2/3306", "/api/move-below/198.18.0.3/3306"} {
		if w, _ := get(t, s, p, nil); w.Code != 404 {
			t.Errorf("%s: %d, want no route (missing argument)", p, w.Code)
		}
	}
	if n := ops.count(); n != 0 {
		t.Fatalf("bad input reached the operations: %v", ops.calls)
	}
}

// Operations without ReplicaControl: the argument commands say so; the
// instance-only ones still work through Replica.
func TestReplicaControlNotSupported(t *testing.T) {
	s, ops := recoveryServer(t, leader(), AuthOptions{})
	w, body := get(t, s, "/api/move-up/198.18.0.3/3306", nil)
	if _, msg, _ := envelope(t, body); w.Code != 500 || msg != "move-up: not supported by this node's operations" {
		t.Fatalf("move-up without ReplicaControl: %d %v", w.Code, body)
	}
	if w, body := get(t, s, "/api/flush-binary-logs/198.18.0.1/3306", nil); w.Code != 200 || ops.count() != 1 {
		t.Fatalf("flush-binary-logs: %d %v, calls %v", w.Code, body, ops.calls)
	}
}

// The writes are leader-only: authorization first, then a follower
// forwards them to the leader, which runs them.
func TestReplicaControlAuthAndForward(t *testing.T) {
	ro, roOps := recoveryServer(t, leader(), AuthOptions{ReadOnly: true})
	for _, p := range []string{"/api/skip-query/198.18.0.2/3306", "/api/purge-binary-logs/198.18.0.1/3306/b.1",
		"/api/delay-replication/198.18.0.2/3306/5", "/api/move-up/198.18.0.3/3306", "/api/enable-semi-sync-master/198.18.0.1/3306"} {
		if w, body := get(t, ro, p, nil); w.Code != 500 {
			t.Errorf("%s on a read-only server: %d %v", p, w.Code, body)
		} else if _, msg, _ := envelope(t, body); msg != "Unauthorized" {
			t.Errorf("%s on a read-only server: %q", p, msg)
		}
	}
	if roOps.count() != 0 {
		t.Fatalf("read-only server ran %v", roOps.calls)
	}
	leaderSrv, leaderOps := controlServer(t, leader())
	ts := httptest.NewServer(leaderSrv.Handler())
	defer ts.Close()
	follower := &fakeCluster{l: Leadership{Known: true, Leader: "n2:10008", LeaderAddr: strings.TrimPrefix(ts.URL, "http://")}}
	s, ops := controlServer(t, follower, follower.l.LeaderAddr)
	w, body := get(t, s, "/api/delay-replication/198.18.0.2/3306/30", nil)
	if code, _, d := envelope(t, body); w.Code != 200 || code != "OK" || !hasKey("Key", "198.18.0.2")(d) {
		t.Fatalf("forwarded delay-replication: %d %v", w.Code, body)
	}
	if ops.count() != 0 || leaderOps.count() != 1 || leaderOps.calls[0] != "delay 198.18.0.2:3306 30" {
		t.Fatalf("follower ran %v, leader ran %v", ops.calls, leaderOps.calls)
	}
}
