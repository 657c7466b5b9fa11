package projections

import (
	"time"

	"github.com/regent-ha/regent/events"
)

// UnseenInstance is an instance no probe has reached for a while.
type UnseenInstance struct {
	Key events.InstanceKey
	// Since is the latest successful probe of any origin, or, for an
	// instance never seen successfully, Evidence.KnownSince.
	Since time.Time
}

// Unseen returns the instances with no successful observation for at
// least after as of the view's time, sorted by hostname, port
// (orchestrator's UnseenInstanceForgetHours). after ≤ 0 selects nothing,
// and so does a view that folded no observation at all: with no probe
// evidence, nothing is known to be unseen.
func (v *View) Unseen(after time.Duration) []UnseenInstance {
	if after <= 0 {
		return nil
	}
	var out []UnseenInstance
	for _, inst := range v.instances {
		ev := v.evidence[inst.Key]
		since := ev.LastSeen
		if since.IsZero() {
			since = ev.KnownSince
		}
		if since.IsZero() || v.now.Sub(since) < after {
			continue
		}
		out = append(out, UnseenInstance{Key: inst.Key, Since: since})
	}
	return out
}
