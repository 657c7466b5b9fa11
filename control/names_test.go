package control

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/projections"
)

// TestFoldNamesClusters: the cluster an observation's subject carries comes
// from the fold itself (Run renames every clusterNamesEvery), with no
// caller relaying the names; an older view does not replace newer names.
func TestFoldNamesClusters(t *testing.T) {
	l := testLog(t)
	f, err := NewFold(l, projections.DefaultSettings(), []string{"n1"}, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	defer func() { cancel(); <-done }()
	db1 := rpKey("db1")
	if got := f.ClusterOf(db1); got != "" {
		t.Fatalf("named %q before any observation", got)
	}
	obs := rpEnv(t, events.KindInstanceObserved, time.Now(), "n1", db1,
		events.InstanceObserved{Key: db1, ServerID: 1, Version: "10.11.6-MariaDB-log", Flavor: "MariaDB", LogBin: true, Digest: "d1"})
	obs.Cluster = "_"
	if _, err := l.Append(ctx, obs, eventlog.NoExpect); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.ClusterOf(db1) != "db1:3306" {
		if time.Now().After(deadline) {
			t.Fatalf("ClusterOf(db1) = %q 5 s after its observation, want db1:3306", f.ClusterOf(db1))
		}
		time.Sleep(20 * time.Millisecond)
	}
	// An older view (a slow reader finishing late) does not replace them.
	empty, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	f.nameClusters(empty.View(time.Now().Add(-time.Hour)))
	if got := f.ClusterOf(db1); got != "db1:3306" {
		t.Errorf("after an older view: %q, want db1:3306", got)
	}
}
