package actuators_test

import (
	"testing"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
)

// TestSkipHooksRunsNoHook: a recovery started with SkipHooks
// (recover-lite) promotes as any other, runs none of the configured hooks
// and says so in its started event.
func TestSkipHooksRunsNoHook(t *testing.T) {
	w := newWorld(t, 3)
	w.topo.Down(w.keys[0])
	w.r.Lists = actuators.HookLists{PreFailover: []string{"echo pre"}, PostMasterFailover: []string{"echo pm"}, PostFailover: []string{"echo post"}}
	in := w.intent()
	in.Started.SkipHooks = true
	if _, err := w.run(t, in); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if l := w.hooks.lists(); len(l) != 0 {
		t.Errorf("hooks %v ran, want none", l)
	}
	if !w.log.has(events.KindRecoveryCompleted) || w.log.has(events.KindHookRan) {
		t.Errorf("log %v: want a completed recovery and no hook-ran", w.log.kinds())
	}
	w = newWorld(t, 3)
	w.topo.Down(w.keys[0])
	w.r.Lists = actuators.HookLists{PostFailover: []string{"echo post"}}
	if _, err := w.run(t, w.intent()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if l := w.hooks.lists(); len(l) != 1 {
		t.Errorf("without SkipHooks hooks %v ran, want PostFailoverProcesses", l)
	}
}
