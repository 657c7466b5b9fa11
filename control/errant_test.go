package control

import (
	"testing"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// TestStrictPassed: inject-empty is refused up front for a MariaDB replica
// in gtid_strict_mode whose errant sequence the primary has reached.
func TestStrictPassed(t *testing.T) {
	maria := func(errant, binlogPos string, strict bool) *projections.Instance {
		return &projections.Instance{Version: "10.11.6-MariaDB-log", FlavorName: "MariaDB", GtidErrant: errant,
			MariaDBGTID: events.GTIDState{BinlogPos: binlogPos, StrictMode: strict}}
	}
	tests := []struct {
		name            string
		replica, primry *projections.Instance
		want            string
	}{
		{"ahead of the primary", maria("0-3-12", "", true), maria("", "0-1-11", true), ""},
		{"passed", maria("0-3-12", "", true), maria("", "0-1-12", true), "0-3-12"},
		{"passed, not strict", maria("0-3-12", "", false), maria("", "0-1-40", true), ""},
		{"other domain", maria("1-3-2", "", true), maria("", "0-1-40", true), ""},
		{"MySQL", &projections.Instance{Version: "5.7.28-log", GtidErrant: "00000000-0000-0000-0000-000000000001:1"},
			&projections.Instance{Version: "5.7.28-log"}, ""},
	}
	for _, tt := range tests {
		g, passed := strictPassed(tt.replica, tt.primry)
		if got := map[bool]string{true: g.String(), false: ""}[passed]; got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
