package actuators_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
)

// heldLease holds epoch 7 until revoked.
type heldLease struct{ lost atomic.Bool }

func (l *heldLease) Holds(epoch uint64) bool { return epoch == 7 && !l.lost.Load() }

func opRunner(l actuators.Lease) (*actuators.Runner, *memLog) {
	log := newMemLog()
	return &actuators.Runner{Node: "n1", Log: log, Lease: l, Clock: fixedClock{}, Logger: zerolog.Nop()}, log
}

// outcome decodes the operation's events: the started payload, and the
// completed or failed one (whichever was appended).
func outcome(t *testing.T, log *memLog) (events.ManualOperation, *events.ManualOperationCompleted, *events.ManualOperationFailed) {
	t.Helper()
	var started events.ManualOperation
	var done *events.ManualOperationCompleted
	var failed *events.ManualOperationFailed
	for _, e := range log.all() {
		if e.Cluster != "" || e.Epoch != 7 || e.CorrelationID != "op-1" || e.Instance != "198.18.0.2:3306" {
			t.Fatalf("%s appended with cluster %q epoch %d correlation %q instance %q", e.Kind, e.Cluster, e.Epoch, e.CorrelationID, e.Instance)
		}
		var err error
		switch e.Kind {
		case events.KindManualOperationStarted:
			err = e.Decode(&started)
		case events.KindManualOperationCompleted:
			done = &events.ManualOperationCompleted{}
			err = e.Decode(done)
		case events.KindManualOperationFailed:
			failed = &events.ManualOperationFailed{}
			err = e.Decode(failed)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return started, done, failed
}

// TestRunOperationRecordsItsOutcome: started, the steps in order, and
// completed with what they reported; a failing step stops the operation and
// its error is in manual-operation-failed with the steps done before it.
func TestRunOperationRecordsItsOutcome(t *testing.T) {
	target := ikey("198.18.0.2")
	var ran []string
	stepOf := func(name, detail string, err error) actuators.OperationStep {
		return actuators.OperationStep{Name: name, Do: func(context.Context) (string, error) {
			ran = append(ran, name)
			return detail, err
		}}
	}
	t.Run("success", func(t *testing.T) {
		ran = nil
		r, log := opRunner(&heldLease{})
		op := actuators.NewOperation("op-1", "stop-replica-nice", target, "", "dba", 7,
			stepOf("stop-replica-io", "", nil), stepOf("wait-relay-applied", "relay log applied", nil), stepOf("stop-replica", "", nil))
		detail, err := r.RunOperation(t.Context(), op)
		if err != nil || detail != "relay log applied" {
			t.Fatalf("RunOperation = %q, %v", detail, err)
		}
		started, done, failed := outcome(t, log)
		if got := strings.Join(log.kinds(), " "); got != "manual-operation-started manual-operation-completed" {
			t.Fatalf("appended %s", got)
		}
		if started.Who != "dba" || !slices.Equal(started.Steps, []string{"stop-replica-io", "wait-relay-applied", "stop-replica"}) ||
			failed != nil || done.Detail != "relay log applied" || done.Operation != "stop-replica-nice" || done.Target != target {
			t.Fatalf("started %+v completed %+v failed %+v", started, done, failed)
		}
		if !slices.Equal(ran, started.Steps) {
			t.Fatalf("ran %v", ran)
		}
	})
	t.Run("failure", func(t *testing.T) {
		ran = nil
		r, log := opRunner(&heldLease{})
		op := actuators.NewOperation("op-1", "restart-replica", target, "", "dba", 7,
			stepOf("stop-replica", "", nil), stepOf("start-replica", "", errors.New("start replica on 198.18.0.2:3306: denied")),
			stepOf("never", "", nil))
		_, err := r.RunOperation(t.Context(), op)
		if err == nil || !strings.Contains(err.Error(), "denied") || errors.Is(err, actuators.ErrFenced) {
			t.Fatalf("RunOperation error %v, want the step's", err)
		}
		_, done, failed := outcome(t, log)
		if done != nil || failed == nil || failed.Step != "start-replica" || !strings.Contains(failed.Error, "denied") || failed.Fenced ||
			!slices.Equal(failed.Done, []string{"stop-replica"}) {
			t.Fatalf("completed %+v failed %+v", done, failed)
		}
		if !slices.Equal(ran, []string{"stop-replica", "start-replica"}) {
			t.Fatalf("ran %v: the step after the failed one ran", ran)
		}
	})
}

// TestRunOperationStopsWhenTheEpochIsLost: a node that loses the lease
// between two steps does not run the second, and records where it
// stopped; one that no longer holds it at the start appends nothing.
func TestRunOperationStopsWhenTheEpochIsLost(t *testing.T) {
	target := ikey("198.18.0.2")
	l := &heldLease{}
	r, log := opRunner(l)
	var secondRan bool
	op := actuators.NewOperation("op-1", "restart-replica", target, "", "dba", 7,
		actuators.OperationStep{Name: "stop-replica", Do: func(context.Context) (string, error) {
			l.lost.Store(true) // the lease moves while the first step runs
			return "", nil
		}},
		actuators.OperationStep{Name: "start-replica", Do: func(context.Context) (string, error) {
			secondRan = true
			return "", nil
		}})
	_, err := r.RunOperation(t.Context(), op)
	if !errors.Is(err, actuators.ErrFenced) {
		t.Fatalf("RunOperation error %v, want ErrFenced", err)
	}
	if secondRan {
		t.Fatal("the step after the lease was lost ran")
	}
	_, done, failed := outcome(t, log)
	if done != nil || failed == nil || !failed.Fenced || failed.Step != "start-replica" || !slices.Equal(failed.Done, []string{"stop-replica"}) ||
		!strings.Contains(failed.Error, "epoch 7 no longer held") {
		t.Fatalf("completed %+v failed %+v", done, failed)
	}

	r, log = opRunner(l) // still lost
	if _, err := r.RunOperation(t.Context(), op); !errors.Is(err, actuators.ErrFenced) || len(log.all()) != 0 {
		t.Fatalf("an operation without the lease: %v, appended %v", err, log.kinds())
	}
}
