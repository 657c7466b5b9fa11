package projections

import (
	"strings"
	"time"

	"github.com/regent-ha/regent/events"
)

// applyRecovery folds what a recovery did to the replication topology: a
// promoted replica has no source any more, a re-pointed one replicates from
// the successor. The view then shows the new topology at once instead of
// waiting for observations — which never come when the new primary dies
// right after its promotion, and a stale view would read that second
// failure as a dead intermediate primary under the old, dead one.
//
// The derived state counts only until a newer full observation of the
// instance arrives; its digest is cleared so that progress events of the
// old state do not apply to it.
func (t *Topology) applyRecovery(e events.Envelope) error {
	switch e.Kind {
	case events.KindRecoveryStarted, events.KindRecoveryLeaseTaken:
		var p events.RecoveryStarted
		if err := e.Decode(&p); err != nil {
			return err
		}
		if !p.Successor.IsZero() {
			t.successors[p.RecoveryID] = p.Successor
		}
	case events.KindRecoveryCompleted:
		var p events.RecoveryCompleted
		if err := e.Decode(&p); err != nil {
			return err
		}
		delete(t.successors, p.RecoveryID)
	case events.KindRecoveryFailed:
		var p events.RecoveryFailed
		if err := e.Decode(&p); err != nil {
			return err
		}
		delete(t.successors, p.RecoveryID)
	case events.KindRecoveryStep:
		var p events.RecoveryStep
		if err := e.Decode(&p); err != nil {
			return err
		}
		t.applyStep(p, e.Time)
	}
	return nil
}

func (t *Topology) applyStep(p events.RecoveryStep, at time.Time) {
	if p.Outcome == events.StepFailed || p.Target.IsZero() {
		return
	}
	successor := t.successors[p.RecoveryID]
	switch {
	case p.Step == "promote":
		t.derive(p.Target, at, func(o *events.InstanceObserved) {
			o.Replication, o.ReadOnly, o.SuperReadOnly = nil, false, false
		})
	case (strings.HasPrefix(p.Step, "repoint ") && !strings.HasPrefix(p.Detail, "replica unreachable")) || p.Step == "reattach-demoted":
		if successor.IsZero() {
			return
		}
		t.derive(p.Target, at, func(o *events.InstanceObserved) {
			if o.Replication == nil {
				o.Replication = &events.Replication{IOThread: events.ThreadOther, SQLThread: events.ThreadRunning}
			}
			o.Replication.SourceKey = successor
		})
	}
}

// derive replaces k's observed state with a modified copy, when the stored
// observation is older than at.
func (t *Topology) derive(k events.InstanceKey, at time.Time, fn func(*events.InstanceObserved)) {
	st := t.instances[k]
	if st == nil || st.obs == nil || !st.obsAt.Before(at) {
		return
	}
	c := *st.obs
	if c.Replication != nil {
		r := *c.Replication
		c.Replication = &r
	}
	fn(&c)
	c.Digest = ""
	st.obs, st.obsAt = &c, at
}
