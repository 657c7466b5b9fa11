package actuators

import (
	"context"
	"testing"
	"time"

	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// SettleOwed runs one pass of the engine's late fencing and detaching
// (fenceReturned) and waits for its attempts.
func SettleOwed(ctx context.Context, e *Engine, recs *analysis.Recoveries, now time.Time, epoch uint64) {
	e.fenceReturned(ctx, recs, now, epoch)
	e.wg.Wait()
}

// HandleDecision carries out one decision as a step of the engine does,
// on view v and fold recs; what it starts in the background (detection
// hooks, a recovery) goes on: WaitEngine waits for it.
func HandleDecision(ctx context.Context, e *Engine, v *projections.View, recs *analysis.Recoveries, d analysis.Decision, epoch uint64) error {
	return e.handle(ctx, v, recs, d, epoch)
}

// WaitEngine waits for the goroutines the engine started.
func WaitEngine(e *Engine) { e.wg.Wait() }

// Busy reports whether the engine runs a recovery on cluster.
func Busy(e *Engine, cluster string) bool { return e.busy(cluster) }

// mustEngine is NewEngine for the package's own tests.
func mustEngine(t testing.TB, c EngineConfig) *Engine {
	t.Helper()
	e, err := NewEngine(c)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// SettleUntil makes cluster settle until t, as after this node's recovery.
func SettleUntil(e *Engine, cluster string, t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.settle[cluster] = t
}
