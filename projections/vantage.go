package projections

import (
	"time"

	"github.com/regent-ha/regent/events"
)

// Evidence is the multi-vantage view of one instance at a View's time.
type Evidence struct {
	Key events.InstanceKey
	// Reports holds each origin's latest probe result, sorted by origin.
	Reports []OriginReport
	// Fresh counts the origins whose latest report is within
	// 2×PollInterval; FreshOK and FreshFailed split them by outcome.
	Fresh, FreshOK, FreshFailed int
	// LastCheck is the latest report of any origin, LastSeen the latest
	// successful probe of any origin (zero: never).
	LastCheck time.Time
	LastSeen  time.Time
	// LastCheckValid applies the vantage rule (package documentation).
	LastCheckValid bool
	// LastCheckPartialSuccess: the deciding failed report read something.
	LastCheckPartialSuccess bool
}

// evaluate applies the vantage rule to reports as of now.
func evaluate(key events.InstanceKey, reports []OriginReport, now time.Time, window time.Duration) Evidence {
	ev := Evidence{Key: key, Reports: reports}
	var latest *OriginReport
	for i := range reports {
		r := &reports[i]
		if r.At.After(ev.LastCheck) {
			ev.LastCheck = r.At
		}
		if r.LastOK.After(ev.LastSeen) {
			ev.LastSeen = r.LastOK
		}
		if latest == nil || r.At.After(latest.At) || (r.At.Equal(latest.At) && latest.OK && !r.OK) {
			latest = r
		}
		if now.Sub(r.At) <= window {
			ev.Fresh++
			if r.OK {
				ev.FreshOK++
			} else {
				ev.FreshFailed++
				ev.LastCheckPartialSuccess = ev.LastCheckPartialSuccess || r.Partial
			}
		}
	}
	switch {
	case ev.Fresh > 0:
		ev.LastCheckValid = 2*ev.FreshOK > ev.Fresh
	case latest != nil:
		ev.LastCheckValid = latest.OK
		ev.LastCheckPartialSuccess = !latest.OK && latest.Partial
	}
	if ev.LastCheckValid {
		ev.LastCheckPartialSuccess = false
	}
	return ev
}
