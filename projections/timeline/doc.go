// Package timeline turns Regent's two streams into an audit: a merged,
// filtered timeline with a one-line summary per event, the topology as it
// was at an instant, explanations of recoveries and of failures that were
// not acted on, and the re-derivation of every recorded decision with the
// current projection and analysis code (replay --verify).
//
// It is pure: no I/O and no clock. cmd/regent reads the streams into Items
// and passes "now" in. It imports events, projections and
// projections/analysis only.
//
// # Merge rule
//
// The event stream (REGENT_EVENTS) and the observation stream (REGENT_OBS)
// are each totally ordered by their sequence. Merge keeps both orders and
// interleaves the two by stream time (Item.Stored, the time the stream
// stored the record): the head with the earlier stored time comes first;
// on equal stored times the observation comes first (an observation can
// cause an event, never the reverse). Envelope times are the origin node's
// clock and only label the lines.
//
// # Verification
//
// Verify walks the merged log and, at every recorded decision, rebuilds the
// view the deciding node had: every record merged before the decision is
// folded and the view is computed at the decision's envelope time. The
// moment of an automated recovery-started is that of the failure-detected
// appended just before it for the same recovery (same correlation id),
// when there is one: the engine chose the successor before it appended
// either. A node decides on its own fold, which may lag the stream by a
// few milliseconds, so a decision counts as re-derived when the view at
// the decision, or at a cut up to Slack earlier, gives it.
package timeline
