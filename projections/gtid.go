package projections

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ErrInvalidGTID is wrapped by the GTID parsers' errors.
var ErrInvalidGTID = errors.New("invalid gtid")

// Interval is an inclusive range of MySQL GTID sequence numbers.
type Interval struct{ Start, End uint64 }

// GTIDSource is the intervals of one source: SID is the server UUID
// (lower case), or "uuid:tag" for MySQL 8.4 tagged GTIDs.
type GTIDSource struct {
	SID       string
	Intervals []Interval // sorted, disjoint, non-adjacent
}

// GTIDSet is a normalised MySQL GTID set. The zero value is the empty set.
// Sets are values: operations return new sets and never modify their inputs.
type GTIDSet struct {
	sources []GTIDSource // sorted by SID, none empty
}

// ParseGTIDSet parses MySQL's text form ("uuid:1-5:7-9,uuid2:1-3", with
// optional whitespace and newlines, tags as "uuid:tag:1-3") and normalises
// it: UUIDs lower-cased, intervals merged, sources sorted.
func ParseGTIDSet(s string) (GTIDSet, error) {
	m := map[string][]Interval{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		fields := strings.Split(part, ":")
		uuid := strings.ToLower(strings.TrimSpace(fields[0]))
		if !validUUID(uuid) || len(fields) < 2 {
			return GTIDSet{}, fmt.Errorf("%w: %q", ErrInvalidGTID, part)
		}
		sid := uuid
		for _, f := range fields[1:] {
			f = strings.TrimSpace(f)
			if f == "" || f[0] < '0' || f[0] > '9' {
				tag := strings.ToLower(f)
				if !validTag(tag) {
					return GTIDSet{}, fmt.Errorf("%w: %q: bad tag %q", ErrInvalidGTID, part, f)
				}
				sid = uuid + ":" + tag
				continue
			}
			iv, err := parseInterval(f)
			if err != nil {
				return GTIDSet{}, fmt.Errorf("%w: %q: %v", ErrInvalidGTID, part, err)
			}
			m[sid] = append(m[sid], iv)
		}
	}
	var set GTIDSet
	for sid, ivs := range m {
		set.sources = append(set.sources, GTIDSource{SID: sid, Intervals: normalise(ivs)})
	}
	sort.Slice(set.sources, func(i, j int) bool { return set.sources[i].SID < set.sources[j].SID })
	return set, nil
}

func validUUID(u string) bool {
	if len(u) != 36 {
		return false
	}
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}

// validTag is MySQL's GTID tag syntax: [a-z_][a-z0-9_]{0,31}.
func validTag(t string) bool {
	if t == "" || len(t) > 32 || (t[0] >= '0' && t[0] <= '9') {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func parseInterval(f string) (Interval, error) {
	a, b, ranged := strings.Cut(f, "-")
	start, err := strconv.ParseUint(a, 10, 64)
	if err != nil || start == 0 {
		return Interval{}, fmt.Errorf("bad interval %q", f)
	}
	end := start
	if ranged {
		if end, err = strconv.ParseUint(b, 10, 64); err != nil || end < start {
			return Interval{}, fmt.Errorf("bad interval %q", f)
		}
	}
	return Interval{start, end}, nil
}

func normalise(ivs []Interval) []Interval {
	ivs = slices.Clone(ivs)
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].Start < ivs[j].Start })
	out := ivs[:0]
	for _, iv := range ivs {
		if n := len(out); n > 0 && iv.Start <= out[n-1].End+1 {
			out[n-1].End = max(out[n-1].End, iv.End)
			continue
		}
		out = append(out, iv)
	}
	return out
}

// MustParseGTIDSet is ParseGTIDSet for constants in tests; it panics on error.
func MustParseGTIDSet(s string) GTIDSet {
	set, err := ParseGTIDSet(s)
	if err != nil {
		panic(err)
	}
	return set
}

// String is MySQL's text form, canonical: "uuid:1-5:7,uuid2:1-3".
func (s GTIDSet) String() string {
	var b strings.Builder
	for i, src := range s.sources {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(src.SID)
		for _, iv := range src.Intervals {
			b.WriteByte(':')
			b.WriteString(strconv.FormatUint(iv.Start, 10))
			if iv.End != iv.Start {
				b.WriteByte('-')
				b.WriteString(strconv.FormatUint(iv.End, 10))
			}
		}
	}
	return b.String()
}

// Sources returns the set's sources (shared; read-only).
func (s GTIDSet) Sources() []GTIDSource { return s.sources }

// IsEmpty reports whether the set has no transaction.
func (s GTIDSet) IsEmpty() bool { return len(s.sources) == 0 }

// Equal reports whether both sets hold the same transactions.
func (s GTIDSet) Equal(o GTIDSet) bool { return s.String() == o.String() }

// Contains reports whether s holds every transaction of o.
func (s GTIDSet) Contains(o GTIDSet) bool { return o.Subtract(s).IsEmpty() }

func (s GTIDSet) find(sid string) []Interval {
	i := sort.Search(len(s.sources), func(i int) bool { return s.sources[i].SID >= sid })
	if i < len(s.sources) && s.sources[i].SID == sid {
		return s.sources[i].Intervals
	}
	return nil
}

// Subtract returns the transactions of s that are not in o.
func (s GTIDSet) Subtract(o GTIDSet) GTIDSet {
	var out GTIDSet
	for _, src := range s.sources {
		rest := subtractIntervals(src.Intervals, o.find(src.SID))
		if len(rest) > 0 {
			out.sources = append(out.sources, GTIDSource{SID: src.SID, Intervals: rest})
		}
	}
	return out
}

func subtractIntervals(a, b []Interval) []Interval {
	var out []Interval
	j := 0
	for _, iv := range a {
		cur := iv
		for j < len(b) && b[j].End < cur.Start {
			j++
		}
		k := j
		for ; k < len(b) && b[k].Start <= cur.End; k++ {
			if b[k].Start > cur.Start {
				out = append(out, Interval{cur.Start, b[k].Start - 1})
			}
			if b[k].End >= cur.End {
				cur.Start = cur.End + 1
				break
			}
			cur.Start = b[k].End + 1
		}
		if cur.Start <= cur.End {
			out = append(out, cur)
		}
	}
	return out
}

// Union returns the transactions in s or o.
func (s GTIDSet) Union(o GTIDSet) GTIDSet {
	m := map[string][]Interval{}
	for _, src := range append(slices.Clone(s.sources), o.sources...) {
		m[src.SID] = append(m[src.SID], src.Intervals...)
	}
	var out GTIDSet
	for sid, ivs := range m {
		out.sources = append(out.sources, GTIDSource{SID: sid, Intervals: normalise(ivs)})
	}
	sort.Slice(out.sources, func(i, j int) bool { return out.sources[i].SID < out.sources[j].SID })
	return out
}

// RemoveUUIDs drops every source of the given server UUIDs (tagged ones
// included).
func (s GTIDSet) RemoveUUIDs(uuids ...string) GTIDSet {
	var out GTIDSet
	for _, src := range s.sources {
		uuid, _, _ := strings.Cut(src.SID, ":")
		if !slices.ContainsFunc(uuids, func(u string) bool { return strings.EqualFold(u, uuid) }) {
			out.sources = append(out.sources, src)
		}
	}
	return out
}

// MySQLErrant returns the replica's errant transactions: executed on the
// replica, not on its source, ignoring the given UUIDs (the replica's
// ancestors, whose transactions a stale probe of the source may miss).
func MySQLErrant(replicaExecuted, sourceExecuted GTIDSet, ignoreUUIDs []string) GTIDSet {
	return replicaExecuted.RemoveUUIDs(ignoreUUIDs...).Subtract(sourceExecuted)
}

// MariaDBGTID is one MariaDB GTID: domain-server_id-sequence.
type MariaDBGTID struct {
	Domain   uint32
	ServerID uint32
	Seq      uint64
}

func (g MariaDBGTID) String() string {
	return strconv.FormatUint(uint64(g.Domain), 10) + "-" + strconv.FormatUint(uint64(g.ServerID), 10) + "-" + strconv.FormatUint(g.Seq, 10)
}

// MariaDBGTIDList is a MariaDB GTID position (gtid_current_pos and the
// like): comma-separated GTIDs, sorted by domain then server id.
type MariaDBGTIDList []MariaDBGTID

// ParseMariaDBGTIDList parses "0-1-100,1-2-5" (whitespace allowed).
func ParseMariaDBGTIDList(s string) (MariaDBGTIDList, error) {
	var out MariaDBGTIDList
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		f := strings.Split(part, "-")
		if len(f) != 3 {
			return nil, fmt.Errorf("%w: %q", ErrInvalidGTID, part)
		}
		d, err1 := strconv.ParseUint(f[0], 10, 32)
		srv, err2 := strconv.ParseUint(f[1], 10, 32)
		seq, err3 := strconv.ParseUint(f[2], 10, 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrInvalidGTID, part, err)
		}
		out = append(out, MariaDBGTID{uint32(d), uint32(srv), seq})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Domain != out[j].Domain {
			return out[i].Domain < out[j].Domain
		}
		return out[i].ServerID < out[j].ServerID
	})
	return out, nil
}

func (l MariaDBGTIDList) String() string {
	parts := make([]string, len(l))
	for i, g := range l {
		parts[i] = g.String()
	}
	return strings.Join(parts, ",")
}

// Domain returns the GTID with the highest sequence in domain d.
func (l MariaDBGTIDList) Domain(d uint32) (MariaDBGTID, bool) {
	var best MariaDBGTID
	found := false
	for _, g := range l {
		if g.Domain == d && (!found || g.Seq > best.Seq) {
			best, found = g, true
		}
	}
	return best, found
}

// Domains lists the domains of the list in ascending order.
func (l MariaDBGTIDList) Domains() []uint32 {
	var out []uint32
	for _, g := range l {
		if len(out) == 0 || out[len(out)-1] != g.Domain {
			out = append(out, g.Domain)
		}
	}
	return out
}

// CompareDomain compares a and b in domain d by sequence: -1, 0 or 1; a
// list without the domain is behind one with it.
func CompareDomain(a, b MariaDBGTIDList, d uint32) int {
	ga, oka := a.Domain(d)
	gb, okb := b.Domain(d)
	switch {
	case !oka && !okb:
		return 0
	case !oka:
		return -1
	case !okb:
		return 1
	}
	return cmpUint(ga.Seq, gb.Seq)
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// AtLeast reports whether l is at least as advanced as o in every domain
// of o.
func (l MariaDBGTIDList) AtLeast(o MariaDBGTIDList) bool {
	for _, d := range o.Domains() {
		if CompareDomain(l, o, d) < 0 {
			return false
		}
	}
	return true
}

// MariaDBErrant returns the replica's GTIDs its source lacks: a GTID whose
// server id is not upstream (the source's and its ancestors') and whose
// domain the source lacks or has at a lower sequence.
func MariaDBErrant(replica, source MariaDBGTIDList, upstreamServerIDs []uint32) MariaDBGTIDList {
	var out MariaDBGTIDList
	for _, g := range replica {
		if slices.Contains(upstreamServerIDs, g.ServerID) {
			continue
		}
		if s, ok := source.Domain(g.Domain); ok && s.Seq >= g.Seq {
			continue
		}
		out = append(out, g)
	}
	return out
}
