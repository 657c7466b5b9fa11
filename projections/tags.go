package projections

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/regent-ha/regent/events"
)

// tagSet holds every instance's tags (name → value). It is never changed
// in place: each tag event builds a new one, so Views and Clones share it.
type tagSet map[events.InstanceKey]map[string]string

// applyTags folds tag and untag events. A payload that names no tag, or an
// untag of every instance without a value, is refused.
func (t *Topology) applyTags(e events.Envelope) error {
	switch e.Kind {
	case events.KindInstanceTagged:
		var p events.InstanceTagged
		if err := decodeKeyed(e, &p, &p.Key); err != nil {
			return err
		}
		if strings.TrimSpace(p.Name) == "" {
			return errors.New("tag without a name")
		}
		next := maps.Clone(t.tags)
		if next == nil {
			next = tagSet{}
		}
		inner := maps.Clone(next[p.Key])
		if inner == nil {
			inner = map[string]string{}
		}
		inner[p.Name] = p.Value
		next[p.Key] = inner
		t.tags = next
	case events.KindInstanceUntagged:
		var p events.InstanceUntagged
		if err := e.Decode(&p); err != nil {
			return err
		}
		if err := checkUntag(p); err != nil {
			return err
		}
		t.tags = t.tags.without(p)
	}
	return nil
}

func checkUntag(p events.InstanceUntagged) error {
	switch {
	case strings.TrimSpace(p.Name) == "":
		return errors.New("untag without a tag name")
	case p.Key.IsZero() && !p.HasValue:
		return errors.New("untag of every instance without a tag value")
	case !p.Key.IsZero():
		return checkKey(p.Key)
	}
	return nil
}

// matchUntag lists the instances an untag removes the tag from, sorted.
func (s tagSet) matchUntag(p events.InstanceUntagged) []events.InstanceKey {
	var out []events.InstanceKey
	for k, tags := range s {
		if !p.Key.IsZero() && k != p.Key {
			continue
		}
		if v, ok := tags[p.Name]; ok && (!p.HasValue || v == p.Value) {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, compareKeys)
	return out
}

func (s tagSet) without(p events.InstanceUntagged) tagSet {
	hit := s.matchUntag(p)
	if len(hit) == 0 {
		return s
	}
	next := maps.Clone(s)
	for _, k := range hit {
		inner := maps.Clone(next[k])
		delete(inner, p.Name)
		if len(inner) == 0 {
			delete(next, k)
		} else {
			next[k] = inner
		}
	}
	return next
}

// Tag is one tag expression of orchestrator's tag commands: "name",
// "name=value", and for tagged also "~name" or "!name" (instances with
// tags, none of them name) and "~name=value" (name with another value).
type Tag struct {
	Name     string
	Value    string
	HasValue bool
	Negate   bool
}

var tagExpr = regexp.MustCompile(`^(~?)([^=]+)(=(.*))?$`)

// ParseTag reads one tag expression, as orchestrator's ParseTag.
func ParseTag(s string) (Tag, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "!", "~"))
	m := tagExpr.FindStringSubmatch(s)
	if m == nil {
		return Tag{}, fmt.Errorf("Unable to parse tag: %s", s)
	}
	return Tag{Name: m[2], Value: m[4], HasValue: m[3] != "", Negate: m[1] != ""}, nil
}

// String is orchestrator's "name=value" (also for an empty value).
func (g Tag) String() string { return g.Name + "=" + g.Value }

// Tags lists k's tags as "name=value", by name (orchestrator's tags).
func (v *View) Tags(k events.InstanceKey) []string {
	names := slices.Sorted(maps.Keys(v.tags[k]))
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, n+"="+v.tags[k][n])
	}
	return out
}

// TagValue is the value of k's tag name, and whether k has it.
func (v *View) TagValue(k events.InstanceKey, name string) (string, bool) {
	val, ok := v.tags[k][name]
	return val, ok
}

// Tagged lists, sorted, the instances that match every comma-separated tag
// expression of expr (orchestrator's tagged).
func (v *View) Tagged(expr string) ([]events.InstanceKey, error) {
	var out []events.InstanceKey
	for i, part := range strings.Split(expr, ",") {
		g, err := ParseTag(part)
		if err != nil {
			return nil, err
		}
		var match []events.InstanceKey
		for k, tags := range v.tags {
			val, has := tags[g.Name]
			if (!g.Negate && has && (!g.HasValue || val == g.Value)) ||
				(g.Negate && g.HasValue && has && val != g.Value) || (g.Negate && !g.HasValue && !has) {
				match = append(match, k)
			}
		}
		if i == 0 {
			out = match
		} else {
			out = slices.DeleteFunc(out, func(k events.InstanceKey) bool { return !slices.Contains(match, k) })
		}
	}
	slices.SortFunc(out, compareKeys)
	return out, nil
}

// Untagging lists, sorted, the instances p would remove a tag from.
func (v *View) Untagging(p events.InstanceUntagged) []events.InstanceKey {
	return v.tags.matchUntag(p)
}

// tagDisplay lists k's tags by name as orchestrator's Tag.Display: the
// name alone when the value is empty, else name=value.
func (v *View) tagDisplay(k events.InstanceKey) []string {
	names := slices.Sorted(maps.Keys(v.tags[k]))
	for i, n := range names {
		if val := v.tags[k][n]; val != "" {
			names[i] = n + "=" + val
		}
	}
	return names
}

// RenderTopologyTags is orchestrator's topology-tags text: the topology
// with " [tags]" after each instance's description.
func RenderTopologyTags(v *View, clusterName string) (string, error) {
	return renderTopology(v, clusterName, false, true)
}
