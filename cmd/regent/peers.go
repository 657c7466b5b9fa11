package main

import (
	"fmt"
	"slices"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/events/eventlog"
)

// leaseCheck accepts a lease record whose holder is a configured peer: its
// name is a RaftNodes entry or this node's id, or (peers named by NodeName)
// its address is a peer's API address. Any other holder is not followed.
func leaseCheck(cfg config.Config) func(eventlog.LeaseInfo) error {
	names, _ := cfg.NodeIDs() // nil when RaftPeers fails: this node alone
	names = append(names, cfg.NodeID())
	addrs := cfg.PeerAPIAddresses()
	return func(info eventlog.LeaseInfo) error {
		if slices.Contains(names, info.Holder) || (info.Addr != "" && slices.Contains(addrs, info.Addr)) {
			return nil
		}
		return fmt.Errorf("holder %q at %q is not a configured peer (RaftNodes %v)", info.Holder, info.Addr, cfg.RaftNodes)
	}
}
