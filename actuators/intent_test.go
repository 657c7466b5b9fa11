package actuators_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

func ikey(host string) events.InstanceKey { return events.InstanceKey{Hostname: host, Port: 3306} }

// TestNewIntentPlanIsTheStartedEvent: the plan a run executes is derived
// from the started event it appends (one record, no second copy), and the
// plan's flags follow from the recovery type.
func TestNewIntentPlanIsTheStartedEvent(t *testing.T) {
	failed, succ, other := ikey("198.18.0.1"), ikey("198.18.0.2"), ikey("198.18.0.3")
	for _, tc := range []struct {
		typ                              events.RecoveryType
		graceful, reattach, intermediate bool
		hosts                            []string
	}{
		{"MasterRecovery", false, false, false, []string{succ.String(), other.String()}},
		{events.RecoveryGracefulMasterTakeover, true, false, false, []string{succ.String(), other.String()}},
		{events.RecoveryGracefulMasterTakeoverAuto, true, true, false, []string{succ.String(), other.String()}},
		{events.RecoveryIntermediateMaster, false, false, true, []string{other.String()}},
	} {
		in := actuators.NewIntent(nil, actuators.IntentSpec{RecoveryID: "m-1", Type: tc.typ, Analysis: events.AnalysisDeadMaster,
			Description: "requested", Command: "recover", Failed: failed,
			Cluster:   projections.ClusterInfo{ClusterName: "c1", ClusterAlias: "shop", ClusterDomain: "db.example"},
			Successor: succ, Replicas: []events.InstanceKey{other}, Manual: true, Who: "dba", Node: "n1", Epoch: 4})
		p := in.Plan()
		want := actuators.MasterPlan{RecoveryID: "m-1", Type: tc.typ, Analysis: events.AnalysisDeadMaster, Cluster: "c1", Alias: "shop",
			Domain: "db.example", Failed: failed, Successor: succ, Replicas: []events.InstanceKey{other},
			Graceful: tc.graceful, Reattach: tc.reattach, Intermediate: tc.intermediate}
		if !reflect.DeepEqual(p, want) {
			t.Errorf("%s: plan %+v, want %+v", tc.typ, p, want)
		}
		s := in.Started
		if s.ClusterDomain != "db.example" || s.Description != "requested" || !slices.Equal(s.Replicas, []events.InstanceKey{other}) ||
			!s.Manual || s.Who != "dba" || s.Node != "n1" || in.Epoch != 4 || in.Resume {
			t.Errorf("%s: started %+v epoch %d resume %v", tc.typ, s, in.Epoch, in.Resume)
		}
		if !slices.Equal(in.Hook.ReplicaHosts, tc.hosts) || in.Hook.CountReplicas != len(tc.hosts) || in.Hook.Command != "recover" ||
			in.Hook.IsMaster == tc.intermediate {
			t.Errorf("%s: hook context %+v", tc.typ, in.Hook)
		}
	}
}

// TestResumeReadsThePlanFromTheStartedEvent: the started event, appended,
// folded and read back, gives the resuming node the same plan — the
// replicas to re-point included, whatever the view shows by then.
func TestResumeReadsThePlanFromTheStartedEvent(t *testing.T) {
	failed, succ, other := ikey("198.18.0.1"), ikey("198.18.0.2"), ikey("198.18.0.3")
	orig := actuators.NewIntent(nil, actuators.IntentSpec{RecoveryID: "m-2", Type: events.RecoveryGracefulMasterTakeoverAuto,
		Analysis: events.AnalysisDeadMaster, Description: "graceful-master-takeover-auto requested by dba", Failed: failed,
		Cluster: projections.ClusterInfo{ClusterName: "c1", ClusterAlias: "shop", ClusterDomain: "db.example"}, Successor: succ,
		Replicas: []events.InstanceKey{other}, Candidates: []events.Candidate{{Key: succ, Chosen: true, Reason: "designated"}},
		Manual: true, Who: "dba", Node: "n1", Epoch: 3, SkipHooks: true})
	env, err := events.New(events.KindRecoveryStarted, time.Unix(100, 0), "n1", orig.Started)
	if err != nil {
		t.Fatal(err)
	}
	env.Cluster, env.Epoch = "c1", 3
	recs := analysis.NewRecoveries()
	if err := recs.Apply(1, env); err != nil {
		t.Fatal(err)
	}
	rec, ok := recs.Recovery("m-2")
	if !ok {
		t.Fatal("the fold has no recovery m-2")
	}
	in := actuators.ResumeIntent(nil, rec.Started, "n2", 5)
	if !reflect.DeepEqual(in.Plan(), orig.Plan()) {
		t.Fatalf("resumed plan %+v, want %+v", in.Plan(), orig.Plan())
	}
	if !in.Resume || in.Epoch != 5 || in.Started.Node != "n2" || in.Started.Who != "dba" || !in.Started.Manual || !in.Started.SkipHooks ||
		in.Hook.FailureDescription != orig.Hook.FailureDescription || len(in.Started.Candidates) != 1 {
		t.Fatalf("resumed intent %+v", in)
	}
}
