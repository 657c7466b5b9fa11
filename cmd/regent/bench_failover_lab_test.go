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
	l := lab.Up(b, lab.Options{Hosts: 3, Controllers: 3})
	l.EnableSemiSync()
	l.VIPAdd(1)
	c := startLabCluster(b, l, 3, recoveryConf(b, l, b.TempDir()+"/hooks.log", ""))
	discoverLab(b, c)
	primary := 1
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l.Kill(primary)
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
		l.Start(primary)
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
	b.Logf("SIGKILL → converged over %d failovers: %v", len(took), took)
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
