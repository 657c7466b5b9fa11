package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/lab"
)

// TestLabDeadIntermediatePrimary: in a chain 1 → 2 → 3, the intermediate
// primary (host 2) is killed; its replica is moved up the tree under host 1
// and replicates again, the primary stays the only writable host with the
// VIP, PostIntermediateMasterFailoverProcesses runs with the placeholders,
// and the log holds exactly one recovery, an intermediate one.
func TestLabDeadIntermediatePrimary(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3, Chained: true})
	l.VIPAdd(1)
	hookLog := filepath.Join(t.TempDir(), "hooks.log")
	extra := fmt.Sprintf(`"PostIntermediateMasterFailoverProcesses": ["echo 'post-intermediate {failureType} {failedHost}:{failedPort} -> {successorHost}:{successorPort}' >> %s"],`, hookLog)
	c := startLabCluster(t, l, 3, recoveryConf(t, l, hookLog, extra))
	discoverLab(t, c)
	if text := c.topology(t, 0, "198.18.0.1:3306"); !strings.Contains(text, "\n  + 198.18.0.3:3306") {
		t.Fatalf("not a chain before the fault:\n%s", text)
	}
	l.MustSQL(1, "CREATE TABLE IF NOT EXISTS regent_lab.chain (id INT PRIMARY KEY)")
	l.MustSQL(1, "INSERT INTO regent_lab.chain VALUES (1)")
	o := l.Oracle()
	o.Watch()
	l.Kill(2)
	killed := time.Now()
	lab.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
		h := l.Status()[2]
		if h.Source != "198.18.0.1" || !h.Replicating() {
			return fmt.Errorf("host 3: %s", h)
		}
		return nil
	})
	t.Logf("host 3 replicates from host 1 %s after host 2's SIGKILL", time.Since(killed).Round(time.Millisecond))
	l.MustSQL(1, "INSERT INTO regent_lab.chain VALUES (2)")
	lab.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		rows, err := l.SQL(3, "SELECT COUNT(*) FROM regent_lab.chain")
		if err != nil || len(rows) != 1 || rows[0][0] != "2" {
			return fmt.Errorf("rows on host 3: %v %v", rows, err)
		}
		return nil
	})
	o.StopWatch()
	recoveries := func() (int, error) {
		counts, _ := eventKinds(t, "198.18.0.101:4222")
		return counts[events.KindRecoveryStarted], nil
	}
	// Host 1 stays the one writable host, with the VIP; hosts 1 and 3 agree.
	if rep := o.CheckInvariants(lab.Expect{Primary: 1, Survivors: []int{1, 3}, Recoveries: recoveries, Incidents: 1}); !rep.OK() {
		t.Fatalf("oracle:\n%s", rep)
	}
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		counts, all := eventKinds(t, "198.18.0.101:4222")
		if counts[events.KindRecoveryStarted] != 1 || counts[events.KindRecoveryCompleted] != 1 || counts[events.KindRecoveryFailed] != 0 {
			return fmt.Errorf("recoveries in the log: %v", counts)
		}
		for _, e := range all {
			var s events.RecoveryStarted
			if e.Kind == events.KindRecoveryStarted && e.Decode(&s) == nil &&
				(s.Failed.String() != "198.18.0.2:3306" || s.Successor.String() != "198.18.0.1:3306" || !strings.Contains(string(s.Analysis), "IntermediateMaster")) {
				return fmt.Errorf("recovery %+v: want host 2's intermediate recovery onto host 1", s)
			}
		}
		return nil
	})
	lab.Eventually(t, 5*time.Second, 100*time.Millisecond, func() error {
		b, _ := os.ReadFile(hookLog)
		if !strings.Contains(string(b), "post-intermediate DeadIntermediateMaster") ||
			!strings.Contains(string(b), "198.18.0.2:3306 -> 198.18.0.1:3306") {
			return fmt.Errorf("hook log lacks the intermediate post hook:\n%s", b)
		}
		if strings.Contains(string(b), "post-master") {
			return fmt.Errorf("a master failover hook ran for an intermediate recovery:\n%s", b)
		}
		return nil
	})
}
