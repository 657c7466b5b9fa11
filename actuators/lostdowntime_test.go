package actuators_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
)

// TestLostInstancesDowntime: with MasterFailoverLostInstancesDowntimeMinutes
// a master failover downtimes the failed primary and each replica it
// could not re-point (downtime-begun, lost-in-recovery, until now + the
// minutes), and nothing else; without it, no downtime.
func TestLostInstancesDowntime(t *testing.T) {
	for _, minutes := range []int{0, 7} {
		w := newWorld(t, 4)
		w.topo.Down(w.keys[0])
		flaky := w.keys[2]
		w.r.DB = overrideDB{DB: w.topo.DB(), changeSource: map[events.InstanceKey]error{
			flaky: &actuators.Error{Kind: actuators.Transient, Op: "change source", Key: flaky, Err: syscall.ETIMEDOUT}}}
		w.r.Policy.LostDowntime = time.Duration(minutes) * time.Minute
		if _, err := w.run(t, w.intent()); err != nil {
			t.Fatalf("minutes=%d: Run: %v (log %v)", minutes, err, w.log.kinds())
		}
		got := map[events.InstanceKey]events.DowntimeBegun{}
		for _, e := range w.log.all() {
			if e.Kind != events.KindDowntimeBegun {
				continue
			}
			var d events.DowntimeBegun
			if err := e.Decode(&d); err != nil {
				t.Fatal(err)
			}
			if e.Instance != d.Key.String() || e.Cluster != w.cluster() {
				t.Errorf("downtime event of %s: envelope instance %q cluster %q", d.Key, e.Instance, e.Cluster)
			}
			got[d.Key] = d
		}
		if minutes == 0 {
			if len(got) != 0 {
				t.Errorf("downtimes without the key: %v", got)
			}
			continue
		}
		until := fixedClock{}.Now().Add(7 * time.Minute)
		if len(got) != 2 {
			t.Fatalf("downtimed %v, want the failed primary %s and the lost %s", got, w.keys[0], flaky)
		}
		for _, k := range []events.InstanceKey{w.keys[0], flaky} {
			d, ok := got[k]
			if !ok || d.Reason != actuators.LostInRecovery || d.Owner != actuators.DowntimeOwner || !d.Until.Equal(until) {
				t.Errorf("downtime of %s: %+v (present %v), want %s until %s", k, d, ok, actuators.LostInRecovery, until)
			}
		}
	}
}
