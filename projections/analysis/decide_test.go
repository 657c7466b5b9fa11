package analysis

import (
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

// engine appends what a decision asks for, as the recovery engine would,
// and returns the recovery id of a Start.
func (s *script) engine(d Decision) string {
	s.tb.Helper()
	if d.NewDetection || d.Action == ActionDetect {
		s.emit(events.KindFailureDetected, "n1", d.Failure)
	}
	switch d.Action {
	case ActionStart:
		id := d.Failure.DetectionID + "-r" + string(rune('0'+d.Attempt))
		s.emit(events.KindRecoveryStarted, "n1", events.RecoveryStarted{
			RecoveryID: id, DetectionID: d.Failure.DetectionID, Type: d.RecoveryType, Analysis: d.Failure.Analysis,
			Failed: d.Failure.Failed, ClusterName: d.Failure.ClusterName, Node: "n1",
		})
		return id
	case ActionBlock:
		s.emit(events.KindRecoveryBlocked, "n1", d.Blocked)
	case ActionClear:
		s.emit(events.KindFailureCleared, "n1", d.Cleared)
	}
	return ""
}

func (s *script) decide(p Params) []Decision {
	return Decide(s.view(), s.rec, s.now, p)
}

func one(t *testing.T, ds []Decision, want Action) Decision {
	t.Helper()
	if len(ds) != 1 || ds[0].Action != want {
		t.Fatalf("decisions %s, want one %s", mustJSON(t, ds), want)
	}
	return ds[0]
}

func sigkill(s *script, at time.Duration) {
	s.at(at).unreachable(nodes, "p", false)
	s.observe(nodes, connecting(replica("r1", 2, "p")), connecting(replica("r2", 3, "p")))
}

func TestDecideStartsOnceWithDeterministicID(t *testing.T) {
	build := func() *script {
		s := newScript(t)
		healthy(s)
		sigkill(s, time.Second)
		return s
	}
	a, b := build(), build()
	da, db := one(t, a.decide(params()), ActionStart), one(t, b.decide(params()), ActionStart)
	if da.Failure.DetectionID == "" || da.Failure.DetectionID != db.Failure.DetectionID {
		t.Fatalf("detection ids %q and %q differ", da.Failure.DetectionID, db.Failure.DetectionID)
	}
	if !da.NewDetection || !da.Failure.Actionable || da.RecoveryType != events.RecoveryMaster || da.Attempt != 1 {
		t.Fatalf("decision %s", mustJSON(t, da))
	}
	if len(da.Failure.Vantage) != 3 || len(da.Failure.Replicas) != 2 {
		t.Fatalf("evidence %s", mustJSON(t, da.Failure))
	}
	// More failed probes later: the same incident, the same id.
	a.at(1500*time.Millisecond).unreachable(nodes, "p", true)
	if d := one(t, a.decide(params()), ActionStart); d.Failure.DetectionID != da.Failure.DetectionID {
		t.Fatalf("id changed while the failure lasted: %q → %q", da.Failure.DetectionID, d.Failure.DetectionID)
	}
	// Once the recovery started, nothing more is decided for the incident.
	a.engine(da)
	if ds := a.decide(params()); len(ds) != 0 {
		t.Fatalf("after start: %s", mustJSON(t, ds))
	}
}

func TestDecideBlocksWhileARecoveryRuns(t *testing.T) {
	s := newScript(t)
	healthy(s)
	s.emit(events.KindRecoveryStarted, "n2", events.RecoveryStarted{
		RecoveryID: "takeover-1", Type: "GracefulMasterTakeover", Failed: key("p"), ClusterName: "p:3306", Node: "n2", Manual: true,
	})
	sigkill(s, time.Hour*3) // however long the running recovery takes
	d := one(t, s.decide(params()), ActionBlock)
	if d.Blocked.BlockingRecoveryID != "takeover-1" || !strings.Contains(d.Blocked.Reason, "still running") {
		t.Fatalf("blocked %+v", d.Blocked)
	}
	s.engine(d)
	if ds := s.decide(params()); len(ds) != 0 {
		t.Fatalf("block recorded, still decided: %s", mustJSON(t, ds))
	}
	if bl := s.rec.Blocked("p:3306"); len(bl) != 1 || bl[0].BlockingRecoveryUID != "takeover-1" || bl[0].BlockingRecoveryId == 0 {
		t.Fatalf("blocked list %s", mustJSON(t, bl))
	}
	s.emit(events.KindRecoveryCompleted, "n2", events.RecoveryCompleted{RecoveryID: "takeover-1"})
	ack := events.RecoveryAcknowledged{ClusterName: "p:3306", Who: "ops", Comment: "done"}
	s.emit(events.KindRecoveryAcknowledged, "n2", ack)
	d = one(t, s.decide(params()), ActionStart)
	if d.NewDetection {
		t.Fatal("the detection was already recorded with the block")
	}
}

func TestDecideAntiFlapThenAcknowledgement(t *testing.T) {
	s := newScript(t)
	healthy(s)
	sigkill(s, time.Second)
	id := s.engine(one(t, s.decide(params()), ActionStart))
	// The recovery promotes r1 and re-points r2.
	s.at(2*time.Second).emit(events.KindRecoveryStep, "n1", events.RecoveryStep{RecoveryID: id, Step: "promote", Target: key("r1"), Outcome: events.StepOK})
	s.emit(events.KindRecoveryCompleted, "n1", events.RecoveryCompleted{RecoveryID: id, Successor: key("r1")})
	r1 := primary("r1", 2)
	s.observe(nodes, r1, replica("r2", 3, "r1"))
	// The new primary dies ten minutes later: blocked by the anti-flap window.
	s.at(10*time.Minute).unreachable(nodes, "r1", false)
	s.observe(nodes, connecting(replica("r2", 3, "r1")))
	d := one(t, s.decide(params()), ActionBlock)
	if d.Blocked.BlockingRecoveryID != id || !strings.Contains(d.Blocked.Reason, "RecoveryPeriodBlockSeconds") || d.Failure.Actionable {
		t.Fatalf("blocked %+v failure %+v", d.Blocked, d.Failure)
	}
	s.engine(d)
	if ds := s.decide(params()); len(ds) != 0 {
		t.Fatalf("repeated block: %s", mustJSON(t, ds))
	}
	s.emit(events.KindRecoveryAcknowledged, "ops", events.RecoveryAcknowledged{Instance: key("p"), Who: "alice", Comment: "flap checked"})
	rec, _ := s.rec.Recovery(id)
	if !rec.Acknowledged || rec.AcknowledgedBy != "alice" || rec.AcknowledgedComment != "flap checked" || rec.AcknowledgedAt == "" {
		t.Fatalf("ack not recorded: %s", mustJSON(t, rec))
	}
	d = one(t, s.decide(params()), ActionStart)
	if d.Failure.Failed != key("r1") {
		t.Fatalf("start for %s", d.Failure.Failed)
	}
	// Without acknowledgement the window also ends by time.
	s2 := newScript(t)
	healthy(s2)
	sigkill(s2, time.Second)
	id2 := s2.engine(one(t, s2.decide(params()), ActionStart))
	s2.emit(events.KindRecoveryFailed, "n1", events.RecoveryFailed{RecoveryID: id2, Step: "promote", Error: "read_only: access denied"})
	s2.at(30*time.Second).unreachable(nodes, "p", false)
	s2.observe(nodes, connecting(replica("r1", 2, "p")), connecting(replica("r2", 3, "p")))
	d = one(t, s2.decide(params()), ActionBlock)
	if d.Blocked.BlockingRecoveryID != id2 {
		t.Fatalf("failed recovery does not block its retry: %+v", d.Blocked)
	}
	p := params()
	p.RecoveryPeriodBlock = 20 * time.Second
	d = one(t, s2.decide(p), ActionStart)
	if d.Attempt != 2 || d.NewDetection {
		t.Fatalf("retry after the window: attempt %d new detection %v", d.Attempt, d.NewDetection)
	}
	// A successful recovery is never repeated for the same incident, even
	// with no anti-flap window, while the view still shows the old failure.
	s3 := newScript(t)
	healthy(s3)
	sigkill(s3, time.Second)
	id3 := s3.engine(one(t, s3.decide(params()), ActionStart))
	s3.emit(events.KindRecoveryCompleted, "n1", events.RecoveryCompleted{RecoveryID: id3, Successor: key("r1")})
	p.RecoveryPeriodBlock = 0
	s3.at(1500*time.Millisecond).unreachable(nodes, "p", false)
	if ds := s3.decide(p); len(ds) != 0 {
		t.Fatalf("same incident after a successful recovery: %s", mustJSON(t, ds))
	}
}

func TestDecideGates(t *testing.T) {
	cases := []struct {
		name   string
		mod    func(s *script, p *Params)
		reason string
	}{
		{"global recoveries disabled", func(s *script, p *Params) {
			s.emit(events.KindGlobalRecoveriesSet, "n1", events.GlobalRecoveriesSet{Enabled: false, Who: "bob"})
		}, "global recoveries disabled by bob"},
		{"cluster filter", func(s *script, p *Params) {
			p.RecoverMasterClusterFilters = mustFilters(t, "alias=prod")
		}, "does not match RecoverMasterClusterFilters"},
		{"recovery ignore hostname filter", func(s *script, p *Params) {
			p.RecoveryIgnoreHostnameFilters = append(p.RecoveryIgnoreHostnameFilters, rx("^p$"))
		}, "RecoveryIgnoreHostnameFilters"},
		{"downtimed", func(s *script, p *Params) {
			s.emit(events.KindDowntimeBegun, "n1", events.DowntimeBegun{Key: key("p"), Owner: "carol", Reason: "upgrade", Until: t0.Add(time.Hour)})
		}, "instance downtimed by carol: upgrade"},
		{"in maintenance", func(s *script, p *Params) {
			s.emit(events.KindMaintenanceBegun, "n1", events.MaintenanceBegun{Key: key("p"), Owner: "dave", Reason: "disk swap", Until: t0.Add(10 * time.Minute)})
		}, "instance in maintenance by dave: disk swap (until 2025-03-01 12:10:00)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newScript(t)
			healthy(s)
			p := params()
			tc.mod(s, &p)
			sigkill(s, time.Second)
			d := one(t, s.decide(p), ActionBlock)
			if !strings.Contains(d.Blocked.Reason, tc.reason) || d.Failure.Reason != d.Blocked.Reason || !d.NewDetection {
				t.Fatalf("blocked %+v, want reason containing %q", d, tc.reason)
			}
		})
	}
	// Re-enabling global recoveries unblocks.
	s := newScript(t)
	healthy(s)
	s.emit(events.KindGlobalRecoveriesSet, "n1", events.GlobalRecoveriesSet{Enabled: false, Who: "bob"})
	sigkill(s, time.Second)
	s.engine(one(t, s.decide(params()), ActionBlock))
	s.emit(events.KindGlobalRecoveriesSet, "n1", events.GlobalRecoveriesSet{Enabled: true, Who: "bob"})
	if en, who, _ := s.rec.GlobalRecoveriesEnabled(); !en || who != "bob" {
		t.Fatalf("global enabled %v by %q", en, who)
	}
	one(t, s.decide(params()), ActionStart)
}

func TestDecideUnreachableMasterDetectClearAndDedupe(t *testing.T) {
	s := newScript(t)
	healthy(s)
	lose := func(from, to int) {
		for sec := from; sec <= to; sec++ {
			s.at(time.Duration(sec)*time.Second).unreachable(nodes, "p", true)
			s.progress(nodes, "r1", int64(sec), 4000, "0-1-100").progress(nodes, "r2", int64(sec), 4000, "0-1-100")
		}
	}
	lose(1, 2)
	d := one(t, s.decide(params()), ActionDetect)
	if d.Failure.Actionable || d.Failure.Analysis != events.AnalysisUnreachableMaster || !strings.Contains(d.Failure.Reason, "still replicates") {
		t.Fatalf("detect %+v", d.Failure)
	}
	first := d.Failure.DetectionID
	s.engine(d)
	if ds := s.decide(params()); len(ds) != 0 {
		t.Fatalf("repeated detection: %s", mustJSON(t, ds))
	}
	// The primary answers again: the detection clears.
	s.at(3*time.Second).observe(nodes, primary("p", 1))
	d = one(t, s.decide(params()), ActionClear)
	if d.Cleared.DetectionID != first {
		t.Fatalf("cleared %q, want %q", d.Cleared.DetectionID, first)
	}
	s.engine(d)
	if ds := s.decide(params()); len(ds) != 0 {
		t.Fatalf("after clear: %s", mustJSON(t, ds))
	}
	// Within FailureDetectionPeriodBlock the same failure is not emitted again.
	lose(4, 5)
	if ds := s.decide(params()); len(ds) != 0 {
		t.Fatalf("within the detection block period: %s", mustJSON(t, ds))
	}
	// After it, it is a new detection with a new id.
	p := params()
	p.FailureDetectionPeriodBlock = 2 * time.Second
	d = one(t, s.decide(p), ActionDetect)
	if d.Failure.DetectionID == first {
		t.Fatal("new detection reused the cleared id")
	}
	if det, ok := s.rec.Detection(first); !ok || !det.Cleared || det.IsActive {
		t.Fatalf("detection %s", mustJSON(t, det))
	}
}

func mustFilters(t *testing.T, f ...string) (out projectionsClusterFilters) {
	t.Helper()
	c, err := compileFilters(f)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A maintenance blocks the failed instance's recovery until it ends (or
// lapses at MaintenanceExpireMinutes); one on a replica blocks nothing, and
// that replica is not promoted.
func TestDecideMaintenanceGate(t *testing.T) {
	s := newScript(t)
	healthy(s)
	s.emit(events.KindMaintenanceBegun, "n1", events.MaintenanceBegun{Key: key("p"), Owner: "dave", Reason: "disk swap", Until: t0.Add(time.Minute)})
	sigkill(s, time.Second)
	d := one(t, s.decide(params()), ActionBlock)
	if !strings.Contains(d.Blocked.Reason, "in maintenance by dave") {
		t.Fatalf("blocked %+v", d.Blocked)
	}
	s.engine(d)
	if ds := s.decide(params()); len(ds) != 0 {
		t.Fatalf("block recorded twice: %s", mustJSON(t, ds))
	}
	s.emit(events.KindMaintenanceEnded, "n1", events.MaintenanceEnded{Key: key("p")})
	one(t, s.decide(params()), ActionStart)

	// Lapsed by time.
	s2 := newScript(t)
	healthy(s2)
	s2.emit(events.KindMaintenanceBegun, "n1", events.MaintenanceBegun{Key: key("p"), Owner: "dave", Until: t0.Add(2 * time.Second)})
	sigkill(s2, time.Second)
	s2.engine(one(t, s2.decide(params()), ActionBlock))
	s2.at(2 * time.Second)
	one(t, s2.decide(params()), ActionStart)

	// On a replica: the primary's recovery starts, and r1 is rejected.
	s3 := newScript(t)
	healthy(s3)
	s3.emit(events.KindMaintenanceBegun, "n1", events.MaintenanceBegun{Key: key("r1"), Owner: "erin", Reason: "backup"})
	sigkill(s3, time.Second)
	one(t, s3.decide(params()), ActionStart)
	chosen, all, err := ChooseCandidate(s3.view(), key("p"), params())
	if err != nil || chosen != key("r2") {
		t.Fatalf("chose %s (%v): %s", chosen, err, mustJSON(t, all))
	}
	for _, c := range all {
		if c.Key == key("r1") && !strings.Contains(c.Reason, "in maintenance by erin: backup") {
			t.Fatalf("r1: %q", c.Reason)
		}
	}
}

// AllIntermediateMasterReplicasFailingToConnectOrDead starts an
// intermediate-master recovery once: while it runs, the same failure
// neither starts another nor records a block.
func TestDecideReachableIntermediateMasterRecoveredOnce(t *testing.T) {
	s := newScript(t)
	chain(s, "a", "b")
	s.at(time.Second).observe(nodes, replica("im", 2, "p"), connecting(replica("a", 10, "im")), connecting(replica("b", 11, "im")))
	d := one(t, s.decide(params()), ActionStart)
	if d.RecoveryType != events.RecoveryIntermediateMaster || d.Failure.Analysis != events.AnalysisAllIntermediateMasterReplicasFailingToConnectOrDead || !d.NewDetection {
		t.Fatalf("start %+v", d)
	}
	s.engine(d)
	s.at(2*time.Second).observe(nodes, replica("im", 2, "p"), connecting(replica("a", 10, "im")), connecting(replica("b", 11, "im")))
	if ds := s.decide(params()); len(ds) != 0 {
		t.Fatalf("while the recovery runs: %s", mustJSON(t, ds))
	}
}

// TestDecideAllReplicasNotReplicatingIsNoDetection: a reachable primary
// whose replicas all stopped replicating shows in the analysis but is not
// recorded as a detection (no event, no detection hook): at sub-second
// polling the state flickers whenever replicas restart or are re-pointed.
func TestDecideAllReplicasNotReplicatingIsNoDetection(t *testing.T) {
	s := newScript(t)
	healthy(s)
	for i, h := range []string{"r1", "r2"} {
		o := replica(h, uint32(2+i), "p")
		o.Replication.SQLThread = events.ThreadStopped
		s.at(time.Second).observe(nodes, o)
	}
	if a := s.analysisOf("p", params()); a.Analysis != events.AnalysisAllMasterReplicasNotReplicating {
		t.Fatalf("analysis of p: %s, want %s", a.Analysis, events.AnalysisAllMasterReplicasNotReplicating)
	}
	if ds := s.decide(params()); len(ds) != 0 {
		t.Fatalf("decisions: %s, want none", mustJSON(t, ds))
	}
}
