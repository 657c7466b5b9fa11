package actuators_test

import (
	"testing"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections/analysis"
)

// TestStartReplicaSemiSync: what start-replica sets before START SLAVE, as
// orchestrator's StartReplication: nothing without a semi-sync priority
// (legacy rule); with one, the source side off if on and the replica side
// on unless must_not; with EnforceExactSemiSyncReplicas the replica side as
// the exact rule puts this replica among its source's; with
// RecoverLockedSemiSyncMaster only what the "enough" rule needs (the
// primary already has one ACKing replica: nothing to turn on).
func TestStartReplicaSemiSync(t *testing.T) {
	all := map[string]bool{"p": true, "s": true, "r1": true, "r2": true, "r3": true}
	for _, tc := range []struct {
		name                 string
		enforced             map[string]bool
		replica              string
		recoverLocked, exact bool
		want                 string // "" : nothing to set
	}{
		{"no priority", nil, "r1", false, false, ""},
		{"legacy", all, "r1", false, false, "r1:M-R+"},
		{"legacy, must_not", all, "r3", false, false, "r3:M-R-"},
		{"legacy, source side already off", all, "s", false, false, "s:M.R+"},
		{"exact, must_not ranks last", all, "r3", false, true, "r3:M-R-"},
		{"enough, the primary has its ACK already", all, "r1", true, false, "r1:M-R."},
		{"unknown instance", all, "nowhere", false, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := promotionView(t, tc.enforced)
			m, ok := analysis.StartReplicaSemiSync(v, key(tc.replica), tc.recoverLocked, tc.exact)
			got := ""
			if ok {
				got = moveString(m)
			}
			if got != tc.want {
				t.Fatalf("move %q, want %q", got, tc.want)
			}
			if ok && m.Target != (events.InstanceKey{Hostname: tc.replica, Port: 3306}) {
				t.Fatalf("target %s", m.Target)
			}
		})
	}
}
