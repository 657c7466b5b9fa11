package analysis

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

func TestRecoveriesResumeAndAuditShapes(t *testing.T) {
	s := newScript(t)
	healthy(s)
	sigkill(s, time.Second)
	d := one(t, s.decide(params()), ActionStart)
	id := s.engine(d)
	s.emit(events.KindRecoveryStep, "n1", events.RecoveryStep{RecoveryID: id, Step: "promote", Target: key("r1"), Outcome: events.StepOK})
	s.emit(events.KindRecoveryStep, "n1", events.RecoveryStep{RecoveryID: id, Step: "repoint r2:3306", Target: key("r2"), Outcome: events.StepFailed, Error: "timeout"})
	s.emit(events.KindHookRan, "n1", events.HookRan{RecoveryID: id, Hook: "PreFailoverProcesses", Command: "echo"})
	// n1 dies here: another node reads where the recovery stands.
	act, ok := s.rec.Active("p:3306")
	if !ok || act.UID != id || len(act.Steps) != 2 || act.Steps[0].Step != "promote" || len(act.Hooks) != 1 {
		t.Fatalf("active recovery %s", mustJSON(t, act))
	}
	if act.DetectionID != d.Failure.DetectionID || act.LastDetectionId == 0 || act.AnalysisEntry.Analysis != events.AnalysisDeadMaster {
		t.Fatalf("detection link %s", mustJSON(t, act))
	}
	act.Steps[0].Step = "mutated"
	if again, _ := s.rec.Active("p:3306"); again.Steps[0].Step != "promote" {
		t.Fatal("Active returned shared state")
	}
	s.emit(events.KindVIPMoved, "n2", events.VIPMoved{RecoveryID: id, VIP: "198.18.0.100", From: key("p"), To: key("r1")})
	s.emit(events.KindRecoveryCompleted, "n2", events.RecoveryCompleted{RecoveryID: id, Successor: key("r1"), LostReplicas: []events.InstanceKey{key("r2")}})
	if _, ok := s.rec.Active("p:3306"); ok {
		t.Fatal("completed recovery still active")
	}
	if _, ok := s.rec.Active("r1:3306"); ok {
		t.Fatal("completed recovery active on the successor's cluster")
	}
	recent := s.rec.Recent("r1:3306") // found by its successor's cluster
	if len(recent) != 1 || !recent[0].IsSuccessful || recent[0].IsActive || *recent[0].SuccessorKey != key("r1") ||
		len(recent[0].AllErrors) != 1 || len(recent[0].VIPMoves) != 1 || recent[0].RecoveryEndTimestamp == "" {
		t.Fatalf("recent %s", mustJSON(t, recent))
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(mustJSON(t, recent[0])), &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"Id", "UID", "AnalysisEntry", "SuccessorKey", "IsActive", "IsSuccessful", "LostReplicas",
		"AllErrors", "RecoveryStartTimestamp", "RecoveryEndTimestamp", "ProcessingNodeHostname", "Acknowledged",
		"AcknowledgedAt", "AcknowledgedBy", "AcknowledgedComment", "Type", "ParticipatingInstanceKeys", "LastDetectionId"} {
		if _, ok := m[f]; !ok {
			t.Errorf("TopologyRecovery JSON lacks %s", f)
		}
	}
	entry := m["AnalysisEntry"].(map[string]any)
	for _, f := range []string{"AnalyzedInstanceKey", "AnalyzedInstanceMasterKey", "ClusterDetails", "Analysis", "Description",
		"StructureAnalysis", "CountReplicas", "CountValidReplicas", "CountValidReplicatingReplicas",
		"CountReplicasFailingToConnectToMaster", "CountDowntimedReplicas", "CountLaggingReplicas", "IsMaster", "IsCoMaster",
		"LastCheckValid", "IsDowntimed", "IsActionableRecovery", "Replicas", "SlaveHosts"} {
		if _, ok := entry[f]; !ok {
			t.Errorf("ReplicationAnalysis JSON lacks %s", f)
		}
	}
	if cd := entry["ClusterDetails"].(map[string]any); cd["ClusterName"] != "p:3306" {
		t.Errorf("ClusterDetails %v", cd)
	}
	dets := s.rec.Detections("")
	if len(dets) != 1 || dets[0].UID != d.Failure.DetectionID || dets[0].RelatedRecoveryId == 0 || dets[0].IsActive ||
		dets[0].ProcessingNodeHostname != "n1" || dets[0].RecoveryStartTimestamp != "2025-03-01 12:00:01" {
		t.Fatalf("detections %s", mustJSON(t, dets))
	}
}

func TestRecoveriesRejectsBadPayloadUnchanged(t *testing.T) {
	r := NewRecoveries()
	env, _ := events.New(events.KindRecoveryStarted, t0, "n1", events.RecoveryStarted{RecoveryID: "x"})
	env.Payload = []byte(`{"recovery_id":`)
	if err := r.Apply(1, env); err == nil {
		t.Fatal("bad payload accepted")
	}
	if r.LastSeq() != 0 || len(r.ActiveRecoveries()) != 0 {
		t.Fatal("bad payload changed the fold")
	}
	env, _ = events.New(events.KindFailureDetected, t0, "n1", events.FailureDetected{})
	if err := r.Apply(2, env); err == nil {
		t.Fatal("detection without id accepted")
	}
}

// randomRecoveryLog is a random log over the kinds the fold uses.
func randomRecoveryLog(tb testing.TB, seed int64, n int) []logged {
	rng := rand.New(rand.NewSource(seed))
	at := t0
	out := make([]logged, 0, n)
	for i := 1; i <= n; i++ {
		at = at.Add(time.Duration(rng.Intn(5000)) * time.Millisecond)
		host := fmt.Sprintf("h%d", rng.Intn(4))
		cl := host + ":3306"
		rid := fmt.Sprintf("r%d", rng.Intn(8))
		var kind events.Kind
		var p any
		switch rng.Intn(11) {
		case 0:
			kind, p = events.KindFailureDetected, events.FailureDetected{DetectionID: fmt.Sprintf("d%d", rng.Intn(8)), Analysis: events.AnalysisDeadMaster, Failed: key(host), ClusterName: cl}
		case 1:
			kind, p = events.KindFailureCleared, events.FailureCleared{DetectionID: fmt.Sprintf("d%d", rng.Intn(8)), Failed: key(host), ClusterName: cl}
		case 2:
			kind, p = events.KindRecoveryStarted, events.RecoveryStarted{RecoveryID: rid, DetectionID: fmt.Sprintf("d%d", rng.Intn(8)), Failed: key(host), ClusterName: cl, Successor: key("h9")}
		case 3, 4:
			kind, p = events.KindRecoveryStep, events.RecoveryStep{RecoveryID: rid, Step: "s", Target: key(host), Outcome: []string{events.StepOK, events.StepFailed}[rng.Intn(2)], Error: "e"}
		case 5:
			kind, p = events.KindRecoveryCompleted, events.RecoveryCompleted{RecoveryID: rid, Successor: key(host)}
		case 6:
			kind, p = events.KindRecoveryFailed, events.RecoveryFailed{RecoveryID: rid, Step: "s", Error: "e"}
		case 7:
			kind, p = events.KindRecoveryAcknowledged, events.RecoveryAcknowledged{ClusterName: cl, All: rng.Intn(4) == 0, Who: "w"}
		case 8:
			kind, p = events.KindRecoveryBlocked, events.RecoveryBlocked{DetectionID: fmt.Sprintf("d%d", rng.Intn(8)), Failed: key(host), ClusterName: cl, Reason: "x", BlockingRecoveryID: rid}
		case 9:
			kind, p = events.KindGlobalRecoveriesSet, events.GlobalRecoveriesSet{Enabled: rng.Intn(2) == 0, Who: "w"}
		default:
			kind, p = events.KindHookRan, events.HookRan{RecoveryID: rid, Hook: "PostFailoverProcesses"}
		}
		env, err := events.New(kind, at, "n1", p)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, logged{uint64(i), env})
	}
	return out
}

func recoveriesText(tb testing.TB, r *Recoveries) string {
	en, who, at := r.GlobalRecoveriesEnabled()
	return mustJSON(tb, []any{r.Recent(""), r.Detections(""), r.Blocked(""), r.ActiveRecoveries(), en, who, at, r.LastSeq()})
}

func TestPropertyRecoveriesDeterministicAndCloneable(t *testing.T) {
	for seed := int64(1); seed <= 30; seed++ {
		log := randomRecoveryLog(t, seed, 300)
		fold := func(r *Recoveries, l []logged) {
			for _, e := range l {
				_ = r.Apply(e.seq, e.env)
			}
		}
		a, b := NewRecoveries(), NewRecoveries()
		fold(a, log)
		fold(b, log)
		if recoveriesText(t, a) != recoveriesText(t, b) {
			t.Fatalf("seed %d: two folds differ", seed)
		}
		fold(b, log) // redelivery
		if recoveriesText(t, a) != recoveriesText(t, b) {
			t.Fatalf("seed %d: redelivery changed the fold", seed)
		}
		split := int(seed*13) % len(log)
		prefix := NewRecoveries()
		fold(prefix, log[:split])
		before := recoveriesText(t, prefix)
		resumed := prefix.Clone()
		fold(resumed, log[split:])
		if recoveriesText(t, resumed) != recoveriesText(t, a) {
			t.Fatalf("seed %d: clone+rest differs from the whole fold", seed)
		}
		if recoveriesText(t, prefix) != before {
			t.Fatalf("seed %d: folding into the clone changed the original", seed)
		}
	}
}

// Every code of the rule table is documented, with its Detect,
// DetectionHooks and recovery type as the rule has them, and exercised by a
// transcript.
func TestEveryCodeDocumentedAndTested(t *testing.T) {
	doc, err := os.ReadFile("../../docs/analysis.md")
	if err != nil {
		t.Fatalf("read docs/analysis.md: %v", err)
	}
	tested := map[events.AnalysisCode]bool{}
	for _, tc := range transcripts() {
		tested[tc.want] = true
	}
	codes := []events.AnalysisCode{events.AnalysisNoProblem}
	for _, r := range Rules() {
		codes = append(codes, r.Code)
		checkRuleRow(t, string(doc), r)
	}
	for _, c := range codes {
		if !strings.Contains(string(doc), "`"+string(c)+"`") {
			t.Errorf("code %s is not in docs/analysis.md", c)
		}
		if !tested[c] {
			t.Errorf("code %s has no transcript", c)
		}
	}
	for _, s := range StructureRules() {
		if !strings.Contains(string(doc), "`"+string(s.Code)+"`") {
			t.Errorf("structure warning %s is not in docs/analysis.md", s.Code)
		}
	}
	prio := 0
	for _, r := range Rules() {
		if r.Priority <= prio {
			t.Errorf("rule %s priority %d not above %d: the table is not in priority order", r.Code, r.Priority, prio)
		}
		prio = r.Priority
	}
}

// checkRuleRow checks r's row of the rule table in doc: "| priority |
// `code` | condition | detect | detection hooks | actionable |".
func checkRuleRow(t *testing.T, doc string, r Rule) {
	t.Helper()
	var cols []string
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, fmt.Sprintf("| %d | `%s` |", r.Priority, r.Code)) {
			cols = strings.Split(strings.Trim(line, "|"), " | ")
		}
	}
	if len(cols) != 6 {
		t.Errorf("rule %s: no row \"| %d | `%s` | condition | detect | hooks | actionable |\" in docs/analysis.md", r.Code, r.Priority, r.Code)
		return
	}
	yes := func(col string) bool { return strings.HasPrefix(strings.TrimSpace(col), "yes") }
	if yes(cols[3]) != r.Detect {
		t.Errorf("rule %s: documented Detect %q, the rule has %v", r.Code, cols[3], r.Detect)
	}
	if yes(cols[4]) != r.DetectionHooks {
		t.Errorf("rule %s: documented detection hooks %q, the rule has %v", r.Code, cols[4], r.DetectionHooks)
	}
	if acts := strings.Contains(cols[5], "**"+string(r.Recovery)+"**"); acts != (r.Actionable && r.Recovery != "") {
		t.Errorf("rule %s: documented actionable %q, the rule has %v with %q", r.Code, cols[5], r.Actionable, r.Recovery)
	}
}

// TestClusterSeqFollowsTheClusterSubject: the fold knows, per cluster, the
// sequence of the last event on events.ClusterEvents(cluster) — every
// domain event kind counts (also one it cannot decode), observations and
// redeliveries do not, and a clone is independent.
func TestClusterSeqFollowsTheClusterSubject(t *testing.T) {
	r := NewRecoveries()
	at := time.Unix(1_700_000_000, 0)
	env := func(kind events.Kind, cluster string, payload any) events.Envelope {
		e, err := events.New(kind, at, "n1", payload)
		if err != nil {
			t.Fatal(err)
		}
		e.Cluster = cluster
		return e
	}
	apply := func(seq uint64, e events.Envelope) {
		_ = r.Apply(seq, e) // a decode error is checked below by its effect
	}
	apply(3, env(events.KindRecoveryStarted, "a:3306", events.RecoveryStarted{RecoveryID: "r1", Failed: key("a")}))
	apply(4, env(events.KindRecoveryStep, "b:3306", events.RecoveryStep{RecoveryID: "r9", Step: "x"}))
	apply(5, env(events.KindGlobalRecoveriesSet, "", events.GlobalRecoveriesSet{Enabled: true}))
	apply(6, env(events.KindHookRan, "a:3306", events.HookRan{RecoveryID: "r1"}))
	bad := env(events.KindRecoveryStarted, "b:3306", events.RecoveryStarted{})
	bad.Payload = json.RawMessage(`{"recovery_id":`)
	if err := r.Apply(7, bad); err == nil {
		t.Fatal("undecodable payload folded without error")
	}
	obs := env(events.KindInstanceObserved, "a:3306", events.InstanceObserved{})
	apply(8, obs)
	apply(2, env(events.KindRecoveryStep, "a:3306", events.RecoveryStep{RecoveryID: "r1"})) // redelivery
	c := r.Clone()
	apply(9, env(events.KindRecoveryStep, "a:3306", events.RecoveryStep{RecoveryID: "r1", Step: "y"}))
	for _, tc := range []struct {
		fold    *Recoveries
		cluster string
		want    uint64
	}{
		{r, "a:3306", 9}, {r, "b:3306", 7}, {r, "", 5}, {r, "c:3306", 0},
		{c, "a:3306", 6}, {c, "b:3306", 7},
	} {
		if got := tc.fold.ClusterSeq(tc.cluster); got != tc.want {
			t.Errorf("ClusterSeq(%q) = %d, want %d", tc.cluster, got, tc.want)
		}
	}
}

// TestDetectionHooksFolded: hook-ran without a recovery id, correlated by
// a detection's id, is that detection's (OnFailureDetectionProcesses of a
// detection no recovery followed); one with a recovery id is not.
func TestDetectionHooksFolded(t *testing.T) {
	r := NewRecoveries()
	at := time.Unix(1_700_000_000, 0)
	var seq uint64
	apply := func(kind events.Kind, corr string, payload any) {
		t.Helper()
		env, err := events.New(kind, at, "n1", payload)
		if err != nil {
			t.Fatal(err)
		}
		env.Cluster, env.CorrelationID = "p:3306", corr
		seq++
		if err := r.Apply(seq, env); err != nil {
			t.Fatal(err)
		}
	}
	apply(events.KindFailureDetected, "", events.FailureDetected{DetectionID: "d-1", Failed: key("p"), ClusterName: "p:3306",
		Analysis: events.AnalysisUnreachableMaster})
	apply(events.KindHookRan, "d-1", events.HookRan{Hook: "OnFailureDetectionProcesses", Command: "echo {failureType}"})
	apply(events.KindHookRan, "d-1", events.HookRan{RecoveryID: "r-1", Hook: "PreFailoverProcesses", Command: "echo"})
	apply(events.KindHookRan, "d-9", events.HookRan{Hook: "OnFailureDetectionProcesses", Command: "echo other"})
	d, ok := r.Detection("d-1")
	if !ok || len(d.Hooks) != 1 || d.Hooks[0].Command != "echo {failureType}" {
		t.Fatalf("detection d-1 hooks %+v", d.Hooks)
	}
	d.Hooks[0].Command = "mutated"
	if again := r.Detections("p:3306"); len(again) != 1 || again[0].Hooks[0].Command != "echo {failureType}" {
		t.Fatalf("Detection returned shared state: %+v", again)
	}
	if c, _ := r.Clone().Detection("d-1"); len(c.Hooks) != 1 {
		t.Errorf("clone lost the detection's hooks: %+v", c)
	}
}
