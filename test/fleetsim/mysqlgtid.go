package fleetsim

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// gset is a MySQL GTID set: per source UUID, sorted disjoint closed
// intervals of transaction numbers. The zero value is the empty set.
type gset map[string][]ival

type ival struct{ lo, hi int64 }

// parseGset reads "uuid:1-5:7,uuid2:3" (whitespace and newlines allowed,
// as MySQL prints long sets).
func parseGset(s string) (gset, error) {
	g := gset{}
	s = strings.Join(strings.Fields(s), "")
	if s == "" {
		return g, nil
	}
	for _, part := range strings.Split(s, ",") {
		fields := strings.Split(part, ":")
		if len(fields) < 2 || !isUUID(fields[0]) {
			return nil, fmt.Errorf("malformed GTID set element %q", part)
		}
		uuid := strings.ToLower(fields[0])
		for _, r := range fields[1:] {
			lo, hi, found := strings.Cut(r, "-")
			a, err := strconv.ParseInt(lo, 10, 64)
			if err != nil || a < 1 {
				return nil, fmt.Errorf("malformed GTID interval %q", r)
			}
			b := a
			if found {
				if b, err = strconv.ParseInt(hi, 10, 64); err != nil || b < a {
					return nil, fmt.Errorf("malformed GTID interval %q", r)
				}
			}
			g.addRange(uuid, a, b)
		}
	}
	return g, nil
}

// parseGTID reads one "uuid:n".
func parseGTID(s string) (string, int64, error) {
	uuid, n, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || !isUUID(uuid) {
		return "", 0, errors.New("malformed GTID")
	}
	v, err := strconv.ParseInt(n, 10, 64)
	if err != nil || v < 1 {
		return "", 0, errors.New("malformed GTID")
	}
	return strings.ToLower(uuid), v, nil
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// addRange adds lo..hi of uuid, merging intervals.
func (g gset) addRange(uuid string, lo, hi int64) {
	ivs := append(g[uuid], ival{lo, hi})
	slices.SortFunc(ivs, func(a, b ival) int { return int(min(max(a.lo-b.lo, -1), 1)) })
	out := ivs[:1]
	for _, iv := range ivs[1:] {
		last := &out[len(out)-1]
		if iv.lo <= last.hi+1 {
			last.hi = max(last.hi, iv.hi)
			continue
		}
		out = append(out, iv)
	}
	g[uuid] = out
}

func (g gset) contains(uuid string, n int64) bool {
	for _, iv := range g[uuid] {
		if n >= iv.lo && n <= iv.hi {
			return true
		}
	}
	return false
}

// union adds every interval of o to g and returns how many transactions
// were new.
func (g gset) union(o gset) int64 {
	before := g.count()
	for uuid, ivs := range o {
		for _, iv := range ivs {
			g.addRange(uuid, iv.lo, iv.hi)
		}
	}
	return g.count() - before
}

// minus is g without o (a new set).
func (g gset) minus(o gset) gset {
	out := gset{}
	for uuid, ivs := range g {
		for _, iv := range ivs {
			cur := iv.lo
			for _, ov := range o[uuid] {
				if ov.hi < cur {
					continue
				}
				if ov.lo > iv.hi {
					break
				}
				if ov.lo > cur {
					out.addRange(uuid, cur, ov.lo-1)
				}
				cur = ov.hi + 1
			}
			if cur <= iv.hi {
				out.addRange(uuid, cur, iv.hi)
			}
		}
	}
	return out
}

func (g gset) subsetOf(o gset) bool { return g.minus(o).count() == 0 }

func (g gset) count() int64 {
	var n int64
	for _, ivs := range g {
		for _, iv := range ivs {
			n += iv.hi - iv.lo + 1
		}
	}
	return n
}

func (g gset) clone() gset {
	out := gset{}
	out.union(g)
	return out
}

// first is the lowest GTID of the set (by UUID, then number); the set
// must not be empty.
func (g gset) first() (string, int64) {
	uuid := ""
	for u, ivs := range g {
		if len(ivs) > 0 && (uuid == "" || u < uuid) {
			uuid = u
		}
	}
	return uuid, g[uuid][0].lo
}

// last is the highest transaction number of uuid (0: none).
func (g gset) last(uuid string) int64 {
	ivs := g[uuid]
	if len(ivs) == 0 {
		return 0
	}
	return ivs[len(ivs)-1].hi
}

// String prints the set as MySQL does: UUIDs in order, ",\n" between them.
func (g gset) String() string {
	uuids := make([]string, 0, len(g))
	for u, ivs := range g {
		if len(ivs) > 0 {
			uuids = append(uuids, u)
		}
	}
	slices.Sort(uuids)
	var b strings.Builder
	for i, u := range uuids {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(u)
		for _, iv := range g[u] {
			b.WriteString(":" + strconv.FormatInt(iv.lo, 10))
			if iv.hi != iv.lo {
				b.WriteString("-" + strconv.FormatInt(iv.hi, 10))
			}
		}
	}
	return b.String()
}

// GTIDSubset reports whether MySQL GTID set a is contained in b, for
// tests' assertions on MySQLState.
func GTIDSubset(a, b string) (bool, error) {
	ga, err := parseGset(a)
	if err != nil {
		return false, fmt.Errorf("gtid subset: %w", err)
	}
	gb, err := parseGset(b)
	if err != nil {
		return false, fmt.Errorf("gtid subset: %w", err)
	}
	return ga.subsetOf(gb), nil
}
