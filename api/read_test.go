package api

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

var now = time.Date(2026, 11, 24, 3, 12, 0, 0, time.UTC)

func k(host string) events.InstanceKey { return events.InstanceKey{Hostname: host, Port: 3306} }

func observed(host string, id uint32, source string) events.InstanceObserved {
	o := events.InstanceObserved{
		Key: k(host), ServerID: id, Version: "10.11.19-MariaDB-log", Flavor: "MariaDB",
		LogBin: true, LogReplicaUpdates: true, BinlogFormat: "ROW",
		GTID:   events.GTIDState{CurrentPos: "0-1-10", BinlogPos: "0-1-10"},
		Digest: "d" + host,
	}
	if source != "" {
		zero := int64(0)
		o.ReadOnly = true
		o.LagSeconds = &zero
		o.Replication = &events.Replication{SourceKey: k(source), IOThread: events.ThreadRunning,
			SQLThread: events.ThreadRunning, SecondsBehind: &zero, UsingMariaDBGTID: true, MariaDBGTIDMode: "Slave_Pos"}
	}
	return o
}

// fold builds a view from real events: the primary 198.18.0.1 with two
// replicas, observed by one node.
type staticViews struct{ v *projections.View }

func (s staticViews) View() *projections.View { return s.v }

func testView(t *testing.T) *projections.View {
	t.Helper()
	s := projections.DefaultSettings()
	s.ClusterNameToAlias = map[string]string{"198.18.0.1:3306": "lab"}
	topo, err := projections.NewTopology(s)
	if err != nil {
		t.Fatal(err)
	}
	seq := uint64(0)
	for _, o := range []events.InstanceObserved{observed("198.18.0.1", 1, ""), observed("198.18.0.2", 2, "198.18.0.1"), observed("198.18.0.3", 3, "198.18.0.1")} {
		e, err := events.New(events.KindInstanceObserved, now.Add(-100*time.Millisecond), "n1", o)
		if err != nil {
			t.Fatal(err)
		}
		e.Instance = o.Key.String()
		seq++
		if err := topo.Apply(seq, e); err != nil {
			t.Fatal(err)
		}
	}
	return topo.View(now)
}

type fakeInventory struct {
	v         *projections.View
	forgotten []string
}

func (f *fakeInventory) Discover(_ context.Context, key events.InstanceKey, _ string) (*projections.Instance, error) {
	if inst, ok := f.v.Instance(key); ok {
		return inst, nil
	}
	return nil, errors.New("MySQLHostnameResolveMethod configured to use @@report_host but " + key.String() + " has NULL/empty @@report_host")
}
func (f *fakeInventory) AsyncDiscover(context.Context, events.InstanceKey, string) error { return nil }
func (f *fakeInventory) Forget(_ context.Context, key events.InstanceKey, _ string) error {
	f.forgotten = append(f.forgotten, key.String())
	return nil
}
func (f *fakeInventory) ForgetCluster(_ context.Context, c, _ string) error {
	f.forgotten = append(f.forgotten, "cluster "+c)
	return nil
}

func readServer(t *testing.T, auth AuthOptions) (*Server, *fakeInventory) {
	v := testView(t)
	inv := &fakeInventory{v: v}
	s := New(Options{Auth: auth}, &fakeCluster{}, prometheus.NewRegistry(), zerolog.Nop())
	s.RegisterRead(staticViews{v}, inv, 3306)
	return s, inv
}

func TestReadEndpointsShapes(t *testing.T) {
	s, _ := readServer(t, AuthOptions{})
	_, body := get(t, s, "/api/instance/198.18.0.2/3306", nil)
	inst := body.(map[string]any)
	if inst["Key"].(map[string]any)["Hostname"] != "198.18.0.2" || inst["MasterKey"].(map[string]any)["Hostname"] != "198.18.0.1" {
		t.Fatalf("instance JSON: %v", inst)
	}
	for _, f := range []string{"ReplicationSQLThreadRuning", "Slave_SQL_Running", "Binlog_format", "SecondsBehindMaster", "ClusterName"} {
		if _, ok := inst[f]; !ok {
			t.Errorf("instance JSON lacks orchestrator field %s", f)
		}
	}
	if w, body := get(t, s, "/api/instance/198.18.0.9/3306", nil); w.Code != 500 || !strings.Contains(body.(map[string]any)["Message"].(string), "198.18.0.9:3306") {
		t.Errorf("unknown instance: %d %v", w.Code, body)
	}
	if w, _ := get(t, s, "/api/instance/198.18.0.2/notaport", nil); w.Code != 400 {
		t.Errorf("bad port: %d, want 400", w.Code)
	}
	for _, p := range []string{"/api/instance-replicas/198.18.0.1/3306", "/api/instance-slaves/198.18.0.1/3306"} {
		if _, body := get(t, s, p, nil); len(body.([]any)) != 2 {
			t.Errorf("%s: %v", p, body)
		}
	}
	// Cluster hints: name, alias, instance key, host/port form.
	for _, hint := range []string{"198.18.0.1:3306", "lab", "198.18.0.3:3306", "198.18.0.3/3306"} {
		_, body := get(t, s, "/api/cluster-info/"+hint, nil)
		ci, ok := body.(map[string]any)
		if !ok || ci["ClusterName"] != "198.18.0.1:3306" || ci["ClusterAlias"] != "lab" || ci["CountInstances"] != 3.0 {
			t.Errorf("cluster-info/%s: %v", hint, body)
		}
	}
	if _, body := get(t, s, "/api/cluster/lab", nil); len(body.([]any)) != 3 {
		t.Errorf("cluster/lab: %v", body)
	}
	if _, body := get(t, s, "/api/master/lab", nil); body.(map[string]any)["Key"].(map[string]any)["Hostname"] != "198.18.0.1" {
		t.Errorf("master/lab: %v", body)
	}
	if _, body := get(t, s, "/api/masters", nil); len(body.([]any)) != 1 {
		t.Errorf("masters: %v", body)
	}
	if _, body := get(t, s, "/api/all-instances", nil); len(body.([]any)) != 3 {
		t.Errorf("all-instances: %v", body)
	}
	if _, body := get(t, s, "/api/clusters-info", nil); len(body.([]any)) != 1 {
		t.Errorf("clusters-info: %v", body)
	}
	if _, body := get(t, s, "/api/search?s=198.18.0.2", nil); len(body.([]any)) != 1 {
		t.Errorf("search: %v", body)
	}
	if w, body := get(t, s, "/api/cluster-info/nosuch", nil); w.Code != 500 || body.(map[string]any)["Code"] != "ERROR" {
		t.Errorf("unknown cluster: %d %v", w.Code, body)
	}
}

func TestTopologyEndpoint(t *testing.T) {
	s, _ := readServer(t, AuthOptions{})
	w, body := get(t, s, "/api/topology/lab", nil)
	m := body.(map[string]any)
	text, _ := m["Details"].(string)
	want, err := projections.RenderTopology(testView(t), "198.18.0.1:3306", false)
	if err != nil {
		t.Fatal(err)
	}
	if w.Code != 200 || m["Code"] != "OK" || text != want || strings.Count(text, "\n") < 2 {
		t.Fatalf("topology: %d %v\nwant %q", w.Code, body, want)
	}
	_, body = get(t, s, "/api/topology-tabulated/198.18.0.2/3306", nil)
	if !strings.Contains(body.(map[string]any)["Details"].(string), "|") {
		t.Fatalf("tabulated: %v", body)
	}
}

func TestDiscoverAndForgetNeedAuthorization(t *testing.T) {
	s, inv := readServer(t, AuthOptions{ReadOnly: true})
	if w, body := get(t, s, "/api/discover/198.18.0.1/3306", nil); w.Code != 500 || body.(map[string]any)["Message"] != "Unauthorized" {
		t.Fatalf("read-only discover: %d %v", w.Code, body)
	}
	if _, _ = get(t, s, "/api/forget/198.18.0.1/3306", nil); len(inv.forgotten) != 0 {
		t.Fatal("read-only forget changed something")
	}
	s, inv = readServer(t, AuthOptions{})
	w, body := get(t, s, "/api/discover/198.18.0.1/3306", nil)
	d := body.(map[string]any)["Details"].(map[string]any)
	if w.Code != 200 || d["Key"].(map[string]any)["Hostname"] != "198.18.0.1" {
		t.Fatalf("discover: %d %v", w.Code, body)
	}
	w, body = get(t, s, "/api/discover/198.18.0.7/3306", nil)
	if w.Code != 500 || !strings.Contains(body.(map[string]any)["Message"].(string), "@@report_host") {
		t.Fatalf("discover error not passed through: %d %v", w.Code, body)
	}
	get(t, s, "/api/forget/198.18.0.3/3306", nil)
	get(t, s, "/api/forget-cluster/lab", nil)
	if strings.Join(inv.forgotten, ",") != "198.18.0.3:3306,cluster 198.18.0.1:3306" {
		t.Fatalf("forgotten: %v", inv.forgotten)
	}
}

// TestUnknownClusterHint: every cluster endpoint answers a hint that names
// no cluster with orchestrator's text.
func TestUnknownClusterHint(t *testing.T) {
	s, _ := readServer(t, AuthOptions{})
	for path, hint := range map[string]string{
		"/api/cluster-info/nosuch":                 "nosuch",
		"/api/cluster/nosuch":                      "nosuch",
		"/api/topology/nosuch":                     "nosuch",
		"/api/topology-tabulated/198.18.0.77/3306": "198.18.0.77:3306",
		"/api/master/198.18.0.77:3306":             "198.18.0.77:3306",
	} {
		w, body := get(t, s, path, nil)
		m, _ := body.(map[string]any)
		if want := "Unable to determine cluster name. clusterHint=" + hint; w.Code != 500 || m["Code"] != "ERROR" || m["Message"] != want {
			t.Errorf("%s: %d %v, want 500 %q", path, w.Code, body, want)
		}
	}
}

// TestClustersInfoFields asserts every ClusterInfo field of clusters-info
// and cluster-info.
func TestClustersInfoFields(t *testing.T) {
	s, _ := readServer(t, AuthOptions{})
	want := map[string]any{"ClusterName": "198.18.0.1:3306", "ClusterAlias": "lab", "ClusterDomain": "",
		"CountInstances": 3.0, "HeuristicLag": 0.0, "HasAutomatedMasterRecovery": false, "HasAutomatedIntermediateMasterRecovery": false}
	_, body := get(t, s, "/api/clusters-info", nil)
	if list, ok := body.([]any); !ok || len(list) != 1 || !reflect.DeepEqual(list[0], want) {
		t.Errorf("clusters-info: %v, want [%v]", body, want)
	}
	if _, body := get(t, s, "/api/cluster-info/lab", nil); !reflect.DeepEqual(body, want) {
		t.Errorf("cluster-info/lab: %v, want %v", body, want)
	}
}

// TestClustersInfoFieldsDerived: domain, heuristic lag and the recovery
// flags come from the fold and the settings.
func TestClustersInfoFieldsDerived(t *testing.T) {
	s := projections.DefaultSettings()
	s.RecoverMasterClusterFilters = []string{"198.18.0.1:3306"}
	topo, err := projections.NewTopology(s)
	if err != nil {
		t.Fatal(err)
	}
	p, r2, r3 := observed("198.18.0.1", 1, ""), observed("198.18.0.2", 2, "198.18.0.1"), observed("198.18.0.3", 3, "198.18.0.1")
	p.ClusterDomain, p.ClusterAlias = "db.example", "orders"
	lag := int64(7)
	r3.LagSeconds = &lag
	for i, o := range []events.InstanceObserved{p, r2, r3} {
		e, err := events.New(events.KindInstanceObserved, now.Add(-100*time.Millisecond), "n1", o)
		if err != nil {
			t.Fatal(err)
		}
		if err := topo.Apply(uint64(i+1), e); err != nil {
			t.Fatal(err)
		}
	}
	v := topo.View(now)
	srv := New(Options{}, &fakeCluster{}, prometheus.NewRegistry(), zerolog.Nop())
	srv.RegisterRead(staticViews{v}, &fakeInventory{v: v}, 3306)
	want := map[string]any{"ClusterName": "198.18.0.1:3306", "ClusterAlias": "orders", "ClusterDomain": "db.example",
		"CountInstances": 3.0, "HeuristicLag": 7.0, "HasAutomatedMasterRecovery": true, "HasAutomatedIntermediateMasterRecovery": false}
	if _, body := get(t, srv, "/api/clusters-info", nil); !reflect.DeepEqual(body, []any{want}) {
		t.Errorf("clusters-info: %v, want [%v]", body, want)
	}
}
