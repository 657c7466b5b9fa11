package projections

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

const (
	h1 = "198.18.0.1"
	h2 = "198.18.0.2"
	h3 = "198.18.0.3"
	c1 = "198.18.0.1:3306"
)

// flat is the lab: a MariaDB primary with two GTID replicas, seen by three
// Regent nodes.
func flat(tb testing.TB, s Settings) *script {
	sc := newScript(tb, s).discover(h1)
	return sc.observe(threeNodes, mariaPrimary(h1, 1), mariaReplica(h2, 2, h1), mariaReplica(h3, 3, h1))
}

func both(tb testing.TB, v *View, cluster string) string {
	return render(tb, v, cluster, false) + "\n\n" + render(tb, v, cluster, true) + "\n"
}

func wantProblems(t *testing.T, inst *Instance, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(inst.Problems, want) {
		t.Errorf("%s problems = %q, want %q", inst.Key, inst.Problems, want)
	}
}

func TestHealthyFlatMariaDB(t *testing.T) {
	sc := flat(t, DefaultSettings()).at(500 * time.Millisecond)
	v := sc.view()
	golden(t, "flat_mariadb.txt", both(t, v, c1))
	want := "198.18.0.1:3306   [0s,ok,10.11.6-MariaDB-log,rw,ROW,>>]\n" +
		"+ 198.18.0.2:3306 [0s,ok,10.11.6-MariaDB-log,ro,ROW,>>,GTID]\n" +
		"+ 198.18.0.3:3306 [0s,ok,10.11.6-MariaDB-log,ro,ROW,>>,GTID]"
	if got := render(t, v, c1, false); got != want {
		t.Errorf("topology:\n%s\nwant:\n%s", got, want)
	}
	for host, depth := range map[string]uint{h1: 0, h2: 1, h3: 1} {
		inst := sc.instance(host)
		if inst.ClusterName != c1 || inst.ReplicationDepth != depth || !inst.IsLastCheckValid || !inst.IsUpToDate {
			t.Errorf("%s: cluster %q depth %d valid %v uptodate %v", host, inst.ClusterName, inst.ReplicationDepth, inst.IsLastCheckValid, inst.IsUpToDate)
		}
		wantProblems(t, inst)
	}
	ci, ok := v.Cluster(c1)
	if !ok || ci.CountInstances != 3 || ci.ClusterAlias != c1 {
		t.Errorf("cluster info = %+v", ci)
	}
	if m := v.Masters(); len(m) != 1 || m[0].Key != key(h1) {
		t.Errorf("masters = %v", m)
	}
	if r := v.Replicas(key(h1)); len(r) != 2 || r[0].Key != key(h2) || r[1].Key != key(h3) {
		t.Errorf("replicas of primary = %v", r)
	}
}

func TestSeedShapeMySQL(t *testing.T) {
	const (
		uA = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
		uB = "4e11fa47-71ca-11e1-9e33-c80aa9429562"
	)
	sc := newScript(t, DefaultSettings())
	sc.observe([]string{"n1"}, mysqlPrimary("198.18.0.51", uA, 51), mysqlReplica("198.18.0.52", uB, 52, "198.18.0.51", uA))
	want := "198.18.0.51:3306   [0s,ok,5.7.28-log,rw,ROW,>>,GTID]\n" +
		"+ 198.18.0.52:3306 [0s,ok,5.7.28-log,ro,ROW,>>,GTID]"
	if got := render(t, sc.view(), "198.18.0.51:3306", false); got != want {
		t.Errorf("topology:\n%s\nwant:\n%s", got, want)
	}
}

func TestChained(t *testing.T) {
	sc := newScript(t, DefaultSettings())
	sc.observe(threeNodes, mariaPrimary(h1, 1), mariaReplica(h2, 2, h1), mariaReplica(h3, 3, h2))
	v := sc.view()
	golden(t, "chained.txt", both(t, v, c1))
	if d := sc.instance(h3).ReplicationDepth; d != 2 {
		t.Errorf("depth of %s = %d, want 2", h3, d)
	}
	if a := sc.instance(h3).AncestryUUID; a != "" {
		t.Errorf("ancestry without UUIDs = %q", a)
	}
}

func TestReplicaKilled(t *testing.T) {
	sc := flat(t, DefaultSettings())
	sc.at(time.Second).observe(threeNodes, mariaPrimary(h1, 1), mariaReplica(h2, 2, h1))
	sc.unreachable(threeNodes, h3, "dial tcp 198.18.0.3:3306: connect: connection refused")
	sc.at(1500 * time.Millisecond)
	v := sc.view()
	golden(t, "replica_killed.txt", both(t, v, c1))
	inst := sc.instance(h3)
	if inst.IsLastCheckValid || !inst.IsRecentlyChecked {
		t.Errorf("killed replica valid=%v recent=%v", inst.IsLastCheckValid, inst.IsRecentlyChecked)
	}
	wantProblems(t, inst, ProblemLastCheckInvalid)
	if !strings.Contains(render(t, v, c1, false), "- 198.18.0.3:3306 [unknown,invalid,") {
		t.Errorf("killed replica not rendered as - unknown,invalid")
	}
	ev, _ := v.Evidence(key(h3))
	if ev.Fresh != 3 || ev.FreshFailed != 3 || ev.Reports[0].Error == "" {
		t.Errorf("evidence = %+v", ev)
	}
	// Started again: the next round restores "+ … ok".
	sc.at(2*time.Second).observe(threeNodes, mariaReplica(h3, 3, h1))
	if !strings.Contains(render(t, sc.view(), c1, false), "+ 198.18.0.3:3306 [0s,ok,") {
		t.Errorf("restarted replica not back to + ok:\n%s", render(t, sc.view(), c1, false))
	}
}

func TestStoppedSQLThread(t *testing.T) {
	sc := flat(t, DefaultSettings())
	r := mariaReplica(h2, 2, h1)
	r.Replication.SQLThread = events.ThreadStopped
	r.Replication.SecondsBehind = nil
	r.Replication.LastSQLError = "Error 'Duplicate entry' on query"
	r.Digest = "d-stopped"
	sc.observe(threeNodes, r)
	v := sc.view()
	golden(t, "nonreplicating.txt", both(t, v, c1))
	wantProblems(t, sc.instance(h2), ProblemNotReplicating)
	if !strings.Contains(render(t, v, c1, false), "- 198.18.0.2:3306 [null,nonreplicating,") {
		t.Errorf("stopped replica:\n%s", render(t, v, c1, false))
	}
}

func TestLag(t *testing.T) {
	sc := flat(t, DefaultSettings())
	lagging := mariaReplica(h2, 2, h1)
	lagging.Replication.SecondsBehind, lagging.LagSeconds = i64(30), i64(30)
	mild := mariaReplica(h3, 3, h1)
	mild.Replication.SecondsBehind, mild.LagSeconds = i64(15), i64(15)
	sc.observe(threeNodes, lagging, mild)
	v := sc.view()
	golden(t, "lag.txt", both(t, v, c1))
	wantProblems(t, sc.instance(h2), ProblemReplicationLag)
	wantProblems(t, sc.instance(h3), ProblemReplicationLag)
	text := render(t, v, c1, false)
	if !strings.Contains(text, "+ 198.18.0.2:3306 [30s,lag,") || !strings.Contains(text, "+ 198.18.0.3:3306 [15s,ok,") {
		t.Errorf("lag rendering:\n%s", text)
	}
	if ci, _ := v.Cluster(c1); ci.HeuristicLag != 30 {
		t.Errorf("heuristic lag = %d, want 30", ci.HeuristicLag)
	}
	// A delayed replica is measured against its delay.
	delayed := mariaReplica(h3, 3, h1)
	delayed.Replication.SQLDelay = 3600
	delayed.Replication.SecondsBehind, delayed.LagSeconds = i64(3605), i64(3605)
	sc.observe(threeNodes, delayed)
	wantProblems(t, sc.instance(h3))
	if !strings.Contains(render(t, sc.view(), c1, false), "+ 198.18.0.3:3306 [3605s,ok,") {
		t.Errorf("delayed replica:\n%s", render(t, sc.view(), c1, false))
	}
}

func TestErrantGTIDMySQL(t *testing.T) {
	sc := newScript(t, DefaultSettings())
	p := mysqlPrimary(h1, u1, 1)
	r := mysqlReplica(h2, u2, 2, h1, u1)
	r.GTID.Executed = u1 + ":1-100," + u2 + ":1-3"
	ok := mysqlReplica(h3, u3, 3, h1, u1)
	ok.GTID.Executed = u1 + ":1-104" // ahead of a stale probe of the primary: not errant
	sc.observe(threeNodes, p, r, ok)
	v := sc.view()
	golden(t, "errant_mysql.txt", both(t, v, c1))
	if e := sc.instance(h2).GtidErrant; e != u2+":1-3" {
		t.Errorf("errant = %q", e)
	}
	wantProblems(t, sc.instance(h2), ProblemErrantGTID)
	wantProblems(t, sc.instance(h3))
	if a := sc.instance(h2).AncestryUUID; a != u1+","+u2 {
		t.Errorf("ancestry = %q", a)
	}
}

func TestErrantGTIDMariaDB(t *testing.T) {
	sc := flat(t, DefaultSettings())
	r := mariaReplica(h3, 3, h1)
	r.GTID.CurrentPos = "0-1-100,7-3-2"
	r.Digest = "d-errant"
	sc.observe(threeNodes, r)
	if e := sc.instance(h3).GtidErrant; e != "7-3-2" {
		t.Errorf("errant = %q", e)
	}
	if !strings.Contains(render(t, sc.view(), c1, false), "+ 198.18.0.3:3306 [0s,ok,10.11.6-MariaDB-log,ro,ROW,>>,GTID:errant]") {
		t.Errorf("errant rendering:\n%s", render(t, sc.view(), c1, false))
	}
}

// TestErrantGTIDMariaDBBinlogState: an errant transaction the primary's
// domain sequence has passed is still errant by (domain, server id), and
// clears once the primary's gtid_binlog_state holds it (inject-empty).
func TestErrantGTIDMariaDBBinlogState(t *testing.T) {
	sc := flat(t, DefaultSettings())
	p := mariaPrimary(h1, 1)
	p.GTID.BinlogPos, p.GTID.BinlogState = "0-1-105", "0-1-105"
	p.Digest = "d-p2"
	r := mariaReplica(h3, 3, h1)
	r.GTID.CurrentPos, r.GTID.BinlogPos, r.GTID.BinlogState = "0-1-105", "0-1-105", "0-1-105,0-3-101"
	r.Digest = "d-errant"
	sc.observe(threeNodes, p, r)
	if e := sc.instance(h3).GtidErrant; e != "0-3-101" {
		t.Errorf("errant = %q, want 0-3-101", e)
	}
	wantProblems(t, sc.instance(h3), ProblemErrantGTID)
	p.GTID.BinlogState, p.Digest = "0-1-105,0-3-101", "d-p3"
	sc.observe(threeNodes, p)
	if e := sc.instance(h3).GtidErrant; e != "" {
		t.Errorf("after the primary logged 0-3-101: errant = %q, want none", e)
	}
	wantProblems(t, sc.instance(h3))
}

func TestOriginsDisagree(t *testing.T) {
	sc := flat(t, DefaultSettings()).at(time.Second)
	sc.observe([]string{"n2", "n3"}, mariaReplica(h2, 2, h1))
	sc.unreachable([]string{"n1"}, h2, "i/o timeout")
	if inst := sc.instance(h2); !inst.IsLastCheckValid {
		t.Errorf("two of three saw it: want valid")
	}
	sc.unreachable([]string{"n2"}, h2, "i/o timeout")
	if inst := sc.instance(h2); inst.IsLastCheckValid {
		t.Errorf("two of three failed: want invalid")
	}
	// Stale reports do not vote: n1 and n2 said "unreachable" long ago, n3
	// keeps seeing it.
	sc.at(10*time.Second).observe([]string{"n3"}, mariaReplica(h2, 2, h1))
	ev, _ := sc.view().Evidence(key(h2))
	if !ev.LastCheckValid || ev.Fresh != 1 {
		t.Errorf("evidence after stale failures = %+v", ev)
	}
	// One against one is invalid.
	sc.unreachable([]string{"n1"}, h2, "refused")
	if sc.instance(h2).IsLastCheckValid {
		t.Errorf("one against one: want invalid")
	}
}

func TestNotRecentlyChecked(t *testing.T) {
	sc := flat(t, DefaultSettings()).at(3 * time.Second)
	inst := sc.instance(h2)
	if !inst.IsLastCheckValid || inst.IsUpToDate || !inst.IsRecentlyChecked {
		t.Errorf("after 3s: valid %v uptodate %v recent %v", inst.IsLastCheckValid, inst.IsUpToDate, inst.IsRecentlyChecked)
	}
	sc.at(6 * time.Second)
	wantProblems(t, sc.instance(h2), ProblemNotRecentlyChecked)
	if !strings.Contains(render(t, sc.view(), c1, false), "- 198.18.0.2:3306 [unknown,unchecked,") {
		t.Errorf("stale rendering:\n%s", render(t, sc.view(), c1, false))
	}
	if s := sc.instance(h2).SecondsSinceLastSeen; !s.Valid || s.Int64 != 6 {
		t.Errorf("seconds since last seen = %+v", s)
	}
}

func TestProgressMovesOnlyMatchingDigest(t *testing.T) {
	sc := flat(t, DefaultSettings()).at(time.Second)
	prog := events.InstanceProgress{
		Key: key(h2), Digest: "d-" + h2, GTIDCurrentPos: "0-1-150",
		ReadCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 9000},
		ExecCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 8000},
		SecondsBehind:   i64(4), LagSeconds: i64(4),
	}
	sc.emit(events.KindInstanceProgress, "n1", prog)
	inst := sc.instance(h2)
	if inst.ExecBinlogCoordinates.LogPos != 8000 || inst.ReplicationLagSeconds.Int64 != 4 || inst.MariaDBGTID.CurrentPos != "0-1-150" {
		t.Errorf("progress not merged: %+v %+v", inst.ExecBinlogCoordinates, inst.ReplicationLagSeconds)
	}
	prog.Digest, prog.SecondsBehind, prog.LagSeconds = "d-other", i64(99), i64(99)
	sc.at(1500*time.Millisecond).emit(events.KindInstanceProgress, "n2", prog)
	inst = sc.instance(h2)
	if inst.ReplicationLagSeconds.Int64 != 4 {
		t.Errorf("mismatched digest moved lag to %d", inst.ReplicationLagSeconds.Int64)
	}
	ev, _ := sc.view().Evidence(key(h2))
	if ev.Reports[1].Origin != "n2" || !ev.Reports[1].OK || !ev.Reports[1].At.Equal(t0.Add(1500*time.Millisecond)) {
		t.Errorf("progress not counted as evidence: %+v", ev.Reports[1])
	}
}

func TestForget(t *testing.T) {
	sc := flat(t, DefaultSettings())
	sc.emit(events.KindInstanceForgotten, "n1", events.InstanceForgotten{Key: key(h3), Reason: "api"})
	if _, ok := sc.view().Instance(key(h3)); ok {
		t.Fatalf("forgotten instance still in view")
	}
	// An in-flight probe from another node does not bring it back...
	sc.observe([]string{"n2"}, mariaReplica(h3, 3, h1))
	if _, ok := sc.view().Instance(key(h3)); ok {
		t.Fatalf("observation resurrected a forgotten instance")
	}
	golden(t, "forget.txt", both(t, sc.view(), c1))
	// ...until it is discovered again.
	sc.discover(h3).observe([]string{"n2"}, mariaReplica(h3, 3, h1))
	if _, ok := sc.view().Instance(key(h3)); !ok {
		t.Fatalf("rediscovered instance missing")
	}
	sc.emit(events.KindClusterForgotten, "n1", events.ClusterForgotten{ClusterName: c1})
	if n := len(sc.view().Instances()); n != 0 {
		t.Fatalf("forget-cluster left %d instances", n)
	}
}

func TestAliasPrecedence(t *testing.T) {
	s := DefaultSettings()
	sc := newScript(t, s)
	p := mariaPrimary(h1, 1)
	p.ClusterAlias, p.ClusterDomain = "probe-alias", "db.example"
	sc.observe(threeNodes, p, mariaReplica(h2, 2, h1))
	v := sc.view()
	if ci, _ := v.Cluster(c1); ci.ClusterAlias != "probe-alias" || ci.ClusterDomain != "db.example" {
		t.Errorf("probe alias: %+v", ci)
	}
	if a := sc.instance(h2).SuggestedClusterAlias; a != "probe-alias" {
		t.Errorf("suggested alias = %q", a)
	}

	s.ClusterNameToAlias = map[string]string{c1: "config-alias"}
	sc2 := newScript(t, s)
	sc2.observe(threeNodes, p, mariaReplica(h2, 2, h1))
	if ci, _ := sc2.view().Cluster(c1); ci.ClusterAlias != "config-alias" {
		t.Errorf("config alias: %+v", ci)
	}
	sc2.emit(events.KindClusterAliasSet, "n1", events.ClusterAliasSet{ClusterName: c1, Alias: "manual"})
	v = sc2.view()
	if ci, _ := v.Cluster(c1); ci.ClusterAlias != "manual" {
		t.Errorf("manual alias: %+v", ci)
	}
	for hint, want := range map[string]string{c1: c1, "manual": c1, "198.18.0.2": c1, "198.18.0.2:3306": c1, "198.18.0.": c1} {
		if got, err := v.ResolveCluster(hint); err != nil || got != want {
			t.Errorf("ResolveCluster(%q) = %q, %v", hint, got, err)
		}
	}
	for _, hint := range []string{"", "nope", "198.18.0.9:3306", "config-alias"} {
		if _, err := v.ResolveCluster(hint); !errors.Is(err, ErrUnknownCluster) {
			t.Errorf("ResolveCluster(%q) error = %v, want ErrUnknownCluster", hint, err)
		}
	}
	// Regular-expression keys, as orchestrator's ClusterNameToAlias.
	s.ClusterNameToAlias = map[string]string{`^198\.18\.0\.1:`: "by-pattern"}
	sc3 := newScript(t, s)
	sc3.observe(threeNodes, mariaPrimary(h1, 1))
	if ci, _ := sc3.view().Cluster(c1); ci.ClusterAlias != "by-pattern" {
		t.Errorf("pattern alias: %+v", ci)
	}
}

func TestDowntimeAndCandidate(t *testing.T) {
	sc := flat(t, DefaultSettings())
	sc.emit(events.KindDowntimeBegun, "n1", events.DowntimeBegun{Key: key(h3), Owner: "ops", Reason: "upgrade", Until: t0.Add(time.Hour)})
	sc.emit(events.KindCandidateRegistered, "n1", events.CandidateRegistered{Key: key(h2), PromotionRule: PromotionPrefer, Until: t0.Add(time.Hour)})
	sc.at(30*time.Second).observe(threeNodes, mariaPrimary(h1, 1), mariaReplica(h2, 2, h1), mariaReplica(h3, 3, h1))
	v := sc.view()
	golden(t, "downtimed.txt", both(t, v, c1))
	inst := sc.instance(h3)
	if !inst.IsDowntimed || inst.DowntimeOwner != "ops" || inst.DowntimeEndTimestamp != "2025-03-01 13:00:00" || inst.ElapsedDowntime != 30*time.Second {
		t.Errorf("downtime fields: %v %q %q %v", inst.IsDowntimed, inst.DowntimeOwner, inst.DowntimeEndTimestamp, inst.ElapsedDowntime)
	}
	if c := sc.instance(h2); !c.IsCandidate || c.PromotionRule != PromotionPrefer {
		t.Errorf("candidate: %v %q", c.IsCandidate, c.PromotionRule)
	}
	sc.emit(events.KindDowntimeEnded, "n1", events.DowntimeEnded{Key: key(h3)})
	if strings.Contains(render(t, sc.view(), c1, false), "downtimed") {
		t.Errorf("downtime ended but still shown")
	}
	// Expiry by time.
	sc.emit(events.KindDowntimeBegun, "n1", events.DowntimeBegun{Key: key(h3), Until: t0.Add(40 * time.Second)})
	sc.at(41 * time.Second)
	if sc.instance(h3).IsDowntimed {
		t.Errorf("expired downtime still active")
	}
	if sc.instance(h2).IsCandidate != true {
		t.Errorf("candidate registration expired early")
	}
}

func TestCoMasters(t *testing.T) {
	sc := newScript(t, DefaultSettings())
	a := mariaReplica(h2, 2, h1)
	a.ReadOnly = false
	b := mariaReplica(h1, 1, h2)
	sc.observe(threeNodes, a, b, mariaReplica(h3, 3, h2))
	v := sc.view()
	golden(t, "comasters.txt", both(t, v, c1))
	i1, i2 := sc.instance(h1), sc.instance(h2)
	if !i1.IsCoMaster || !i2.IsCoMaster || i1.ClusterName != c1 || i2.ClusterName != c1 {
		t.Errorf("co-masters: %v %v %q %q", i1.IsCoMaster, i2.IsCoMaster, i1.ClusterName, i2.ClusterName)
	}
	if i1.ReplicationDepth != 0 || i2.ReplicationDepth != 1 || sc.instance(h3).ReplicationDepth != 2 {
		t.Errorf("depths %d %d %d", i1.ReplicationDepth, i2.ReplicationDepth, sc.instance(h3).ReplicationDepth)
	}
	if m, _ := v.ClusterMaster(c1); m.Key != key(h2) {
		t.Errorf("cluster master = %v, want the writable co-master", m.Key)
	}
}

func TestPatternsAndProblemFilters(t *testing.T) {
	s := DefaultSettings()
	s.DataCenterPattern = regexp.MustCompile(`^198\.18\.(\d+)\.`)
	s.RegionPattern = regexp.MustCompile(`^(198)\.`)
	s.ProblemIgnoreHostnameFilters = []*regexp.Regexp{regexp.MustCompile(`\.3$`)}
	s.RecoverMasterClusterFilters = []string{"alias=prod"}
	sc := newScript(t, s)
	p := mariaPrimary(h1, 1)
	p.DataCenter = "probe-dc"
	r := mariaReplica(h3, 3, h1)
	r.Replication.IOThread = events.ThreadStopped
	sc.observe([]string{"n1"}, p, mariaReplica(h2, 2, h1), r)
	if dc := sc.instance(h1).DataCenter; dc != "probe-dc" {
		t.Errorf("probe data center = %q", dc)
	}
	if i := sc.instance(h2); i.DataCenter != "0" || i.Region != "198" {
		t.Errorf("pattern dc/region = %q/%q", i.DataCenter, i.Region)
	}
	v := sc.view()
	if n := len(v.ProblemInstances("")); n != 0 || len(sc.instance(h3).Problems) != 1 {
		t.Errorf("problem instances = %d, problems %q", n, sc.instance(h3).Problems)
	}
	if ci, _ := v.Cluster(c1); ci.HasAutomatedMasterRecovery {
		t.Errorf("recovery filter matched without alias")
	}
	sc.emit(events.KindClusterAliasSet, "n1", events.ClusterAliasSet{ClusterName: c1, Alias: "prod"})
	if ci, _ := sc.view().Cluster(c1); !ci.HasAutomatedMasterRecovery || ci.HasAutomatedIntermediateMasterRecovery {
		t.Errorf("recovery flags = %+v", ci)
	}
	if got := sc.view().Search("0.2"); len(got) != 1 || got[0].Key != key(h2) {
		t.Errorf("search = %v", got)
	}
}

func TestBadPayloadLeavesStateUnchanged(t *testing.T) {
	sc := flat(t, DefaultSettings())
	before := mustJSON(t, sc.view().Instances())
	for _, k := range []events.Kind{events.KindInstanceObserved, events.KindInstanceProgress, events.KindInstanceUnreachable, events.KindInstanceForgotten, events.KindDowntimeBegun} {
		env, _ := events.New(k, t0, "n1", nil)
		env.Payload = []byte(`{"key":{"Hostname":"198.18.0.2","Port":"x"}}`)
		if err := sc.topo.Apply(1000, env); err == nil {
			t.Errorf("%s: bad payload accepted", k)
		}
	}
	if after := mustJSON(t, sc.view().Instances()); after != before {
		t.Errorf("bad payloads changed the state")
	}
	if o, _ := sc.topo.LastSeq(); o != sc.obsSeq {
		t.Errorf("failed events advanced the sequence to %d", o)
	}
}

func TestInstanceJSONShape(t *testing.T) {
	sc := flat(t, DefaultSettings())
	js := mustJSON(t, sc.instance(h2))
	for _, field := range []string{`"Key":{"Hostname":"198.18.0.2","Port":3306}`, `"MasterKey":{"Hostname":"198.18.0.1","Port":3306}`,
		`"ReplicationSQLThreadRuning":true`, `"Slave_SQL_Running":true`, `"Slave_IO_Running":true`, `"Binlog_format":"ROW"`,
		`"SecondsBehindMaster":{"Int64":0,"Valid":true}`, `"ReplicationLagSeconds":{"Int64":0,"Valid":true}`,
		`"SlaveLagSeconds":{"Int64":0,"Valid":true}`, `"ClusterName":"198.18.0.1:3306"`, `"ReplicationDepth":1`,
		`"IsLastCheckValid":true`, `"Problems":[]`, `"UsingMariaDBGTID":true`, `"SlaveHosts":[]`, `"Replicas":[]`,
		`"ReplicationSQLThreadState":1`, `"ExecBinlogCoordinates":{"LogFile":"mysql-bin.000002","LogPos":4000,"Type":0}`,
		`"RelaylogCoordinates":{"LogFile":"relay-bin.000003","LogPos":700,"Type":1}`, `"PromotionRule":"neutral"`,
		`"LogSlaveUpdatesEnabled":true`, `"GtidErrant":""`, `"LastSeenTimestamp":"2025-03-01 12:00:00"`} {
		if !strings.Contains(js, field) {
			t.Errorf("instance JSON lacks %s", field)
		}
	}
	for _, hidden := range []string{"MariaDBGTID", "DetectedClusterAlias", "Observed"} {
		if strings.Contains(js, `"`+hidden+`"`) {
			t.Errorf("instance JSON shows Regent field %s", hidden)
		}
	}
	master := mustJSON(t, sc.instance(h1))
	if !strings.Contains(master, `"MasterKey":{"Hostname":"","Port":0}`) || !strings.Contains(master, `"ReplicationSQLThreadState":-1`) {
		t.Errorf("master JSON: %s", master)
	}
}
