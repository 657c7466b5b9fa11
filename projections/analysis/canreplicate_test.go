package analysis

import (
	"strings"
	"testing"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// TestCanReplicateFrom: each of orchestrator's can-replicate-from rules
// refuses on its own, with the offending instance named.
func TestCanReplicateFrom(t *testing.T) {
	k := func(h string) events.InstanceKey { return events.InstanceKey{Hostname: h, Port: 3306} }
	base := func() (*projections.Instance, *projections.Instance) {
		r := &projections.Instance{Key: k("r"), MasterKey: k("m"), ServerID: 2, ServerUUID: "u2", Version: "10.11.6-MariaDB-log",
			LogBinEnabled: true, LogSlaveUpdatesEnabled: true, BinlogFormat: "ROW", UsingMariaDBGTID: true}
		s := &projections.Instance{Key: k("s"), MasterKey: k("m"), ServerID: 3, ServerUUID: "u3", Version: "10.11.6-MariaDB-log",
			LogBinEnabled: true, LogSlaveUpdatesEnabled: true, BinlogFormat: "ROW", UsingMariaDBGTID: true}
		return r, s
	}
	for _, tc := range []struct {
		name   string
		change func(r, s *projections.Instance)
		want   string
	}{
		{"compatible", func(r, s *projections.Instance) {}, ""},
		{"a primary without log_slave_updates", func(r, s *projections.Instance) { s.MasterKey, s.LogSlaveUpdatesEnabled = events.InstanceKey{}, false }, ""},
		{"itself", func(r, s *projections.Instance) { s.Key = r.Key }, "cannot replicate from itself: r:3306"},
		{"no binary log", func(r, s *projections.Instance) { s.LogBinEnabled = false }, "does not have binary logs enabled: s:3306"},
		{"replica without log_slave_updates", func(r, s *projections.Instance) { s.LogSlaveUpdatesEnabled = false }, "log_slave_updates enabled: s:3306"},
		{"older version", func(r, s *projections.Instance) { r.Version = "10.6.16-MariaDB" }, "r:3306 has version 10.6.16-MariaDB, which is lower"},
		{"smaller format", func(r, s *projections.Instance) { r.BinlogFormat = "STATEMENT" }, "cannot replicate from ROW binlog format on s:3306"},
		{"same server id", func(r, s *projections.Instance) { s.ServerID = 2 }, "identical server id"},
		{"same uuid", func(r, s *projections.Instance) { s.ServerUUID = "u2" }, "identical server UUID"},
		{"delayed source", func(r, s *projections.Instance) { s.SQLDelay = 3600 }, "s:3306 has higher SQL_Delay (3600 seconds)"},
	} {
		r, s := base()
		tc.change(r, s)
		err := CanReplicateFrom(r, s, 10)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	r, s := base()
	r.UsingMariaDBGTID = false
	if err := CanReplicateFromGTID(r, s, 10); err == nil || !strings.Contains(err.Error(), "does not replicate with GTID") {
		t.Errorf("without GTID: %v", err)
	}
	r, s = base()
	s.Version, s.GTIDMode = "8.0.36", "ON"
	r.Version = "11.4.2-MariaDB"
	if err := CanReplicateFromGTID(r, s, 10); err == nil || !strings.Contains(err.Error(), "not of the same flavor") {
		t.Errorf("across flavors: %v", err)
	}
}
