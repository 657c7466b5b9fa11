package projections

import (
	"sort"

	"github.com/regent-ha/regent/events"
)

// clusterRes is the resolved position of one instance.
type clusterRes struct {
	name     string
	depth    uint
	coMaster bool
	master   int // index of the known source, -1 if none
}

func keyLess(a, b events.InstanceKey) bool {
	if a.Hostname != b.Hostname {
		return a.Hostname < b.Hostname
	}
	return a.Port < b.Port
}

func (t *Topology) sortedKeys() []events.InstanceKey {
	keys := make([]events.InstanceKey, 0, len(t.instances))
	for k := range t.instances {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keyLess(keys[i], keys[j]) })
	return keys
}

// resolveClusters names the cluster of each key (sorted by keyLess) and
// computes depth and ring membership, following masters[i] through the
// known keys. See the package documentation for the rules.
func resolveClusters(keys, masters []events.InstanceKey) []clusterRes {
	idx := make(map[events.InstanceKey]int, len(keys))
	for i, k := range keys {
		idx[k] = i
	}
	res := make([]clusterRes, len(keys))
	for i := range keys {
		res[i].master = -1
		m := masters[i]
		if m.IsZero() || m == keys[i] {
			continue
		}
		if j, ok := idx[m]; ok {
			res[i].master = j
		}
	}
	const (
		unvisited = iota
		onPath
		done
	)
	state := make([]uint8, len(keys))
	var path []int
	for start := range keys {
		if state[start] != unvisited {
			continue
		}
		path = path[:0]
		j := start
		for state[j] == unvisited {
			state[j] = onPath
			path = append(path, j)
			if res[j].master < 0 {
				break
			}
			j = res[j].master
		}
		end := len(path) // path[:end] still to resolve from the tail
		switch {
		case state[j] == onPath && res[j].master < 0 && j == path[len(path)-1]:
			res[j].name, res[j].depth = keys[j].String(), 0
			end--
		case state[j] == onPath:
			end = resolveRing(keys, res, path, j)
		}
		for p := end - 1; p >= 0; p-- {
			i := path[p]
			m := res[i].master
			res[i].name, res[i].depth = res[m].name, res[m].depth+1
		}
		for _, i := range path {
			state[i] = done
		}
	}
	return res
}

// resolveRing resolves the ring that starts at path position of j and
// returns the number of path entries before it.
func resolveRing(keys []events.InstanceKey, res []clusterRes, path []int, j int) int {
	pos := 0
	for path[pos] != j {
		pos++
	}
	ring := path[pos:]
	holder := ring[0]
	for _, i := range ring[1:] {
		if keyLess(keys[i], keys[holder]) {
			holder = i
		}
	}
	name := keys[holder].String()
	for _, i := range ring {
		d := uint(0)
		for c := i; c != holder; c = res[c].master {
			d++
		}
		res[i].name, res[i].depth, res[i].coMaster = name, d, true
	}
	return pos
}

// Keys returns the known instances sorted by hostname, port: what the probe
// scheduler should watch.
func (t *Topology) Keys() []events.InstanceKey { return t.sortedKeys() }

// Forgotten reports whether key was forgotten and not discovered again.
func (t *Topology) Forgotten(key events.InstanceKey) bool {
	_, dead := t.tombstones[key]
	return dead
}
