package events

// Tag kinds (inventory, in the event log): an operator's name[=value]
// annotations of instances (orchestrator's tag, untag, untag-all).
const (
	// KindInstanceTagged sets tag Name on Key to Value (replacing its value).
	KindInstanceTagged Kind = 109
	// KindInstanceUntagged removes tag Name from Key, or from every
	// instance when Key is zero; with HasValue only where its value is
	// Value.
	KindInstanceUntagged Kind = 110
)

// InstanceTagged is the payload of KindInstanceTagged.
type InstanceTagged struct {
	Key   InstanceKey `json:"key"`
	Name  string      `json:"name"`
	Value string      `json:"value"`
	Who   string      `json:"who,omitempty"`
}

// InstanceUntagged is the payload of KindInstanceUntagged.
type InstanceUntagged struct {
	Key      InstanceKey `json:"key"` // zero: every instance (untag-all)
	Name     string      `json:"name"`
	Value    string      `json:"value,omitempty"`
	HasValue bool        `json:"has_value,omitempty"`
	Who      string      `json:"who,omitempty"`
}
