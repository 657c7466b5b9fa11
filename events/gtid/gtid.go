package gtid

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

// maxSeq is MySQL's largest GTID sequence number (2^63-1); bounding it keeps
// End+1 from overflowing in the interval arithmetic.
const maxSeq = 1<<63 - 1

// Interval is an inclusive range of MySQL GTID sequence numbers.
type Interval struct{ Start, End uint64 }

// Source is the intervals of one source: SID is the server UUID
// (lower case), or "uuid:tag" for MySQL 8.4 tagged GTIDs.
type Source struct {
	SID       string
	Intervals []Interval // sorted, disjoint, non-adjacent
}

// Set is a normalised MySQL GTID set. The zero value is the empty set.
// Sets are values: operations return new sets and never modify their inputs.
type Set struct {
	sources []Source // sorted by SID, none empty
}

// ParseSet parses MySQL's text form ("uuid:1-5:7-9,uuid2:1-3", with
// optional whitespace and newlines, tags as "uuid:tag:1-3") and normalises
// it: UUIDs lower-cased, intervals merged, sources sorted.
func ParseSet(s string) (Set, error) {
	m := map[string][]Interval{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		fields := strings.Split(part, ":")
		uuid := strings.ToLower(strings.TrimSpace(fields[0]))
		if !validUUID(uuid) || len(fields) < 2 {
			return Set{}, fmt.Errorf("%w: %q", ErrInvalidGTID, part)
		}
		sid := uuid
		for _, f := range fields[1:] {
			f = strings.TrimSpace(f)
			if f == "" || f[0] < '0' || f[0] > '9' {
				tag := strings.ToLower(f)
				if !validTag(tag) {
					return Set{}, fmt.Errorf("%w: %q: bad tag %q", ErrInvalidGTID, part, f)
				}
				sid = uuid + ":" + tag
				continue
			}
			iv, err := parseInterval(f)
			if err != nil {
				return Set{}, fmt.Errorf("%w: %q: %v", ErrInvalidGTID, part, err)
			}
			m[sid] = append(m[sid], iv)
		}
	}
	var set Set
	for sid, ivs := range m {
		set.sources = append(set.sources, Source{SID: sid, Intervals: normalise(ivs)})
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
	if end > maxSeq {
		return Interval{}, fmt.Errorf("bad interval %q: sequence over %d", f, uint64(maxSeq))
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

// MustParseSet is ParseSet for constants in tests; it panics on error.
func MustParseSet(s string) Set {
	set, err := ParseSet(s)
	if err != nil {
		panic(err)
	}
	return set
}

// String is MySQL's text form, canonical: "uuid:1-5:7,uuid2:1-3".
func (s Set) String() string {
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
func (s Set) Sources() []Source { return s.sources }

// IsEmpty reports whether the set has no transaction.
func (s Set) IsEmpty() bool { return len(s.sources) == 0 }

// Equal reports whether both sets hold the same transactions.
func (s Set) Equal(o Set) bool { return s.String() == o.String() }

// Contains reports whether s holds every transaction of o.
func (s Set) Contains(o Set) bool { return o.Subtract(s).IsEmpty() }

func (s Set) find(sid string) []Interval {
	i := sort.Search(len(s.sources), func(i int) bool { return s.sources[i].SID >= sid })
	if i < len(s.sources) && s.sources[i].SID == sid {
		return s.sources[i].Intervals
	}
	return nil
}

// Subtract returns the transactions of s that are not in o.
func (s Set) Subtract(o Set) Set {
	var out Set
	for _, src := range s.sources {
		rest := subtractIntervals(src.Intervals, o.find(src.SID))
		if len(rest) > 0 {
			out.sources = append(out.sources, Source{SID: src.SID, Intervals: rest})
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
func (s Set) Union(o Set) Set {
	m := map[string][]Interval{}
	for _, src := range append(slices.Clone(s.sources), o.sources...) {
		m[src.SID] = append(m[src.SID], src.Intervals...)
	}
	var out Set
	for sid, ivs := range m {
		out.sources = append(out.sources, Source{SID: sid, Intervals: normalise(ivs)})
	}
	sort.Slice(out.sources, func(i, j int) bool { return out.sources[i].SID < out.sources[j].SID })
	return out
}

// RemoveUUIDs drops every source of the given server UUIDs (tagged ones
// included).
func (s Set) RemoveUUIDs(uuids ...string) Set {
	var out Set
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
func MySQLErrant(replicaExecuted, sourceExecuted Set, ignoreUUIDs []string) Set {
	return replicaExecuted.RemoveUUIDs(ignoreUUIDs...).Subtract(sourceExecuted)
}

// MariaDB is one MariaDB GTID: domain-server_id-sequence.
type MariaDB struct {
	Domain   uint32
	ServerID uint32
	Seq      uint64
}

func (g MariaDB) String() string {
	return strconv.FormatUint(uint64(g.Domain), 10) + "-" + strconv.FormatUint(uint64(g.ServerID), 10) + "-" + strconv.FormatUint(g.Seq, 10)
}

// List is a MariaDB GTID position (gtid_current_pos and the
// like) or binlog state: comma-separated GTIDs, sorted by domain, then
// sequence (see sortList).
type List []MariaDB

// ParseList parses "0-1-100,1-2-5" (whitespace allowed).
func ParseList(s string) (List, error) {
	var out List
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		f := strings.Split(part, "-")
		if len(f) != 3 {
			return nil, fmt.Errorf("%w: %q: want domain-server-sequence", ErrInvalidGTID, part)
		}
		d, err1 := strconv.ParseUint(f[0], 10, 32)
		srv, err2 := strconv.ParseUint(f[1], 10, 32)
		seq, err3 := strconv.ParseUint(f[2], 10, 64)
		if err := errors.Join(err1, err2, err3); err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrInvalidGTID, part, err)
		}
		out = append(out, MariaDB{uint32(d), uint32(srv), seq})
	}
	sortList(out)
	return out, nil
}

// sortList orders by domain, then sequence: the last GTID of a domain is
// its newest, as MariaDB reads gtid_binlog_pos off a gtid_binlog_state.
func sortList(l List) {
	sort.Slice(l, func(i, j int) bool {
		if l[i].Domain != l[j].Domain {
			return l[i].Domain < l[j].Domain
		}
		if l[i].Seq != l[j].Seq {
			return l[i].Seq < l[j].Seq
		}
		return l[i].ServerID < l[j].ServerID
	})
}

func (l List) String() string {
	parts := make([]string, len(l))
	for i, g := range l {
		parts[i] = g.String()
	}
	return strings.Join(parts, ",")
}

// Domain returns the GTID with the highest sequence in domain d.
func (l List) Domain(d uint32) (MariaDB, bool) {
	var best MariaDB
	found := false
	for _, g := range l {
		if g.Domain == d && (!found || g.Seq > best.Seq) {
			best, found = g, true
		}
	}
	return best, found
}

// Domains lists the domains of the list in ascending order.
func (l List) Domains() []uint32 {
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
func CompareDomain(a, b List, d uint32) int {
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
func (l List) AtLeast(o List) bool {
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
func MariaDBErrant(replica, source List, upstreamServerIDs []uint32) List {
	var out List
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

// A MariaDB binlog state (@@gtid_binlog_state) is a List with one GTID per
// (domain, server id): the last one that server logged in that domain. The
// operations below read a List as such a state; a position list (one GTID
// per domain) is a special case of it.

// Find returns the GTID of (domain, server) with the highest sequence.
func (l List) Find(domain, server uint32) (MariaDB, bool) {
	var best MariaDB
	found := false
	for _, g := range l {
		if g.Domain == domain && g.ServerID == server && (!found || g.Seq > best.Seq) {
			best, found = g, true
		}
	}
	return best, found
}

// Covers reports whether l holds g: an entry of g's domain and server at a
// sequence at least g's.
func (l List) Covers(g MariaDB) bool {
	h, ok := l.Find(g.Domain, g.ServerID)
	return ok && h.Seq >= g.Seq
}

// Contains reports whether l covers every GTID of o.
func (l List) Contains(o List) bool { return len(o.Subtract(l)) == 0 }

// Subtract returns the GTIDs of l that o does not cover.
func (l List) Subtract(o List) List {
	var out List
	for _, g := range l {
		if !o.Covers(g) {
			out = append(out, g)
		}
	}
	return out
}

// Union returns the state holding both: per (domain, server), the higher
// sequence.
func (l List) Union(o List) List {
	var out List
	for _, g := range append(slices.Clone(l), o...) {
		if i := slices.IndexFunc(out, func(h MariaDB) bool { return h.Domain == g.Domain && h.ServerID == g.ServerID }); i >= 0 {
			out[i].Seq = max(out[i].Seq, g.Seq)
			continue
		}
		out = append(out, g)
	}
	sortList(out)
	return out
}

// WithoutServers drops the GTIDs of the given server ids.
func (l List) WithoutServers(ids ...uint32) List {
	var out List
	for _, g := range l {
		if !slices.Contains(ids, g.ServerID) {
			out = append(out, g)
		}
	}
	return out
}

// MariaDBErrantState is the server-aware errant check against binlog
// states: the replica's GTIDs, from servers other than its upstream (the
// primary and its ancestors, whose newest transactions a stale probe of the
// primary may miss), that the primary's gtid_binlog_state does not cover.
// Unlike MariaDBErrant it sees an errant transaction also after the
// primary's domain sequence has passed it, and it clears once the primary
// has logged the replica's domain-server-sequence (gtid-errant-inject-empty).
func MariaDBErrantState(replicaState, primaryState List, upstreamServerIDs []uint32) List {
	return replicaState.WithoutServers(upstreamServerIDs...).Subtract(primaryState)
}

// PassedBy returns the first GTID of l whose domain the position pos has
// reached: pos holds a sequence in that domain at least the GTID's, from
// any server. A replica in gtid_strict_mode that logged such a GTID itself
// stops at its source's next transaction in the domain (out of order).
func (l List) PassedBy(pos List) (MariaDB, bool) {
	for _, g := range l {
		if p, ok := pos.Domain(g.Domain); ok && p.Seq >= g.Seq {
			return g, true
		}
	}
	return MariaDB{}, false
}
