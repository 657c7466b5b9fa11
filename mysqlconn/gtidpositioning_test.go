package mysqlconn

import "testing"

// TestGTIDPositioningSQL: enable-gtid and disable-gtid's statement per
// flavor and version, each valid for its version.
func TestGTIDPositioningSQL(t *testing.T) {
	for _, c := range []struct {
		version, on, off string
	}{
		{"5.7.28-log", "CHANGE MASTER TO MASTER_AUTO_POSITION=1", "CHANGE MASTER TO MASTER_AUTO_POSITION=0"},
		{"8.0.22", "CHANGE MASTER TO MASTER_AUTO_POSITION=1", "CHANGE MASTER TO MASTER_AUTO_POSITION=0"},
		{"8.0.23", "CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION=1", "CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION=0"},
		{"8.4.3", "CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION=1", "CHANGE REPLICATION SOURCE TO SOURCE_AUTO_POSITION=0"},
		{"10.11.6-MariaDB-log", "CHANGE MASTER TO MASTER_USE_GTID=slave_pos", "CHANGE MASTER TO MASTER_USE_GTID=no"},
	} {
		s := ParseServer(c.version, "")
		st := StatementsFor(s)
		on, off := st.GTIDPositioningSQL(true), st.GTIDPositioningSQL(false)
		if on != c.on || off != c.off {
			t.Errorf("%s: %q / %q, want %q / %q", c.version, on, off, c.on, c.off)
		}
		for _, stmt := range []string{on, off} {
			if err := Check(s, stmt); err != nil {
				t.Errorf("%s: %v", c.version, err)
			}
		}
	}
}
