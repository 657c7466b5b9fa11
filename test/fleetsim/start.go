package fleetsim

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// Start runs a fleet for a test or benchmark: it fails tb when the fleet
// cannot be built or is not ready within 30 s, and stops it (reporting a
// Run error) when tb ends.
func Start(tb testing.TB, opts Options, log zerolog.Logger) *Fleet {
	tb.Helper()
	f, err := New(opts, log)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }() // owned: joined by the cleanup
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("run fleet: %v", err)
		}
	})
	select {
	case <-f.Ready():
	case err := <-done:
		tb.Fatalf("run fleet: %v", err)
	case <-time.After(30 * time.Second):
		tb.Fatal("fleet not ready after 30 s")
	}
	return f
}
