package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/test/lab"
)

// recoveryConf is the recovery part of the lab config: automated recovery
// on every cluster, the VIP moved through `scripts/lab on {host}` (standing
// in for ssh), and hooks that log their placeholders to hookLog.
func recoveryConf(t testing.TB, l *lab.Lab, hookLog string, extra string) string {
	t.Helper()
	script := filepath.Join(l.Root(), "scripts", "lab")
	return fmt.Sprintf(`"RecoverMasterClusterFilters": ["*"],
  "RecoverIntermediateMasterClusterFilters": ["*"],
  "RecoveryPeriodBlockSeconds": 600,
  "FailureDetectionPeriodBlockMinutes": 1,
  "VIPAddress": %q,
  "VIPInterface": "eth0",
  "RemoteExecPrefix": "%s on {host}",
  "ReplicationUser": "repl",
  "ReplicationPassword": "repl",
  "ReplicationStallMilliseconds": 600,
  "ReplicationHeartbeatMilliseconds": 200,
  "HookTimeoutSeconds": 1,
  "OnFailureDetectionProcesses": ["echo 'detected {failureType} on {failureCluster} replicas={countSlaves}' >> %s"],
  "PreFailoverProcesses": ["echo 'pre {failureType} {failedHost}:{failedPort}' >> %s"],
  "PostMasterFailoverProcesses": ["echo 'post-master {failedHost}:{failedPort} -> {successorHost}:{successorPort}' >> %s"],
  "PostFailoverProcesses": ["echo \"post {failureType} ok={isSuccessful} successor=$ORC_SUCCESSOR_HOST\" >> %s", "sleep 30"],
  "PostUnsuccessfulFailoverProcesses": ["echo 'unsuccessful {failureType} {failedHost}' >> %s"],
  %s`, lab.VIP, script, hookLog, hookLog, hookLog, hookLog, hookLog, extra)
}

// eventKinds reads every event of the log through node 1's NATS port and
// counts them by kind.
func eventKinds(t testing.TB, natsAddr string) (map[events.Kind]int, []events.Envelope) {
	t.Helper()
	var nc *nats.Conn
	var err error
	for try := 0; try < 5; try++ { // a loaded 2-core machine can miss one connect timeout
		if nc, err = nats.Connect("nats://"+natsAddr, nats.Timeout(2*time.Second), lab.NATSAuth(t, lab.NATSClusterSecret, natsnode.RoleReader)); err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("connect %s: %v", natsAddr, err)
	}
	defer nc.Close()
	l, err := eventlog.New(nc, zerolog.Nop(), events.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	counts := map[events.Kind]int{}
	var all []events.Envelope
	if err := l.Read(ctx, eventlog.ReadOptions{Stream: events.EventsName}, func(r eventlog.Record) error {
		counts[r.Env.Kind]++
		all = append(all, r.Env)
		return nil
	}); err != nil {
		t.Fatalf("read events: %v", err)
	}
	return counts, all
}

// converged reports the single writable host when every other live host
// replicates from it and the VIP is on it (lab.Converged on a fresh sample).
func converged(l *lab.Lab, dead int) (int, error) { return lab.Converged(l.Status(), dead) }

// discoverLab discovers the lab's topology through node 1 and waits until
// node 2 shows both replicas.
func discoverLab(t testing.TB, c *labCluster) {
	t.Helper()
	if code, v := c.api(t, 0, "/api/discover/198.18.0.1/3306"); code != 200 {
		t.Fatalf("discover: %d %v", code, v)
	}
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		if text := c.topology(t, 1, "198.18.0.1:3306"); strings.Count(text, "+ ") != 2 {
			return fmt.Errorf("topology not complete:\n%s", text)
		}
		return nil
	})
}

// recoveriesOf decodes the recovery events of the log by kind.
func stepsOf(all []events.Envelope) []events.RecoveryStep {
	var out []events.RecoveryStep
	for _, e := range all {
		if e.Kind == events.KindRecoveryStep {
			var s events.RecoveryStep
			if err := e.Decode(&s); err == nil {
				out = append(out, s)
			}
		}
	}
	return out
}

// TestLabFailoverSIGKILL: the primary is killed under a write load; one
// replica is promoted, the other re-pointed, the VIP moved, the hooks run
// with the right placeholders, no acknowledged write is lost, and the log
// holds exactly one recovery.
func TestLabFailoverSIGKILL(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3})
	l.EnableSemiSync()
	l.VIPAdd(1)
	hookLog := filepath.Join(t.TempDir(), "hooks.log")
	c := startLabCluster(t, l, 3, recoveryConf(t, l, hookLog, ""))
	discoverLab(t, c)
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		return labMasterInBucket(t, "198.18.0.102:4222", "198.18.0.1:3306", "198.18.0.1:3306")
	})
	o := l.Oracle()
	o.Watch()
	load := l.StartWriteLoad(1, 3*time.Second)
	if err := load.WaitAcked(20, 10*time.Second); err != nil { // writes flow before the fault
		t.Fatal(err)
	}
	l.Kill(1)
	killed := time.Now()
	var primary int
	lab.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
		var err error
		primary, err = converged(l, 1)
		return err
	})
	t.Logf("converged on host %d %s after SIGKILL", primary, time.Since(killed).Round(time.Millisecond))
	successor := fmt.Sprintf("198.18.0.%d:3306", primary)
	// The key proxies watch (the failed cluster's alias, as orchestrator
	// keeps it) names the successor.
	lab.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		return labMasterInBucket(t, "198.18.0.102:4222", "198.18.0.1:3306", successor)
	})
	t.Logf("the masters bucket names %s %s after SIGKILL", successor, time.Since(killed).Round(time.Millisecond))
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		return labSubmitMasters(t, c.http[1], "198.18.0.1:3306", successor)
	})
	acked, err := load.Wait()
	if err != nil {
		t.Fatal(err)
	}
	o.StopWatch()
	recoveries := func() (int, error) {
		counts, _ := eventKinds(t, "198.18.0.101:4222")
		return counts[events.KindRecoveryStarted], nil
	}
	rep := o.CheckInvariants(lab.Expect{Primary: primary, Acked: acked, Survivors: []int{2, 3}, CatchUp: 10 * time.Second,
		Recoveries: recoveries, Incidents: 1})
	if !rep.OK() {
		t.Fatalf("oracle:\n%s", rep)
	}
	var all []events.Envelope
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		var counts map[events.Kind]int
		counts, all = eventKinds(t, "198.18.0.101:4222")
		if counts[events.KindRecoveryStarted] != 1 || counts[events.KindRecoveryCompleted] != 1 || counts[events.KindRecoveryFailed] != 0 {
			return fmt.Errorf("recoveries in the log: %v", counts)
		}
		return nil
	})
	lab.Eventually(t, 5*time.Second, 100*time.Millisecond, func() error {
		b, _ := os.ReadFile(hookLog)
		for _, want := range []string{"detected DeadMaster on 198.18.0.1:3306 replicas=2", "pre DeadMaster 198.18.0.1:3306",
			fmt.Sprintf("post-master 198.18.0.1:3306 -> 198.18.0.%d:3306", primary), fmt.Sprintf("post DeadMaster ok=true successor=198.18.0.%d", primary)} {
			if !strings.Contains(string(b), want) {
				return fmt.Errorf("hook log lacks %q:\n%s", want, b)
			}
		}
		return nil
	})
	var steps []string
	for _, s := range stepsOf(all) {
		steps = append(steps, fmt.Sprintf("%s=%s(%s)", s.Step, s.Outcome, s.Took.Round(time.Millisecond)))
	}
	t.Logf("steps: %s", strings.Join(steps, ", "))
	// The hanging hook was killed at its timeout and recorded (post hooks
	// run after recovery-completed is appended: wait for its record).
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		_, all := eventKinds(t, "198.18.0.101:4222")
		for _, e := range all {
			var h events.HookRan
			if e.Kind == events.KindHookRan && e.Decode(&h) == nil && h.Command == "sleep 30" {
				if !h.TimedOut || h.Took >= 5*time.Second {
					t.Fatalf("hanging hook recorded as %+v, want timed out within its 1 s bound", h)
				}
				return nil
			}
		}
		return fmt.Errorf("the hanging hook is not recorded yet")
	})
	// Flapping: the new primary dies too, within RecoveryPeriodBlockSeconds:
	// the failure is detected and blocked, not recovered.
	l.Kill(primary)
	lab.Eventually(t, 15*time.Second, 100*time.Millisecond, func() error {
		counts, all := eventKinds(t, "198.18.0.101:4222")
		if counts[events.KindRecoveryStarted] != 1 {
			return fmt.Errorf("a second recovery started: %v", counts)
		}
		for _, e := range all {
			var b events.RecoveryBlocked
			if e.Kind == events.KindRecoveryBlocked && e.Decode(&b) == nil && strings.Contains(b.Reason, "RecoveryPeriodBlockSeconds") {
				t.Logf("blocked: %s", b.Reason)
				return nil
			}
		}
		return fmt.Errorf("no recovery-blocked event yet: %v", counts)
	})
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}
