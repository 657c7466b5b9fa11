package main

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/regent-ha/regent/test/lab"
)

// BenchmarkLabFailoverSIGKILL measures SIGKILL of the primary → converged
// topology (one writable host, the other replicating from it, the VIP on
// it), timed from outside Regent by polling the MariaDB hosts every 20 ms.
// Each round kills the current primary, waits for convergence, restarts the
// killed host as a replica of the new primary and acknowledges the recovery
// (so the next round is not blocked as flapping). Run with -benchtime=20x
// for 20 failovers; it reports the median, p95 and max.
func BenchmarkLabFailoverSIGKILL(b *testing.B) {
	benchFailover(b, func(l *lab.Lab, i int) { l.Kill(i) }, func(l *lab.Lab, i int) { l.Start(i) })
}

// BenchmarkLabFailoverIsolation is the same with the primary cut off from
// every other host (controllers and replicas); each round heals it after the
// failover, waits until Regent fenced it, and re-attaches it.
func BenchmarkLabFailoverIsolation(b *testing.B) {
	benchFailover(b, func(l *lab.Lab, i int) { l.Partition(i) }, func(l *lab.Lab, i int) {
		l.Heal(i)
		lab.Eventually(b, 10*time.Second, 20*time.Millisecond, func() error {
			if h := l.Status()[i-1]; !h.Up || !h.ReadOnly || h.VIP {
				return fmt.Errorf("healed old primary %d not fenced yet: %+v", i, h)
			}
			return nil
		})
	})
}

// benchEnv is the lab and cluster of one benchmark. The testing package
// calls a benchmark function more than once on the same *testing.B (first
// with b.N = 1); the lab is built once per *testing.B and torn down by its
// Cleanup after the last call.
type benchEnv struct {
	b       *testing.B
	l       *lab.Lab
	c       *labCluster
	primary int
}

var benchEnvs = map[*testing.B]*benchEnv{}

func benchFailover(b *testing.B, fault, restore func(l *lab.Lab, i int)) {
	env := benchEnvs[b]
	if env == nil {
		l := lab.Up(b, lab.Options{Hosts: 3, Controllers: 3})
		l.EnableSemiSync()
		l.VIPAdd(1)
		c := startLabCluster(b, l, 3, recoveryConf(b, l, b.TempDir()+"/hooks.log", ""))
		discoverLab(b, c)
		b.Cleanup(func() {
			if b.Failed() {
				logTimeline(b)
			}
		})
		env = &benchEnv{b: b, l: l, c: c, primary: 1}
		benchEnvs[b] = env
		b.Cleanup(func() { delete(benchEnvs, b) })
	}
	l, c, primary := env.l, env.c, env.primary
	defer func() { env.primary = primary }()
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fault(l, primary)
		start := time.Now()
		var next int
		lab.Eventually(b, 30*time.Second, 20*time.Millisecond, func() error {
			var err error
			next, err = converged(l, primary)
			return err
		})
		took = append(took, time.Since(start))
		b.StopTimer()
		// Bring the old primary back under the new one, and acknowledge.
		restore(l, primary)
		l.MustSQL(primary, "SET GLOBAL read_only=1")
		l.MustSQL(primary, fmt.Sprintf("STOP SLAVE; CHANGE MASTER TO MASTER_HOST='198.18.0.%d', MASTER_PORT=3306, MASTER_USER='repl', "+
			"MASTER_PASSWORD='repl', MASTER_USE_GTID=current_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=0.5; START SLAVE", next))
		lab.Eventually(b, 20*time.Second, 50*time.Millisecond, func() error {
			for _, h := range l.Status() {
				if h.Index != next && (h.IORunning != "Yes" || h.SQLRunning != "Yes") {
					return fmt.Errorf("host %d not replicating yet", h.Index)
				}
			}
			return nil
		})
		if code, v := c.api(b, 0, "/api/ack-all-recoveries?comment="+url.QueryEscape("benchmark round")); code != 200 {
			b.Fatalf("ack: %d %v", code, v)
		}
		lab.Eventually(b, 10*time.Second, 100*time.Millisecond, func() error {
			text := c.topology(b, 0, fmt.Sprintf("198.18.0.%d:3306", next))
			if n := countReplicating(text); n != 2 {
				return fmt.Errorf("topology after round %d:\n%s", i+1, text)
			}
			return nil
		})
		primary = next
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(took)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(took[len(took)/2]), "median-ms")
	b.ReportMetric(ms(took[(len(took)*95+99)/100-1]), "p95-ms")
	b.ReportMetric(ms(took[len(took)-1]), "max-ms")
	b.Logf("fault → converged over %d failovers: %v", len(took), took)
}

func countReplicating(text string) int {
	n := 0
	for i := 0; i+1 < len(text); i++ {
		if (i == 0 || text[i-1] == '\n' || text[i-1] == ' ') && text[i] == '+' && text[i+1] == ' ' {
			n++
		}
	}
	return n
}
