package probes

import (
	"reflect"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/lab"
)

// TestLabWatchSeesKillPauseAndCut: a watch on the lab's MariaDB primary
// reports a SIGKILL at once (eof or reset), and a SIGSTOP and a network cut
// (the host's link down) within PingInterval + PingTimeout; it reconnects
// after each. While it is open it sits idle in the processlist (Sleep, no
// query) and is never listed as a replica, by SHOW SLAVE HOSTS or by the
// processlist.
func TestLabWatchSeesKillPauseAndCut(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3})
	primary := labKey(l, 1)
	p := newLabProber(t, labOptions())
	var sus suspects
	const ping, timeout = 200 * time.Millisecond, 300 * time.Millisecond
	w := NewWatcher(p, sus.suspect, WatchOptions{PingInterval: ping, PingTimeout: timeout, BackoffMin: 50 * time.Millisecond, BackoffMax: 500 * time.Millisecond},
		zerolog.New(zerolog.NewTestWriter(t)))
	runWatcher(t, w)
	w.Set([]events.InstanceKey{primary})
	waitUntil(t, "the watch to open", func() bool { return w.Stats().Open == 1 })

	checkNotAReplica(t, l, primary)

	faults := []struct {
		name          string
		fault, repair func()
		kinds         []string
		within        time.Duration
	}{
		// The times include the lab script that delivers the fault (forks
		// on a loaded machine); the kind proves the mechanism: eof/reset is
		// the reader seeing the socket end, not a ping.
		{"SIGKILL", func() { l.Kill(1) }, func() { l.Start(1) }, []string{WatchEOF, WatchReset}, time.Second},
		{"SIGSTOP", func() { l.Pause(1) }, func() { l.Resume(1) }, []string{WatchPingTimeout}, ping + timeout + time.Second},
		{"network cut", func() { l.Partition(1) }, func() { l.Heal(1) }, []string{WatchPingTimeout}, ping + timeout + time.Second},
	}
	for i, f := range faults {
		before := w.Stats()
		start := time.Now()
		f.fault()
		deadline := time.Now().Add(5 * time.Second)
		for sus.count() <= i && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		took := time.Since(start)
		f.repair()
		if sus.count() != i+1 {
			t.Fatalf("%s: %d watch events, want %d", f.name, sus.count(), i+1)
		}
		after := w.Stats()
		var kind string
		for k, n := range after.Events {
			if n > before.Events[k] {
				kind = k
			}
		}
		if !contains(f.kinds, kind) || took > f.within {
			t.Fatalf("%s: event %q after %v, want one of %v within %v", f.name, kind, took, f.kinds, f.within)
		}
		t.Logf("%s: watch event %s after %v", f.name, kind, took)
		lab.Eventually(t, 60*time.Second, 50*time.Millisecond, func() error {
			if st := w.Stats(); st.Open != 1 || st.Reconnects != before.Reconnects+1 {
				return errWait("the watch to reconnect", st)
			}
			return nil
		})
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

type waitErr struct {
	what string
	st   WatchStats
}

func (e waitErr) Error() string { return "waiting for " + e.what }

func errWait(what string, st WatchStats) error { return waitErr{what, st} }

// checkNotAReplica: the primary's replicas, read both ways, are the two lab
// replicas only, and the watch's session is idle.
func checkNotAReplica(t *testing.T, l *lab.Lab, primary events.InstanceKey) {
	t.Helper()
	want := []events.InstanceKey{labKey(l, 2), labKey(l, 3)}
	for _, bySlaveHosts := range []bool{true, false} {
		o := labOptions()
		o.DiscoverByShowSlaveHosts = bySlaveHosts
		obs := mustProbe(t, newLabProber(t, o), primary)
		if !reflect.DeepEqual(obs.Replicas, want) {
			t.Fatalf("replicas (SHOW SLAVE HOSTS %v) with a watch open = %v, want %v", bySlaveHosts, obs.Replicas, want)
		}
	}
	rows := l.MustSQL(1, "SELECT COMMAND, IFNULL(INFO, '') FROM information_schema.PROCESSLIST WHERE USER = 'regent' AND ID <> CONNECTION_ID()")
	if len(rows) == 0 {
		t.Fatal("the watch's session is not in the processlist")
	}
	for _, r := range rows {
		if r[0] != "Sleep" || r[1] != "" {
			t.Fatalf("regent session %v: want Sleep with no query (the watch is idle between pings)", r)
		}
	}
}
