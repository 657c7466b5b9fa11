package api

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/regent-ha/regent/control"
	"github.com/regent-ha/regent/test/natstest"
)

// TestNodeClusterLeadsNothingWhileStarting: a node whose startup still
// waits reports no leader even when it holds the lease; once ready it
// reports the lease (holder, address, epoch, held). Self, Peers and Health
// are the node's.
func TestNodeClusterLeadsNothingWhileStarting(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := testEventLog(t, ctx)
	lease := l.NewLease("n1", "198.18.0.101:3000")
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- lease.Run(runCtx) }()
	defer func() { stop(); <-done }()
	natstest.Eventually(t, 10*time.Second, 20*time.Millisecond, func() error {
		if _, _, held := lease.Current(); !held {
			return errors.New("lease not held yet")
		}
		return nil
	})
	unhealthy := errors.New("event log: down")
	c := &NodeCluster{Name: "n1", Nodes: []string{"n1", "n2"}, Startup: &control.Startup{}, Lease: lease,
		Check: func(context.Context) error { return unhealthy }}
	if got := c.Leadership(); got != (Leadership{}) {
		t.Errorf("a starting node reports %+v, want no leadership", got)
	}
	c.Startup.Ready()
	got := c.Leadership()
	if !got.Known || !got.IsLeader || got.Leader != "n1" || got.LeaderAddr != "198.18.0.101:3000" || got.Epoch == 0 {
		t.Errorf("a ready node holding the lease reports %+v", got)
	}
	if c.Self() != "n1" || !slices.Equal(c.Peers(), []string{"n1", "n2"}) || !errors.Is(c.Health(ctx), unhealthy) {
		t.Errorf("Self %q, Peers %v, Health %v", c.Self(), c.Peers(), c.Health(ctx))
	}
}
