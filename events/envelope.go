package events

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Envelope carries one event. It is stored as JSON, so `nats sub` shows it as
// it is.
type Envelope struct {
	// ID is unique per event and doubles as the JetStream Nats-Msg-Id, so an
	// event appended twice is stored once.
	ID string `json:"id"`
	// Kind says what happened; Version is the version of Payload's schema.
	Kind    Kind   `json:"kind"`
	Version uint16 `json:"v"`
	// Time is when the origin node saw or decided it (its wall clock). It is
	// an index for humans and time-travel queries, never an order: the order
	// is the stream sequence.
	Time time.Time `json:"time"`
	// Cluster and Instance name the aggregate (either may be empty).
	Cluster  string `json:"cluster,omitempty"`
	Instance string `json:"instance,omitempty"`
	// Origin is the Regent node that wrote the event.
	Origin string `json:"origin"`
	// CausationID is the id of the event that caused this one;
	// CorrelationID ties together every event of one incident or operation.
	CausationID   string `json:"causation,omitempty"`
	CorrelationID string `json:"correlation,omitempty"`
	// Epoch is the fencing epoch of the writer, for actions.
	Epoch uint64 `json:"epoch,omitempty"`
	// Payload is the kind's payload at Version.
	Payload json.RawMessage `json:"payload,omitempty"`

	// pre is the payload as Unmarshal already decoded it (hot kinds only;
	// nil otherwise). Decode hands it out while Payload is unchanged.
	pre *predecoded
	// compact is the Payload as New encoded it (compact and escaped as
	// encoding/json writes it): Marshal copies it as is while Payload is
	// still these very bytes.
	compact json.RawMessage
}

// ErrInvalidEnvelope is wrapped by Validate's errors.
var ErrInvalidEnvelope = errors.New("invalid event envelope")

// NewID returns a fresh random event id (128 bits, hex).
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand never fails on Linux; keep going with a time-based id.
		return fmt.Sprintf("t%x", time.Now().UnixNano())
	}
	return hex.EncodeToString(b[:])
}

// New builds an envelope of the given kind with payload p encoded at the
// kind's current version. at is the event time; origin the writing node.
func New(kind Kind, at time.Time, origin string, p any) (Envelope, error) {
	env := Envelope{ID: NewID(), Kind: kind, Version: CurrentVersion(kind), Time: at.UTC(), Origin: origin}
	if p != nil {
		b, err := encodePayload(p)
		if err != nil {
			return Envelope{}, fmt.Errorf("encode %s payload: %w", kind, err)
		}
		env.Payload, env.compact = b, b
	}
	return env, nil
}

// Validate checks the envelope's required fields.
func (e Envelope) Validate() error {
	switch {
	case e.ID == "":
		return fmt.Errorf("%w: empty id", ErrInvalidEnvelope)
	case !e.Kind.Valid():
		return fmt.Errorf("%w: %w %d", ErrInvalidEnvelope, ErrUnknownKind, uint16(e.Kind))
	case e.Version == 0:
		return fmt.Errorf("%w: %s has no version", ErrInvalidEnvelope, e.Kind)
	case e.Version > CurrentVersion(e.Kind):
		return fmt.Errorf("%w: %s version %d is newer than this build knows (%d)", ErrInvalidEnvelope, e.Kind, e.Version, CurrentVersion(e.Kind))
	case e.Origin == "":
		return fmt.Errorf("%w: %s has no origin", ErrInvalidEnvelope, e.Kind)
	case e.Time.IsZero():
		return fmt.Errorf("%w: %s has no time", ErrInvalidEnvelope, e.Kind)
	}
	return nil
}

// Marshal encodes the envelope for the wire.
func (e Envelope) Marshal() ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	if b, ok := appendEnvelope(make([]byte, 0, len(e.Payload)+320), &e); ok {
		return b, nil
	}
	return json.Marshal(e)
}

// Unmarshal decodes an envelope from the wire and validates it. The
// payloads of the hot observation kinds are decoded at once, so that Decode
// does not read them again. Unmarshal is safe to call from many goroutines.
func Unmarshal(b []byte) (Envelope, error) { return unmarshal(b, false) }

// UnmarshalOwned is Unmarshal for a buffer the caller hands over: the
// envelope's Payload may share b's memory, so b must not change afterwards.
func UnmarshalOwned(b []byte) (Envelope, error) { return unmarshal(b, true) }

func unmarshal(b []byte, owned bool) (Envelope, error) {
	e, ok := fastUnmarshal(b, owned)
	if !ok {
		return slowUnmarshal(b)
	}
	if err := e.Validate(); err != nil {
		return Envelope{}, err
	}
	return e, nil
}

// slowUnmarshal is Unmarshal by encoding/json alone.
func slowUnmarshal(b []byte) (Envelope, error) {
	e := new(Envelope)
	if err := json.Unmarshal(b, e); err != nil {
		return Envelope{}, fmt.Errorf("%w: %w", ErrInvalidEnvelope, err)
	}
	if err := e.Validate(); err != nil {
		return Envelope{}, err
	}
	return *e, nil
}

// Subject returns the subject the envelope is published on.
func (e Envelope) Subject() string {
	if e.Kind.IsObservation() {
		return ObservationSubject(e.Cluster, e.Instance, e.Origin)
	}
	return EventSubject(e.Cluster, e.Kind)
}
