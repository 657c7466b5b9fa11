package mysql

import (
	"fmt"
	"strconv"
	"strings"
)

// gtidList is a MariaDB GTID list ("0-1-100,1-2-7"): per replication domain,
// the sequence number of the last transaction.
type gtidList map[uint32]uint64

// parseGTIDList parses a MariaDB GTID list; the empty string is the empty
// list.
func parseGTIDList(s string) (gtidList, error) {
	l := gtidList{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		fields := strings.Split(part, "-")
		if len(fields) != 3 {
			return nil, fmt.Errorf("parse gtid %q: want domain-server-sequence", part)
		}
		domain, err := strconv.ParseUint(fields[0], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("parse gtid %q: domain: %w", part, err)
		}
		if _, err := strconv.ParseUint(fields[1], 10, 32); err != nil {
			return nil, fmt.Errorf("parse gtid %q: server id: %w", part, err)
		}
		seq, err := strconv.ParseUint(fields[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse gtid %q: sequence: %w", part, err)
		}
		if seq > l[uint32(domain)] {
			l[uint32(domain)] = seq
		}
	}
	return l, nil
}

// covers reports whether l has reached every domain's sequence of want.
func (l gtidList) covers(want gtidList) bool {
	for d, seq := range want {
		if l[d] < seq {
			return false
		}
	}
	return true
}
