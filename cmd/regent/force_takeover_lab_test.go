package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/lab"
)

// TestLabForceTakeoverThenRelocate: force-master-takeover moves the primary
// from host 1 to host 2 at once (no catch-up wait) and leaves host 1 fenced
// — read-only, replicating from nothing; relocating a writable primary is
// refused; relocate then puts the fenced old primary below host 2, where it
// continues from what it executed itself (MariaDB current_pos) and
// receives new writes. One recovery is recorded, and the oracle holds.
func TestLabForceTakeoverThenRelocate(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3})
	l.VIPAdd(1)
	o := startOpsLab(t, l)
	o.writeAndSee(1, 2, 3)
	oracle := l.Oracle()
	oracle.Watch()
	o.must(o.follower, opsKey(2), "-c", "force-master-takeover", "-a", opsKey(1), "-d", opsKey(2))
	lab.Eventually(t, 10*time.Second, 20*time.Millisecond, func() error {
		p, err := converged(l, 1) // host 1 is fenced, not replicating: left out
		if err == nil && p != 2 {
			return fmt.Errorf("converged on host %d, want 2", p)
		}
		return err
	})
	if h := o.host(1); h.Writable() || h.VIP || h.Source != "" {
		t.Fatalf("old primary after force-master-takeover: %s; want read-only, no VIP, no source", h)
	}
	o.writeAndSee(2, 3)
	o.refused(labAPI, []string{"198.18.0.2:3306 is writable", "set-read-only first"},
		"-c", "relocate", "-i", opsKey(2), "-d", opsKey(3))
	o.eventuallyInstance(labAPI, 1, fields(map[string]any{"ReadOnly": true}))
	o.must(labAPI, opsKey(1)+"<"+opsKey(2), "-c", "relocate", "-i", opsKey(1), "-d", opsKey(2))
	o.eventuallyHost(1, "replicating from host 2", func(h lab.HostStatus) bool {
		return h.Source == "198.18.0.2" && h.Replicating() && h.ReadOnly
	})
	o.writeAndSee(2, 1, 3)
	oracle.StopWatch()
	rep := oracle.CheckInvariants(lab.Expect{Primary: 2, Incidents: 1, Recoveries: func() (int, error) {
		counts, _ := eventKinds(t, "198.18.0.101:4222")
		return counts[events.KindRecoveryStarted], nil
	}})
	if !rep.OK() {
		t.Fatalf("oracle:\n%s", rep)
	}
}
