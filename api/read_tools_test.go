package api

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// toolsView folds a seven-instance cluster "lab" from events:
//
//	.1 primary
//	├── .2 (replicas .4 and .5; .4 has .7)
//	├── .3 (downtimed)
//	└── .6 (no log_slave_updates)
//
// .5 is in maintenance and .7 runs an older major version.
func toolsView(t *testing.T) *projections.View {
	t.Helper()
	s := projections.DefaultSettings()
	s.ClusterNameToAlias = map[string]string{"198.18.0.1:3306": "lab"}
	topo, err := projections.NewTopology(s)
	if err != nil {
		t.Fatal(err)
	}
	obs := []events.InstanceObserved{observed("198.18.0.1", 1, ""), observed("198.18.0.2", 2, "198.18.0.1"),
		observed("198.18.0.3", 3, "198.18.0.1"), observed("198.18.0.4", 4, "198.18.0.2"),
		observed("198.18.0.5", 5, "198.18.0.2"), observed("198.18.0.6", 6, "198.18.0.1"), observed("198.18.0.7", 7, "198.18.0.4")}
	obs[5].LogReplicaUpdates = false
	obs[6].Version = "10.6.21-MariaDB-log"
	type rec struct {
		kind events.Kind
		p    any
		inst string
	}
	var recs []rec
	for _, o := range obs {
		recs = append(recs, rec{events.KindInstanceObserved, o, o.Key.String()})
	}
	recs = append(recs,
		rec{events.KindDowntimeBegun, events.DowntimeBegun{Key: k("198.18.0.3"), Owner: "dba", Reason: "disk", Until: now.Add(time.Hour)}, ""},
		rec{events.KindMaintenanceBegun, events.MaintenanceBegun{Key: k("198.18.0.5"), Owner: "ops", Reason: "backup", Until: now.Add(time.Hour)}, ""},
		rec{events.KindCandidateRegistered, events.CandidateRegistered{Key: k("198.18.0.3"), PromotionRule: "prefer", Until: now.Add(time.Hour)}, ""},
		rec{events.KindCandidateRegistered, events.CandidateRegistered{Key: k("198.18.0.2"), PromotionRule: "must_not"}, ""},
		rec{events.KindCandidateRegistered, events.CandidateRegistered{Key: k("198.18.0.4"), PromotionRule: "prefer", Until: now.Add(-time.Second)}, ""})
	for i, r := range recs {
		e, err := events.New(r.kind, now.Add(-100*time.Millisecond), "n1", r.p)
		if err != nil {
			t.Fatal(err)
		}
		e.Instance = r.inst
		if err := topo.Apply(uint64(i+1), e); err != nil {
			t.Fatal(err)
		}
	}
	return topo.View(now)
}

func toolsServer(t *testing.T, o ReadToolsOptions, auth AuthOptions) *Server {
	t.Helper()
	s := New(Options{Auth: auth}, &fakeCluster{}, prometheus.NewRegistry(), zerolog.Nop())
	v := staticViews{toolsView(t)}
	s.RegisterRead(v, &fakeInventory{v: v.v}, 3306)
	s.RegisterReadTools(v, foldReader{testFold(t)}, o)
	return s
}

// hosts reads the Hostname of each element of a bare list (of instances
// when field is "Key", of keys when it is "").
func hosts(t *testing.T, body any, field string) []string {
	t.Helper()
	list, ok := body.([]any)
	if !ok {
		t.Fatalf("not a list: %v", body)
	}
	out := []string{}
	for _, it := range list {
		m := it.(map[string]any)
		if field != "" {
			m = m[field].(map[string]any)
		}
		out = append(out, strings.TrimPrefix(m["Hostname"].(string), "198.18.0."))
	}
	return out
}

func TestOSCReplicasFollowOrchestratorsHeuristic(t *testing.T) {
	s := toolsServer(t, ReadToolsOptions{}, AuthOptions{})
	// The busiest first-level intermediate primary (.2), two of its
	// replicas (.4 has a replica, so it comes first), the third-level
	// replica, then the first-level leaves.
	for _, p := range []string{"/api/cluster-osc-replicas/lab", "/api/cluster-osc-replicas/198.18.0.1/3306", "/api/cluster-osc-slaves/198.18.0.7:3306"} {
		w, body := get(t, s, p, nil)
		if got := hosts(t, body, "Key"); w.Code != 200 || !reflect.DeepEqual(got, []string{"2", "4", "5", "7", "3", "6"}) {
			t.Errorf("%s: %d %v", p, w.Code, got)
		}
	}
	ignore, err := projections.CompileHostnameFilters([]string{`^198\.18\.0\.5$`, "198.18.0.3"})
	if err != nil {
		t.Fatal(err)
	}
	s = toolsServer(t, ReadToolsOptions{OSCIgnore: ignore}, AuthOptions{})
	if _, body := get(t, s, "/api/cluster-osc-replicas/lab", nil); !reflect.DeepEqual(hosts(t, body, "Key"), []string{"2", "4", "7", "6"}) {
		t.Errorf("with OSCIgnoreHostnameFilters: %v", hosts(t, body, "Key"))
	}
	if w, body := get(t, s, "/api/cluster-osc-replicas/nosuch", nil); w.Code != 500 || !strings.Contains(body.(map[string]any)["Message"].(string), "Unable to determine cluster name") {
		t.Errorf("unknown cluster: %d %v", w.Code, body)
	}
	if _, err := projections.CompileHostnameFilters([]string{"("}); err == nil || !strings.Contains(err.Error(), `"("`) {
		t.Errorf("bad filter: %v", err)
	}
}

func TestDowntimedAndInMaintenance(t *testing.T) {
	s := toolsServer(t, ReadToolsOptions{}, AuthOptions{})
	for _, p := range []string{"/api/downtimed", "/api/downtimed/lab", "/api/downtimed/198.18.0.2/3306"} {
		if w, body := get(t, s, p, nil); w.Code != 200 || !reflect.DeepEqual(hosts(t, body, "Key"), []string{"3"}) {
			t.Errorf("%s: %d %v", p, w.Code, body)
		}
	}
	if w, body := get(t, s, "/api/downtimed/198.18.0.2/x", nil); w.Code != 400 || !strings.Contains(body.(map[string]any)["Message"].(string), "{port}") {
		t.Errorf("bad port: %d %v", w.Code, body)
	}
	for host, want := range map[string][2]string{"198.18.0.5": {"true", "198.18.0.5:3306"}, "198.18.0.4": {"false", ""}, "198.18.0.99": {"false", ""}} {
		w, body := get(t, s, "/api/in-maintenance/"+host+"/3306", nil)
		code, msg, d := envelope(t, body)
		if w.Code != 200 || code != "OK" || msg != want[0] || d != want[1] {
			t.Errorf("in-maintenance %s: %d %v", host, w.Code, body)
		}
	}
}

func TestCanReplicateFrom(t *testing.T) {
	s := toolsServer(t, ReadToolsOptions{}, AuthOptions{})
	for _, p := range []string{"/api/can-replicate-from/198.18.0.3/3306/198.18.0.2/3306", "/api/can-replicate-from-gtid/198.18.0.3/3306/198.18.0.2/3306"} {
		w, body := get(t, s, p, nil)
		code, msg, d := envelope(t, body)
		if w.Code != 200 || code != "OK" || msg != "true" || d.(map[string]any)["Hostname"] != "198.18.0.2" {
			t.Errorf("%s: %d %v", p, w.Code, body)
		}
	}
	for path, want := range map[string]string{
		"/api/can-replicate-from/198.18.0.3/3306/198.18.0.3/3306":  "cannot replicate from itself",
		"/api/can-replicate-from/198.18.0.3/3306/198.18.0.6/3306":  "does not have log_slave_updates enabled: 198.18.0.6:3306",
		"/api/can-replicate-from/198.18.0.7/3306/198.18.0.1/3306":  "has version 10.6.21-MariaDB-log, which is lower than 10.11.19-MariaDB-log",
		"/api/can-replicate-from/198.18.0.3/3306/198.18.0.99/3306": "Cannot read instance: 198.18.0.99:3306",
	} {
		w, body := get(t, s, path, nil)
		if code, msg, _ := envelope(t, body); w.Code != 500 || code != "ERROR" || !strings.Contains(msg, want) {
			t.Errorf("%s: %d %v, want %q", path, w.Code, body, want)
		}
	}
	if w, body := get(t, s, "/api/can-replicate-from/198.18.0.3/3306/bad%20host/3306", nil); w.Code != 400 || !strings.Contains(body.(map[string]any)["Message"].(string), "{dhost}") {
		t.Errorf("bad destination: %d %v", w.Code, body)
	}
}

func TestCanReplicateFromRules(t *testing.T) {
	base := func(host string, id uint) *projections.Instance {
		return &projections.Instance{Key: k(host), ServerID: id, Version: "8.0.36", BinlogFormat: "ROW", LogBinEnabled: true, LogReplicationUpdatesEnabled: true}
	}
	rules := projections.ReplicateRules{ReasonableMaintenanceLag: 20}
	cases := []struct {
		name string
		mod  func(inst, src *projections.Instance)
		r    projections.ReplicateRules
		want string
	}{
		{"fine", func(_, _ *projections.Instance) {}, rules, ""},
		{"no binlog", func(_, s *projections.Instance) { s.LogBinEnabled = false }, rules, "does not have binary logs enabled"},
		{"format", func(i, _ *projections.Instance) { i.BinlogFormat = "STATEMENT" }, rules, "Cannot replicate from ROW binlog format"},
		{"format, replica not logging", func(i, _ *projections.Instance) { i.BinlogFormat = "STATEMENT"; i.LogReplicationUpdatesEnabled = false }, rules, ""},
		{"server id", func(i, _ *projections.Instance) { i.ServerID = 2 }, rules, "Identical server id"},
		{"uuid", func(i, s *projections.Instance) { i.ServerUUID, s.ServerUUID = "u", "u" }, rules, "Identical server UUID"},
		{"delay", func(_, s *projections.Instance) { s.SQLDelay = 3600 }, rules, "has higher SQL_Delay (3600 seconds)"},
		{"filters ignored", func(_, s *projections.Instance) { s.HasReplicationFilters = true }, rules, ""},
		{"filters verified", func(_, s *projections.Instance) { s.HasReplicationFilters = true },
			projections.ReplicateRules{ReasonableMaintenanceLag: 20, VerifyReplicationFilters: true}, "has replication filters"},
		{"newer major", func(i, _ *projections.Instance) { i.Version = "8.4.0" }, rules, ""},
		{"older major", func(i, _ *projections.Instance) { i.Version = "5.7.44" }, rules, "which is lower than 8.0.36"},
	}
	for _, c := range cases {
		inst, src := base("198.18.0.3", 3), base("198.18.0.2", 2)
		c.mod(inst, src)
		err := projections.CanReplicateFrom(inst, src, c.r)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// Oracle GTID: the source must not have purged what the replica lacks.
	inst, src := base("198.18.0.3", 3), base("198.18.0.2", 2)
	inst.UsingOracleGTID, src.SupportsOracleGTID = true, true
	inst.ExecutedGtidSet = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-50"
	src.GtidPurged = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-40"
	if err := projections.CheckMoveViaGTID(inst, src); err != nil {
		t.Errorf("covered purge: %v", err)
	}
	src.GtidPurged = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-60"
	if err := projections.CheckMoveViaGTID(inst, src); err == nil || !strings.Contains(err.Error(), "has purged GTID entries not found on 198.18.0.3:3306") {
		t.Errorf("uncovered purge: %v", err)
	}
	inst.UsingOracleGTID = false
	if err := projections.CheckMoveViaGTID(inst, src); err == nil || !strings.Contains(err.Error(), "not GTID compatible") {
		t.Errorf("no GTID: %v", err)
	}
}

func TestRestartReplicaStatements(t *testing.T) {
	s := toolsServer(t, ReadToolsOptions{}, AuthOptions{})
	w, body := get(t, s, "/api/restart-replica-statements/198.18.0.3/3306?q=set+global+rpl_semi_sync_slave_enabled%3D1%3B%3B%0A", nil)
	code, msg, d := envelope(t, body)
	want := []any{"stop slave io_thread;", "stop slave sql_thread;", "set global rpl_semi_sync_slave_enabled=1;", "start slave sql_thread;", "start slave io_thread;"}
	if w.Code != 200 || code != "OK" || msg != "statements for: 198.18.0.3:3306" || !reflect.DeepEqual(d, want) {
		t.Errorf("restart-replica-statements: %d %v", w.Code, body)
	}
	// A primary runs no replication threads: only the query.
	if _, body := get(t, s, "/api/restart-slave-statements/198.18.0.1/3306?q=select+1", nil); !reflect.DeepEqual(body.(map[string]any)["Details"], []any{"select 1;"}) {
		t.Errorf("primary: %v", body)
	}
	if w, body := get(t, s, "/api/restart-replica-statements/198.18.0.3/3306?q=a%00b", nil); w.Code != 400 || body.(map[string]any)["Details"].(map[string]any)["Parameter"] != "q" {
		t.Errorf("bad q: %d %v", w.Code, body)
	}
	ro := toolsServer(t, ReadToolsOptions{}, AuthOptions{ReadOnly: true})
	if _, body := get(t, ro, "/api/restart-replica-statements/198.18.0.3/3306?q=x", nil); body.(map[string]any)["Message"] != "Unauthorized" {
		t.Errorf("read-only: %v", body)
	}
}

func TestClusterByAliasAndInstanceRoutes(t *testing.T) {
	s := toolsServer(t, ReadToolsOptions{}, AuthOptions{})
	for _, p := range []string{"/api/cluster/alias/lab", "/api/cluster/instance/198.18.0.7/3306"} {
		if w, body := get(t, s, p, nil); w.Code != 200 || len(body.([]any)) != 7 {
			t.Errorf("%s: %d %v", p, w.Code, body)
		}
	}
	w, body := get(t, s, "/api/cluster-info/alias/lab", nil)
	if ci, ok := body.(map[string]any); w.Code != 200 || !ok || ci["ClusterName"] != "198.18.0.1:3306" || ci["ClusterAlias"] != "lab" {
		t.Errorf("cluster-info/alias/lab: %d %v", w.Code, body)
	}
	for _, p := range []string{"/api/cluster/alias/nosuch", "/api/cluster-info/alias/nosuch"} {
		if w, body := get(t, s, p, nil); w.Code != 500 || body.(map[string]any)["Message"] != "No cluster found for alias nosuch" {
			t.Errorf("%s: %d %v", p, w.Code, body)
		}
	}
	if w, body := get(t, s, "/api/cluster/instance/198.18.0.99/3306", nil); w.Code != 500 || body.(map[string]any)["Message"] != "Cannot read instance: 198.18.0.99:3306" {
		t.Errorf("unknown instance: %d %v", w.Code, body)
	}
	// The host/port forms still answer.
	if w, body := get(t, s, "/api/cluster/198.18.0.1/3306", nil); w.Code != 200 || len(body.([]any)) != 7 {
		t.Errorf("cluster/host/port: %d %v", w.Code, body)
	}
}

func TestRecoveryFiltersAndRecentlyActive(t *testing.T) {
	s := toolsServer(t, ReadToolsOptions{RecoverMasterClusterFilters: []string{"*"}}, AuthOptions{})
	_, body := get(t, s, "/api/automated-recovery-filters", nil)
	code, msg, d := envelope(t, body)
	want := map[string]any{"RecoverMasterClusterFilters": []any{"*"}, "RecoverIntermediateMasterClusterFilters": []any{}, "RecoveryIgnoreHostnameFilters": []any{}}
	if code != "OK" || msg != "Automated recovery configuration details" || !reflect.DeepEqual(d, want) {
		t.Errorf("automated-recovery-filters: %v", body)
	}
	// testFold's recovery m-1 of 198.18.0.1 started at the view's time:
	// inside its hour of RecoveryPeriodBlockSeconds, not acknowledged.
	for p, n := range map[string]int{
		"/api/recently-active-cluster-recovery/198.18.0.1:3306":    1,
		"/api/recently-active-cluster-recovery/other:3306":         0,
		"/api/recently-active-instance-recovery/198.18.0.1/3306":   1,
		"/api/recently-active-instance-recovery/198.18.0.2/3306":   0,
		"/api/recently-active-instance-recovery/198.18.0.2/999999": -1,
	} {
		w, body := get(t, s, p, nil)
		if n < 0 {
			if w.Code != 400 {
				t.Errorf("%s: %d %v", p, w.Code, body)
			}
			continue
		}
		list, ok := body.([]any)
		if w.Code != 200 || !ok || len(list) != n || (n == 1 && list[0].(map[string]any)["UID"] != "m-1") {
			t.Errorf("%s: %d %v", p, w.Code, body)
		}
	}
}

// TestBulkPromotionRulesNoneIsNull: with no rule registered orchestrator
// answers null (BulkReadCandidateDatabaseInstance's list starts nil; its
// sqlite backend instead fails the query with `near "?": syntax error`,
// seen with scripts/orch-compare).
func TestBulkPromotionRulesNoneIsNull(t *testing.T) {
	s := New(Options{}, &fakeCluster{}, prometheus.NewRegistry(), zerolog.Nop())
	v := staticViews{testView(t)}
	if n := len(v.v.CandidateRules()); n != 0 {
		t.Fatalf("the test view has %d rules, want none", n)
	}
	s.RegisterReadTools(v, foldReader{testFold(t)}, ReadToolsOptions{})
	if w := serve(s, http.MethodGet, "/api/bulk-promotion-rules", nil); w.Code != 200 || strings.TrimSpace(w.Body.String()) != "null" {
		t.Errorf("no rules: %d %q, want 200 null", w.Code, w.Body.String())
	}
}

func TestBulkInstancesAndSnapshot(t *testing.T) {
	s := toolsServer(t, ReadToolsOptions{}, AuthOptions{})
	if w, body := get(t, s, "/api/bulk-instances", nil); w.Code != 200 || !reflect.DeepEqual(hosts(t, body, ""), []string{"1", "2", "3", "4", "5", "6", "7"}) {
		t.Errorf("bulk-instances: %d %v", w.Code, body)
	}
	ro := toolsServer(t, ReadToolsOptions{}, AuthOptions{ReadOnly: true})
	if _, body := get(t, ro, "/api/bulk-instances", nil); body.(map[string]any)["Message"] != "Unauthorized" {
		t.Errorf("read-only: %v", body)
	}
	// Registered rules in force (.4's lapsed), by key, with orchestrator's fields.
	_, body := get(t, s, "/api/bulk-promotion-rules", nil)
	want := []any{
		map[string]any{"Hostname": "198.18.0.2", "Port": 3306.0, "PromotionRule": "must_not", "LastSuggestedString": "2026-11-24 03:11:59", "PromotionRuleExpiry": ""},
		map[string]any{"Hostname": "198.18.0.3", "Port": 3306.0, "PromotionRule": "prefer", "LastSuggestedString": "2026-11-24 03:11:59", "PromotionRuleExpiry": "2026-11-24 04:12:00"},
	}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("bulk-promotion-rules: %v", body)
	}
	if _, body := get(t, ro, "/api/bulk-promotion-rules", nil); body.(map[string]any)["Message"] != "Unauthorized" {
		t.Errorf("read-only: %v", body)
	}
	w, body := get(t, s, "/api/snapshot-topologies", nil)
	code, msg, d := envelope(t, body)
	if w.Code != 200 || code != "OK" || msg != "Topology Snapshot completed" || !strings.HasPrefix(d.(string), "Took ") {
		t.Errorf("snapshot-topologies: %d %v", w.Code, body)
	}
}
