package control

import (
	"strings"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// The instances an outcome changed. When the fold applies a recovery's
// step, its completion or its failure, or a manual operation's outcome,
// the instances the event names — with its recovery's (failed, successor,
// re-pointed replicas, lost replicas) or its operation's (target, the
// replicas a bulk move moved, the destination) — wait in Touched for the
// read path, which re-probes them at once through its scheduler
// (probes.Scheduler.Refresh: coalesced, a gap per instance, a cap per
// second). Like ClusterOf, this is a fold's result flowing back to the
// probes; the projections stay pure (the fold reads what they folded).

const (
	// touchedMaxAge: an outcome stored longer ago than this (the history
	// a starting node folds) names nothing to re-probe.
	touchedMaxAge = time.Minute
	// touchedMax bounds the instances waiting for TakeTouched; beyond it
	// an instance waits for its regular poll.
	touchedMax = 10000
	// opsMax bounds the manual operations started and not yet ended whose
	// instances the fold keeps (a node that died mid-operation leaves one
	// behind: the map is emptied when full).
	opsMax = 1024
	// stepChangeSource names a bulk move's step: it is followed by the
	// replica moved (operator_bulk.go).
	stepChangeSource = "change-source "
)

// touchState is the fold's side of the refreshes (under Fold.mu).
type touchState struct {
	keys map[events.InstanceKey]struct{}
	ch   chan struct{} // buffered(1): keys were added
	ops  map[string][]events.InstanceKey
}

func newTouchState() touchState {
	return touchState{keys: map[events.InstanceKey]struct{}{}, ch: make(chan struct{}, 1), ops: map[string][]events.InstanceKey{}}
}

// Touched is signalled when a folded outcome named instances to re-probe;
// TakeTouched hands them over.
func (a *Fold) Touched() <-chan struct{} { return a.touch.ch }

// TakeTouched returns the instances named since the last call, and forgets
// them.
func (a *Fold) TakeTouched() []events.InstanceKey {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.touch.keys) == 0 {
		return nil
	}
	out := make([]events.InstanceKey, 0, len(a.touch.keys))
	for k := range a.touch.keys {
		out = append(out, k)
	}
	clear(a.touch.keys)
	return out
}

// noteTouched records the instances an event of the event log names when
// it is an outcome stored within touchedMaxAge. Called under mu, after the
// recovery fold applied the event.
func (a *Fold) noteTouched(env events.Envelope, stored time.Time) {
	keys := a.outcomeKeys(env)
	if len(keys) == 0 || time.Since(stored) > touchedMaxAge {
		return
	}
	added := false
	for _, k := range keys {
		if k.IsZero() || len(a.touch.keys) >= touchedMax {
			continue
		}
		a.touch.keys[k], added = struct{}{}, true
	}
	if added {
		select {
		case a.touch.ch <- struct{}{}:
		default:
		}
	}
}

// outcomeKeys are the instances env names when it is an outcome (nil
// otherwise); a started manual operation is remembered for its outcome.
func (a *Fold) outcomeKeys(env events.Envelope) []events.InstanceKey {
	switch env.Kind {
	case events.KindRecoveryStep:
		var p events.RecoveryStep
		if env.Decode(&p) == nil {
			return []events.InstanceKey{p.Target}
		}
	case events.KindRecoveryCompleted:
		var p events.RecoveryCompleted
		if env.Decode(&p) == nil {
			return append(a.recs.Instances(p.RecoveryID), append([]events.InstanceKey{p.Successor}, p.LostReplicas...)...)
		}
	case events.KindRecoveryFailed:
		var p events.RecoveryFailed
		if env.Decode(&p) == nil {
			return a.recs.Instances(p.RecoveryID)
		}
	case events.KindManualOperationStarted:
		var p events.ManualOperation
		if env.Decode(&p) == nil && p.OperationID != "" {
			if len(a.touch.ops) >= opsMax {
				clear(a.touch.ops)
			}
			a.touch.ops[p.OperationID] = operationKeys(p)
		}
	case events.KindManualOperationCompleted:
		var p events.ManualOperationCompleted
		if env.Decode(&p) == nil {
			return a.endOperation(p.OperationID, p.Target)
		}
	case events.KindManualOperationFailed:
		var p events.ManualOperationFailed
		if env.Decode(&p) == nil {
			return a.endOperation(p.OperationID, p.Target)
		}
	}
	return nil
}

// endOperation returns the instances of the operation that ended (its
// target at least) and forgets it.
func (a *Fold) endOperation(id string, target events.InstanceKey) []events.InstanceKey {
	keys := append([]events.InstanceKey{target}, a.touch.ops[id]...)
	delete(a.touch.ops, id)
	return keys
}

// operationKeys are the instances a started manual operation names: its
// target, the replicas its steps move (stepChangeSource) and the
// destination its detail names ("… below host:port").
func operationKeys(p events.ManualOperation) []events.InstanceKey {
	keys := []events.InstanceKey{p.Target}
	for _, s := range p.Steps {
		if r, ok := strings.CutPrefix(s, stepChangeSource); ok {
			if k, err := projections.ParseInstanceKey(r, 0); err == nil {
				keys = append(keys, k)
			}
		}
	}
	if i := strings.LastIndex(p.Detail, "below "); i >= 0 {
		if k, err := projections.ParseInstanceKey(strings.TrimSpace(p.Detail[i+len("below "):]), 0); err == nil {
			keys = append(keys, k)
		}
	}
	return keys
}
