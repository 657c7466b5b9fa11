package probes

import (
	"testing"
	"time"
)

// TestTimingFromPollAndTimeout: the dead-probe cap is two polls and a
// timeout; the fast lane is on and holds at least DefaultEmergentHold,
// longer when two stall thresholds and a timeout need it; the watch's
// ping interval and timeout are clamped to [200 ms, 1 s].
func TestTimingFromPollAndTimeout(t *testing.T) {
	if got := DeadProbeInterval(time.Second, 3*time.Second); got != 5*time.Second {
		t.Errorf("DeadProbeInterval(1s, 3s) = %v, want 5s", got)
	}
	for _, c := range []struct{ stall, timeout, hold time.Duration }{
		{100 * time.Millisecond, time.Second, DefaultEmergentHold},
		{2 * time.Second, time.Second, 5 * time.Second},
	} {
		got := EmergentFor(c.stall, c.timeout)
		if !got.Enabled || got.Hold != c.hold {
			t.Errorf("EmergentFor(%v, %v) = %+v, want enabled, hold %v", c.stall, c.timeout, got, c.hold)
		}
	}
	for _, c := range []struct{ poll, timeout, interval, pingTimeout time.Duration }{
		{5 * time.Second, 3 * time.Second, time.Second, time.Second},
		{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 200 * time.Millisecond},
		{500 * time.Millisecond, 700 * time.Millisecond, 500 * time.Millisecond, 700 * time.Millisecond},
	} {
		got := WatchFor(c.poll, c.timeout)
		if got.PingInterval != c.interval || got.PingTimeout != c.pingTimeout {
			t.Errorf("WatchFor(%v, %v) = %+v, want ping every %v within %v", c.poll, c.timeout, got, c.interval, c.pingTimeout)
		}
	}
}
