package actuators_test

import (
	"testing"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
)

// TestRunReportsTheSequenceOfItsRecordedOutcome: Result.EndSeq is the
// cluster sequence of the recovery-completed or recovery-failed the run
// appended, and 0 when the run recorded no outcome (fenced): the engine
// uses it not to resume a run whose end the fold has not reached yet.
func TestRunReportsTheSequenceOfItsRecordedOutcome(t *testing.T) {
	seqOf := func(w *world, kind events.Kind) uint64 {
		for i, env := range w.log.all() {
			if env.Kind == kind {
				return uint64(i + 1) // one cluster: the memLog's sequences are 1, 2, …
			}
		}
		return 0
	}
	t.Run("completed", func(t *testing.T) {
		w := newWorld(t, 3)
		res, err := w.run(t, w.intent())
		if err != nil {
			t.Fatal(err)
		}
		if want := seqOf(w, events.KindRecoveryCompleted); want == 0 || res.EndSeq != want {
			t.Fatalf("EndSeq %d, recovery-completed at %d (log %v)", res.EndSeq, want, w.log.kinds())
		}
	})
	t.Run("failed", func(t *testing.T) {
		w := newWorld(t, 3)
		w.r.Lists = actuators.HookLists{PreFailover: []string{"fail-pre"}}
		res, err := w.run(t, w.intent())
		if err == nil {
			t.Fatal("a failing PreFailoverProcesses did not fail the recovery")
		}
		if want := seqOf(w, events.KindRecoveryFailed); want == 0 || res.EndSeq != want {
			t.Fatalf("EndSeq %d, recovery-failed at %d (log %v)", res.EndSeq, want, w.log.kinds())
		}
	})
	t.Run("fenced", func(t *testing.T) {
		w := newWorld(t, 3)
		w.r.Lease = leaseFor(2) // the lease is lost after two appends
		res, err := w.run(t, w.intent())
		if err == nil {
			t.Fatal("a run that lost the lease succeeded")
		}
		if res.EndSeq != 0 || seqOf(w, events.KindRecoveryCompleted)+seqOf(w, events.KindRecoveryFailed) != 0 {
			t.Fatalf("EndSeq %d with no outcome recorded (log %v)", res.EndSeq, w.log.kinds())
		}
	})
}
