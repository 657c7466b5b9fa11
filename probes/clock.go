package probes

import "time"

// Clock is the time source of the scheduler, the observer and the caches.
// Tests drive a manual clock; production uses SystemClock.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer the scheduler uses.
type Timer interface {
	C() <-chan time.Time
	// Reset re-arms the timer; any pending tick is dropped first.
	Reset(d time.Duration)
	Stop()
}

// SystemClock returns the wall clock.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) NewTimer(d time.Duration) Timer { return &systemTimer{t: time.NewTimer(d)} }

type systemTimer struct{ t *time.Timer }

func (s *systemTimer) C() <-chan time.Time { return s.t.C }

// Reset relies on Go ≥ 1.23 timer semantics: Stop/Reset drain the channel.
func (s *systemTimer) Reset(d time.Duration) { s.t.Reset(d) }

func (s *systemTimer) Stop() { s.t.Stop() }
