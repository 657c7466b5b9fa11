package timeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// VerifyOptions are the code's knobs as the deciding nodes had them.
type VerifyOptions struct {
	Settings projections.Settings
	Params   analysis.Params
	// Slack is how far before a decision the re-derivation may cut the log
	// (package documentation); 0 means only the cut at the decision.
	Slack time.Duration
	// Filter selects the decisions to check (the fold always reads
	// everything).
	Filter Filter
	// MaxCuts bounds the earlier cuts tried per decision (0: 64).
	MaxCuts int
}

// Diff is one recorded value and the value the current code derives.
type Diff struct{ Field, Recorded, Derived string }

// Mismatch is a recorded decision the current code would not make again.
type Mismatch struct {
	Item  Item   // the decision event
	What  string // e.g. "recovery r-… of 198.18.0.1:3306"
	Diffs []Diff // at the cut at the decision
}

// Report is the outcome of Verify.
type Report struct {
	Verified   int
	Mismatches []Mismatch
}

// String renders the mismatches as a diff (- recorded, + re-derived) and
// the verdict line.
func (r Report) String() string {
	var b strings.Builder
	for _, m := range r.Mismatches {
		fmt.Fprintf(&b, "mismatch: %s seq %d, %s, at %s:\n", m.Item.Env.Kind, m.Item.Seq, m.What, m.Item.Env.Time.UTC().Format(TimeLayout))
		for _, d := range m.Diffs {
			fmt.Fprintf(&b, "  - %s %s\n  + %s %s\n", d.Field, d.Recorded, d.Field, d.Derived)
		}
	}
	if len(r.Mismatches) > 0 {
		fmt.Fprintf(&b, "verified %d decisions, %d not re-derived\n", r.Verified, len(r.Mismatches))
	} else {
		fmt.Fprintf(&b, "verified %d decisions\n", r.Verified)
	}
	return b.String()
}

// check is one recorded decision: moment is the index of the item whose
// position and time the deciding node decided at.
type check struct {
	moment int
	item   Item
	what   string
	// derive compares the decision with the view; nil diffs: re-derived.
	derive func(v *projections.View) []Diff
}

// Verify re-derives every recorded failure-detected (its analysis code)
// and automated recovery-started (its successor and each candidate's
// accept or reject) from the merged items.
func Verify(items []Item, o VerifyOptions) (Report, error) {
	checks, err := collectChecks(items, &o)
	if err != nil {
		return Report{}, err
	}
	lag, err := projections.NewTopology(o.Settings)
	if err != nil {
		return Report{}, fmt.Errorf("verify: %w", err)
	}
	maxCuts := o.MaxCuts
	if maxCuts <= 0 {
		maxCuts = 64
	}
	var rep Report
	lagPos := 0
	for _, c := range checks {
		at := items[c.moment]
		for lagPos < c.moment && items[lagPos].Stored.Before(at.Stored.Add(-o.Slack)) {
			_ = lag.Apply(items[lagPos].Seq, items[lagPos].Env) // undecodable: left out, as a node does
			lagPos++
		}
		pending := items[lagPos:c.moment]
		now := at.Env.Time
		full := lag.Clone()
		for _, it := range pending {
			_ = full.Apply(it.Seq, it.Env)
		}
		diffs := c.derive(full.View(now))
		if len(diffs) > 0 && earlierCutMatches(lag, pending, c, now, maxCuts) {
			diffs = nil
		}
		if len(diffs) == 0 {
			rep.Verified++
			continue
		}
		rep.Mismatches = append(rep.Mismatches, Mismatch{Item: c.item, What: c.what, Diffs: diffs})
	}
	return rep, nil
}

// earlierCutMatches tries the cuts before the decision, from the earliest:
// before any pending record, then after each one, at most maxCuts.
func earlierCutMatches(lag *projections.Topology, pending []Item, c check, now time.Time, maxCuts int) bool {
	t := lag.Clone()
	if c.derive(t.View(now)) == nil {
		return true
	}
	tried := 1
	for _, it := range pending {
		_ = t.Apply(it.Seq, it.Env)
		if tried++; tried > maxCuts {
			return false
		}
		if c.derive(t.View(now)) == nil {
			return true
		}
	}
	return false
}
