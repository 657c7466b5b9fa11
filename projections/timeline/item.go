package timeline

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/regent-ha/regent/events"
)

// Item is one record of either stream.
type Item struct {
	Stream string    // events.EventsName or events.ObservationsName
	Seq    uint64    // its sequence in Stream
	Stored time.Time // stream time
	Env    events.Envelope
	// Subject is the subject it was published on ("" when not known:
	// transcripts built in memory).
	Subject string
}

// IsObservation reports whether the item comes from the observation stream.
func (it Item) IsObservation() bool {
	if it.Stream != "" {
		return it.Stream == events.ObservationsName
	}
	return it.Env.Kind.IsObservation()
}

// Merge interleaves the two streams by the merge rule (package
// documentation). Each input must be in its stream's order.
func Merge(evts, obs []Item) []Item {
	out := make([]Item, 0, len(evts)+len(obs))
	i, j := 0, 0
	for i < len(evts) && j < len(obs) {
		if evts[i].Stored.Before(obs[j].Stored) {
			out = append(out, evts[i])
			i++
		} else {
			out = append(out, obs[j])
			j++
		}
	}
	out = append(out, evts[i:]...)
	return append(out, obs[j:]...)
}

// Filter selects items. Zero fields select everything.
type Filter struct {
	// Cluster matches the envelope's cluster, or, for events logged
	// without one, the payload's cluster name or alias or the envelope's
	// instance.
	Cluster string
	// Instance matches the envelope's instance or an instance the payload
	// names (key, failed, target, successor, VIP source or destination).
	Instance string
	Kinds    []events.Kind
	// Since and Until bound the stream time (inclusive).
	Since, Until time.Time
}

// WantsObservations reports whether the filter selects an observation
// kind: the observation stream must be read too.
func (f Filter) WantsObservations() bool {
	return slices.ContainsFunc(f.Kinds, events.Kind.IsObservation)
}

// refs are the payload fields Filter looks at.
type refs struct {
	ClusterName  string             `json:"cluster_name"`
	ClusterAlias string             `json:"cluster_alias"`
	Key          events.InstanceKey `json:"key"`
	Failed       events.InstanceKey `json:"failed"`
	Target       events.InstanceKey `json:"target"`
	Successor    events.InstanceKey `json:"successor"`
	Instance     events.InstanceKey `json:"instance"`
	From         events.InstanceKey `json:"from"`
	To           events.InstanceKey `json:"to"`
}

// Match reports whether the filter selects it.
func (f Filter) Match(it Item) bool {
	if !f.Since.IsZero() && it.Stored.Before(f.Since) || !f.Until.IsZero() && it.Stored.After(f.Until) {
		return false
	}
	if len(f.Kinds) > 0 && !containsKind(f.Kinds, it.Env.Kind) {
		return false
	}
	if f.Cluster == "" && f.Instance == "" {
		return true
	}
	var r refs
	if len(it.Env.Payload) > 0 {
		_ = json.Unmarshal(it.Env.Payload, &r) // a payload without these fields matches on the envelope only
	}
	if f.Cluster != "" && it.Env.Cluster != f.Cluster {
		if it.Env.Cluster != "" || (r.ClusterName != f.Cluster && r.ClusterAlias != f.Cluster && it.Env.Instance != f.Cluster) {
			return false
		}
	}
	if f.Instance != "" && it.Env.Instance != f.Instance {
		found := false
		for _, k := range []events.InstanceKey{r.Key, r.Failed, r.Target, r.Successor, r.Instance, r.From, r.To} {
			found = found || (!k.IsZero() && k.String() == f.Instance)
		}
		if !found {
			return false
		}
	}
	return true
}

func containsKind(ks []events.Kind, k events.Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// ParseKinds parses kind names ("failure-detected"), each possibly a
// comma-separated list.
func ParseKinds(names []string) ([]events.Kind, error) {
	var out []events.Kind
	for _, n := range names {
		for _, s := range strings.Split(n, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			k, err := events.ParseKind(s)
			if err != nil {
				return nil, fmt.Errorf("parse kinds: %w", err)
			}
			out = append(out, k)
		}
	}
	return out, nil
}

// ParseTime reads an instant: RFC 3339 (fractions allowed), or a duration
// before now such as "2h", "10m", "90s" or "3d" (days).
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("parse time: empty")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.ParseFloat(days, 64); err == nil && n >= 0 {
			return now.Add(-time.Duration(n * 24 * float64(time.Hour))), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("parse time %q: want RFC 3339 (2026-11-24T03:12:00Z) or a duration ago (2h, 10m, 3d)", s)
	}
	return now.Add(-d), nil
}
