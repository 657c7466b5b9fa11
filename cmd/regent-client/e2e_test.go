package main

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// The end-to-end tests below run the client against a real api.Server whose
// view is folded from an event transcript (not canned JSON).

var e2eNow = time.Date(2026, 11, 24, 3, 12, 0, 0, time.UTC)

func e2eKey(host string) events.InstanceKey { return events.InstanceKey{Hostname: host, Port: 3306} }

func e2eObserved(host string, id uint32, source string) events.InstanceObserved {
	o := events.InstanceObserved{
		Key: e2eKey(host), ServerID: id, Version: "10.11.19-MariaDB-log", Flavor: "MariaDB",
		LogBin: true, LogReplicaUpdates: true, BinlogFormat: "ROW", BinlogRowImage: "FULL",
		GTID:   events.GTIDState{CurrentPos: "0-1-10", BinlogPos: "0-1-10"},
		Digest: "d" + host,
	}
	if source != "" {
		zero := int64(0)
		o.ReadOnly = true
		o.LagSeconds = &zero
		o.GTID.SlavePos = "0-1-10"
		o.Replication = &events.Replication{SourceKey: e2eKey(source), IOThread: events.ThreadRunning,
			SQLThread: events.ThreadRunning, SecondsBehind: &zero, UsingMariaDBGTID: true, MariaDBGTIDMode: "Slave_Pos"}
	}
	return o
}

// e2eView folds: a primary 198.18.0.1 with replicas .2 and .3 (alias
// "lab", set by an event), and a lone primary .9; .3 was last reached 10 s
// ago and now refuses connections.
func e2eView(t *testing.T) *projections.View {
	t.Helper()
	return e2eViewWith(t, nil)
}

// e2eViewWith folds e2eView's transcript, then what more adds.
func e2eViewWith(t *testing.T, more func(apply func(events.Kind, time.Time, events.InstanceKey, any))) *projections.View {
	t.Helper()
	topo, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	var seq uint64
	apply := func(kind events.Kind, at time.Time, key events.InstanceKey, p any) {
		e, err := events.New(kind, at, "n1", p)
		if err != nil {
			t.Fatal(err)
		}
		e.Instance = key.String()
		seq++
		if err := topo.Apply(seq, e); err != nil {
			t.Fatal(err)
		}
	}
	old := e2eNow.Add(-10 * time.Second)
	for _, h := range []string{"198.18.0.1", "198.18.0.2", "198.18.0.3", "198.18.0.9"} {
		apply(events.KindInstanceDiscovered, old, e2eKey(h), events.InstanceDiscovered{Key: e2eKey(h), Via: "api"})
	}
	apply(events.KindInstanceObserved, old, e2eKey("198.18.0.3"), e2eObserved("198.18.0.3", 3, "198.18.0.1"))
	for _, o := range []events.InstanceObserved{e2eObserved("198.18.0.1", 1, ""), e2eObserved("198.18.0.2", 2, "198.18.0.1"), e2eObserved("198.18.0.9", 9, "")} {
		apply(events.KindInstanceObserved, e2eNow.Add(-100*time.Millisecond), o.Key, o)
	}
	apply(events.KindInstanceUnreachable, e2eNow.Add(-100*time.Millisecond), e2eKey("198.18.0.3"),
		events.InstanceUnreachable{Key: e2eKey("198.18.0.3"), Error: "dial tcp 198.18.0.3:3306: connect: connection refused"})
	apply(events.KindClusterAliasSet, old, events.InstanceKey{}, events.ClusterAliasSet{ClusterName: "198.18.0.1:3306", Alias: "lab"})
	if more != nil {
		more(apply)
	}
	return topo.View(e2eNow)
}

type e2eViews struct{ v *projections.View }

func (s e2eViews) View() *projections.View { return s.v }

// e2eInventory answers discover from the view and fails for anything else
// the way a probe of a host without report_host does.
type e2eInventory struct{ v *projections.View }

func (f e2eInventory) Discover(_ context.Context, key events.InstanceKey, _ string) (*projections.Instance, error) {
	if inst, ok := f.v.Instance(key); ok {
		return inst, nil
	}
	return nil, errors.New("MySQLHostnameResolveMethod configured to use @@report_host but " + key.String() + " has NULL/empty @@report_host")
}
func (e2eInventory) AsyncDiscover(context.Context, events.InstanceKey, string) error { return nil }
func (e2eInventory) Forget(context.Context, events.InstanceKey, string) error        { return nil }
func (e2eInventory) ForgetCluster(context.Context, string, string) error             { return nil }

type e2eCluster struct{}

func (e2eCluster) Self() string { return "n1:10008" }
func (e2eCluster) Leadership() api.Leadership {
	return api.Leadership{Known: true, Leader: "n1:10008", IsLeader: true, Epoch: 1}
}
func (e2eCluster) Peers() []string                { return []string{"n1:10008"} }
func (e2eCluster) Health(_ context.Context) error { return nil }

func TestClientAgainstServer(t *testing.T) {
	v := e2eView(t)
	s := api.New(api.Options{}, e2eCluster{}, prometheus.NewRegistry(), zerolog.Nop())
	s.RegisterRead(e2eViews{v}, e2eInventory{v}, 3306)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	env := map[string]string{"ORCHESTRATOR_API": srv.URL}
	const ver = "10.11.19-MariaDB-log"
	cases := []struct {
		args           []string
		stdout, stderr string
		code           int
	}{
		{[]string{"-c", "discover", "-i", "198.18.0.2:3306"}, "198.18.0.2:3306\n", "", 0},
		{[]string{"-c", "discover", "-i", "198.18.0.7"}, "",
			"MySQLHostnameResolveMethod configured to use @@report_host but 198.18.0.7:3306 has NULL/empty @@report_host\n", 1},
		{[]string{"-c", "topology", "-i", "198.18.0.1:3306"},
			"198.18.0.1:3306   [0s,ok," + ver + ",rw,ROW,>>]\n" +
				"+ 198.18.0.2:3306 [0s,ok," + ver + ",ro,ROW,>>,GTID]\n" +
				"- 198.18.0.3:3306 [unknown,invalid," + ver + ",ro,ROW,>>,GTID]\n", "", 0},
		{[]string{"-c", "topology-tabulated", "-a", "lab"},
			"198.18.0.1:3306  |     0s|ok     |" + ver + "|rw|ROW|>>     \n" +
				"+ 198.18.0.2:3306|     0s|ok     |" + ver + "|ro|ROW|>>,GTID\n" +
				"- 198.18.0.3:3306|unknown|invalid|" + ver + "|ro|ROW|>>,GTID\n", "", 0},
		{[]string{"-c", "topology", "-i", "198.18.0.9"}, "198.18.0.9:3306 [0s,ok," + ver + ",rw,ROW,>>]\n", "", 0},
		{[]string{"-c", "topology", "-a", "nosuch"}, "", "Unable to determine cluster name. clusterHint=nosuch\n", 1},
		{[]string{"-c", "clusters"}, "198.18.0.1:3306\n198.18.0.9:3306\n", "", 0},
		{[]string{"-c", "clusters-alias"}, "198.18.0.1:3306,lab\n198.18.0.9:3306,198.18.0.9:3306\n", "", 0},
		{[]string{"-c", "which-master", "-i", "198.18.0.3:3306"}, "198.18.0.1:3306\n", "", 0},
		{[]string{"-c", "which-master", "-i", "198.18.0.1:3306"}, ":0\n", "", 0},
		{[]string{"-c", "which-replicas", "-i", "198.18.0.1"}, "198.18.0.2:3306\n198.18.0.3:3306\n", "", 0},
		{[]string{"-c", "which-replicas", "-i", "198.18.0.2"}, "", "", 0},
		{[]string{"-c", "instance", "-i", "198.18.0.2:3306"}, "198.18.0.2:3306\n", "", 0},
		{[]string{"-c", "instance", "-i", "198.18.0.8:3306"}, "", "Cannot read instance: 198.18.0.8:3306\n", 1},
		{[]string{"-c", "api", "-P", "clusters-info"}, `[
  {
    "ClusterName": "198.18.0.1:3306",
    "ClusterAlias": "lab",
    "ClusterDomain": "",
    "CountInstances": 3,
    "HeuristicLag": 0,
    "HasAutomatedMasterRecovery": false,
    "HasAutomatedIntermediateMasterRecovery": false
  },
  {
    "ClusterName": "198.18.0.9:3306",
    "ClusterAlias": "198.18.0.9:3306",
    "ClusterDomain": "",
    "CountInstances": 1,
    "HeuristicLag": 0,
    "HasAutomatedMasterRecovery": false,
    "HasAutomatedIntermediateMasterRecovery": false
  }
]
`, "", 0},
	}
	for _, c := range cases {
		r := runCLI(t, env, c.args...)
		if r.stdout != c.stdout || r.stderr != c.stderr || r.code != c.code {
			t.Errorf("%v:\nstdout %q\nwant   %q\nstderr %q\nwant   %q\ncode %d, want %d", c.args, r.stdout, c.stdout, r.stderr, c.stderr, r.code, c.code)
		}
	}
}
