package main

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/control"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
)

// TestEpochFloorIsTheLogsHighestEpoch: the lease's floor for a new bucket
// is the highest epoch an event in the log carries, read after the fold
// caught up (events appended just before are counted).
func TestEpochFloorIsTheLogsHighestEpoch(t *testing.T) {
	_, l := hooksLog(t)
	settings, err := projectionSettings(config.Default(), 1)
	if err != nil {
		t.Fatal(err)
	}
	app, err := control.NewFold(l, settings, []string{"n1"}, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if f, err := app.EpochFloor(ctx); err != nil || f != 0 {
		t.Fatalf("empty log: floor %d, %v; want 0", f, err)
	}
	for _, epoch := range []uint64{3, 9, 5} {
		env := rpEnv(t, events.KindInstanceDiscovered, time.Now(), "n1", rpKey("db1"), events.InstanceDiscovered{Key: rpKey("db1"), Via: "seed"})
		env.Epoch = epoch
		if _, err := l.Append(ctx, env, eventlog.NoExpect); err != nil {
			t.Fatal(err)
		}
	}
	if f, err := app.EpochFloor(ctx); err != nil || f != 9 {
		t.Fatalf("floor %d, %v; want 9", f, err)
	}
}
