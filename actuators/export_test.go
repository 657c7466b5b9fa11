package actuators

import (
	"context"
	"time"

	"github.com/regent-ha/regent/projections/analysis"
)

// SettleOwed runs one pass of the engine's late fencing and detaching
// (fenceReturned) and waits for its attempts.
func SettleOwed(ctx context.Context, e *Engine, recs *analysis.Recoveries, now time.Time, epoch uint64) {
	e.fenceReturned(ctx, recs, now, epoch)
	e.wg.Wait()
}
