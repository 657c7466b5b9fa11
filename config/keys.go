package config

import (
	"reflect"
	"sort"
	"strings"
)

// keyInfo describes one accepted file key.
type keyInfo struct {
	name   string
	typ    reflect.Type // nil for deprecated keys that have no field
	index  []int        // field index path in Config
	unused bool
	secret bool
	alias  string // non-empty: legacy synonym of this key
	gone   bool   // deprecated by orchestrator itself; ignored
}

// keySet is the table of known keys, built from the Config struct.
type keySet struct {
	byName  map[string]*keyInfo
	byLower map[string]*keyInfo
	ordered []*keyInfo // struct order, deprecated keys excluded
}

// knownKeys reflects over Config. It is cheap and pure, so Load builds it
// per call rather than keeping package state.
func knownKeys() *keySet {
	ks := &keySet{byName: map[string]*keyInfo{}, byLower: map[string]*keyInfo{}}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			idx := append(append([]int(nil), prefix...), i)
			if f.Anonymous {
				walk(f.Type, idx)
				continue
			}
			ki := &keyInfo{name: f.Name, typ: f.Type, index: idx}
			for _, opt := range strings.Split(f.Tag.Get("regent"), ",") {
				switch {
				case opt == "unused":
					ki.unused = true
				case opt == "secret":
					ki.secret = true
				case strings.HasPrefix(opt, "alias="):
					ki.alias = strings.TrimPrefix(opt, "alias=")
				}
			}
			ks.add(ki)
			ks.ordered = append(ks.ordered, ki)
		}
	}
	walk(reflect.TypeOf(Config{}), nil)
	for _, name := range deprecatedKeys {
		ks.add(&keyInfo{name: name, unused: true, gone: true})
	}
	return ks
}

func (ks *keySet) add(ki *keyInfo) {
	ks.byName[ki.name] = ki
	ks.byLower[strings.ToLower(ki.name)] = ki
}

// lookup finds a key by exact name, then case-insensitively (orchestrator
// decodes with encoding/json, which matches field names that way).
func (ks *keySet) lookup(name string) (ki *keyInfo, exact bool) {
	if ki, ok := ks.byName[name]; ok {
		return ki, true
	}
	if ki, ok := ks.byLower[strings.ToLower(name)]; ok {
		return ki, false
	}
	return nil, false
}

// suggest returns the known key closest to name, or "" if none is close.
func (ks *keySet) suggest(name string) string {
	lower := strings.ToLower(name)
	best, bestDist := "", 1<<30
	names := make([]string, 0, len(ks.byName))
	for n := range ks.byName {
		names = append(names, n)
	}
	sort.Strings(names) // deterministic tie-breaking
	for _, n := range names {
		d := editDistance(lower, strings.ToLower(n))
		if d < bestDist {
			best, bestDist = n, d
		}
	}
	limit := max(2, len(name)/4)
	if bestDist <= limit {
		return best
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, over bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
