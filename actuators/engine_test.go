package actuators

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// stepClock is the engine's Clock: it moves only when a snapshot is taken,
// by the step cost the test sets, so a step "costs" exactly that.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// stepSource is an empty topology. storm: Changed is always closed (a
// change folded every instant); otherwise changes come from signal. Every
// Snapshot costs `cost` on the clock and records the real time it began.
type stepSource struct {
	clock *stepClock
	cost  time.Duration
	storm bool
	view  *projections.View

	mu    sync.Mutex
	ch    chan struct{}
	steps []time.Time
	taken chan struct{} // one value per snapshot, when not full
}

func newStepSource(t testing.TB, clock *stepClock, cost time.Duration, storm bool) *stepSource {
	t.Helper()
	topo, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	return &stepSource{clock: clock, cost: cost, storm: storm, view: topo.View(clock.Now()),
		ch: make(chan struct{}), taken: make(chan struct{}, 1000)}
}

func (s *stepSource) Snapshot() (*projections.View, *analysis.Recoveries) {
	s.mu.Lock()
	s.steps = append(s.steps, time.Now())
	s.mu.Unlock()
	s.clock.advance(s.cost)
	select {
	case s.taken <- struct{}{}:
	default:
	}
	return s.view, analysis.NewRecoveries()
}

func (s *stepSource) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.storm {
		c := make(chan struct{})
		close(c)
		return c
	}
	return s.ch
}

// signal folds one change.
func (s *stepSource) signal() {
	s.mu.Lock()
	close(s.ch)
	s.ch = make(chan struct{})
	s.mu.Unlock()
}

func (s *stepSource) stepTimes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.steps...)
}

type alwaysLeading struct{}

func (alwaysLeading) Leading() (uint64, bool) { return 1, true }

func runEngine(t *testing.T, src *stepSource, clock *stepClock, tick time.Duration) (stop func()) {
	t.Helper()
	e := mustEngine(t, EngineConfig{Runner: &Runner{Node: "n1", Clock: clock, Log: &expectLog{}, Lease: holdsAll{}}, Source: src,
		Leader: alwaysLeading{}, Params: analysis.DefaultParams(), Tick: tick, Logger: zerolog.Nop()})
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

// TestEngineThrottle: under a storm of changes (or a tick shorter than a
// step), steps are spaced by at least StepCostFactor × their cost.
func TestEngineThrottle(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cost  time.Duration
		tick  time.Duration
		storm bool
	}{
		{"change storm, 60 ms steps", 60 * time.Millisecond, time.Hour, true},
		{"1 ms tick, 60 ms steps", 60 * time.Millisecond, time.Millisecond, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &stepClock{now: time.Unix(1_700_000_000, 0)}
			src := newStepSource(t, clock, tc.cost, tc.storm)
			stop := runEngine(t, src, clock, tc.tick)
			time.Sleep(time.Second)
			stop()
			steps := src.stepTimes()
			want := min(StepCostFactor*tc.cost, maxStepGap)
			if len(steps) < 1 || len(steps) > int(time.Second/want)+2 {
				t.Fatalf("%d steps in 1 s, want 1..%d", len(steps), int(time.Second/want)+2)
			}
			for i := 1; i < len(steps); i++ {
				if gap := steps[i].Sub(steps[i-1]); gap < want {
					t.Errorf("step %d began %v after the previous one, want ≥ %v", i, gap, want)
				}
			}
		})
	}
}

// TestEngineReactsAtOnce: cheap steps (a small fleet) follow each change
// without waiting for the tick (an hour here).
func TestEngineReactsAtOnce(t *testing.T) {
	for _, cost := range []time.Duration{0, 100 * time.Microsecond} {
		clock := &stepClock{now: time.Unix(1_700_000_000, 0)}
		src := newStepSource(t, clock, cost, false)
		stop := runEngine(t, src, clock, time.Hour)
		select { // the step Run begins with
		case <-src.taken:
		case <-time.After(5 * time.Second):
			stop()
			t.Fatalf("cost %v: no first step within 5 s", cost)
		}
		began := time.Now()
		for i := 0; i < 20; i++ {
			src.signal()
			select {
			case <-src.taken:
			case <-time.After(5 * time.Second):
				stop()
				t.Fatalf("cost %v: change %d not followed by a step within 5 s", cost, i)
			}
		}
		took := time.Since(began)
		stop()
		if took > 2*time.Second {
			t.Errorf("cost %v: 20 changes took %v to be stepped on, want well under the tick", cost, took)
		}
		if n := len(src.stepTimes()); n < 21 || n > 22 {
			t.Errorf("cost %v: %d steps for the start and 20 changes", cost, n)
		}
	}
}
