package timeline

import (
	"fmt"
	"strings"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// collectChecks lists the decisions to verify, sorted by moment.
func collectChecks(items []Item, o *VerifyOptions) ([]check, error) {
	var checks []check
	detAt := map[string]int{} // detection id → index of its failure-detected
	for i, it := range items {
		switch it.Env.Kind {
		case events.KindFailureDetected:
			var p events.FailureDetected
			if err := it.Env.Decode(&p); err != nil {
				return nil, fmt.Errorf("verify seq %d: %w", it.Seq, err)
			}
			if _, seen := detAt[p.DetectionID]; !seen {
				detAt[p.DetectionID] = i
			}
			if o.Filter.Match(it) {
				checks = append(checks, detectCheck(i, it, p, o.Params))
			}
		case events.KindRecoveryStarted:
			var p events.RecoveryStarted
			if err := it.Env.Decode(&p); err != nil {
				return nil, fmt.Errorf("verify seq %d: %w", it.Seq, err)
			}
			if p.Manual || (p.Type != events.RecoveryMaster && p.Type != events.RecoveryIntermediateMaster) || !o.Filter.Match(it) {
				continue
			}
			moment := i
			if j, ok := detAt[p.DetectionID]; ok && items[j].Env.CorrelationID == p.RecoveryID {
				moment = j
			}
			checks = append(checks, startCheck(moment, it, p, o.Params))
		}
	}
	// Stable insertion sort by moment: moments are almost in order.
	for i := 1; i < len(checks); i++ {
		for j := i; j > 0 && checks[j].moment < checks[j-1].moment; j-- {
			checks[j], checks[j-1] = checks[j-1], checks[j]
		}
	}
	return checks, nil
}

func detectCheck(i int, it Item, p events.FailureDetected, params analysis.Params) check {
	return check{moment: i, item: it, what: fmt.Sprintf("detection %s of %s", p.DetectionID, p.Failed),
		derive: func(v *projections.View) []Diff {
			a, ok := analysis.AnalyzeInstance(v, p.Failed, params)
			if !ok {
				return []Diff{{"analysis", string(p.Analysis), "(instance not in the view)"}}
			}
			if a.Analysis != p.Analysis {
				return []Diff{{"analysis", string(p.Analysis), string(a.Analysis)}}
			}
			return nil
		}}
}

func startCheck(moment int, it Item, p events.RecoveryStarted, params analysis.Params) check {
	return check{moment: moment, item: it, what: fmt.Sprintf("recovery %s of %s", p.RecoveryID, p.Failed),
		derive: func(v *projections.View) []Diff {
			choose := analysis.ChooseCandidate
			if p.Type == events.RecoveryIntermediateMaster {
				choose = analysis.ChooseIntermediateTarget
			}
			succ, cands, _ := choose(v, p.Failed, params) // no candidate: a zero successor, compared below
			return candidateDiffs(p.Successor, p.Candidates, succ, cands)
		}}
}

// candidateDiffs compares the successor and each candidate's accept or
// reject; reasons are shown, not compared.
func candidateDiffs(recSucc events.InstanceKey, rec []events.Candidate, derSucc events.InstanceKey, der []events.Candidate) []Diff {
	var out []Diff
	if recSucc != derSucc {
		out = append(out, Diff{"successor", keyOrNone(recSucc), keyOrNone(derSucc)})
	}
	byKey := map[events.InstanceKey]events.Candidate{}
	for _, c := range der {
		byKey[c.Key] = c
	}
	seen := map[events.InstanceKey]bool{}
	for _, r := range rec {
		seen[r.Key] = true
		d, ok := byKey[r.Key]
		switch {
		case !ok:
			out = append(out, Diff{"candidate " + r.Key.String() + ":", r.Reason, "(not a candidate)"})
		case accepted(r) != accepted(d) || r.Chosen != d.Chosen:
			out = append(out, Diff{"candidate " + r.Key.String() + ":", r.Reason, d.Reason})
		}
	}
	for _, d := range der {
		if !seen[d.Key] {
			out = append(out, Diff{"candidate " + d.Key.String() + ":", "(not a candidate)", d.Reason})
		}
	}
	return out
}

func accepted(c events.Candidate) bool { return !strings.HasPrefix(c.Reason, "rejected") }

func keyOrNone(k events.InstanceKey) string {
	if k.IsZero() {
		return "(none)"
	}
	return k.String()
}
