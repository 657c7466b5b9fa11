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
	// Fresh counts the origins whose latest report is fresh
	// (Settings.ReportFresh: within 2×PollInterval, or twice the origin's
	// achieved interval, up to a cap); FreshOK and FreshFailed split them
	// by outcome.
	Fresh, FreshOK, FreshFailed int
	// ObservationWindow is how long the instance's latest observation, from
	// whichever origin, counts as current: 2×PollInterval, stretched to
	// twice the achieved interval (OriginReport.Gap, capped as in
	// Settings.ReportWindow) of the slowest origin whose report is fresh.
	// The analysis judges a replica's IO progress with it.
	ObservationWindow time.Duration
	// LastCheck is the latest report of any origin, LastSeen the latest
	// successful probe of any origin (zero: never).
	LastCheck time.Time
	LastSeen  time.Time
	// KnownSince is the later of the event time that made the instance
	// known to the fold and the first observation the fold holds (a node
	// folds only recent observations at start): an instance never seen
	// successfully is unseen since then (View.Unseen). Zero while the
	// fold holds no observation at all.
	KnownSince time.Time
	// LastCheckValid applies the vantage rule (package documentation).
	LastCheckValid bool
	// LastCheckPartialSuccess: the deciding failed report read something.
	LastCheckPartialSuccess bool
}

// evaluate applies the vantage rule to reports as of now.
func evaluate(key events.InstanceKey, reports []OriginReport, now time.Time, s *Settings) Evidence {
	ev := Evidence{Key: key, Reports: reports, ObservationWindow: 2 * s.PollInterval}
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
		if s.ReportFresh(r, now) {
			ev.ObservationWindow = max(ev.ObservationWindow, s.achieved(r.Gap))
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
