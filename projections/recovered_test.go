package projections

import (
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

// A recovery's promote and repoint steps move the topology at once; a
// newer full observation still wins.
func TestRecoveryStepsMoveTheTopology(t *testing.T) {
	s := newScript(t, DefaultSettings())
	s.at(0).observe(threeNodes, mariaPrimary("h1", 1), mariaReplica("h2", 2, "h1"), mariaReplica("h3", 3, "h1"))
	s.at(time.Second).emit(events.KindRecoveryStarted, "n1", events.RecoveryStarted{RecoveryID: "r1", Successor: key("h2"), Failed: key("h1")})
	s.emit(events.KindRecoveryStep, "n1", events.RecoveryStep{RecoveryID: "r1", Step: "promote", Target: key("h2"), Outcome: events.StepOK})
	s.emit(events.KindRecoveryStep, "n1", events.RecoveryStep{RecoveryID: "r1", Step: "repoint h3:3306", Target: key("h3"), Outcome: events.StepOK})
	s.emit(events.KindRecoveryStep, "n1", events.RecoveryStep{RecoveryID: "r1", Step: "repoint h9:3306", Target: key("h9"), Outcome: events.StepOK})
	if h2 := s.instance("h2"); !h2.MasterKey.IsZero() || h2.ReadOnly || h2.ClusterName != "h2:3306" {
		t.Fatalf("promoted h2: master %v read_only %v cluster %s", h2.MasterKey, h2.ReadOnly, h2.ClusterName)
	}
	if h3 := s.instance("h3"); h3.MasterKey != key("h2") || h3.ClusterName != "h2:3306" {
		t.Fatalf("re-pointed h3: master %v cluster %s", h3.MasterKey, h3.ClusterName)
	}
	// A failed step changes nothing; a newer observation overrides.
	s.emit(events.KindRecoveryStep, "n1", events.RecoveryStep{RecoveryID: "r1", Step: "promote", Target: key("h3"), Outcome: events.StepFailed})
	if h3 := s.instance("h3"); h3.MasterKey != key("h2") {
		t.Fatalf("a failed promote moved h3: %v", h3.MasterKey)
	}
	s.at(2*time.Second).observe(threeNodes, mariaReplica("h3", 3, "h1"))
	if h3 := s.instance("h3"); h3.MasterKey != key("h1") {
		t.Fatalf("newer observation did not win: %v", h3.MasterKey)
	}
	// An observation older than the step does not undo it.
	s2 := newScript(t, DefaultSettings())
	s2.at(0).observe(threeNodes, mariaPrimary("h1", 1), mariaReplica("h2", 2, "h1"))
	s2.at(time.Second).emit(events.KindRecoveryStarted, "n1", events.RecoveryStarted{RecoveryID: "r", Successor: key("h2")})
	s2.emit(events.KindRecoveryStep, "n1", events.RecoveryStep{RecoveryID: "r", Step: "promote", Target: key("h2"), Outcome: events.StepSkipped})
	if !s2.instance("h2").MasterKey.IsZero() {
		t.Fatal("skipped (already done) promote not folded")
	}
}
