package fake

import (
	"fmt"
	gtidpkg "github.com/regent-ha/regent/events/gtid"
	"sort"
	"strings"
)

// gtid is one MariaDB GTID, domain-server-sequence.
type gtid struct {
	domain, server uint32
	seq            uint64
}

func (g gtid) String() string { return fmt.Sprintf("%d-%d-%d", g.domain, g.server, g.seq) }

// position is a MariaDB GTID list: the last GTID per domain.
type position map[uint32]gtid

func (p position) String() string {
	domains := make([]uint32, 0, len(p))
	for d := range p {
		domains = append(domains, d)
	}
	sort.Slice(domains, func(i, j int) bool { return domains[i] < domains[j] })
	parts := make([]string, len(domains))
	for i, d := range domains {
		parts[i] = p[d].String()
	}
	return strings.Join(parts, ",")
}

func (p position) clone() position {
	c := make(position, len(p))
	for d, g := range p {
		c[d] = g
	}
	return c
}

// covers reports whether p has reached want's sequence in every domain.
func (p position) covers(want position) bool {
	for d, g := range want {
		if p[d].seq < g.seq {
			return false
		}
	}
	return true
}

// parsePosition parses a GTID list such as "0-1-100,1-2-5" (with
// events/gtid, the one parser): the last GTID per domain.
func parsePosition(s string) (position, error) {
	l, err := gtidpkg.ParseList(s)
	if err != nil {
		return nil, fmt.Errorf("parse gtid list %q: %w", s, err)
	}
	p := position{}
	for _, g := range l {
		if g.Seq >= p[g.Domain].seq {
			p[g.Domain] = gtid{g.Domain, g.ServerID, g.Seq}
		}
	}
	return p, nil
}
