package probes

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

// recorder is an in-memory Publisher and Appender: it keeps every envelope.
type recorder struct {
	mu   sync.Mutex // guards envs and fail
	envs []events.Envelope
	fail error
}

func (r *recorder) Publish(_ context.Context, env events.Envelope) error { return r.add(env) }
func (r *recorder) Append(_ context.Context, env events.Envelope) error  { return r.add(env) }

func (r *recorder) add(env events.Envelope) error {
	if err := env.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.envs = append(r.envs, env)
	return nil
}

func (r *recorder) all() []events.Envelope {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]events.Envelope(nil), r.envs...)
}

func (r *recorder) kinds() []events.Kind {
	var out []events.Kind
	for _, e := range r.all() {
		out = append(out, e.Kind)
	}
	return out
}

// discovered returns the keys of the InstanceDiscovered events, by Via.
func (r *recorder) discovered(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, e := range r.all() {
		if e.Kind != events.KindInstanceDiscovered {
			continue
		}
		var d events.InstanceDiscovered
		if err := json.Unmarshal(e.Payload, &d); err != nil {
			t.Fatalf("decode discovered: %v", err)
		}
		out[d.Key.String()] = d.Via
	}
	return out
}

// manualClock is a Clock driven by the test.
type manualClock struct {
	mu     sync.Mutex // guards now and timers
	now    time.Time
	timers []*manualTimer
}

func newManualClock() *manualClock {
	return &manualClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &manualTimer{c: c, ch: make(chan time.Time, 1), at: c.now.Add(d), armed: true}
	c.timers = append(c.timers, t)
	return t
}

// Advance moves the clock and fires due timers.
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	var fire []*manualTimer
	for _, t := range c.timers {
		if t.armed && !t.at.After(now) {
			t.armed = false
			fire = append(fire, t)
		}
	}
	c.mu.Unlock()
	for _, t := range fire {
		select {
		case t.ch <- now:
		default:
		}
	}
}

type manualTimer struct {
	c     *manualClock
	ch    chan time.Time
	at    time.Time // guarded by c.mu
	armed bool      // guarded by c.mu
}

func (t *manualTimer) C() <-chan time.Time { return t.ch }

func (t *manualTimer) Reset(d time.Duration) {
	t.c.mu.Lock()
	select {
	case <-t.ch:
	default:
	}
	t.at, t.armed = t.c.now.Add(d), true
	fire := d <= 0
	if fire {
		t.armed = false
	}
	now := t.c.now
	t.c.mu.Unlock()
	if fire {
		select {
		case t.ch <- now:
		default:
		}
	}
}

func (t *manualTimer) Stop() {
	t.c.mu.Lock()
	t.armed = false
	t.c.mu.Unlock()
}
