package control

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// TestStartupSaysWhatItWaitsFor: a starting node says "starting", then
// what Ensure waits for, and nothing once ready.
func TestStartupSaysWhatItWaitsFor(t *testing.T) {
	var s Startup
	if w := s.Waiting(); w != "starting" {
		t.Errorf("before Ensure: %q", w)
	}
	l := testLog(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Ensure(ctx, l, "(test sizes)", zerolog.Nop()); err != nil {
		t.Fatal(err)
	}
	if w := s.Waiting(); w != "waiting for JetStream: creating the streams" {
		t.Errorf("after Ensure, before Ready: %q", w)
	}
	s.Ready()
	if w := s.Waiting(); w != "" {
		t.Errorf("ready: %q", w)
	}
}
