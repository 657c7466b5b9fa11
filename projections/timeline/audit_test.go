package timeline_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections/analysis"
	"github.com/regent-ha/regent/projections/timeline"
	tt "github.com/regent-ha/regent/projections/timeline/timelinetest"
)

func verifyOpts() timeline.VerifyOptions {
	return timeline.VerifyOptions{Settings: tt.Settings(), Params: tt.Params(), Slack: 500 * time.Millisecond}
}

func TestVerifyConsistentTranscript(t *testing.T) {
	tr := tt.Failover(t)
	rep, err := timeline.Verify(tr.Items, verifyOpts())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verified != 2 || len(rep.Mismatches) != 0 {
		t.Fatalf("verify: %d verified, mismatches:\n%s", rep.Verified, rep)
	}
	if got := rep.String(); got != "verified 2 decisions\n" {
		t.Errorf("report %q", got)
	}
}

// alter rewrites the payload of the first event of kind k.
func alter[T any](t *testing.T, items []timeline.Item, k events.Kind, f func(*T)) []timeline.Item {
	t.Helper()
	out := append([]timeline.Item(nil), items...)
	for i, it := range out {
		if it.Env.Kind != k {
			continue
		}
		var p T
		if err := it.Env.Decode(&p); err != nil {
			t.Fatal(err)
		}
		f(&p)
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		out[i].Env.Payload = b
		return out
	}
	t.Fatalf("no %s in the transcript", k)
	return nil
}

func TestVerifyFailsOnAlteredSuccessor(t *testing.T) {
	tr := tt.Failover(t)
	items := alter(t, tr.Items, events.KindRecoveryStarted, func(p *events.RecoveryStarted) {
		p.Successor = tt.Key(tt.Banned)
		for i := range p.Candidates {
			c := &p.Candidates[i]
			c.Chosen = c.Key == tt.Key(tt.Banned)
			if c.Chosen {
				c.Reason = "chosen: forged"
			} else {
				c.Reason = "rejected: forged"
			}
		}
	})
	rep, err := timeline.Verify(items, verifyOpts())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verified != 1 || len(rep.Mismatches) != 1 {
		t.Fatalf("verify: %d verified, %d mismatches:\n%s", rep.Verified, len(rep.Mismatches), rep)
	}
	out := rep.String()
	for _, want := range []string{
		"mismatch: recovery-started seq", "recovery " + tr.RecoveryID + " of 198.18.0.1:3306",
		"  - successor 198.18.0.3:3306\n  + successor 198.18.0.2:3306\n",
		"  - candidate 198.18.0.2:3306: rejected: forged\n  + candidate 198.18.0.2:3306: chosen:",
		"  - candidate 198.18.0.3:3306: chosen: forged\n  + candidate 198.18.0.3:3306: rejected: promotion rule must_not\n",
		"verified 1 decisions, 1 not re-derived",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestVerifyFailsOnAlteredAnalysis(t *testing.T) {
	tr := tt.Failover(t)
	items := alter(t, tr.Items, events.KindFailureDetected, func(p *events.FailureDetected) { p.Analysis = events.AnalysisUnreachableMaster })
	rep, err := timeline.Verify(items, verifyOpts())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Mismatches) != 1 || !strings.Contains(rep.String(), "  - analysis UnreachableMaster\n  + analysis DeadMaster\n") {
		t.Fatalf("report:\n%s", rep)
	}
	// A filter that excludes the decision checks nothing.
	o := verifyOpts()
	o.Filter = timeline.Filter{Cluster: "other:3306"}
	if rep, _ := timeline.Verify(items, o); rep.Verified != 0 || len(rep.Mismatches) != 0 {
		t.Errorf("filtered verify: %+v", rep)
	}
}

func TestTopologyAt(t *testing.T) {
	tr := tt.Failover(t)
	name, before, err := timeline.TopologyAt(tr.Items, tt.Settings(), tr.Killed.Add(-500*time.Millisecond), "198.18.0.2", false)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(before, "\n")
	if name != tt.Cluster || len(lines) != 3 || !strings.HasPrefix(lines[0], "198.18.0.1:3306") || !strings.Contains(lines[0], ",rw,") ||
		!strings.HasPrefix(lines[1], "+ 198.18.0.2:3306") || !strings.HasPrefix(lines[2], "+ 198.18.0.3:3306") {
		t.Fatalf("before the kill (%s):\n%s", name, before)
	}
	_, after, err := timeline.TopologyAt(tr.Items, tt.Settings(), tt.T0.Add(8500*time.Millisecond), "198.18.0.2:3306", true)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(after, "\n"); !strings.HasPrefix(lines[0], "198.18.0.2:3306") || !strings.Contains(after, "198.18.0.3:3306") || !strings.Contains(lines[0], "|") {
		t.Fatalf("after the failover:\n%s", after)
	}
	if _, _, err := timeline.TopologyAt(tr.Items, tt.Settings(), tt.T0.Add(-time.Hour), "198.18.0.1", false); err == nil {
		t.Error("a topology before anything was known")
	}
}

func TestExplainRecovery(t *testing.T) {
	tr := tt.Failover(t)
	rec, err := timeline.FindRecovery(tr.Items, tr.RecoveryID)
	if err != nil {
		t.Fatal(err)
	}
	out := timeline.ExplainRecovery(rec)
	for _, want := range []string{
		"recovery " + tr.RecoveryID + " (MasterRecovery) of 198.18.0.1:3306 on cluster 198.18.0.1:3306",
		"analysis: DeadMaster",
		"  c2           unreachable: dial tcp 198.18.0.1:3306: connect: connection refused",
		"  198.18.0.2:3306       agrees it is gone: io Connecting, sql Yes",
		"  * 198.18.0.2:3306       chosen: most advanced received position",
		"    198.18.0.3:3306       rejected: promotion rule must_not",
		"successor: 198.18.0.2:3306",
		"  promote 198.18.0.2:3306 ok (11ms)",
		"hooks:\n  OnFailureDetectionProcesses exit 0 (2ms): echo detected\n  PreFailoverProcesses exit 0",
		"vip: 198.18.0.200 198.18.0.1:3306 → 198.18.0.2:3306",
		"  PostFailoverProcesses exit 0 (5ms): echo post {successorHost}\n    | post 198.18.0.2\n",
		"outcome: completed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explanation lacks %q:\n%s", want, out)
		}
	}
	if _, err := timeline.FindRecovery(tr.Items, "r-nope"); err == nil {
		t.Error("unknown recovery found")
	}
}

func TestWhyAt(t *testing.T) {
	tr := tt.Failover(t)
	st, err := timeline.Fold(tr.Items, tt.Settings(), tt.T0.Add(9*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if out := timeline.WhyAt(st.Recoveries, tt.Cluster, tt.T0.Add(9*time.Second), 10*time.Minute); !strings.Contains(out, "recovery "+tr.RecoveryID) {
		t.Errorf("why during the recovery:\n%s", out)
	}
	st, _ = timeline.Fold(tr.Items, tt.Settings(), tt.T0.Add(5*time.Second))
	if out := timeline.WhyAt(st.Recoveries, tt.Cluster, tt.T0.Add(5*time.Second), 10*time.Minute); !strings.HasPrefix(out, "no failure detected on cluster 198.18.0.1:3306 between") {
		t.Errorf("why before the failure:\n%s", out)
	}
	// A controllers-only outage: UnreachableMaster, not actionable; and
	// the global switch off.
	r := analysis.NewRecoveries()
	for i, e := range []events.Envelope{
		env(t, events.KindGlobalRecoveriesSet, events.GlobalRecoveriesSet{Enabled: false, Who: "alice"}),
		env(t, events.KindFailureDetected, events.FailureDetected{DetectionID: "d-1", Analysis: events.AnalysisUnreachableMaster, Failed: tt.Key(tt.Primary),
			ClusterName: tt.Cluster, Reason: "not actionable: a reachable replica still replicates from it, so only the Regent nodes lost it",
			Vantage: []events.VantageReport{{Node: "c1", Error: "i/o timeout"}}, Replicas: []events.ReplicaReport{{Key: tt.Key(tt.Good), Reachable: true, IOThread: events.ThreadRunning}}}),
	} {
		if err := r.Apply(uint64(i+1), e); err != nil {
			t.Fatal(err)
		}
	}
	out := timeline.WhyAt(r, tt.Cluster, tt.T0.Add(time.Minute), 10*time.Minute)
	for _, want := range []string{"global recoveries were disabled by alice", "no recovery: UnreachableMaster on 198.18.0.1:3306",
		"why not recovered: not actionable: a reachable replica still replicates from it", "198.18.0.2:3306       does not agree it is gone: io Yes"} {
		if !strings.Contains(out, want) {
			t.Errorf("why lacks %q:\n%s", want, out)
		}
	}
}
