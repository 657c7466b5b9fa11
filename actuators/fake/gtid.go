package fake

import (
	"fmt"
	"sort"
	"strconv"
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

// parsePosition parses a GTID list such as "0-1-100,1-2-5".
func parsePosition(s string) (position, error) {
	p := position{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		f := strings.Split(part, "-")
		if len(f) != 3 {
			return nil, fmt.Errorf("parse gtid %q: want domain-server-sequence", part)
		}
		d, err1 := strconv.ParseUint(f[0], 10, 32)
		s, err2 := strconv.ParseUint(f[1], 10, 32)
		n, err3 := strconv.ParseUint(f[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("parse gtid %q: not numbers", part)
		}
		if g := (gtid{uint32(d), uint32(s), n}); g.seq >= p[g.domain].seq {
			p[g.domain] = g
		}
	}
	return p, nil
}
