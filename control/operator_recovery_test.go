package control

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
)

// runnerEngine runs a manual recovery straight through the Runner, as the
// engine's RunManual does once the cluster is free.
type runnerEngine struct{ r *actuators.Runner }

func (e runnerEngine) RunManual(ctx context.Context, in actuators.Intent) (actuators.Result, error) {
	return e.r.Run(ctx, in)
}

func (e runnerEngine) RunOperation(ctx context.Context, _ string, op actuators.Operation) (string, error) {
	return e.r.RunOperation(ctx, op)
}

// noVIP is an unconfigured VIP; noHooks runs no hook.
type noVIP struct{}

func (noVIP) Address() string { return "" }
func (noVIP) Add(context.Context, events.InstanceKey) (bool, error) {
	return false, errors.New("no VIP configured")
}
func (noVIP) Remove(context.Context, events.InstanceKey) (bool, error) {
	return false, errors.New("no VIP configured")
}
func (noVIP) Has(context.Context, events.InstanceKey) (bool, error) { return false, nil }

type noHooks struct{}

func (noHooks) Run(context.Context, string, []string, actuators.HookContext, bool, func(events.HookRan)) ([]events.HookRan, error) {
	return nil, nil
}

// recoveryWorld is an opWorld whose operator runs its recoveries through
// the Runner.
func recoveryWorld(t *testing.T) *opWorld {
	w := newOpWorld(t)
	w.o.runner.VIP, w.o.runner.Hooks = noVIP{}, noHooks{}
	w.o.engine = runnerEngine{w.o.runner}
	return w
}

// recoveryOutcome returns the kinds w's log holds and the one outcome of
// the recovery (recovery-completed or recovery-failed) with its id.
func recoveryOutcome(t *testing.T, w *opWorld) (started events.RecoveryStarted, kind events.Kind, failed events.RecoveryFailed) {
	t.Helper()
	n := 0
	for _, e := range w.log.all() {
		switch e.Kind {
		case events.KindRecoveryStarted:
			if err := e.Decode(&started); err != nil {
				t.Fatal(err)
			}
		case events.KindRecoveryCompleted, events.KindRecoveryFailed:
			n++
			kind = e.Kind
			if e.Kind == events.KindRecoveryFailed {
				if err := e.Decode(&failed); err != nil {
					t.Fatal(err)
				}
			}
			if e.CorrelationID != started.RecoveryID || e.Epoch != 3 {
				t.Fatalf("%s correlated %q epoch %d, want recovery %q at epoch 3", e.Kind, e.CorrelationID, e.Epoch, started.RecoveryID)
			}
		}
	}
	if n != 1 || started.RecoveryID == "" {
		t.Fatalf("recovery %q with %d outcomes in the log", started.RecoveryID, n)
	}
	return started, kind, failed
}

// TestManualRecoveryOutcomes: a manual promotion (force-master-takeover
// here) is a recovery intent built by actuators.NewIntent, run by the
// Runner under the operator's epoch: on success the log ends with
// recovery-completed, when a step's database call fails with
// recovery-failed carrying the error, and the operator returns it.
func TestManualRecoveryOutcomes(t *testing.T) {
	takeover := Takeover{Kind: ForceTakeover, Designated: opSibling}
	t.Run("success", func(t *testing.T) {
		w := recoveryWorld(t)
		cluster := mustCluster(t, w)
		takeover.Cluster = cluster
		rec, err := w.o.Takeover(t.Context(), takeover, "dba")
		if err != nil || !rec.IsSuccessful {
			t.Fatalf("force-master-takeover = %+v, %v; calls %v", rec, err, w.db.calls)
		}
		s, kind, _ := recoveryOutcome(t, w)
		if kind != events.KindRecoveryCompleted || !s.Manual || s.Who != "dba" || s.Successor != opSibling || s.Failed != opPrimary {
			t.Fatalf("started %+v, outcome %s", s, kind)
		}
	})
	t.Run("failure", func(t *testing.T) {
		w := recoveryWorld(t)
		w.db.fail = "Status" // no server answers: the successor cannot be checked
		takeover.Cluster = mustCluster(t, w)
		if _, err := w.o.Takeover(t.Context(), takeover, "dba"); err == nil || !strings.Contains(err.Error(), "injected failure") {
			t.Fatalf("force-master-takeover with %s failing = %v, want the failure; calls %v; log %v", w.db.fail, err, w.db.calls, w.log.all())
		}
		_, kind, f := recoveryOutcome(t, w)
		if kind != events.KindRecoveryFailed || !strings.Contains(f.Error, "injected failure") {
			t.Fatalf("outcome %s %+v, want recovery-failed with the error", kind, f)
		}
	})
}

func mustCluster(t *testing.T, w *opWorld) string {
	t.Helper()
	inst, ok := w.o.views.FreshView().Instance(opPrimary)
	if !ok || inst.ClusterName == "" {
		t.Fatalf("no cluster for %s", opPrimary)
	}
	return inst.ClusterName
}
