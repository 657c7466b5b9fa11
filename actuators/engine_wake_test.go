package actuators

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections/analysis"
)

// switchLeader is a Leadership whose answer and change signal the test
// drives; it counts the questions (each one is a wake-up of Run).
type switchLeader struct {
	mu      sync.Mutex
	leading bool
	ch      chan struct{}
	asked   int
}

func newSwitchLeader(leading bool) *switchLeader {
	return &switchLeader{leading: leading, ch: make(chan struct{})}
}

func (l *switchLeader) Leading() (uint64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.asked++
	return 1, l.leading
}

func (l *switchLeader) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ch
}

func (l *switchLeader) set(leading bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.leading = leading
	close(l.ch)
	l.ch = make(chan struct{})
}

func (l *switchLeader) questions() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.asked
}

// wallClock is the real time (the settle period runs on Runner.Clock).
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// startEngine runs e until the returned stop is called.
func startEngine(t *testing.T, e *Engine) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	return func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
	}
}

func awaitStep(t *testing.T, src *stepSource, within time.Duration, what string) {
	t.Helper()
	select {
	case <-src.taken:
	case <-time.After(within):
		t.Fatalf("no step within %v of %s", within, what)
	}
}

// TestEngineFollowerSleepsUntilTheLeaseChanges: a node that does not lead,
// with a Leader that signals changes, neither steps nor wakes on folded
// events or ticks (1 ms here); it steps at once when it gains the lease,
// and sleeps again when it loses it.
func TestEngineFollowerSleepsUntilTheLeaseChanges(t *testing.T) {
	clock := &stepClock{now: time.Unix(1_700_000_000, 0)}
	src := newStepSource(t, clock, 0, false)
	lead := newSwitchLeader(false)
	e := mustEngine(t, EngineConfig{Runner: &Runner{Node: "n1", Clock: clock, Log: &expectLog{}, Lease: holdsAll{}},
		Source: src, Leader: lead, Params: analysis.DefaultParams(), Tick: time.Millisecond, Logger: zerolog.Nop()})
	stop := startEngine(t, e)
	defer stop()
	for range 50 {
		src.signal()
		time.Sleep(4 * time.Millisecond)
	}
	if n := lead.questions(); n > 1 {
		t.Errorf("a follower woke %d times in 200 ms of changes and 1 ms ticks, want once (the start)", n)
	}
	if n := len(src.stepTimes()); n != 0 {
		t.Fatalf("a follower stepped %d times", n)
	}
	lead.set(true)
	awaitStep(t, src, 2*time.Second, "gaining the lease")
	lead.set(false)
	time.Sleep(20 * time.Millisecond) // the last tick-driven step ends
	before, asked := len(src.stepTimes()), lead.questions()
	for range 20 {
		src.signal()
		time.Sleep(4 * time.Millisecond)
	}
	if n := len(src.stepTimes()) - before; n != 0 {
		t.Errorf("%d steps after the lease was lost", n)
	}
	if n := lead.questions() - asked; n > 1 {
		t.Errorf("woke %d times after the lease was lost, want at most once", n)
	}
}

// TestEngineStepsWhenAClusterIsFreed: an operation that ends on a cluster
// (here a manual one whose first append is refused) wakes the leader at
// once, not on its next tick (an hour here). An automated recovery refused
// before its intent (its view behind the log) does not: the fold's next
// change brings the newer view, and waking at once could only repeat the
// refusal while the fold lags.
func TestEngineStepsWhenAClusterIsFreed(t *testing.T) {
	clock := &stepClock{now: time.Unix(1_700_000_000, 0)}
	src := newStepSource(t, clock, 0, false)
	e := mustEngine(t, EngineConfig{Runner: &Runner{Node: "n1", Clock: clock, Log: &expectLog{}, Lease: holdsAll{}, Logger: zerolog.Nop()},
		Source: src, Leader: alwaysLeading{}, Params: analysis.DefaultParams(), Tick: time.Hour, Logger: zerolog.Nop()})
	stop := startEngine(t, e)
	defer stop()
	awaitStep(t, src, 5*time.Second, "the start")
	in := Intent{Started: events.RecoveryStarted{RecoveryID: "r-1", ClusterName: "c1"}, Epoch: 1}
	auto := in
	auto.SeqFromView = true
	e.launch(t.Context(), auto)
	e.wg.Wait()
	if e.busy("c1") || e.settling("c1") {
		t.Fatal("a recovery refused at its first append holds the cluster")
	}
	select {
	case <-src.taken:
		t.Fatal("a recovery refused before its intent woke the engine")
	case <-time.After(200 * time.Millisecond):
	}
	if _, err := e.RunManual(t.Context(), in); err == nil {
		t.Fatal("RunManual on a log that refuses every append succeeded")
	}
	awaitStep(t, src, 2*time.Second, "the operation's end")
}

// TestEngineStepsWhenTheSettlePeriodEnds: a detection held back by a
// cluster's settle period is decided when the period ends, not on the next
// tick (an hour here).
func TestEngineStepsWhenTheSettlePeriodEnds(t *testing.T) {
	clock := &stepClock{now: time.Unix(1_700_000_000, 0)}
	src := newStepSource(t, clock, 0, false)
	e := mustEngine(t, EngineConfig{Runner: &Runner{Node: "n1", Clock: wallClock{}, Log: &expectLog{}, Lease: holdsAll{}},
		Source: src, Leader: alwaysLeading{}, Params: analysis.DefaultParams(), Tick: time.Hour, Logger: zerolog.Nop()})
	const settle = 150 * time.Millisecond
	began := time.Now()
	e.settle["c1"] = began.Add(settle)
	stop := startEngine(t, e)
	defer stop()
	awaitStep(t, src, 5*time.Second, "the start")
	awaitStep(t, src, 2*time.Second, "the settle period's end")
	steps := src.stepTimes()
	if took := steps[len(steps)-1].Sub(began); took < settle {
		t.Errorf("stepped %v after the start, before the settle period of %v ended", took, settle)
	}
	if e.settling("c1") {
		t.Error("c1 still settling after its period")
	}
}

// TestNewEngineRefusesAnIncompleteConfig: each missing part is named.
func TestNewEngineRefusesAnIncompleteConfig(t *testing.T) {
	full := func() EngineConfig {
		return EngineConfig{Runner: &Runner{Clock: wallClock{}, Log: &expectLog{}, Lease: holdsAll{}}}
	}
	for _, tc := range []struct {
		want string
		edit func(*EngineConfig)
	}{
		{"no Runner", func(c *EngineConfig) { c.Runner = nil }},
		{"no Clock", func(c *EngineConfig) { c.Runner.Clock = nil }},
		{"no Log", func(c *EngineConfig) { c.Runner.Log = nil }},
		{"no Lease", func(c *EngineConfig) { c.Runner.Lease = nil }},
		{"Tick -1s is negative", func(c *EngineConfig) { c.Tick = -time.Second }},
		{"Settle -1ms is negative", func(c *EngineConfig) { c.Settle = -time.Millisecond }},
	} {
		c := full()
		tc.edit(&c)
		if e, err := NewEngine(c); err == nil || !strings.Contains(err.Error(), tc.want) || e != nil {
			t.Errorf("%s: NewEngine = %v, %v", tc.want, e, err)
		}
	}
	e, err := NewEngine(full())
	if err != nil {
		t.Fatal(err)
	}
	if e.Tick != DefaultTick {
		t.Errorf("Tick %v, want DefaultTick %v", e.Tick, DefaultTick)
	}
	if err := e.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "Source and a Leader") {
		t.Errorf("Run without Source and Leader: %v", err)
	}
}

// TestManualOperationStartsWhenTheHookRecordsAreAppended: an operation
// waits for the detection hook records being appended to its cluster and
// starts as soon as the last one is, not on a poll.
func TestManualOperationStartsWhenTheHookRecordsAreAppended(t *testing.T) {
	log := &expectLog{}
	e := mustEngine(t, EngineConfig{Runner: &Runner{Node: "n1", Clock: wallClock{}, Log: log, Lease: holdsAll{}, Logger: zerolog.Nop()},
		Params: analysis.DefaultParams(), Logger: zerolog.Nop()})
	e.claimHookRecord(t.Context(), "c1")
	ended := make(chan time.Time, 1)
	go func() {
		_, _ = e.RunManual(t.Context(), Intent{Started: events.RecoveryStarted{RecoveryID: "m-1", ClusterName: "c1"}, Epoch: 1})
		ended <- time.Now()
	}()
	select {
	case <-ended:
		t.Fatal("the operation ran while a hook record of its cluster was being appended")
	case <-time.After(100 * time.Millisecond):
	}
	log.mu.Lock()
	n := len(log.expects)
	log.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d appends before the hook record was appended", n)
	}
	done := time.Now()
	e.hookRecordDone("c1")
	select {
	case at := <-ended:
		if d := at.Sub(done); d > time.Second {
			t.Errorf("the operation ended %v after the last hook record", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the operation did not start within 5 s of the last hook record")
	}
	if e.busy("c1") {
		t.Error("c1 still in flight after the operation")
	}
}
