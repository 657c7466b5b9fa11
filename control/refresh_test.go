package control

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/probes"
	"github.com/regent-ha/regent/projections"
)

// probeCounter is a probe that counts its calls by instance.
type probeCounter struct {
	mu    sync.Mutex
	calls map[events.InstanceKey]int
}

func (p *probeCounter) probe(_ context.Context, k events.InstanceKey) (events.InstanceObserved, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[k]++
	return events.InstanceObserved{Key: k}, nil
}

func (p *probeCounter) count(k events.InstanceKey) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[k]
}

func dbKey(i int) events.InstanceKey {
	return events.InstanceKey{Hostname: fmt.Sprintf("db%d", i), Port: 3306}
}

func appendEvent(t *testing.T, l *eventlog.Log, kind events.Kind, p any) {
	t.Helper()
	env, err := events.New(kind, time.Now(), "n1", p)
	if err != nil {
		t.Fatal(err)
	}
	env.Cluster = "db1:3306"
	if _, err := l.Append(t.Context(), env, eventlog.NoExpect); err != nil {
		t.Fatal(err)
	}
}

// refreshFixture is a fold on a real log and a read path whose scheduler
// probes through a counter, polling once an hour (no regular probe
// happens during a test: the seed makes the first ones due much later).
func refreshFixture(t *testing.T, n int) (*eventlog.Log, *Fold, *ReadPath, *probeCounter) {
	t.Helper()
	l := testLog(t)
	a, err := NewFold(l, projections.DefaultSettings(), []string{"n1"}, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() { _ = a.Run(ctx) })
	rp, err := NewReadPath(ReadPathOptions{Probe: probes.Options{NodeID: "n1", ConnectTimeout: time.Second, ProbeTimeout: time.Second}}, l, a, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rp.Close() })
	pc := &probeCounter{calls: map[events.InstanceKey]int{}}
	rp.sched = probes.NewScheduler(pc.probe, probes.Options{NodeID: "n1", PollInterval: time.Hour, Jitter: 0.01}, nil, zerolog.Nop(), probes.WithSeed(7))
	for i := 1; i <= n; i++ {
		appendEvent(t, l, events.KindInstanceDiscovered, events.InstanceDiscovered{Key: dbKey(i), Via: probes.ViaAPI})
	}
	if err := a.Barrier(t.Context(), l); err != nil {
		t.Fatal(err)
	}
	rp.reconcile()
	if got := len(rp.sched.Keys()); got != n {
		t.Fatalf("scheduled %d instances, want %d", got, n)
	}
	wg.Go(func() { _ = rp.sched.Run(ctx) })
	return l, a, rp, pc
}

// waitProbes waits until every key in want was probed as often as wanted,
// then a little more, and checks that no key was probed more.
func waitProbes(t *testing.T, pc *probeCounter, want map[events.InstanceKey]int, others ...events.InstanceKey) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for k, n := range want {
		for pc.count(k) < n && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	time.Sleep(2 * probes.DefaultRefreshGap) // room for a probe too many
	for k, n := range want {
		if got := pc.count(k); got != n {
			t.Errorf("%s probed %d times, want %d", k, got, n)
		}
	}
	for _, k := range others {
		if got := pc.count(k); got != 0 {
			t.Errorf("%s, named by no outcome, probed %d times", k, got)
		}
	}
}

// TestOutcomeRefreshesTheNamedInstancesOnce: a recovery's outcomes,
// folded in a burst, make the read path probe the failed instance, the
// successor and the re-pointed replica once each at once — not once per
// event — and leave an instance they do not name to its poll.
func TestOutcomeRefreshesTheNamedInstancesOnce(t *testing.T) {
	l, a, rp, pc := refreshFixture(t, 4)
	rec := "rec-1"
	appendEvent(t, l, events.KindRecoveryStarted, events.RecoveryStarted{RecoveryID: rec, Type: "MasterRecovery", Analysis: "DeadMaster",
		Failed: dbKey(1), ClusterName: "db1:3306", Successor: dbKey(2), Node: "n1", Replicas: []events.InstanceKey{dbKey(3)}})
	for _, s := range []events.RecoveryStep{{Step: "promote", Target: dbKey(2)}, {Step: "repoint db3:3306", Target: dbKey(3)},
		{Step: "vip-add", Target: dbKey(2)}} {
		s.RecoveryID, s.Outcome = rec, events.StepOK
		appendEvent(t, l, events.KindRecoveryStep, s)
	}
	appendEvent(t, l, events.KindRecoveryCompleted, events.RecoveryCompleted{RecoveryID: rec, Successor: dbKey(2)})
	if err := a.Barrier(t.Context(), l); err != nil {
		t.Fatal(err)
	}
	if pc.count(dbKey(2)) != 0 {
		t.Fatal("probed before the read path took the outcomes")
	}
	start := time.Now()
	rp.refresh() // the burst, folded together, taken once
	waitProbes(t, pc, map[events.InstanceKey]int{dbKey(1): 1, dbKey(2): 1, dbKey(3): 1}, dbKey(4))
	t.Logf("the three named instances probed within %s", time.Since(start).Round(time.Millisecond))
	if st := rp.sched.RefreshStats(); st.Probed != 3 {
		t.Errorf("refresh stats %+v, want 3 probed", st)
	}
	if keys := a.TakeTouched(); len(keys) != 0 {
		t.Errorf("instances still waiting after the read path took them: %v", keys)
	}
}

// TestManualOperationOutcomeRefreshesItsInstances: with the read path
// following the fold, a bulk move's outcome re-probes its target, the
// replicas it moved (named by its steps) and their destination; a failed
// operation re-probes its target.
func TestManualOperationOutcomeRefreshesItsInstances(t *testing.T) {
	l, _, rp, pc := refreshFixture(t, 5)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); rp.follow(ctx) }()
	defer func() { cancel(); <-done }()
	appendEvent(t, l, events.KindManualOperationStarted, events.ManualOperation{OperationID: "op-1", Operation: "relocate-replicas",
		Target: dbKey(1), Who: "dba", Detail: "2 replicas below db2:3306", Steps: []string{"change-source db3:3306", "change-source db4:3306"}})
	time.Sleep(2 * probes.DefaultRefreshGap)
	if pc.count(dbKey(1)) != 0 {
		t.Fatal("a started operation re-probed its target before its outcome")
	}
	appendEvent(t, l, events.KindManualOperationCompleted, events.ManualOperationCompleted{OperationID: "op-1", Operation: "relocate-replicas",
		Target: dbKey(1)})
	waitProbes(t, pc, map[events.InstanceKey]int{dbKey(1): 1, dbKey(2): 1, dbKey(3): 1, dbKey(4): 1}, dbKey(5))
	appendEvent(t, l, events.KindManualOperationStarted, events.ManualOperation{OperationID: "op-2", Operation: "stop-replica",
		Target: dbKey(5), Who: "dba"})
	appendEvent(t, l, events.KindManualOperationFailed, events.ManualOperationFailed{OperationID: "op-2", Operation: "stop-replica",
		Target: dbKey(5), Step: "stop", Error: "boom"})
	waitProbes(t, pc, map[events.InstanceKey]int{dbKey(1): 1, dbKey(5): 1})
}

// TestOldOutcomesNameNothing: the history a starting node folds (outcomes
// stored over touchedMaxAge ago) re-probes nothing; a recent outcome does,
// once per instance however often it is named, and a recovery's end names
// what its start planned.
func TestOldOutcomesNameNothing(t *testing.T) {
	a, err := NewFold(nil, projections.DefaultSettings(), []string{"n1"}, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	fold := func(seq uint64, kind events.Kind, p any, stored time.Time) {
		t.Helper()
		env, err := events.New(kind, stored, "n1", p)
		if err != nil {
			t.Fatal(err)
		}
		a.mu.Lock()
		defer a.mu.Unlock()
		if err := a.recs.Apply(seq, env); err != nil {
			t.Fatal(err)
		}
		a.noteTouched(env, stored)
	}
	old := time.Now().Add(-2 * touchedMaxAge)
	fold(1, events.KindRecoveryStep, events.RecoveryStep{RecoveryID: "r0", Step: "promote", Target: dbKey(7), Outcome: events.StepOK}, old)
	select {
	case <-a.Touched():
		t.Fatalf("an old outcome signalled: %v", a.TakeTouched())
	default:
	}
	now := time.Now()
	fold(2, events.KindRecoveryStarted, events.RecoveryStarted{RecoveryID: "r1", Type: "MasterRecovery", Analysis: "DeadMaster",
		Failed: dbKey(1), ClusterName: "db1:3306", Successor: dbKey(2), Node: "n1", Replicas: []events.InstanceKey{dbKey(3)}}, now)
	fold(3, events.KindRecoveryStep, events.RecoveryStep{RecoveryID: "r1", Step: "promote", Target: dbKey(2), Outcome: events.StepOK}, now)
	fold(4, events.KindRecoveryFailed, events.RecoveryFailed{RecoveryID: "r1", Step: "repoint", Error: "boom"}, now)
	select {
	case <-a.Touched():
	default:
		t.Fatal("recent outcomes did not signal")
	}
	got := map[events.InstanceKey]bool{}
	for _, k := range a.TakeTouched() {
		if got[k] {
			t.Fatalf("%s handed over twice", k)
		}
		got[k] = true
	}
	if len(got) != 3 || !got[dbKey(1)] || !got[dbKey(2)] || !got[dbKey(3)] {
		t.Fatalf("touched %v, want db1, db2 and db3", got)
	}
}
