package timeline_test

import (
	"testing"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections/timeline"
)

// WantsObservations: a --kind of the observation stream makes replay read
// that stream too; event kinds alone do not.
func TestFilterWantsObservations(t *testing.T) {
	for _, c := range []struct {
		kinds []events.Kind
		want  bool
	}{
		{nil, false},
		{[]events.Kind{events.KindRecoveryStarted, events.KindFailureDetected}, false},
		{[]events.Kind{events.KindRecoveryStarted, events.KindInstanceObserved}, true},
		{[]events.Kind{events.KindInstanceUnreachable}, true},
	} {
		if got := (timeline.Filter{Kinds: c.kinds}).WantsObservations(); got != c.want {
			t.Errorf("%v: %v, want %v", c.kinds, got, c.want)
		}
	}
}
