package consumer

import (
	"testing"
	"time"
)

func TestParseDeliver(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for in, check := range map[string]func(Config) bool{
		"new":                  func(c Config) bool { return !c.DeliverAll && c.StartTime.IsZero() },
		"all":                  func(c Config) bool { return c.DeliverAll },
		"2h":                   func(c Config) bool { return c.StartTime.Equal(now.Add(-2 * time.Hour)) },
		"2026-02-28T10:00:00Z": func(c Config) bool { return c.StartTime.Equal(time.Date(2026, 2, 28, 10, 0, 0, 0, time.UTC)) },
	} {
		var c Config
		if err := c.ParseDeliver(in, now); err != nil || !check(c) {
			t.Errorf("--deliver %s: %v, %+v", in, err, c)
		}
	}
	for _, bad := range []string{"", "-1h", "soon"} {
		var c Config
		if err := c.ParseDeliver(bad, now); err == nil {
			t.Errorf("--deliver %q accepted", bad)
		}
	}
}

// TestBackoffFlag: a comma-separated list of positive durations; anything
// else is refused and leaves the value as it was.
func TestBackoffFlag(t *testing.T) {
	b := Backoff(DefaultBackoff)
	if err := b.Set("200ms, 1s,5s"); err != nil || b.String() != "200ms,1s,5s" {
		t.Fatalf("set: %v %s", err, b.String())
	}
	for _, bad := range []string{"1s,zero", "0s", "-1s", ""} {
		if err := b.Set(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if b.String() != "200ms,1s,5s" {
		t.Errorf("a refused value changed the list: %s", b.String())
	}
}
