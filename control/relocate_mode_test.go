package control

import (
	"strings"
	"testing"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// TestRelocateMode: how an instance continues from its new source, or why
// it cannot be relocated (projections.RelocateMode, the one rule the
// operator and the web's preview share), in the actuators' source modes.
func TestRelocateMode(t *testing.T) {
	src := events.InstanceKey{Hostname: "198.18.0.1", Port: 3306}
	for _, tc := range []struct {
		name string
		inst projections.Instance
		want actuators.SourceMode
		err  string
	}{
		{"MariaDB GTID replica", projections.Instance{MasterKey: src, UsingMariaDBGTID: true, FlavorName: "MariaDB"}, actuators.SlavePos, ""},
		{"MySQL GTID replica", projections.Instance{MasterKey: src, UsingOracleGTID: true}, actuators.SlavePos, ""},
		{"replica without GTID", projections.Instance{MasterKey: src, FlavorName: "MariaDB"}, "", "does not replicate with GTID"},
		{"fenced old MariaDB primary", projections.Instance{ReadOnly: true, FlavorName: "MariaDB"}, actuators.CurrentPos, ""},
		{"fenced old MySQL primary", projections.Instance{ReadOnly: true, SupportsOracleGTID: true, GTIDMode: "ON"}, actuators.SlavePos, ""},
		{"writable primary", projections.Instance{FlavorName: "MariaDB"}, "", "set-read-only first"},
		{"MySQL without GTID", projections.Instance{ReadOnly: true, GTIDMode: "OFF"}, "", "no GTID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.inst.Key = events.InstanceKey{Hostname: "198.18.0.2", Port: 3306}
			m, err := projections.RelocateMode(&tc.inst, "relocate")
			got := actuators.SourceMode(m) // as relocateAs hands it to the actuators
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "198.18.0.2:3306") {
					t.Fatalf("relocateMode = %q, %v; want an error with %q naming the instance", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("relocateMode = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
