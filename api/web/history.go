package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections/analysis"
	"github.com/regent-ha/regent/projections/timeline"
)

// Entry is one line of a cluster's timeline.
type Entry struct {
	At       time.Time
	Kind     string // detection, cleared, recovery, step, hook, vip, completed, acknowledged
	Text     string
	Recovery string `json:",omitempty"` // the recovery's UID
	Failed   bool   `json:",omitempty"`
}

// clusterTimeline lists the cluster's detections, recoveries with their
// steps, hooks and VIP moves, completions and acknowledgements, oldest
// first, from the recovery fold. Steps, hooks and VIP moves carry their
// recovery's start time (the fold keeps their order, not their time).
func clusterTimeline(r *analysis.Recoveries, cluster string) []Entry {
	var out []Entry
	for _, d := range r.Detections(cluster) {
		a := d.AnalysisEntry
		text := fmt.Sprintf("detected %s on %s", a.Analysis, a.AnalyzedInstanceKey)
		if d.Reason != "" {
			text += " — " + d.Reason
		}
		out = append(out, Entry{At: d.DetectedAt, Kind: "detection", Text: text})
		if d.Cleared {
			out = append(out, Entry{At: d.ClearedTime, Kind: "cleared", Text: fmt.Sprintf("%s on %s cleared without a recovery", a.Analysis, a.AnalyzedInstanceKey)})
		}
	}
	for _, t := range r.Recent(cluster) {
		out = append(out, recoveryEntries(t)...)
	}
	slices.SortStableFunc(out, func(a, b Entry) int { return a.At.Compare(b.At) })
	return out
}

func recoveryEntries(t analysis.TopologyRecovery) []Entry {
	how := "automatic"
	if t.Manual {
		how = "manual, by " + t.Who
	}
	out := []Entry{{At: t.StartedAt, Kind: "recovery", Recovery: t.UID,
		Text: fmt.Sprintf("recovery %s of %s on %s started (%s)", t.UID, t.AnalysisEntry.Analysis, t.AnalysisEntry.AnalyzedInstanceKey, how)}}
	for _, s := range t.Steps {
		text := "step " + s.Step + ": " + s.Outcome
		if s.Detail != "" {
			text += " (" + s.Detail + ")"
		}
		if s.Error != "" {
			text += " — " + s.Error
		}
		out = append(out, Entry{At: t.StartedAt, Kind: "step", Text: text, Recovery: t.UID, Failed: s.Error != ""})
	}
	for _, h := range t.Hooks {
		out = append(out, Entry{At: t.StartedAt, Kind: "hook", Recovery: t.UID, Failed: h.ExitCode != 0 || h.Error != "",
			Text: fmt.Sprintf("hook %s exited %d after %s", h.Hook, h.ExitCode, timeline.Dur(h.Took))})
	}
	for _, m := range t.VIPMoves {
		out = append(out, Entry{At: t.StartedAt, Kind: "vip", Recovery: t.UID, Text: fmt.Sprintf("VIP %s moved from %s to %s", m.VIP, keyText(m.From), m.To)})
	}
	if !t.EndedAt.IsZero() {
		text := "recovery " + t.UID + " failed"
		if t.IsSuccessful {
			text = "recovery " + t.UID + " succeeded"
		}
		if t.SuccessorKey != nil {
			text += ": new primary " + t.SuccessorKey.String()
		}
		if len(t.AllErrors) > 0 {
			text += " — " + strings.Join(t.AllErrors, "; ")
		}
		out = append(out, Entry{At: t.EndedAt, Kind: "completed", Text: text, Recovery: t.UID, Failed: !t.IsSuccessful})
	}
	if t.Acknowledged {
		out = append(out, Entry{At: t.AcknowledgedOn, Kind: "acknowledged", Recovery: t.UID,
			Text: fmt.Sprintf("recovery %s acknowledged by %s: %s", t.UID, t.AcknowledgedBy, t.AcknowledgedComment)})
	}
	return out
}

func keyText(k events.InstanceKey) string {
	if k.IsZero() {
		return "nowhere"
	}
	return k.String()
}

// clusterOf resolves hint on the current view; a hint the view does not
// know is taken as a cluster name (audit entries outlive clusters).
func (w *Web) clusterOf(hint string) string {
	if name, err := w.src.View().ResolveCluster(hint); err == nil {
		return name
	}
	return hint
}

// timeline answers the cluster's timeline, with those of the clusters a
// recovery renamed into it (their primary failed over to a server now in
// this cluster).
func (w *Web) timeline(rw http.ResponseWriter, r *http.Request) {
	cluster := w.clusterOf(r.PathValue("clusterHint"))
	v, recs := w.src.View(), w.src.Recoveries()
	names := []string{cluster}
	for _, t := range recs.Recent("") {
		name := t.AnalysisEntry.ClusterDetails.ClusterName
		if t.SuccessorKey == nil || name == cluster || slices.Contains(names, name) {
			continue
		}
		if inst, ok := v.Instance(*t.SuccessorKey); ok && inst.ClusterName == cluster {
			names = append(names, name)
		}
	}
	var entries []Entry
	seen := map[Entry]bool{} // a recovery concerns the old and the new cluster: once
	for _, name := range names {
		for _, e := range clusterTimeline(recs, name) {
			if !seen[e] {
				seen[e] = true
				entries = append(entries, e)
			}
		}
	}
	slices.SortStableFunc(entries, func(a, b Entry) int { return a.At.Compare(b.At) })
	writeJSON(rw, http.StatusOK, reply{Details: map[string]any{"Cluster": cluster, "Clusters": names, "Entries": entries}})
}

// whyAt answers "what happened, or why did nothing happen" on the cluster
// in the window (?window=, default 10m) before ?at= (default now).
func (w *Web) whyAt(rw http.ResponseWriter, r *http.Request) {
	at, err := atParam(r)
	if err != nil {
		fail(rw, http.StatusBadRequest, err)
		return
	}
	window := 10 * time.Minute
	if s := r.URL.Query().Get("window"); s != "" {
		if window, err = time.ParseDuration(s); err != nil || window <= 0 {
			fail(rw, http.StatusBadRequest, fmt.Errorf("parameter window: %q is not a positive duration (10m, 1h)", s))
			return
		}
	}
	cluster := w.clusterOf(r.PathValue("clusterHint"))
	writeJSON(rw, http.StatusOK, reply{Details: map[string]any{"Cluster": cluster, "At": at,
		"Text": timeline.WhyAt(w.src.Recoveries(), cluster, at, window)}})
}

// Why is one recovery's "why this successor, why not the others".
type Why struct {
	UID       string
	Successor string
	Chosen    []Candidate
	Rejected  []Candidate
	Text      string // timeline.ExplainRecovery
}

// Candidate is one replica the recovery considered.
type Candidate struct {
	Key    string
	Reason string // why chosen, or why rejected
	Rule   string // its promotion rule
}

func (w *Web) whyRecovery(rw http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("uid")
	t, ok := w.src.Recoveries().Recovery(uid)
	if !ok {
		fail(rw, http.StatusNotFound, fmt.Errorf("no recovery %s in this node's recovery fold", events.Quote(uid)))
		return
	}
	y := Why{UID: t.UID, Text: timeline.ExplainRecovery(t)}
	if t.SuccessorKey != nil {
		y.Successor = t.SuccessorKey.String()
	}
	for _, c := range t.Candidates {
		cand := Candidate{Key: c.Key.String(), Reason: c.Reason, Rule: c.Rule}
		if c.Chosen {
			y.Chosen = append(y.Chosen, cand)
		} else {
			y.Rejected = append(y.Rejected, cand)
		}
	}
	writeJSON(rw, http.StatusOK, reply{Details: y})
}
