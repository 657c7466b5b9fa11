package projections

import (
	"strings"
	"testing"
)

// CheckRelocate accepts a GTID replica below another binlogging replica
// and names the offending instance of every refusal.
func TestCheckRelocate(t *testing.T) {
	old := mariaReplica("h4", 4, "h1")
	old.Version = "10.6.16-MariaDB-log"
	noSlaveUpdates := mariaReplica("h5", 5, "h1")
	noSlaveUpdates.LogReplicaUpdates = false
	noBinlog := mariaReplica("h6", 6, "h1")
	noBinlog.LogBin = false
	nonGTID := mariaReplica("h7", 7, "h1")
	nonGTID.Replication.UsingMariaDBGTID, nonGTID.Replication.MariaDBGTIDMode = false, "No"
	v := newScript(t, DefaultSettings()).observe(threeNodes, mariaPrimary("h1", 1), mariaReplica("h2", 2, "h1"),
		mariaReplica("h3", 3, "h2"), old, noSlaveUpdates, noBinlog, nonGTID, mariaPrimary("h8", 8)).view()
	plan, err := CheckRelocate(v, key("h3"), key("h1"))
	if err != nil || plan.Mode != "slave_pos" || plan.FromMaster != key("h2") || !strings.Contains(plan.Summary, "h3:3306 (now below h2:3306) will replicate from h1:3306") {
		t.Fatalf("h3 below h1: %+v %v", plan, err)
	}
	if plan, err := CheckRelocate(v, key("h3"), key("h2")); err != nil || len(plan.Warnings) != 1 || !strings.Contains(plan.Warnings[0], "already replicates") {
		t.Errorf("h3 below its own source: %+v %v", plan, err)
	}
	for _, c := range []struct{ key, dest, want string }{
		{"h2", "h3", "h3:3306 replicates from h2:3306"},
		{"h2", "h2", "below itself"},
		{"h1", "h2", "h2:3306 replicates from h1:3306"},
		{"h1", "h2", "h1:3306 is writable and replicates from nothing"}, // both reasons are given
		{"h9", "h1", "unknown instance h9:3306"},
		{"h2", "h9", "unknown destination h9:3306"},
		{"h3", "h6", "destination h6:3306 does not write binary logs"},
		{"h3", "h5", "destination h5:3306 is a replica without log_slave_updates"},
		{"h2", "h4", ""}, // an older destination is fine
		{"h4", "h2", "destination h2:3306 runs 10.11.6-MariaDB-log, newer than h4:3306's 10.6.16-MariaDB-log"},
		{"h7", "h2", "h7:3306 does not replicate with GTID"},
		{"h8", "h2", "h8:3306 is writable and replicates from nothing"},
	} {
		_, err := CheckRelocate(v, key(c.key), key(c.dest))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s below %s: %v", c.key, c.dest, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s below %s: %v, want %q", c.key, c.dest, err, c.want)
		}
	}
}
