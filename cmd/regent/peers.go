package main

import (
	"fmt"
	"net"
	"slices"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/events/eventlog"
)

// peerHTTPAddrs are the API addresses of the configured peers, which a
// follower may forward writes to: each RaftNodes host with this node's
// ListenAddress port (how a node derives its address when HTTPAdvertise is
// empty) and with HTTPAdvertise's port when it is set, and this node's own
// advertised address. None on a single node: it never forwards.
func peerHTTPAddrs(cfg config.Config) []string {
	if !cfg.Clustered() {
		return nil
	}
	peers, err := cfg.RaftPeers()
	if err != nil {
		return nil
	}
	var ports []string
	if _, port, err := net.SplitHostPort(cfg.ListenAddress); err == nil {
		ports = append(ports, port)
	}
	if _, port, err := net.SplitHostPort(httpAdvertise(cfg)); err == nil && !slices.Contains(ports, port) {
		ports = append(ports, port)
	}
	out := []string{httpAdvertise(cfg)}
	for _, p := range peers {
		for _, port := range ports {
			if a := net.JoinHostPort(p.Host, port); !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// leaseCheck accepts a lease record whose holder is a configured peer: its
// name is a RaftNodes entry or this node's id, or (peers named by NodeName)
// its address is a peer's API address. Any other holder is not followed.
func leaseCheck(cfg config.Config) func(eventlog.LeaseInfo) error {
	names, _ := nodeIDs(cfg) // nil when RaftPeers fails: this node alone
	names = append(names, cfg.NodeID())
	addrs := peerHTTPAddrs(cfg)
	return func(info eventlog.LeaseInfo) error {
		if slices.Contains(names, info.Holder) || (info.Addr != "" && slices.Contains(addrs, info.Addr)) {
			return nil
		}
		return fmt.Errorf("holder %q at %q is not a configured peer (RaftNodes %v)", info.Holder, info.Addr, cfg.RaftNodes)
	}
}
