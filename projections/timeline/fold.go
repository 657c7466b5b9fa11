package timeline

import (
	"errors"
	"fmt"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// State is both folds of a merged log up to an instant.
type State struct {
	Topology   *projections.Topology
	Recoveries *analysis.Recoveries
	// Skipped lists the records whose payload the current code cannot
	// fold (they are left out, as a running node does).
	Skipped []error
}

// Fold folds the merged items stored at or before until (zero: all).
func Fold(items []Item, s projections.Settings, until time.Time) (*State, error) {
	topo, err := projections.NewTopology(s)
	if err != nil {
		return nil, fmt.Errorf("fold log: %w", err)
	}
	st := &State{Topology: topo, Recoveries: analysis.NewRecoveries()}
	for _, it := range items {
		if !until.IsZero() && it.Stored.After(until) {
			continue
		}
		st.apply(it)
	}
	return st, nil
}

func (st *State) apply(it Item) {
	if err := st.Topology.Apply(it.Seq, it.Env); err != nil {
		st.Skipped = append(st.Skipped, err)
	}
	if it.IsObservation() {
		return
	}
	if err := st.Recoveries.Apply(it.Seq, it.Env); err != nil {
		st.Skipped = append(st.Skipped, err)
	}
}

// TopologyAt renders the topology of the cluster named by hint as it was
// at the instant: the fold of every record stored until then, viewed at
// that instant. The hint is resolved as the API resolves it (name, alias,
// instance, host prefix); the resolved cluster name is returned with the
// text.
func TopologyAt(items []Item, s projections.Settings, at time.Time, hint string, tabulated bool) (string, string, error) {
	st, err := Fold(items, s, at)
	if err != nil {
		return "", "", err
	}
	v := st.Topology.View(at)
	name, err := v.ResolveCluster(hint)
	if err != nil {
		return "", "", fmt.Errorf("topology at %s: %w", at.UTC().Format(TimeLayout), err)
	}
	text, err := projections.RenderTopology(v, name, tabulated)
	if err != nil {
		return "", "", fmt.Errorf("topology at %s: %w", at.UTC().Format(TimeLayout), err)
	}
	return name, text, nil
}

// ErrUnknownRecovery is returned for a recovery id the log does not hold.
var ErrUnknownRecovery = errors.New("no such recovery in the event log")

// FindRecovery folds the event items and returns the recovery with id,
// with the hooks recorded for it before it started
// (OnFailureDetectionProcesses) first.
func FindRecovery(items []Item, id string) (analysis.TopologyRecovery, error) {
	r := analysis.NewRecoveries()
	var early []events.HookRan // hooks of the recovery recorded before it started
	for _, it := range items {
		if it.IsObservation() || it.Env.Kind.IsObservation() {
			continue
		}
		var h events.HookRan
		if _, started := r.Recovery(id); !started && it.Env.Kind == events.KindHookRan && it.Env.Decode(&h) == nil && h.RecoveryID == id {
			early = append(early, h)
		}
		if err := r.Apply(it.Seq, it.Env); err != nil {
			continue // an undecodable record is left out, as a node does
		}
	}
	t, ok := r.Recovery(id)
	if !ok {
		return t, fmt.Errorf("find recovery %s: %w", id, ErrUnknownRecovery)
	}
	t.Hooks = append(early, t.Hooks...)
	return t, nil
}
