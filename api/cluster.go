package api

import (
	"context"

	"github.com/regent-ha/regent/control"
	"github.com/regent-ha/regent/events/eventlog"
)

// NodeCluster is the Cluster of a running node: its name and the
// configured nodes, its leader lease, and its health. A node that is still
// starting (Startup waits for JetStream) knows no leader and leads
// nothing, whatever its lease says.
type NodeCluster struct {
	Name    string   // this node (config.NodeID)
	Nodes   []string // the configured nodes (config.PeerNames)
	Startup *control.Startup
	Lease   *eventlog.Lease
	// Check is the node's health (control.Health with its connection and
	// event log).
	Check func(ctx context.Context) error
}

var _ Cluster = (*NodeCluster)(nil)

// Self is the node's name.
func (c *NodeCluster) Self() string { return c.Name }

// Peers are the configured nodes.
func (c *NodeCluster) Peers() []string { return c.Nodes }

// Leadership is the lease as this node follows it; zero while it starts.
func (c *NodeCluster) Leadership() Leadership {
	if c.Startup.Waiting() != "" {
		return Leadership{}
	}
	info, known, held := c.Lease.Current()
	return Leadership{Known: known, Leader: info.Holder, LeaderAddr: info.Addr, IsLeader: held, Epoch: info.Epoch}
}

// Health is nil when the node is ready and its event log answers (Check).
func (c *NodeCluster) Health(ctx context.Context) error { return c.Check(ctx) }
