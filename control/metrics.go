package control

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/regent-ha/regent/probes"
)

// detectCollector exports the emergent probes' and the watches' counters
// on /metrics, read at each scrape.
type detectCollector struct {
	rp *ReadPath

	rounds, merged, deduplicated, dropped, probes, active *prometheus.Desc
	targets, open, watchEvents, reconnects, dialErrors    *prometheus.Desc
	refreshes                                             *prometheus.Desc
}

// Collector exports the emergent probes' and the watches' counters (for
// /metrics), read at each scrape.
func (rp *ReadPath) Collector() prometheus.Collector { return newDetectCollector(rp) }

func newDetectCollector(rp *ReadPath) *detectCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("regent_"+name, help, labels, nil)
	}
	return &detectCollector{
		rp:           rp,
		rounds:       d("emergent_rounds_total", "Emergent probe rounds started, by the reason of their first suspect.", "reason"),
		merged:       d("emergent_suspects_merged_total", "Suspects that joined the round already running in their cluster."),
		deduplicated: d("emergent_suspects_deduplicated_total", "Suspects that were already suspects of their cluster's round."),
		dropped:      d("emergent_suspects_dropped_total", "Suspects that started no round: the cluster's budget (budget) or the node's cap on rounds (cap).", "why"),
		probes:       d("emergent_probes_total", "Probes taken from the emergent (fast) lane."),
		active:       d("emergent_rounds_active", "Emergent rounds in flight."),
		targets:      d("watch_targets", "Primaries and intermediate primaries this node watches."),
		open:         d("watch_connections_open", "Watch connections open now (one per target while it answers)."),
		watchEvents:  d("watch_events_total", "Watch events (each starts emergent probes), by kind: eof, reset, read-error, ping-timeout, ping-error.", "kind"),
		reconnects:   d("watch_reconnects_total", "Watch connections opened again after the first one to the same target."),
		dialErrors:   d("watch_dial_errors_total", "Failed watch connection attempts."),
		refreshes: d("refresh_requests_total", "Instances a folded outcome named for a re-probe, by what became of each: probed (its next probe moved to now), "+
			"coalesced (a probe already due covered it), dropped (beyond the cap per second), unknown (not scheduled here).", "result"),
	}
}

func (c *detectCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.rounds, c.merged, c.deduplicated, c.dropped, c.probes, c.active,
		c.targets, c.open, c.watchEvents, c.reconnects, c.dialErrors, c.refreshes} {
		ch <- d
	}
}

func (c *detectCollector) Collect(ch chan<- prometheus.Metric) {
	em := c.rp.sched.EmergentStats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v int) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	for _, r := range []string{probes.SuspectProbeFailed, probes.SuspectSourceLost, probes.SuspectWatch} {
		counter(c.rounds, em.Rounds[r], r)
	}
	counter(c.merged, em.Merged)
	counter(c.deduplicated, em.Deduplicated)
	counter(c.dropped, em.DroppedBudget, "budget")
	counter(c.dropped, em.DroppedCap, "cap")
	counter(c.probes, em.Probes)
	gauge(c.active, em.Active)
	w := c.rp.watcher.Stats()
	gauge(c.targets, w.Targets)
	gauge(c.open, w.Open)
	for _, k := range []string{probes.WatchEOF, probes.WatchReset, probes.WatchReadError, probes.WatchPingTimeout, probes.WatchPingError} {
		counter(c.watchEvents, w.Events[k], k)
	}
	counter(c.reconnects, w.Reconnects)
	counter(c.dialErrors, w.DialErrors)
	rf := c.rp.sched.RefreshStats()
	counter(c.refreshes, rf.Probed, "probed")
	counter(c.refreshes, rf.Coalesced, "coalesced")
	counter(c.refreshes, rf.Dropped, "dropped")
	counter(c.refreshes, rf.Unknown, "unknown")
}
