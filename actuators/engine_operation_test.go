package actuators_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections/analysis"
)

// TestEngineRunsOneActorPerCluster: while a manual operation runs on a
// cluster, a second operation and a manual recovery of the same cluster
// are refused with ErrBusy and append nothing; another cluster is free;
// once the operation ended the cluster is free again.
func TestEngineRunsOneActorPerCluster(t *testing.T) {
	w := newWorld(t, 3)
	e, err := actuators.NewEngine(actuators.EngineConfig{Runner: w.r, Params: analysis.DefaultParams(), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cluster := w.cluster()
	inStep, release := make(chan struct{}), make(chan struct{})
	blocking := actuators.NewOperation("op-1", "relocate", w.keys[2], "", "tester", 1, actuators.OperationStep{Name: "move",
		Do: func(ctx context.Context) (string, error) {
			close(inStep)
			select {
			case <-release:
				return "moved", nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}})
	done := make(chan error, 1)
	go func() {
		_, err := e.RunOperation(ctx, cluster, blocking)
		done <- err
	}()
	select {
	case <-inStep:
	case <-ctx.Done():
		t.Fatal("the operation's step never ran")
	}
	before := len(w.log.all())
	noop := func(id string) actuators.Operation {
		return actuators.NewOperation(id, "stop-replica", w.keys[1], "", "tester", 1,
			actuators.OperationStep{Name: "stop", Do: func(context.Context) (string, error) { return "", nil }})
	}
	if _, err := e.RunOperation(ctx, cluster, noop("op-2")); !errors.Is(err, actuators.ErrBusy) {
		t.Fatalf("a second operation on the busy cluster: %v, want ErrBusy", err)
	}
	if _, err := e.RunManual(ctx, w.intent()); !errors.Is(err, actuators.ErrBusy) {
		t.Fatalf("a manual recovery on the busy cluster: %v, want ErrBusy", err)
	}
	if n := len(w.log.all()); n != before {
		t.Fatalf("refused requests appended %d events: %v", n-before, w.log.kinds()[before:])
	}
	if _, err := e.RunOperation(ctx, "198.18.0.200:3306", noop("op-3")); err != nil {
		t.Fatalf("an operation on another cluster: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("the blocking operation: %v", err)
	}
	if _, err := e.RunOperation(ctx, cluster, noop("op-4")); err != nil {
		t.Fatalf("an operation after the first ended: %v", err)
	}
	var ended int
	for _, env := range w.log.all() {
		if env.Kind == events.KindManualOperationCompleted {
			ended++
		}
	}
	if ended != 3 {
		t.Fatalf("%d operations completed, want 3 (op-1, op-3, op-4): %v", ended, w.log.kinds())
	}
}
