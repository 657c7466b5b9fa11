package events

// DeadLetter is the payload of KindDeadLetter: a hook consumer ran its
// command on an event MaxDeliver times without success (or lost track of
// the last attempt) and stopped redelivering it. The envelope carries the
// failed event's cluster and instance, and CausationID = EventID.
type DeadLetter struct {
	Stream     string `json:"stream"`            // the stream of the failed message, e.g. REGENT_EVENTS
	Sequence   uint64 `json:"seq"`               // its stream sequence
	Subject    string `json:"subject,omitempty"` // its subject
	Consumer   string `json:"consumer"`          // the durable consumer's name
	Deliveries uint64 `json:"deliveries"`        // how many times it was delivered
	EventID    string `json:"event_id,omitempty"`
	// Kind is the failed event's kind name, kept as text so that a kind
	// this build does not know is still recorded.
	Kind      string `json:"kind,omitempty"`
	LastError string `json:"last_error"`
}
