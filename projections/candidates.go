package projections

import (
	"slices"
	"time"

	"github.com/regent-ha/regent/events"
)

// CandidateRule is one registered promotion rule (orchestrator's
// candidate_database_instance row, as bulk-promotion-rules answers it).
type CandidateRule struct {
	Hostname            string
	Port                int
	PromotionRule       string
	LastSuggestedString string // when it was registered
	PromotionRuleExpiry string // when it lapses ("" for never)
}

// candidateRules lists the registrations not lapsed at now, by key.
func (t *Topology) candidateRules(now time.Time) []CandidateRule {
	keys := make([]events.InstanceKey, 0, len(t.candidates))
	for k, c := range t.candidates {
		if c.rule != "" && (c.until.IsZero() || now.Before(c.until)) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, compareKeys)
	out := make([]CandidateRule, 0, len(keys))
	for _, k := range keys {
		c := t.candidates[k]
		r := CandidateRule{Hostname: k.Hostname, Port: int(k.Port), PromotionRule: c.rule, LastSuggestedString: c.at.UTC().Format(TimestampLayout)}
		if !c.until.IsZero() {
			r.PromotionRuleExpiry = c.until.UTC().Format(TimestampLayout)
		}
		out = append(out, r)
	}
	return out
}

// CandidateRules lists the registered promotion rules in force, by key.
func (v *View) CandidateRules() []CandidateRule { return v.rules }
