package actuators

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/projections/analysis"
)

// BenchmarkEngineIdle measures the engine of an idle 3-instance fleet:
// one op is one second of Run while the fold changes every 22 ms (≈ 45
// observations/s: 3 instances probed every 200 ms by 3 nodes) or not at
// all, with the default Tick. It reports, per second of wall time, the engine's wake-ups (Leading
// calls) and steps and the process's CPU time (getrusage: Run, the change feed, the benchmark's own timers).
//
//	go test -run '^$' -bench BenchmarkEngineIdle -benchtime 5x ./actuators
func BenchmarkEngineIdle(b *testing.B) {
	for _, tc := range []struct {
		name    string
		leading bool
		every   time.Duration // 0: no changes
	}{
		{"follower/changes-45-per-s", false, 22 * time.Millisecond},
		{"follower/no-changes", false, 0},
		{"leader/changes-45-per-s", true, 22 * time.Millisecond},
		{"leader/no-changes", true, 0},
	} {
		b.Run(tc.name, func(b *testing.B) {
			clock := &stepClock{now: time.Unix(1_700_000_000, 0)}
			src := newStepSource(b, clock, 0, false)
			lead := newSwitchLeader(tc.leading)
			e := mustEngine(b, EngineConfig{Runner: &Runner{Node: "n1", Clock: clock, Log: &expectLog{}, Lease: holdsAll{}},
				Source: src, Leader: lead, Params: analysis.DefaultParams(), Logger: zerolog.Nop()})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- e.Run(ctx) }()
			time.Sleep(50 * time.Millisecond) // the start
			asked, steps, cpu, began := lead.questions(), len(src.stepTimes()), cpuTime(b), time.Now()
			b.ResetTimer()
			for range b.N {
				feedChanges(src, tc.every, time.Second)
			}
			b.StopTimer()
			secs := time.Since(began).Seconds()
			b.ReportMetric(float64(lead.questions()-asked)/secs, "wakeups/s")
			b.ReportMetric(float64(len(src.stepTimes())-steps)/secs, "steps/s")
			b.ReportMetric(float64((cpuTime(b)-cpu).Microseconds())/1000/secs, "cpu-ms/s")
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}

// feedChanges folds a change every `every` for d (none when every is 0).
func feedChanges(src *stepSource, every, d time.Duration) {
	if every == 0 {
		time.Sleep(d)
		return
	}
	for range int(d / every) {
		time.Sleep(every)
		src.signal()
	}
}

// cpuTime is the process's user and system time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
