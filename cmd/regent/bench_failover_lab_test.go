package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/test/lab"
)

// The failover benchmarks (make bench-failover) run one fault per round on
// the lab, under a write load through the VIP, timed by lab.Timer — an
// external clock that only polls the MariaDB hosts every 20 ms. Each round
// records t_promoted, t_converged, the write-refused window, acknowledged
// writes lost, divergent unacknowledged rows on the old primary, and the
// recoveries Regent started; the results go to
// $RGTBENCH_OUT/failover-<scenario>.json and the benchmark's metrics.
// Run with -benchtime=20x for 20 rounds.

// BenchmarkLabFailoverSIGKILL: SIGKILL of the primary.
func BenchmarkLabFailoverSIGKILL(b *testing.B) {
	benchScenario(b, "sigkill", "", func(e *benchEnv) lab.FailoverRun {
		return e.faultRound(func(l *lab.Lab, i int) { l.Kill(i) }, func(l *lab.Lab, i int) { l.Start(i) })
	})
}

// userConf is the config a user brings from orchestrator: orchestrator
// keys only, InstancePollSeconds pollSeconds and orchestrator's
// MySQLConnectTimeoutSeconds (2). The lab's node config and recoveryConf
// set Regent's timing keys; they are given again here with their defaults
// (the later key wins), which is the same as leaving them out.
func userConf(pollSeconds int) string {
	return fmt.Sprintf(`"InstancePollSeconds": %d, "MySQLConnectTimeoutSeconds": 2,
  "InstancePollMilliseconds": 0, "ProbeTimeoutMilliseconds": 0,
  "ReplicationStallMilliseconds": 1500, "ReplicationHeartbeatMilliseconds": 500,`, pollSeconds)
}

// settleAfter is how long after a round's fault the next may come: after a
// recovery the leader starts no other on the successor's cluster for
// 2×(2×poll + probe timeout) (actuators.Engine.Settle: the poll-fed view
// must have replaced the observations from before the recovery), 24 s at
// InstancePollSeconds 5. Production has RecoveryPeriodBlockSeconds (1 h by
// default) in front of that anyway; the benchmark acknowledges each
// recovery and waits this long, so every round times a first failure.
func settleAfter(pollSeconds int) time.Duration {
	return 2*time.Duration(2*pollSeconds+2)*time.Second + time.Second
}

// BenchmarkLabFailoverSIGKILLUser5: SIGKILL of the primary with the
// orchestrator user's config, InstancePollSeconds 5 (the failure must be
// found by the watch and the emergent probes, not by the poll).
func BenchmarkLabFailoverSIGKILLUser5(b *testing.B) {
	benchScenario(b, "sigkill-user5", userConf(5), func(e *benchEnv) lab.FailoverRun {
		e.gap = settleAfter(5)
		return e.faultRound(func(l *lab.Lab, i int) { l.Kill(i) }, func(l *lab.Lab, i int) { l.Start(i) })
	})
}

// BenchmarkLabFailoverSIGKILLUser1: the same with InstancePollSeconds 1.
func BenchmarkLabFailoverSIGKILLUser1(b *testing.B) {
	benchScenario(b, "sigkill-user1", userConf(1), func(e *benchEnv) lab.FailoverRun {
		e.gap = settleAfter(1)
		return e.faultRound(func(l *lab.Lab, i int) { l.Kill(i) }, func(l *lab.Lab, i int) { l.Start(i) })
	})
}

// BenchmarkLabFailoverPaused: SIGSTOP of the primary; SIGCONT after the
// failover, when Regent must fence it.
func BenchmarkLabFailoverPaused(b *testing.B) {
	benchScenario(b, "paused", "", func(e *benchEnv) lab.FailoverRun {
		return e.faultRound(func(l *lab.Lab, i int) { l.Pause(i) }, func(l *lab.Lab, i int) { l.Resume(i); e.waitFenced(i) })
	})
}

// BenchmarkLabFailoverIsolation: the primary cut off from every other host
// (controllers and replicas); healed after the failover, fenced by Regent.
func BenchmarkLabFailoverIsolation(b *testing.B) {
	benchScenario(b, "isolation", "", func(e *benchEnv) lab.FailoverRun {
		return e.faultRound(func(l *lab.Lab, i int) { l.Partition(i) }, func(l *lab.Lab, i int) { l.Heal(i); e.waitFenced(i) })
	})
}

// BenchmarkLabFailoverControllersOnly: the Regent nodes lose the primary,
// its replicas do not; held 4 s (twice the isolation failover time). No
// failover may happen.
func BenchmarkLabFailoverControllersOnly(b *testing.B) {
	benchScenario(b, "controllers-only", "", (*benchEnv).controllersOnlyRound)
}

// BenchmarkLabFailoverGraceful: graceful-master-takeover-auto to the next
// replica through regent-client, timed from the command.
func BenchmarkLabFailoverGraceful(b *testing.B) {
	benchScenario(b, "graceful", "", (*benchEnv).gracefulRound)
}

// BenchmarkLabFailoverControllerKill: SIGKILL of the primary, then SIGKILL
// of the Regent node running the recovery while its pre-failover hook (1 s:
// the window to kill it in) runs; another node must resume it — re-running
// the hook — exactly once.
func BenchmarkLabFailoverControllerKill(b *testing.B) {
	benchScenario(b, "controller-kill", `"HookTimeoutSeconds": 20, "PreFailoverProcesses": ["sleep 1"],`, (*benchEnv).controllerKillRound)
}

// benchEnv is the lab and cluster of one benchmark.
type benchEnv struct {
	b       *testing.B
	l       *lab.Lab
	c       *labCluster
	client  string // regent-client binary, built on demand
	primary int
	// gap is the least time between two faults (zero: none); lastFault
	// is when the last one came.
	gap       time.Duration
	lastFault time.Time
}

// benchScenario runs round b.N times on one lab (b.Loop: the function is
// called once, so the lab is built once and there is no warm-up round).
func benchScenario(b *testing.B, name, extra string, round func(*benchEnv) lab.FailoverRun) {
	l := lab.Up(b, lab.Options{Hosts: 3, Controllers: 3})
	l.EnableSemiSync()
	l.VIPAdd(1)
	c := startLabCluster(b, l, 3, recoveryConf(b, l, b.TempDir()+"/hooks.log", extra))
	discoverLab(b, c)
	b.Cleanup(func() {
		if b.Failed() {
			logTimeline(b)
		}
	})
	e := &benchEnv{b: b, l: l, c: c, primary: 1}
	var runs []lab.FailoverRun
	for b.Loop() {
		r := round(e)
		r.Scenario, r.Run = name, len(runs)+1
		runs = append(runs, r)
		b.Logf("%s round %d: %s", name, r.Run, brief(r))
		// Every round is an assertion, not only a record.
		if p := r.Problems(wantRecoveries(name)); len(p) > 0 {
			b.Errorf("%s round %d failed: %s (%s)", name, r.Run, strings.Join(p, "; "), brief(r))
		}
	}
	var conv, refused []float64
	lost := 0
	for _, r := range runs {
		if r.ConvergedMs != nil {
			conv = append(conv, *r.ConvergedMs)
		}
		refused = append(refused, r.RefusedMs)
		lost += r.Lost
	}
	if s := lab.Summarize(conv); s.N > 0 {
		b.ReportMetric(s.Median, "median-ms")
		b.ReportMetric(s.P95, "p95-ms")
		b.ReportMetric(s.Max, "max-ms")
	}
	b.ReportMetric(lab.Summarize(refused).Median, "refused-median-ms")
	b.ReportMetric(float64(lost), "lost-writes")
	b.Logf("\n%s", lab.FailoverTable(runs))
	if dir := os.Getenv("RGTBENCH_OUT"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		if err := lab.WriteFailoverRuns(filepath.Join(dir, "failover-"+name+".json"), runs); err != nil {
			b.Fatal(err)
		}
	}
}

// wantRecoveries is how many recoveries one round of the scenario must
// start: one per fault, none when only the controllers lose the primary.
func wantRecoveries(scenario string) int {
	if scenario == "controllers-only" {
		return 0
	}
	return 1
}

func brief(r lab.FailoverRun) string {
	f := func(p *float64) string {
		if p == nil {
			return "never"
		}
		return fmt.Sprintf("%.0fms", *p)
	}
	return fmt.Sprintf("promoted %s converged %s refused %.0fms acked %d lost %d divergent %d recoveries %d primary %d",
		f(r.PromotedMs), f(r.ConvergedMs), r.RefusedMs, r.Acked, r.Lost, r.Divergent, r.Recoveries, r.Primary)
}

// writers are the round's two writers: through the VIP, and on each
// host's own address.
type writers struct{ vip, direct *lab.Writer }

// startRound starts the writers and the timer and waits until writes flow.
func (e *benchEnv) startRound() (writers, *lab.Timer) {
	w := writers{vip: e.l.StartWriter(10*time.Millisecond, 2*time.Minute), direct: e.l.StartDirectWriter(5*time.Millisecond, 2*time.Minute)}
	tm := e.l.StartTimer()
	for _, x := range []*lab.Writer{w.vip, w.direct} {
		if err := x.WaitAckedAfter(time.Now().Add(300*time.Millisecond), 5*time.Second); err != nil {
			e.b.Fatalf("before the fault: %v", err)
		}
	}
	return w, tm
}

// fault runs f on the primary and marks the timer when it returned; it
// returns how long f took and the mark.
func (e *benchEnv) fault(tm *lab.Timer, f func()) (float64, time.Time) {
	start := time.Now()
	f()
	took := time.Since(start)
	return *lab.Ms(took), tm.Mark()
}

// waitConverged waits until the timer saw the hosts converge (leaving out
// exclude) and returns the new primary.
func (e *benchEnv) waitConverged(tm *lab.Timer, exclude, want int, timeout time.Duration) int {
	var p int
	lab.Eventually(e.b, timeout, 20*time.Millisecond, func() error {
		var ok bool
		if _, p, ok = tm.Timeline().Converged(exclude, want); !ok {
			hosts := e.l.Status()
			_, err := lab.Converged(hosts, exclude)
			return fmt.Errorf("not converged: %v", err)
		}
		return nil
	})
	return p
}

// finish stops the writer (after it wrote through the new primary) and the
// timer, and fills the times and counts of r.
func (e *benchEnv) finish(r *lab.FailoverRun, w writers, tm *lab.Timer, old, exclude, primary int) []int64 {
	for _, x := range []*lab.Writer{w.vip, w.direct} {
		if err := x.WaitAckedAfter(time.Now().Add(300*time.Millisecond), 10*time.Second); err != nil {
			e.b.Fatalf("after the failover: %v", err)
		}
	}
	vip, direct := w.vip.Result(), w.direct.Result()
	tm.Stop()
	tl := tm.Timeline()
	if at, _, ok := tl.Promoted(old); ok {
		r.PromotedMs = lab.Ms(at)
	}
	if at, _, ok := tl.Converged(exclude, primary); ok {
		r.ConvergedMs = lab.Ms(at)
	}
	acked := append(vip.Acked, direct.Acked...)
	r.RefusedMs, r.RefusedVIP = *lab.Ms(direct.Refused), *lab.Ms(vip.Refused)
	r.Acked, r.MaxWritable, r.Primary = len(acked), tl.MaxWritable(), primary
	return acked
}

// counts of writes: acknowledged ids missing on the new primary, and rows
// on the old primary the new one lacks (returned for the rewind).
func (e *benchEnv) countWrites(r *lab.FailoverRun, acked []int64, old, primary int) []int64 {
	var have map[int64]bool
	lab.Eventually(e.b, 10*time.Second, 100*time.Millisecond, func() error {
		var err error
		have, err = e.l.IDs(primary)
		return err
	})
	for _, id := range acked {
		if !have[id] {
			r.Lost++
		}
	}
	oldIDs, err := e.l.IDs(old)
	if err != nil {
		e.b.Fatalf("read the old primary's rows: %v", err)
	}
	var divergent []int64
	for id := range oldIDs {
		if !have[id] {
			divergent = append(divergent, id)
		}
	}
	r.Divergent = len(divergent)
	if len(divergent) > 0 {
		slices.Sort(divergent)
		slices.Sort(acked)
		var lastAcked int64
		if len(acked) > 0 {
			lastAcked = acked[len(acked)-1]
		}
		e.b.Logf("divergent rows on old primary %d: %d, ids %d..%d; last acknowledged id %d; semi-sync on new primary: %v",
			old, len(divergent), divergent[0], divergent[len(divergent)-1], lastAcked,
			e.l.MustSQL(primary, "SHOW GLOBAL STATUS WHERE Variable_name IN ('Rpl_semi_sync_master_status','Rpl_semi_sync_master_clients','Rpl_semi_sync_master_no_tx','Rpl_semi_sync_master_yes_tx')"))
	}
	return divergent
}

// startedRecoveries returns the ids of the RecoveryStarted events in the
// log, read through node k (1-based).
func (e *benchEnv) startedRecoveries(k int) map[string]events.Envelope {
	out := map[string]events.Envelope{}
	for _, env := range e.logEvents(k) {
		if env.Kind == events.KindRecoveryStarted {
			out[env.ID] = env
		}
	}
	return out
}

func (e *benchEnv) logEvents(k int) []events.Envelope {
	_, all := eventKinds(e.b, fmt.Sprintf("198.18.0.%d:4222", 100+k))
	return all
}

// breakdown fills where the time went from the events after the fault
// (marked at mark, wall clock): the first actionable failure detection
// (DeadMaster…; an UnreachableMaster may come before it) and the
// successor's stop-io.
func breakdown(r *lab.FailoverRun, all []events.Envelope, mark time.Time) {
	for _, env := range all {
		if env.Time.Before(mark) {
			continue
		}
		switch env.Kind {
		case events.KindFailureDetected:
			var f events.FailureDetected
			if err := json.Unmarshal(env.Payload, &f); err == nil && f.Actionable && r.DetectedMs == nil {
				r.DetectedMs = lab.Ms(env.Time.Sub(mark))
			}
		case events.KindRecoveryStep:
			var s events.RecoveryStep
			if err := json.Unmarshal(env.Payload, &s); err == nil && s.Step == "stop-io" && r.StopIOMs == nil {
				r.StopIOMs = lab.Ms(s.Took)
			}
		}
	}
}

// trace appends the round's events around the fault, with their offsets,
// to the file RGTBENCH_TRACE names (where the time goes, step by step).
func (e *benchEnv) trace(all []events.Envelope, mark time.Time) {
	path := os.Getenv("RGTBENCH_TRACE")
	if path == "" {
		return
	}
	var b strings.Builder
	for _, env := range all {
		if d := env.Time.Sub(mark); d >= -time.Second && d < 20*time.Second && env.Kind != events.KindNote {
			fmt.Fprintf(&b, "%+8.0fms %-20s %s %.160s\n", float64(d.Microseconds())/1000, env.Kind, env.Origin, env.Payload)
		}
	}
	e.traceObservations(&b, mark)
	for _, n := range e.c.nodes { // the nodes' own word on leaders (NATS Raft groups, the lease)
		data, _ := os.ReadFile(n.LogPath)
		for _, line := range strings.Split(string(data), "\n") {
			var rec struct {
				Time    time.Time `json:"time"`
				Node    string    `json:"node"`
				Message string    `json:"message"`
				// what the watch and emergent probe lines say
				Instance string `json:"instance"`
				Kind     string `json:"kind"`
			}
			if (strings.Contains(line, "eader") || strings.Contains(line, `"component":"watch"`) || strings.Contains(line, "emergent") || strings.Contains(line, `"level":"warn"`) || strings.Contains(line, `"level":"error"`)) && json.Unmarshal([]byte(line), &rec) == nil {
				if d := rec.Time.Sub(mark); d >= -time.Second && d < 20*time.Second {
					fmt.Fprintf(&b, "%+8.0fms %-20s %s %.160s\n", float64(d.Microseconds())/1000, "log", rec.Node, strings.TrimSpace(rec.Message+" "+rec.Instance+" "+rec.Kind))
				}
			}
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		e.b.Fatalf("trace: %v", err)
	}
	defer f.Close()
	if _, err := fmt.Fprintf(f, "round at %s:\n%s\n", mark.Format(time.RFC3339Nano), b.String()); err != nil {
		e.b.Fatalf("trace: %v", err)
	}
}

// faultRound is one round of a fault on the primary: fault, converge,
// restore the old primary, count the writes, rewind and re-attach it.
func (e *benchEnv) faultRound(fault, restore func(l *lab.Lab, i int)) lab.FailoverRun {
	old := e.primary
	before := len(e.startedRecoveries(1))
	e.waitWatched()
	if wait := time.Until(e.lastFault.Add(e.gap)); e.gap > 0 && wait > 0 {
		time.Sleep(wait)
	}
	w, tm := e.startRound()
	var r lab.FailoverRun
	var mark time.Time
	r.FaultMs, mark = e.fault(tm, func() { fault(e.l, old) })
	e.lastFault = mark
	primary := e.waitConverged(tm, old, 0, 30*time.Second)
	acked := e.finish(&r, w, tm, old, old, primary)
	restore(e.l, old)
	e.reattach(&r, acked, old, primary)
	all := e.logEvents(1)
	breakdown(&r, all, mark)
	e.trace(all, mark)
	r.Recoveries = -before
	for _, env := range all {
		if env.Kind == events.KindRecoveryStarted {
			r.Recoveries++
		}
	}
	e.primary = primary
	return r
}

// traceObservations adds the observations of the round (not the progress
// events) to the trace: who saw which instance fail, and when the replicas
// showed their IO thread down.
func (e *benchEnv) traceObservations(b *strings.Builder, mark time.Time) {
	nc, err := nats.Connect("nats://198.18.0.101:4222", nats.Timeout(2*time.Second))
	if err != nil {
		fmt.Fprintf(b, "observations: %v\n", err)
		return
	}
	defer nc.Close()
	l, err := eventlog.New(nc, zerolog.Nop(), events.StreamOptions{})
	if err != nil {
		fmt.Fprintf(b, "observations: %v\n", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = l.Read(ctx, eventlog.ReadOptions{Stream: events.ObservationsName}, func(r eventlog.Record) error {
		env := r.Env
		d := env.Time.Sub(mark)
		if d < -time.Second || d >= 25*time.Second || env.Kind == events.KindInstanceProgress {
			return nil
		}
		what := string(env.Payload)
		if env.Kind == events.KindInstanceObserved {
			var o events.InstanceObserved
			if json.Unmarshal(env.Payload, &o) == nil {
				what = fmt.Sprintf("read_only=%v", o.ReadOnly)
				if o.Replication != nil {
					what += fmt.Sprintf(" source=%s io=%d", o.Replication.SourceKey, o.Replication.IOThread)
				}
			}
		}
		fmt.Fprintf(b, "%+8.0fms %-20s %s %s %.120s\n", float64(d.Microseconds())/1000, env.Kind, env.Origin, env.Instance, what)
		return nil
	}) // a partial trace is still a trace
}

// waitWatched waits until every node has its watch on the primary open
// (regent_watch_connections_open on /metrics): a round right after start
// or after a failover would otherwise time the poll, not the watch.
func (e *benchEnv) waitWatched() {
	lab.Eventually(e.b, 30*time.Second, 50*time.Millisecond, func() error {
		for i, base := range e.c.http {
			code, body, err := httpGetTimeout(base+"/metrics", 5*time.Second)
			if err != nil || code != 200 {
				return fmt.Errorf("node %d /metrics: %d %v", i+1, code, err)
			}
			if !strings.Contains(string(body), "\nregent_watch_connections_open 1\n") {
				return fmt.Errorf("node %d: no watch open yet", i+1)
			}
		}
		return nil
	})
}

// waitFenced waits until Regent fenced the returning old primary.
func (e *benchEnv) waitFenced(i int) {
	lab.Eventually(e.b, 10*time.Second, 20*time.Millisecond, func() error { return e.l.Fenced(i) })
}

// reattach counts the writes, removes the old primary's divergent rows
// and binary logs (a lab rewind: production would re-clone it), points it
// at the new primary, acknowledges the recovery, and waits until Regent
// sees both replicas again.
func (e *benchEnv) reattach(r *lab.FailoverRun, acked []int64, old, primary int) {
	l := e.l
	lab.Eventually(e.b, 30*time.Second, 100*time.Millisecond, func() error {
		_, err := l.SQL(old, "SELECT 1")
		return err
	})
	l.MustSQL(old, "SET GLOBAL read_only=1; "+lab.SemiSyncOn)
	divergent := e.countWrites(r, acked, old, primary)
	var del string
	if len(divergent) > 0 {
		ids := make([]string, len(divergent))
		for k, id := range divergent {
			ids[k] = fmt.Sprint(id)
		}
		del = "SET SESSION sql_log_bin=0; DELETE FROM regent_lab.acked WHERE id IN (" + strings.Join(ids, ",") + "); SET SESSION sql_log_bin=1; "
	}
	pos := e.commonPos(old, primary)
	l.MustSQL(old, del+fmt.Sprintf("STOP SLAVE; RESET MASTER; SET GLOBAL gtid_slave_pos='%s'; "+
		"CHANGE MASTER TO MASTER_HOST='198.18.0.%d', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='repl', "+
		"MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=0.2; START SLAVE", pos, primary))
	e.settle(primary)
}

// commonPos is the last transaction of the old primary that the new one
// has: its entry for the old primary's server_id (= host index) in domain 0
// of the new primary's @@gtid_binlog_state. The old primary's own later
// transactions are the divergent ones.
func (e *benchEnv) commonPos(old, primary int) string {
	state := e.l.MustSQL(primary, "SELECT @@gtid_binlog_state")[0][0]
	prefix := fmt.Sprintf("0-%d-", old)
	for _, g := range strings.Split(state, ",") {
		if g = strings.TrimSpace(g); strings.HasPrefix(g, prefix) {
			return g
		}
	}
	e.b.Fatalf("new primary %d has no transaction of old primary %d in its binlog state %q", primary, old, state)
	return ""
}

// settle waits until both replicas replicate from primary, acknowledges the
// recoveries (so the next round is not blocked as flapping) and waits until
// Regent shows both replicas under primary.
func (e *benchEnv) settle(primary int) {
	lab.Eventually(e.b, 20*time.Second, 50*time.Millisecond, func() error {
		for _, h := range e.l.Status() {
			if h.Index != primary && (!h.Replicating() || h.Source != fmt.Sprintf("198.18.0.%d", primary)) {
				return fmt.Errorf("host %d not replicating from %d yet: %s", h.Index, primary, h)
			}
		}
		return nil
	})
	// The ack waits until the node folded the log to its end; right after
	// a Regent node restarted, JetStream may still be electing leaders
	// (seconds), so it gets time and a second chance.
	lab.Eventually(e.b, 40*time.Second, 500*time.Millisecond, func() error {
		code, body, err := httpGetTimeout(e.c.http[0]+"/api/ack-all-recoveries?comment="+url.QueryEscape("benchmark round"), 15*time.Second)
		if err != nil || code != 200 {
			return fmt.Errorf("ack: %d %s %v", code, body, err)
		}
		return nil
	})
	lab.Eventually(e.b, 15*time.Second, 100*time.Millisecond, func() error {
		text := e.c.topology(e.b, 0, fmt.Sprintf("198.18.0.%d:3306", primary))
		if n := countReplicating(text); n != 2 {
			return fmt.Errorf("topology:\n%s", text)
		}
		return nil
	})
}

// controllersOnlyRound cuts the Regent nodes (only) from the primary for 4 s.
func (e *benchEnv) controllersOnlyRound() lab.FailoverRun {
	old := e.primary
	before := len(e.startedRecoveries(1))
	w, tm := e.startRound()
	var r lab.FailoverRun
	ctl := []string{"c1", "c2", "c3"}
	r.FaultMs, _ = e.fault(tm, func() {
		for _, cn := range ctl {
			e.l.Cut(cn, fmt.Sprint(old))
		}
	})
	time.Sleep(4 * time.Second) // hold the outage: no failover may happen
	acked := e.finish(&r, w, tm, old, old, old)
	e.countWrites(&r, acked, old, old)
	r.ConvergedMs = nil // the hosts never left the converged state: nothing to time
	for _, cn := range ctl {
		e.l.Uncut(cn, fmt.Sprint(old))
	}
	r.Recoveries = len(e.startedRecoveries(1)) - before
	if h := e.l.Status()[old-1]; !h.Writable() || !h.VIP {
		e.b.Fatalf("controllers-only outage changed the primary: %s", h)
	}
	e.settle(old)
	return r
}

// gracefulRound moves the primary to the next host with
// graceful-master-takeover-auto and times it from the command.
func (e *benchEnv) gracefulRound() lab.FailoverRun {
	if e.client == "" {
		e.client = buildClient(e.b)
	}
	old := e.primary
	to := old%3 + 1
	before := len(e.startedRecoveries(1))
	w, tm := e.startRound()
	var r lab.FailoverRun
	tm.Mark()
	out := mustClient(e.b, e.client, "-c", "graceful-master-takeover-auto", "-a", fmt.Sprintf("198.18.0.%d:3306", old), "-d", fmt.Sprintf("198.18.0.%d:3306", to))
	if out != fmt.Sprintf("198.18.0.%d:3306", to) {
		e.b.Fatalf("graceful-master-takeover-auto printed %q, want 198.18.0.%d:3306", out, to)
	}
	e.waitConverged(tm, 0, to, 10*time.Second)
	acked := e.finish(&r, w, tm, old, 0, to)
	e.countWrites(&r, acked, old, to)
	r.Recoveries = len(e.startedRecoveries(1)) - before
	e.settle(to)
	e.primary = to
	return r
}

// controllerKillRound kills the primary, then the Regent node that started
// the recovery, and restarts that node after convergence.
func (e *benchEnv) controllerKillRound() lab.FailoverRun {
	old := e.primary
	before := e.startedRecoveries(1)
	w, tm := e.startRound()
	var r lab.FailoverRun
	var mark time.Time
	r.FaultMs, mark = e.fault(tm, func() { e.l.Kill(old) })
	k, runner := recoveryRunner(e.b, before)
	e.c.nodes[k-1].Kill()
	primary := e.waitConverged(tm, old, 0, 40*time.Second)
	acked := e.finish(&r, w, tm, old, old, primary)
	e.restartNode(k)
	e.l.Start(old)
	e.reattach(&r, acked, old, primary)
	counts, all := eventKinds(e.b, fmt.Sprintf("198.18.0.%d:4222", 100+k%3+1))
	r.Recoveries = counts[events.KindRecoveryStarted] - len(before)
	if counts[events.KindRecoveryFailed] != 0 {
		e.b.Fatalf("a recovery failed: %v", counts)
	}
	resumed := false
	for _, env := range all {
		resumed = resumed || (env.Kind == events.KindRecoveryLeaseTaken && env.Origin != runner && !env.Time.Before(mark))
	}
	if !resumed {
		e.b.Fatalf("node %d was killed after its recovery ended: nothing was resumed", k)
	}
	breakdown(&r, all, mark)
	e.trace(all, mark)
	e.primary = primary
	return r
}

// restartNode starts Regent node k (1-based) again with its config and
// data directory, and waits until it is healthy.
func (e *benchEnv) restartNode(k int) {
	ns, ip := e.l.Controller(k)
	e.c.nodes[k-1] = lab.RunInNetns(e.b, ns, os.Args[0], []string{"serve", "--config", e.c.confs[k-1]}, []string{"RGTTEST_EXEC=1"})
	waitHTTP(e.b, nil, "http://"+ip+":3000/api/raft-health", 200, 60*time.Second)
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
