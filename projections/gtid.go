package projections

import "github.com/regent-ha/regent/events/gtid"

// The GTID types live in events/gtid (one implementation for every
// package); these names keep older call sites compiling.
type (
	// GTIDSet is gtid.Set.
	GTIDSet = gtid.Set
	// MariaDBGTIDList is gtid.List.
	MariaDBGTIDList = gtid.List
	// MariaDBGTID is gtid.MariaDB.
	MariaDBGTID = gtid.MariaDB
)

// ErrInvalidGTID is gtid.ErrInvalidGTID.
var ErrInvalidGTID = gtid.ErrInvalidGTID

// ParseGTIDSet is gtid.ParseSet.
func ParseGTIDSet(s string) (GTIDSet, error) { return gtid.ParseSet(s) }

// ParseMariaDBGTIDList is gtid.ParseList.
func ParseMariaDBGTIDList(s string) (MariaDBGTIDList, error) { return gtid.ParseList(s) }
