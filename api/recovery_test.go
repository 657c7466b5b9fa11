package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/control"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// fakeOps records the calls; every operation succeeds but maintenance
// changes of 198.18.0.3, which it refuses as orchestrator does.
type fakeOps struct {
	mu    sync.Mutex
	calls []string
	last  control.Takeover
	ack   control.Ack
	down  control.Downtime
	maint control.Maintenance
	who   string
}

func (f *fakeOps) call(s, who string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls, f.who = append(f.calls, s), who
}

func (f *fakeOps) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

func (f *fakeOps) Recover(_ context.Context, failed events.InstanceKey, who string) (events.InstanceKey, error) {
	f.call("recover "+failed.String(), who)
	return k("198.18.0.2"), nil
}

func (f *fakeOps) Takeover(_ context.Context, t control.Takeover, who string) (analysis.TopologyRecovery, error) {
	f.call("takeover "+t.Kind.Command(), who)
	f.last = t
	succ := t.Designated
	if succ.IsZero() {
		succ = k("198.18.0.3")
	}
	if succ == k("198.18.0.3") && t.Kind == control.ForceTakeover {
		return analysis.TopologyRecovery{UID: "m-1", AllErrors: []string{"promote: boom"}}, errors.New("recovery m-1 failed at promote: boom")
	}
	return analysis.TopologyRecovery{UID: "m-1", SuccessorKey: &succ, IsSuccessful: true}, nil
}

func (f *fakeOps) Acknowledge(_ context.Context, a control.Ack, who string) (int, error) {
	f.call("ack", who)
	f.ack = a
	return 2, nil
}

func (f *fakeOps) SetGlobalRecoveries(_ context.Context, enabled bool, who string) error {
	f.call("global", who)
	return nil
}

func (f *fakeOps) Replica(_ context.Context, op control.ReplicaOp, key events.InstanceKey, who string) (*projections.Instance, error) {
	f.call(string(op)+" "+key.String(), who)
	return &projections.Instance{Key: key}, nil
}

func (f *fakeOps) Relocate(_ context.Context, key, dest events.InstanceKey, who string) (*projections.Instance, error) {
	f.call("relocate "+key.String()+" "+dest.String(), who)
	return &projections.Instance{Key: key, MasterKey: dest}, nil
}

func (f *fakeOps) RegisterCandidate(_ context.Context, key events.InstanceKey, rule, who string) error {
	f.call("candidate "+key.String()+" "+rule, who)
	return nil
}

func (f *fakeOps) BeginDowntime(_ context.Context, d control.Downtime, who string) error {
	f.call("downtime "+d.Key.String(), who)
	f.down = d
	return nil
}

func (f *fakeOps) EndDowntime(_ context.Context, key events.InstanceKey, who string) error {
	f.call("end-downtime "+key.String(), who)
	return nil
}

func (f *fakeOps) BeginMaintenance(_ context.Context, m control.Maintenance, who string) error {
	f.call("maintenance "+m.Key.String(), who)
	f.maint = m
	if m.Key == k("198.18.0.3") {
		return errors.New("Cannot begin maintenance for instance: 198.18.0.3:3306; already in maintenance by ops: backup")
	}
	return nil
}

func (f *fakeOps) EndMaintenance(_ context.Context, key events.InstanceKey, who string) error {
	f.call("end-maintenance "+key.String(), who)
	if key == k("198.18.0.3") {
		return errors.New("Instance is not in maintenance mode: 198.18.0.3:3306")
	}
	return nil
}

func (f *fakeOps) LocateErrant(context.Context, events.InstanceKey) ([]string, error) {
	return nil, errors.New("refused on MariaDB")
}

// foldReader is a recovery fold built from real events.
type foldReader struct{ r *analysis.Recoveries }

func (f foldReader) Recoveries() *analysis.Recoveries { return f.r.Clone() }
func (f foldReader) AnalysisParams() analysis.Params  { return analysis.DefaultParams() }

func testFold(t *testing.T) *analysis.Recoveries {
	t.Helper()
	r := analysis.NewRecoveries()
	succ := k("198.18.0.2")
	evs := []struct {
		kind events.Kind
		p    any
	}{
		{events.KindRecoveryStarted, events.RecoveryStarted{RecoveryID: "m-1", Type: "GracefulMasterTakeover", Analysis: "DeadMaster",
			Failed: k("198.18.0.1"), ClusterName: "198.18.0.1:3306", Successor: succ, Manual: true, Who: "dba"}},
		{events.KindRecoveryStep, events.RecoveryStep{RecoveryID: "m-1", Step: "promote", Target: succ, Outcome: events.StepOK, Took: time.Millisecond}},
		{events.KindRecoveryCompleted, events.RecoveryCompleted{RecoveryID: "m-1", Successor: succ}},
		{events.KindRecoveryBlocked, events.RecoveryBlocked{DetectionID: "d-1", Analysis: "DeadMaster", Failed: succ,
			ClusterName: "198.18.0.1:3306", Reason: "global recoveries disabled by dba"}},
		{events.KindGlobalRecoveriesSet, events.GlobalRecoveriesSet{Enabled: false, Who: "dba"}},
	}
	for i, e := range evs {
		env, err := events.New(e.kind, now.Add(time.Duration(i)*time.Second), "n1", e.p)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Apply(uint64(i+1), env); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func recoveryServer(t *testing.T, c Cluster, auth AuthOptions, forwardTo ...string) (*Server, *fakeOps) {
	t.Helper()
	ops := &fakeOps{}
	s := New(Options{Auth: auth, ForwardTo: forwardTo}, c, prometheus.NewRegistry(), zerolog.Nop())
	v := staticViews{testView(t)}
	s.RegisterRead(v, &fakeInventory{v: v.v}, 3306)
	s.RegisterRecovery(v, foldReader{testFold(t)}, ops)
	return s, ops
}

func leader() *fakeCluster {
	return &fakeCluster{l: Leadership{Known: true, IsLeader: true, Leader: "n1:10008"}}
}

func envelope(t *testing.T, body any) (code, msg string, details any) {
	t.Helper()
	m, ok := body.(map[string]any)
	if !ok {
		t.Fatalf("not an envelope: %v", body)
	}
	code, _ = m["Code"].(string)
	msg, _ = m["Message"].(string)
	return code, msg, m["Details"]
}

func TestTakeoverEnvelopeAndArguments(t *testing.T) {
	s, ops := recoveryServer(t, leader(), AuthOptions{})
	w, body := get(t, s, "/api/graceful-master-takeover/lab/198.18.0.2/3306", func(r *http.Request) { r.SetBasicAuth("dba", "") })
	code, _, d := envelope(t, body)
	succ, _ := d.(map[string]any)["SuccessorKey"].(map[string]any)
	if w.Code != 200 || code != "OK" || succ["Hostname"] != "198.18.0.2" || succ["Port"] != 3306.0 {
		t.Fatalf("takeover: %d %v", w.Code, body)
	}
	if ops.last != (control.Takeover{Kind: control.GracefulTakeover, Cluster: "198.18.0.1:3306", Designated: k("198.18.0.2")}) || ops.who != "dba" {
		t.Fatalf("operation got %+v by %q", ops.last, ops.who)
	}
	// Every hint form: cluster name, instance key, host/port, with and without -d.
	for path, want := range map[string]control.Takeover{
		"/api/graceful-master-takeover-auto/198.18.0.3:3306":                 {Kind: control.GracefulTakeoverAuto, Cluster: "198.18.0.1:3306"},
		"/api/graceful-master-takeover-auto/198.18.0.1/3306/198.18.0.3/3306": {Kind: control.GracefulTakeoverAuto, Cluster: "198.18.0.1:3306", Designated: k("198.18.0.3")},
		"/api/force-master-failover/198.18.0.1/3306":                         {Kind: control.ForceFailover, Cluster: "198.18.0.1:3306"},
		"/api/force-master-takeover/lab/198.18.0.2/3306":                     {Kind: control.ForceTakeover, Cluster: "198.18.0.1:3306", Designated: k("198.18.0.2")},
	} {
		if w, body := get(t, s, path, nil); w.Code != 200 || ops.last != want {
			t.Errorf("%s: %d %v, operation got %+v", path, w.Code, body, ops.last)
		}
	}
	// A recovery that ran and failed: ERROR with the recovery as Details.
	w, body = get(t, s, "/api/force-master-takeover/lab/198.18.0.3/3306", nil)
	code, msg, d := envelope(t, body)
	if w.Code != 500 || code != "ERROR" || !strings.Contains(msg, "boom") || d.(map[string]any)["UID"] != "m-1" {
		t.Fatalf("failed takeover: %d %v", w.Code, body)
	}
}

func TestWritesRejectBadInput(t *testing.T) {
	s, ops := recoveryServer(t, leader(), AuthOptions{})
	for path, want := range map[string]string{
		"/api/graceful-master-takeover/nosuch":                         "nosuch",
		"/api/graceful-master-takeover/lab/198.18.0.9/3306":            "198.18.0.9:3306",
		"/api/force-master-takeover/lab":                               "404",
		"/api/start-replica/198.18.0.9/3306":                           "198.18.0.9:3306",
		"/api/stop-slave/198.18.0.2/x":                                 "400 invalid {port}: invalid name: port \"x\"",
		"/api/begin-downtime/198.18.0.2/3306/dba/maint/10x":            "10x",
		"/api/begin-downtime/198.18.0.2/3306/dba/maint/-5m":            "-5m",
		"/api/begin-maintenance/198.18.0.2/3306/dba/%20":               "owner and reason are required",
		"/api/begin-maintenance/198.18.0.9/3306/dba/x":                 "198.18.0.9:3306",
		"/api/end-maintenance/198.18.0.9/3306":                         "198.18.0.9:3306",
		"/api/register-candidate/198.18.0.2/3306/always":               "always",
		"/api/relocate/198.18.0.2/3306/198.18.0.2/3306":                "itself",
		"/api/relocate/198.18.0.2/3306/198.18.0.8/3306":                "198.18.0.8:3306",
		"/api/ack-recovery/cluster/lab":                                "comment",
		"/api/ack-recovery/nosuch?comment=x":                           "nosuch",
		"/api/recover/198.18.0.7/3306":                                 "198.18.0.7:3306",
		"/api/recover-lite/198.18.0.1/3306":                            "not supported",
		"/api/audit-recovery/notapage":                                 "notapage",
		"/api/audit-recovery-steps/nosuch":                             "nosuch",
		"/api/replication-analysis/nosuch":                             "nosuch",
		"/api/ack-recovery/instance/198.18.0.2/3306?comment=%20%20%20": "comment",
	} {
		w, body := get(t, s, path, nil)
		if want == "404" {
			if w.Code != 404 {
				t.Errorf("%s: %d, want no route", path, w.Code)
			}
			continue
		}
		code, msg, _ := envelope(t, body)
		status := 500
		if bad, ok := strings.CutPrefix(want, "400 "); ok {
			status, want = 400, bad // an invalid instance key: 400 naming the parameter
		}
		if w.Code != status || code != "ERROR" || !strings.Contains(msg, want) {
			t.Errorf("%s: %d %q, want %d ERROR naming %q", path, w.Code, msg, status, want)
		}
	}
	if n := ops.count(); n != 0 {
		t.Fatalf("bad input reached the operations: %v", ops.calls)
	}
}

func TestWritesNeedAuthorization(t *testing.T) {
	s, ops := recoveryServer(t, leader(), AuthOptions{ReadOnly: true})
	for _, p := range []string{"/api/graceful-master-takeover/lab/198.18.0.2/3306", "/api/start-replica/198.18.0.1/3306",
		"/api/disable-global-recoveries", "/api/ack-all-recoveries?comment=x", "/api/begin-downtime/198.18.0.2/3306/a/b/1h",
		"/api/begin-maintenance/198.18.0.2/3306/a/b", "/api/end-maintenance/198.18.0.2/3306"} {
		w, body := get(t, s, p, nil)
		if _, msg, _ := envelope(t, body); w.Code != 500 || msg != "Unauthorized" {
			t.Errorf("%s: %d %q", p, w.Code, msg)
		}
	}
	if ops.count() != 0 {
		t.Fatalf("unauthorized writes ran: %v", ops.calls)
	}
	// Reads stay open.
	if w, _ := get(t, s, "/api/audit-recovery", nil); w.Code != 200 {
		t.Fatalf("audit-recovery on a read-only node: %d", w.Code)
	}
}

func TestWriteShapes(t *testing.T) {
	s, ops := recoveryServer(t, leader(), AuthOptions{})
	cases := []struct {
		path, call string
		check      func(d any) bool
	}{
		{"/api/start-slave/198.18.0.1/3306", "start-replica 198.18.0.1:3306", hasKey("Key", "198.18.0.1")},
		{"/api/reset-replica/198.18.0.2/3306", "reset-replica 198.18.0.2:3306", hasKey("Key", "198.18.0.2")},
		{"/api/set-writeable/198.18.0.2/3306", "set-writeable 198.18.0.2:3306", hasKey("Key", "198.18.0.2")},
		{"/api/gtid-errant-inject-empty/198.18.0.2/3306", "gtid-errant-inject-empty 198.18.0.2:3306", hasKey("Key", "198.18.0.2")},
		{"/api/relocate/198.18.0.3/3306/198.18.0.2/3306", "relocate 198.18.0.3:3306 198.18.0.2:3306", hasKey("MasterKey", "198.18.0.2")},
		{"/api/recover/198.18.0.1/3306", "recover 198.18.0.1:3306", func(d any) bool { return d.(map[string]any)["Hostname"] == "198.18.0.2" }},
		{"/api/register-candidate/198.18.0.2/3306/prefer", "candidate 198.18.0.2:3306 prefer", func(d any) bool { return d.(map[string]any)["Hostname"] == "198.18.0.2" }},
		{"/api/begin-downtime/198.18.0.2/3306/dba/kernel%20upgrade/2d", "downtime 198.18.0.2:3306", func(any) bool { return ops.down.Duration == 48*time.Hour && ops.down.Reason == "kernel upgrade" }},
		{"/api/end-downtime/198.18.0.2/3306", "end-downtime 198.18.0.2:3306", func(d any) bool { return d.(map[string]any)["Port"] == 3306.0 }},
		{"/api/begin-maintenance/198.18.0.2/3306/dba/disk%20swap", "maintenance 198.18.0.2:3306", func(d any) bool {
			return d.(map[string]any)["Hostname"] == "198.18.0.2" && ops.maint.Duration == 10*time.Minute && ops.maint.Reason == "disk swap" && ops.maint.Owner == "dba"
		}},
		{"/api/end-maintenance/198.18.0.2/3306", "end-maintenance 198.18.0.2:3306", func(d any) bool { return d.(map[string]any)["Port"] == 3306.0 }},
		{"/api/ack-recovery/cluster/lab?comment=flap%20ok", "ack", func(d any) bool { return d == "198.18.0.1:3306" && ops.ack.Comment == "flap ok" }},
		{"/api/ack-recovery/1?comment=x", "ack", func(d any) bool { return d == "m-1" && ops.ack.RecoveryID == "m-1" }},
		{"/api/ack-recovery/instance/198.18.0.1/3306?comment=x", "ack", func(any) bool { return ops.ack.Instance == k("198.18.0.1") }},
		{"/api/ack-all-recoveries?comment=x", "ack", func(d any) bool { return d == 2.0 && ops.ack.All }},
		{"/api/disable-global-recoveries", "global", func(d any) bool { return d == "disabled" }},
		{"/api/enable-global-recoveries", "global", func(d any) bool { return d == "enabled" }},
	}
	for _, c := range cases {
		w, body := get(t, s, c.path, nil)
		code, _, d := envelope(t, body)
		if w.Code != 200 || code != "OK" || ops.calls[len(ops.calls)-1] != c.call || !c.check(d) {
			t.Errorf("%s: %d %v; last call %q", c.path, w.Code, body, ops.calls[len(ops.calls)-1])
		}
	}
}

// begin-maintenance of an instance already in maintenance, and
// end-maintenance of one that is not, are errors with the operation's text.
func TestMaintenanceRefusals(t *testing.T) {
	s, ops := recoveryServer(t, leader(), AuthOptions{})
	for path, want := range map[string]string{
		"/api/begin-maintenance/198.18.0.3/3306/dba/x": "Cannot begin maintenance for instance: 198.18.0.3:3306",
		"/api/end-maintenance/198.18.0.3/3306":         "Instance is not in maintenance mode: 198.18.0.3:3306",
	} {
		w, body := get(t, s, path, nil)
		code, msg, _ := envelope(t, body)
		if w.Code != 500 || code != "ERROR" || !strings.Contains(msg, want) {
			t.Errorf("%s: %d %v, want ERROR %q", path, w.Code, body, want)
		}
	}
	if n := ops.count(); n != 2 {
		t.Fatalf("operations called %d times, want 2: %v", n, ops.calls)
	}
}

func hasKey(field, host string) func(any) bool {
	return func(d any) bool {
		m, _ := d.(map[string]any)
		key, _ := m[field].(map[string]any)
		return key["Hostname"] == host
	}
}

func TestAuditReads(t *testing.T) {
	s, _ := recoveryServer(t, &fakeCluster{l: Leadership{Known: true, Leader: "n2"}}, AuthOptions{})
	_, body := get(t, s, "/api/audit-recovery", nil)
	list, ok := body.([]any)
	if !ok || len(list) != 1 || list[0].(map[string]any)["UID"] != "m-1" || list[0].(map[string]any)["SuccessorKey"].(map[string]any)["Hostname"] != "198.18.0.2" {
		t.Fatalf("audit-recovery: %v", body)
	}
	for _, p := range []string{"/api/audit-recovery/cluster/lab", "/api/audit-recovery/uid/m-1", "/api/audit-recovery/id/1", "/api/audit-recovery/cluster/198.18.0.2:3306"} {
		if _, body := get(t, s, p, nil); len(body.([]any)) != 1 {
			t.Errorf("%s: %v", p, body)
		}
	}
	if _, body := get(t, s, "/api/audit-recovery/1", nil); len(body.([]any)) != 0 {
		t.Errorf("page 1 of one entry: %v", body)
	}
	_, body = get(t, s, "/api/audit-recovery-steps/m-1", nil)
	steps := body.([]any)
	if len(steps) != 3 || !strings.Contains(steps[1].(map[string]any)["Message"].(string), "promote") ||
		!strings.Contains(steps[2].(map[string]any)["Message"].(string), "completed: successor 198.18.0.2:3306") {
		t.Fatalf("steps: %v", body)
	}
	_, body = get(t, s, "/api/blocked-recoveries/cluster/lab", nil)
	if b := body.([]any); len(b) != 1 || !strings.Contains(b[0].(map[string]any)["Reason"].(string), "global recoveries disabled") {
		t.Fatalf("blocked-recoveries: %v", body)
	}
	if _, body := get(t, s, "/api/active-cluster-recovery/lab", nil); len(body.([]any)) != 0 {
		t.Fatalf("active-cluster-recovery: %v", body)
	}
	if _, body := get(t, s, "/api/audit-failure-detection", nil); body == nil {
		t.Fatal("audit-failure-detection: null, want a list")
	}
	_, body = get(t, s, "/api/check-global-recoveries", nil)
	if code, _, d := envelope(t, body); code != "OK" || d != "disabled" {
		t.Fatalf("check-global-recoveries: %v", body)
	}
	w, body := get(t, s, "/api/replication-analysis", nil)
	if code, _, d := envelope(t, body); w.Code != 200 || code != "OK" || d == nil {
		t.Fatalf("replication-analysis: %d %v", w.Code, body)
	}
}

// TestForwardToLeader: a follower forwards a write once to the leader's
// HTTP address, marked; a marked request is never forwarded again; with no
// leader known the write is refused.
func TestForwardToLeader(t *testing.T) {
	leaderSrv, leaderOps := recoveryServer(t, leader(), AuthOptions{Method: "basic", User: "admin", Password: "pw"})
	var sawHeader string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawHeader = r.Header.Get(ForwardedHeader)
		leaderSrv.Handler().ServeHTTP(w, r)
	}))
	defer ts.Close()
	addr := strings.TrimPrefix(ts.URL, "http://")
	follower := &fakeCluster{l: Leadership{Known: true, Leader: "n2:10008", LeaderAddr: addr}}
	s, ops := recoveryServer(t, follower, AuthOptions{Method: "basic", User: "admin", Password: "pw"}, addr)
	auth := func(r *http.Request) { r.SetBasicAuth("admin", "pw") }
	w, body := get(t, s, "/api/graceful-master-takeover/lab/198.18.0.2/3306", auth)
	code, _, d := envelope(t, body)
	if w.Code != 200 || code != "OK" || d.(map[string]any)["SuccessorKey"].(map[string]any)["Hostname"] != "198.18.0.2" {
		t.Fatalf("forwarded takeover: %d %v", w.Code, body)
	}
	if ops.count() != 0 || leaderOps.count() != 1 || sawHeader != "n1:10008" || leaderOps.who != "admin" {
		t.Fatalf("follower ran %v, leader ran %v, header %q, who %q", ops.calls, leaderOps.calls, sawHeader, leaderOps.who)
	}
	// Errors come back as the leader's envelope.
	w, body = get(t, s, "/api/start-replica/198.18.0.9/3306", auth)
	if _, msg, _ := envelope(t, body); w.Code != 500 || !strings.Contains(msg, "198.18.0.9:3306") {
		t.Fatalf("forwarded error: %d %v", w.Code, body)
	}
	// Already forwarded once: refused, not forwarded again.
	w, body = get(t, s, "/api/start-replica/198.18.0.1/3306", func(r *http.Request) { auth(r); r.Header.Set(ForwardedHeader, "n3") })
	if _, msg, _ := envelope(t, body); w.Code != 500 || !strings.Contains(msg, "no longer leads") || leaderOps.count() != 1 {
		t.Fatalf("second hop: %d %v, leader calls %v", w.Code, body, leaderOps.calls)
	}
	// No leader known.
	s, _ = recoveryServer(t, &fakeCluster{}, AuthOptions{})
	w, body = get(t, s, "/api/disable-global-recoveries", nil)
	if _, msg, _ := envelope(t, body); w.Code != 500 || msg != "no leader: cannot run disable-global-recoveries now" {
		t.Fatalf("no leader: %d %v", w.Code, body)
	}
	// Leader unreachable: an ERROR envelope naming the address.
	s, _ = recoveryServer(t, &fakeCluster{l: Leadership{Known: true, Leader: "n2", LeaderAddr: "127.0.0.1:1"}}, AuthOptions{}, "127.0.0.1:1")
	w, body = get(t, s, "/api/enable-global-recoveries", nil)
	if _, msg, _ := envelope(t, body); w.Code != 500 || !strings.Contains(msg, "127.0.0.1:1") {
		t.Fatalf("unreachable leader: %d %v", w.Code, body)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"10m": 10 * time.Minute, "1h": time.Hour, "2d": 48 * time.Hour, "1w": 7 * 24 * time.Hour,
		"30s": 30 * time.Second, "45": 45 * time.Second, "1h30m": 90 * time.Minute} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "0m", "10x", "-1h", "m", "h1"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) accepted", in)
		}
	}
}

// /api/maintenance lists the instances in maintenance, orchestrator's
// Maintenance shape; any node answers.
func TestMaintenanceList(t *testing.T) {
	topo, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	seq := uint64(0)
	apply := func(kind events.Kind, at time.Time, p any) {
		t.Helper()
		e, err := events.New(kind, at, "n1", p)
		if err != nil {
			t.Fatal(err)
		}
		seq++
		if err := topo.Apply(seq, e); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range []events.InstanceObserved{observed("198.18.0.1", 1, ""), observed("198.18.0.2", 2, "198.18.0.1")} {
		apply(events.KindInstanceObserved, now.Add(-time.Second), o)
	}
	apply(events.KindMaintenanceBegun, now.Add(-90*time.Second), events.MaintenanceBegun{Key: k("198.18.0.2"), Owner: "dba", Reason: "disk swap", Until: now.Add(time.Minute)})
	s := New(Options{}, &fakeCluster{l: Leadership{Known: true, Leader: "n2"}}, prometheus.NewRegistry(), zerolog.Nop())
	s.RegisterRecovery(staticViews{topo.View(now)}, foldReader{testFold(t)}, &fakeOps{})
	w, body := get(t, s, "/api/maintenance", nil)
	list, ok := body.([]any)
	if w.Code != 200 || !ok || len(list) != 1 {
		t.Fatalf("maintenance: %d %v", w.Code, body)
	}
	m := list[0].(map[string]any)
	if m["Owner"] != "dba" || m["Reason"] != "disk swap" || m["IsActive"] != true || m["SecondsElapsed"] != 90.0 ||
		m["Key"].(map[string]any)["Hostname"] != "198.18.0.2" || m["EndTimestamp"] == "" {
		t.Fatalf("entry %v", m)
	}
}

// TestForwardOnlyToConfiguredPeers: a lease record pointing a follower at
// an address that is not a configured peer's API (a forged record) makes
// it refuse the write with a 503 envelope naming the address; the server
// at that address receives nothing, no Authorization header leaves.
func TestForwardOnlyToConfiguredPeers(t *testing.T) {
	var got atomic.Int32
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		t.Errorf("the attacker's server received %s %s with Authorization %q", r.Method, r.URL, r.Header.Get("Authorization"))
	}))
	defer attacker.Close()
	evil := strings.TrimPrefix(attacker.URL, "http://")
	follower := &fakeCluster{l: Leadership{Known: true, Leader: "n2:10008", LeaderAddr: evil}}
	for name, peers := range map[string][]string{"cluster": {"198.18.0.101:3000", "198.18.0.102:3000"}, "single node": nil} {
		s, ops := recoveryServer(t, follower, AuthOptions{Method: "basic", User: "admin", Password: "pw"}, peers...)
		w, body := get(t, s, "/api/disable-global-recoveries", func(r *http.Request) { r.SetBasicAuth("admin", "pw") })
		code, msg, _ := envelope(t, body)
		if w.Code != http.StatusServiceUnavailable || code != "ERROR" || !strings.Contains(msg, evil) || !strings.Contains(msg, "configured peer") {
			t.Errorf("%s: forged leader address: %d %v; want 503 naming %s", name, w.Code, body, evil)
		}
		if ops.count() != 0 {
			t.Errorf("%s: the follower ran %v", name, ops.calls)
		}
	}
	if n := got.Load(); n != 0 {
		t.Fatalf("the attacker's server received %d requests", n)
	}
}
