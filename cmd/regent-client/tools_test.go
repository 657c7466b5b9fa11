package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

func toolRoutes() map[string]canned {
	ok := func(body string) canned { return canned{200, body} }
	master := func(h, dc string) string {
		return `{"Key":{"Hostname":"` + h + `","Port":3306},"DataCenter":"` + dc + `"}`
	}
	return map[string]canned{
		"/api/cluster-osc-replicas/main": ok(`[` + replicaOKJSON + `,` + replicaBrokenJSON + `,` + replicaStoppedJSON + `]`),
		"/api/downtimed/":                ok(`[` + replicaBrokenJSON + `,` + replicaStoppedJSON + `]`),
		"/api/downtimed/main":            ok(`[` + replicaStoppedJSON + `]`),
		"/api/masters":                   ok(`[` + master("a", "dc1") + `,` + master("b", "dc2") + `,` + master("c", "dc2") + `,` + master("d", "dc1") + `,` + master("e", "dc3") + `]`),
		"/api/can-replicate-from/198.18.0.3/3306/198.18.0.2/3306":                ok(`{"Code":"OK","Message":"true","Details":{"Hostname":"198.18.0.2","Port":3306}}`),
		"/api/can-replicate-from-gtid/198.18.0.3/3306/198.18.0.2/3306":           ok(`{"Code":"OK","Message":"false","Details":{"Hostname":"198.18.0.2","Port":3306}}`),
		"/api/can-replicate-from/198.18.0.3/3306/198.18.0.6/3306":                {500, `{"Code":"ERROR","Message":"instance does not have log_slave_updates enabled: 198.18.0.6:3306","Details":null}`},
		"/api/restart-replica-statements/198.18.0.2/3306?q=set%20global%20x%3D1": ok(`{"Code":"OK","Message":"statements for: 198.18.0.2:3306","Details":["stop slave io_thread;","stop slave sql_thread;","set global x=1;","start slave sql_thread;","start slave io_thread;"]}`),
		"/api/tagged/?tag=role%3Dreader":                                         ok(`[{"Hostname":"198.18.0.2","Port":3306}]`),
		"/api/tagged/198.18.0.2/3306?tag=role":                                   ok(`[]`),
		"/api/untag-all?tag=role%3Dreader":                                       ok(`{"Code":"OK","Message":"role removed from 1 instances","Details":[{"Hostname":"198.18.0.2","Port":3306}]}`),
		"/api/tag/198.18.0.2/3306?tag=role%3Dreader":                             ok(`{"Code":"OK","Message":"198.18.0.2:3306 tagged with role=reader","Details":{"Hostname":"198.18.0.2","Port":3306}}`),
		"/api/tag-value/198.18.0.2/3306?tag=role":                                ok(`"reader"`),
		"/api/tags/198.18.0.2/3306":                                              ok(`["backup=","role=reader"]`),
		"/api/snapshot-topologies":                                               ok(`{"Code":"OK","Message":"Topology Snapshot completed","Details":"Took 3.1µs"}`),
	}
}

// Each command calls orchestrator's path and prints what orchestrator-client
// prints.
func TestToolCommands(t *testing.T) {
	runCases(t, toolRoutes(), []cliCase{
		{name: "which-cluster-osc-replicas", args: []string{"-c", "which-cluster-osc-replicas", "-a", "main"},
			wantOut: "198.18.0.2:3306\n198.18.0.3:3306\n198.18.0.4:3306\n", wantURIs: []string{"/api/cluster-osc-replicas/main"}},
		{name: "which-cluster-osc-running-replicas", args: []string{"-c", "which-cluster-osc-running-replicas", "-a", "main"}, wantOut: "198.18.0.2:3306\n"},
		{name: "which-cluster-osc-replicas without hint", args: []string{"-c", "which-cluster-osc-replicas"}, wantCode: 1,
			wantErr: "regent-client[4242]: instance|alias must be provided (-i or -a)\n", wantURIs: []string{}},
		{name: "downtimed, all", args: []string{"-c", "downtimed"}, wantOut: "198.18.0.3:3306\n198.18.0.4:3306\n", wantURIs: []string{"/api/downtimed/"}},
		{name: "downtimed, one cluster", args: []string{"-c", "downtimed", "-a", "main"}, wantOut: "198.18.0.4:3306\n"},
		// dc1 and dc2 both have two primaries: sort -nr puts dc2 first.
		{name: "dominant-dc", args: []string{"-c", "dominant-dc"}, wantOut: "dc2\n", wantURIs: []string{"/api/masters"}},
		{name: "can-replicate-from", args: []string{"-c", "can-replicate-from", "-i", "198.18.0.3", "-d", "198.18.0.2"}, wantOut: "198.18.0.2:3306\n"},
		{name: "can-replicate-from-gtid false prints nothing", args: []string{"-c", "can-replicate-from-gtid", "-i", "198.18.0.3", "-d", "198.18.0.2"}, wantOut: ""},
		{name: "can-replicate-from refused", args: []string{"-c", "can-replicate-from", "-i", "198.18.0.3", "-d", "198.18.0.6"}, wantCode: 1,
			wantErr: "instance does not have log_slave_updates enabled: 198.18.0.6:3306\n"},
		{name: "can-replicate-from without -d", args: []string{"-c", "can-replicate-from", "-i", "198.18.0.3"}, wantCode: 1,
			wantErr: "regent-client[4242]: destination must be provided (-d)\n", wantURIs: []string{}},
		{name: "restart-replica-statements", args: []string{"-c", "restart-slave-statements", "-i", "198.18.0.2", "-q", "set global x=1"},
			wantOut: `[ "stop slave io_thread;", "stop slave sql_thread;", "set global x=1;", "start slave sql_thread;", "start slave io_thread;" ]` + "\n"},
		{name: "restart-replica-statements without -q", args: []string{"-c", "restart-replica-statements", "-i", "198.18.0.2"}, wantCode: 1,
			wantErr: "regent-client[4242]: query must be provided (-q)\n", wantURIs: []string{}},
		{name: "tagged without -i", args: []string{"-c", "tagged", "-t", "role=reader"}, wantOut: "198.18.0.2:3306\n", wantURIs: []string{"/api/tagged/?tag=role%3Dreader"}},
		{name: "tagged with -i", args: []string{"-c", "tagged", "-i", "198.18.0.2", "-t", "role"}, wantOut: "", wantURIs: []string{"/api/tagged/198.18.0.2/3306?tag=role"}},
		{name: "untag-all", args: []string{"-c", "untag-all", "-t", "role=reader"}, wantOut: "198.18.0.2:3306\n", wantURIs: []string{"/api/untag-all?tag=role%3Dreader"}},
		{name: "untag-all without -t", args: []string{"-c", "untag-all"}, wantCode: 1, wantErr: "regent-client[4242]: tag must be provided (-t)\n", wantURIs: []string{}},
		{name: "tag", args: []string{"-c", "tag", "-i", "198.18.0.2", "-t", "role=reader"}, wantOut: "198.18.0.2:3306\n"},
		{name: "tag-value", args: []string{"-c", "tag-value", "-i", "198.18.0.2", "-t", "role"}, wantOut: "reader\n"},
		{name: "tags", args: []string{"-c", "tags", "-i", "198.18.0.2"}, wantOut: "backup=\nrole=reader\n"},
		{name: "snapshot-topologies", args: []string{"-c", "snapshot-topologies"}, wantOut: "Took 3.1µs\n"},
	})
}

// The tool commands against a real api.Server over the e2e transcript plus
// a downtime: routes, JSON shapes and printed output together.
func TestToolCommandsAgainstServer(t *testing.T) {
	v := e2eViewWith(t, func(apply func(events.Kind, time.Time, events.InstanceKey, any)) {
		apply(events.KindDowntimeBegun, e2eNow.Add(-time.Second), e2eKey("198.18.0.2"),
			events.DowntimeBegun{Key: e2eKey("198.18.0.2"), Owner: "dba", Reason: "disk", Until: e2eNow.Add(time.Hour)})
	})
	s := api.New(api.Options{}, e2eCluster{}, prometheus.NewRegistry(), zerolog.Nop())
	s.RegisterRead(e2eViews{v}, e2eInventory{v}, 3306)
	s.RegisterReadTools(e2eViews{v}, nil, api.ReadToolsOptions{})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	env := map[string]string{"ORCHESTRATOR_API": srv.URL}
	cases := []struct {
		args           []string
		stdout, stderr string
		code           int
	}{
		// .3's last check failed: not an OSC replica; .2 is a first-level leaf.
		{[]string{"-c", "which-cluster-osc-replicas", "-a", "lab"}, "198.18.0.2:3306\n", "", 0},
		{[]string{"-c", "which-cluster-osc-running-replicas", "-i", "198.18.0.1:3306"}, "198.18.0.2:3306\n", "", 0},
		{[]string{"-c", "downtimed"}, "198.18.0.2:3306\n", "", 0},
		{[]string{"-c", "downtimed", "-i", "198.18.0.9:3306"}, "", "", 0},
		{[]string{"-c", "dominant-dc"}, "\n", "", 0},
		{[]string{"-c", "can-replicate-from", "-i", "198.18.0.2", "-d", "198.18.0.9"}, "198.18.0.9:3306\n", "", 0},
		{[]string{"-c", "can-replicate-from-gtid", "-i", "198.18.0.2", "-d", "198.18.0.9"}, "198.18.0.9:3306\n", "", 0},
		{[]string{"-c", "can-replicate-from", "-i", "198.18.0.2", "-d", "198.18.0.2"}, "", "instance cannot replicate from itself: 198.18.0.2:3306\n", 1},
		{[]string{"-c", "restart-replica-statements", "-i", "198.18.0.2", "-q", "set global rpl_semi_sync_slave_enabled=1"},
			`[ "stop slave io_thread;", "stop slave sql_thread;", "set global rpl_semi_sync_slave_enabled=1;", "start slave sql_thread;", "start slave io_thread;" ]` + "\n", "", 0},
		{[]string{"-c", "which-cluster", "-a", "lab"}, "198.18.0.1:3306\n", "", 0},
	}
	for _, c := range cases {
		r := runCLI(t, env, c.args...)
		if r.stdout != c.stdout || r.stderr != c.stderr || r.code != c.code {
			t.Errorf("%v:\nstdout %q\nwant   %q\nstderr %q\nwant   %q\ncode %d, want %d", c.args, r.stdout, c.stdout, r.stderr, c.stderr, r.code, c.code)
		}
	}
}

// tagFold is a views + TagWriter over a real topology: the client's tag
// writes become events folded into the views it then reads.
type tagFold struct {
	mu   sync.Mutex
	topo *projections.Topology
	seq  uint64
}

func (f *tagFold) View() *projections.View {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.topo.View(e2eNow)
}

func (f *tagFold) apply(kind events.Kind, p any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, err := events.New(kind, e2eNow, "n1", p)
	if err != nil {
		return err
	}
	f.seq++
	return f.topo.Apply(f.seq, e)
}

func (f *tagFold) Tag(_ context.Context, p events.InstanceTagged) error {
	return f.apply(events.KindInstanceTagged, p)
}

func (f *tagFold) Untag(_ context.Context, p events.InstanceUntagged) error {
	return f.apply(events.KindInstanceUntagged, p)
}

func TestTagCommandsAgainstServer(t *testing.T) {
	topo, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	f := &tagFold{topo: topo, seq: 100}
	for _, o := range []events.InstanceObserved{e2eObserved("198.18.0.1", 1, ""), e2eObserved("198.18.0.2", 2, "198.18.0.1"), e2eObserved("198.18.0.3", 3, "198.18.0.1")} {
		if err := f.apply(events.KindInstanceObserved, o); err != nil {
			t.Fatal(err)
		}
	}
	s := api.New(api.Options{}, e2eCluster{}, prometheus.NewRegistry(), zerolog.Nop())
	s.RegisterRead(f, e2eInventory{}, 3306)
	s.RegisterTags(f, f)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	env := map[string]string{"ORCHESTRATOR_API": srv.URL}
	cases := []struct {
		args           []string
		stdout, stderr string
		code           int
	}{
		{[]string{"-c", "tag", "-i", "198.18.0.2", "-t", "role=reader"}, "198.18.0.2:3306\n", "", 0},
		{[]string{"-c", "tag", "-i", "198.18.0.3", "--tag", "role=reader"}, "198.18.0.3:3306\n", "", 0},
		{[]string{"-c", "tag", "-i", "198.18.0.3", "-t", "backup"}, "198.18.0.3:3306\n", "", 0},
		{[]string{"-c", "tag", "-i", "198.18.0.3"}, "", "regent-client[4242]: tag must be provided (-t)\n", 1},
		{[]string{"-c", "tags", "-i", "198.18.0.3"}, "backup=\nrole=reader\n", "", 0},
		{[]string{"-c", "tag-value", "-i", "198.18.0.2", "-t", "role"}, "reader\n", "", 0},
		{[]string{"-c", "tag-value", "-i", "198.18.0.1", "-t", "role"}, "", "tag role not found for 198.18.0.1:3306\n", 1},
		{[]string{"-c", "tagged", "-t", "role=reader"}, "198.18.0.2:3306\n198.18.0.3:3306\n", "", 0},
		{[]string{"-c", "tagged", "-t", "role,~backup"}, "198.18.0.2:3306\n", "", 0},
		// topology-tags is topology with each instance's tags appended.
		{[]string{"-c", "topology-tags", "-i", "198.18.0.1:3306"}, withTags(t, s, "[]", "[role=reader]", "[backup,role=reader]"), "", 0},
		{[]string{"-c", "untag-all", "-t", "role"}, "", "Untag: either indicate an instance or a tag value. Will not delete on-valued tag across instances\n", 1},
		{[]string{"-c", "untag-all", "-t", "role=reader"}, "198.18.0.2:3306\n198.18.0.3:3306\n", "", 0},
		{[]string{"-c", "untag", "-i", "198.18.0.3", "-t", "backup"}, "198.18.0.3:3306\n", "", 0},
		{[]string{"-c", "untag", "-i", "198.18.0.3", "-t", "backup"}, "", "", 0},
		{[]string{"-c", "tags", "-i", "198.18.0.3"}, "", "", 0},
	}
	for _, c := range cases {
		r := runCLI(t, env, c.args...)
		if r.stdout != c.stdout || r.stderr != c.stderr || r.code != c.code {
			t.Errorf("%v:\nstdout %q\nwant   %q\nstderr %q\nwant   %q\ncode %d, want %d", c.args, r.stdout, c.stdout, r.stderr, c.stderr, r.code, c.code)
		}
	}
}

// withTags renders the cluster of 198.18.0.1 as `topology` does now, with
// tags[i] after line i (what topology-tags prints once the tags are set).
func withTags(t *testing.T, s *api.Server, tags ...string) string {
	t.Helper()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	r := runCLI(t, map[string]string{"ORCHESTRATOR_API": srv.URL}, "-c", "topology", "-i", "198.18.0.1:3306")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if r.code != 0 || len(lines) != len(tags) {
		t.Fatalf("topology: %d %q", r.code, r.stdout)
	}
	for i := range lines {
		lines[i] += " " + tags[i]
	}
	return strings.Join(lines, "\n") + "\n"
}
