package timeline

import (
	"fmt"
	"strings"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections/analysis"
)

// hookOutputLimit bounds the hook output Explain shows.
const hookOutputLimit = 400

// ExplainRecovery tells a recovery's decision and its evidence: the
// analysis, what each Regent node and each replica saw, every candidate
// with the reason it was chosen or rejected, the steps, the VIP moves, the
// hooks and the outcome.
func ExplainRecovery(t analysis.TopologyRecovery) string {
	var b strings.Builder
	a := t.AnalysisEntry
	fmt.Fprintf(&b, "recovery %s (%s) of %s on cluster %s\n", t.UID, t.Type, t.Failed(), t.ClusterName())
	fmt.Fprintf(&b, "started %s on node %s, epoch %d", t.StartedAt.UTC().Format(TimeLayout), t.ProcessingNodeHostname, t.Epoch)
	if t.Manual {
		fmt.Fprintf(&b, ", manual, by %s", t.Who)
	}
	b.WriteString("\n")
	if t.DetectionID != "" {
		fmt.Fprintf(&b, "detection %s\n", t.DetectionID)
	}
	fmt.Fprintf(&b, "analysis: %s", a.Analysis)
	if a.Description != "" {
		fmt.Fprintf(&b, ": %s", a.Description)
	}
	b.WriteString("\n")
	writeEvidence(&b, a.AnalyzedInstanceKey, a.Vantage, a.ReplicaEvidence)
	writeCandidates(&b, t.Candidates, t.SuccessorKey)
	writeActions(&b, t)
	writeOutcome(&b, t)
	return b.String()
}

func writeEvidence(b *strings.Builder, failed events.InstanceKey, vantage []events.VantageReport, replicas []events.ReplicaReport) {
	if len(vantage) > 0 {
		fmt.Fprintf(b, "what each Regent node saw of %s:\n", failed)
		for _, v := range vantage {
			state := "reachable"
			if !v.Reachable {
				state = "unreachable: " + firstOf(v.Error, "no answer")
			}
			fmt.Fprintf(b, "  %-12s %s (report of %s, obs seq %d)\n", v.Node, state, v.At.UTC().Format(TimeLayout), v.Seq)
		}
	}
	if len(replicas) > 0 {
		b.WriteString("what each replica said about its source:\n")
		for _, r := range replicas {
			verdict := "does not agree it is gone"
			if r.Agrees {
				verdict = "agrees it is gone"
			}
			if !r.Reachable {
				verdict += " (replica unreachable)"
			}
			fmt.Fprintf(b, "  %-21s %s: io %s, sql %s", r.Key, verdict, thread(r.IOThread), thread(r.SQLThread))
			if r.HeartbeatAge >= 0 {
				fmt.Fprintf(b, ", IO progress %.1fs ago", r.HeartbeatAge)
			}
			if r.LastIOError != "" {
				fmt.Fprintf(b, ", last IO error %q", r.LastIOError)
			}
			b.WriteString("\n")
		}
	}
}

func writeCandidates(b *strings.Builder, cands []events.Candidate, succ *events.InstanceKey) {
	if len(cands) == 0 {
		b.WriteString("candidates: none recorded\n")
		return
	}
	b.WriteString("candidates:\n")
	for _, c := range cands {
		mark := " "
		if c.Chosen {
			mark = "*"
		}
		fmt.Fprintf(b, "  %s %-21s %s", mark, c.Key, c.Reason)
		if c.Rule != "" {
			fmt.Fprintf(b, " [rule %s]", c.Rule)
		}
		b.WriteString("\n")
	}
	if succ != nil {
		fmt.Fprintf(b, "successor: %s\n", succ)
	}
}

func writeActions(b *strings.Builder, t analysis.TopologyRecovery) {
	if len(t.Steps) > 0 {
		b.WriteString("steps:\n")
		for _, s := range t.Steps {
			fmt.Fprintf(b, "  %s\n", strings.TrimPrefix(step(events.Envelope{}, &s), "step "))
		}
	}
	for _, v := range t.VIPMoves {
		fmt.Fprintf(b, "vip: %s\n", strings.TrimPrefix(Summary(mustEnv(events.KindVIPMoved, v)), "vip "))
	}
	if len(t.Hooks) > 0 {
		b.WriteString("hooks:\n")
		for _, h := range t.Hooks {
			fmt.Fprintf(b, "  %s: %s\n", strings.TrimPrefix(hook(events.Envelope{}, &h), "hook "), h.Command)
			if out := strings.TrimSpace(h.Output); out != "" {
				if len(out) > hookOutputLimit {
					out = out[:hookOutputLimit] + " …(truncated)"
				}
				fmt.Fprintf(b, "    | %s\n", strings.ReplaceAll(out, "\n", "\n    | "))
			}
		}
	}
}

func writeOutcome(b *strings.Builder, t analysis.TopologyRecovery) {
	switch {
	case t.IsActive:
		b.WriteString("outcome: still running\n")
	case t.IsSuccessful:
		fmt.Fprintf(b, "outcome: completed %s after %s", t.EndedAt.UTC().Format(TimeLayout), Dur(t.EndedAt.Sub(t.StartedAt)))
		if len(t.LostReplicas) > 0 {
			fmt.Fprintf(b, "; lost replicas %s", keys(t.LostReplicas))
		}
		b.WriteString("\n")
	default:
		fmt.Fprintf(b, "outcome: failed %s at %s: %s\n", t.EndedAt.UTC().Format(TimeLayout), t.FailedStep, strings.Join(t.AllErrors, "; "))
	}
	if t.Acknowledged {
		fmt.Fprintf(b, "acknowledged %s by %s: %s\n", t.AcknowledgedOn.UTC().Format(TimeLayout), t.AcknowledgedBy, t.AcknowledgedComment)
	}
}

// mustEnv wraps a payload for Summary; payloads of this package's own
// types always encode.
func mustEnv(k events.Kind, p any) events.Envelope {
	e, _ := events.New(k, time.Time{}, "-", p)
	return e
}

// WhyAt explains what happened on a cluster around an instant, from the
// fold of the events stored until then: the latest recovery started within
// window before it, else the latest failure detected within window and
// why it was not acted on (not actionable, blocked, global switch), else
// that no failure was detected. Recoveries and detections after the
// instant are left out: a live fold (the web interface's) holds them.
func WhyAt(r *analysis.Recoveries, cluster string, at time.Time, window time.Duration) string {
	from := at.Add(-window)
	var b strings.Builder
	if enabled, who, when := r.GlobalRecoveriesEnabled(); !enabled {
		fmt.Fprintf(&b, "global recoveries were disabled by %s at %s\n", firstOf(who, "unknown"), when.UTC().Format(TimeLayout))
	}
	for _, t := range r.Recent(cluster) {
		if !t.StartedAt.Before(from) && !t.StartedAt.After(at) {
			b.WriteString(ExplainRecovery(t))
			return b.String()
		}
	}
	for _, d := range r.Detections(cluster) {
		if d.DetectedAt.Before(from) || d.DetectedAt.After(at) {
			continue
		}
		writeDetection(&b, d, r.Blocked(cluster))
		return b.String()
	}
	fmt.Fprintf(&b, "no failure detected on cluster %s between %s and %s\n", cluster, from.UTC().Format(TimeLayout), at.UTC().Format(TimeLayout))
	return b.String()
}

func writeDetection(b *strings.Builder, d analysis.FailureDetection, blocked []analysis.BlockedRecovery) {
	a := d.AnalysisEntry
	fmt.Fprintf(b, "no recovery: %s on %s detected %s by %s (detection %s)\n", a.Analysis, a.AnalyzedInstanceKey,
		d.DetectedAt.UTC().Format(TimeLayout), d.ProcessingNodeHostname, d.UID)
	if a.Description != "" {
		fmt.Fprintf(b, "analysis: %s\n", a.Description)
	}
	switch {
	case d.Reason != "":
		fmt.Fprintf(b, "why not recovered: %s\n", d.Reason)
	case d.Actionable:
		b.WriteString("why not recovered: actionable, but no recovery was started (none recorded)\n")
	default:
		b.WriteString("why not recovered: not actionable\n")
	}
	for _, bl := range blocked {
		if bl.DetectionID == d.UID {
			fmt.Fprintf(b, "blocked %d time(s), last %s: %s\n", bl.Count, bl.LastBlockedAt.UTC().Format(TimeLayout), bl.Reason)
		}
	}
	if d.Cleared {
		fmt.Fprintf(b, "cleared %s without a recovery\n", d.ClearedTime.UTC().Format(TimeLayout))
	}
	writeEvidence(b, a.AnalyzedInstanceKey, a.Vantage, a.ReplicaEvidence)
}
