package actuators_test

import (
	"context"
	"slices"
	"testing"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
)

// reloadingHooks replaces the runner's settings (a reload) while the
// PreFailoverProcesses of a recovery run.
type reloadingHooks struct {
	*hooks
	onPre func()
}

func (h reloadingHooks) Run(ctx context.Context, list string, cmds []string, hc actuators.HookContext, failFast bool, rec func(events.HookRan)) ([]events.HookRan, error) {
	if list == "PreFailoverProcesses" && h.onPre != nil {
		h.onPre()
	}
	return h.hooks.Run(ctx, list, cmds, hc, failFast, rec)
}

// TestReloadKeepsARunningRecoverysSettings: a reload during a recovery
// changes nothing of that recovery (it runs the hook lists it started
// with); the next recovery runs the new lists.
func TestReloadKeepsARunningRecoverysSettings(t *testing.T) {
	w := newWorld(t, 3)
	old := actuators.HookLists{PreFailover: []string{"echo pre-old"}, PostFailover: []string{"echo post-old"}}
	reloaded := actuators.HookLists{PreFailover: []string{"echo pre-new"}, PostFailover: []string{"echo post-new"}}
	w.r.Settings = actuators.NewLive(actuators.RunnerSettings{Policy: w.r.Policy, Lists: old})
	w.r.Hooks = reloadingHooks{hooks: w.hooks, onPre: func() {
		w.r.Settings.Store(actuators.RunnerSettings{Policy: w.r.Policy, Lists: reloaded})
	}}
	w.appendOther(t, events.KindFailureDetected, events.FailureDetected{DetectionID: "d-1", Failed: w.keys[0], ClusterName: w.cluster()})
	w.topo.Down(w.keys[0])
	in := w.intent()
	in.ClusterSeq, in.SeqFromView = 1, true
	if _, err := w.run(t, in); err != nil {
		t.Fatalf("Run: %v (log %v)", err, w.log.kinds())
	}
	post, ok := w.hooks.call("PostFailoverProcesses")
	if !ok || !slices.Equal(post.ran, old.PostFailover) {
		t.Fatalf("the running recovery ran PostFailoverProcesses %v, want its own %v", post.ran, old.PostFailover)
	}
	if got := w.r.Settings.Load().Lists; !slices.Equal(got.PostFailover, reloaded.PostFailover) {
		t.Fatalf("the reload was lost: %v", got)
	}
}
