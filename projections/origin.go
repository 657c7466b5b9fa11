package projections

import (
	"time"

	"github.com/regent-ha/regent/events"
)

// MaxObservationSkew is how far in the future of the time its stream
// stored it an observation may be dated: more is a clock far ahead or a
// forgery that would stay fresh forever.
const MaxObservationSkew = 2 * time.Second

// Rejection reasons of OriginGate.Admit (the reason label of the rejected
// observations counter).
const (
	RejectNone          = ""
	RejectWrongStream   = "wrong-stream"   // an observation outside REGENT_OBS, or an event inside it
	RejectNoOrigin      = "no-origin"      // the subject carries no origin token
	RejectUnknownOrigin = "unknown-origin" // the origin is not a configured node
	RejectOriginForged  = "origin-mismatch"
	RejectFuture        = "future" // dated more than MaxObservationSkew after it was stored
)

// OriginGate decides which records the fold takes: an observation is
// attributed to the node its subject names (regent.obs.<cluster>.<instance>.
// <origin>, a subject only that node's NATS identity may publish on), which
// must be a configured node and agree with the envelope's Origin, and may
// not be dated beyond MaxObservationSkew after its stored time. Admit is
// pure (the stored time is the stream's, not a clock) and does not allocate.
type OriginGate struct {
	origins map[string]string // events.Token(node) → node
	skew    time.Duration
}

// NewOriginGate admits the observations of nodes (their NodeIDs). With no
// nodes (nil), any origin is admitted whose subject token is its own: the
// audit commands, which may not know the nodes, check all but the origin's
// membership.
func NewOriginGate(nodes []string) OriginGate {
	if nodes == nil {
		return OriginGate{skew: MaxObservationSkew}
	}
	g := OriginGate{origins: make(map[string]string, len(nodes)), skew: MaxObservationSkew}
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
		return RejectNone
	}
	tok, ok := events.ObservationOriginToken(subject)
	if !ok {
		return RejectNoOrigin
	}
	node, ok := g.origins[tok]
	if g.origins == nil {
		node, ok = e.Origin, events.Token(e.Origin) == tok
		if !ok {
			return RejectOriginForged
		}
	}
	switch {
	case !ok:
		return RejectUnknownOrigin
	case node != e.Origin:
		return RejectOriginForged
	case !stored.IsZero() && e.Time.Sub(stored) > g.skew:
		return RejectFuture
	}
	return RejectNone
}
