package projections

import (
	"time"

	"github.com/regent-ha/regent/events"
)

// MaxObservationSkew is how far in the future of the time its stream
// stored it an observation may be dated: more is a clock far ahead or a
// forgery that would stay fresh forever.
const MaxObservationSkew = 2 * time.Second

// Bounds on the age of a record when its stream stored it. A push consumer
// (which a reader may create) can deliver stored records into the other
// stream's subjects and from there back into their own stream: the copy
// keeps the original's subject, body and headers (Nats-Msg-Id too) and
// gets a stored time of its own. The stream drops it as a duplicate within
// its dedup window (events.Streams: 2 min for events, 30 s for
// observations); after the window it is stored, and these bounds refuse
// it: an age bound plus the future bound stays within the window, so a copy
// the stream stores is always either too old or too far ahead.
//
// A legitimate record is stored within seconds of its envelope time: an
// observation within the observer's publish timeout (5 s) of the probe's
// end, an event within eventlog.Append's retries (at most ≈ 16 s through
// a stream leader election) of its decision. The bounds leave the rest for
// clock skew between the writing node and the stream's leader.
const (
	// MaxObservationAge: an observation stored later than this after its
	// envelope time is refused as stale (30 s window − 2 s skew − 8 s).
	MaxObservationAge = 20 * time.Second
	// MaxEventAge: an event stored later than this after its envelope time
	// is refused as replayed.
	MaxEventAge = time.Minute
	// MaxEventSkew: an event dated more than this after it was stored is
	// refused as future (MaxEventAge + MaxEventSkew = the 2 min window).
	MaxEventSkew = time.Minute
)

// Rejection reasons of OriginGate.Admit (the reason label of the rejected
// observations counter).
const (
	RejectNone          = ""
	RejectWrongStream   = "wrong-stream"   // an observation outside REGENT_OBS, or an event inside it
	RejectNoOrigin      = "no-origin"      // the subject carries no origin token
	RejectUnknownOrigin = "unknown-origin" // the origin is not a configured node
	RejectOriginForged  = "origin-mismatch"
	RejectFuture        = "future"   // dated more than MaxObservationSkew (an event: MaxEventSkew) after it was stored
	RejectStale         = "stale"    // an observation stored more than MaxObservationAge after its time: a copy
	RejectReplayed      = "replayed" // an event stored more than MaxEventAge after its time: a copy
)

// OriginGate decides which records the fold takes: an observation is
// attributed to the node its subject names (regent.obs.<cluster>.<instance>.
// <origin>, a subject only that node's NATS identity may publish on), which
// must be a configured node and agree with the envelope's Origin, and may
// not be dated beyond MaxObservationSkew after its stored time nor stored
// more than MaxObservationAge after it; an event must be stored within
// MaxEventAge after its time and not dated beyond MaxEventSkew after it (a
// copy that a push consumer delivered back into the stream is neither).
// Admit is pure (the stored time is the stream's, not a clock) and, with
// configured nodes, does not allocate. A zero stored time (a record not read from a stream) skips the
// time bounds.
type OriginGate struct {
	origins map[string]string // events.Token(node) → node
}

// NewOriginGate admits the observations of nodes (their NodeIDs). With no
// nodes (nil), any origin is admitted whose subject token is its own: the
// audit commands, which may not know the nodes, check all but the origin's
// membership.
func NewOriginGate(nodes []string) OriginGate {
	if nodes == nil {
		return OriginGate{}
	}
	g := OriginGate{origins: make(map[string]string, len(nodes))}
	for _, n := range nodes {
		g.origins[events.Token(n)] = n
	}
	return g
}

// Admit returns RejectNone when the fold may take the record of stream,
// stored at stored, published on subject; else the reason it may not.
func (g OriginGate) Admit(stream, subject string, stored time.Time, e *events.Envelope) string {
	obs := e.Kind.IsObservation()
	if obs != (stream == events.ObservationsName) {
		return RejectWrongStream
	}
	if !obs {
		return timeBounds(stored, e.Time, MaxEventAge, MaxEventSkew, RejectReplayed)
	}
	tok, ok := events.ObservationOriginToken(subject)
	if !ok {
		return RejectNoOrigin
	}
	if g.origins == nil {
		if events.Token(e.Origin) != tok {
			return RejectOriginForged
		}
	} else if node, ok := g.origins[tok]; !ok {
		return RejectUnknownOrigin
	} else if node != e.Origin {
		return RejectOriginForged
	}
	return timeBounds(stored, e.Time, MaxObservationAge, MaxObservationSkew, RejectStale)
}

// timeBounds applies the time bounds of a record stored at stored, dated
// at: stored more than maxAge after its time is old (a copy), dated more
// than maxSkew after it is RejectFuture. A zero stored time (a record not
// read from a stream) passes.
func timeBounds(stored, at time.Time, maxAge, maxSkew time.Duration, old string) string {
	if stored.IsZero() {
		return RejectNone
	}
	switch age := stored.Sub(at); {
	case age > maxAge:
		return old
	case age < -maxSkew:
		return RejectFuture
	}
	return RejectNone
}
