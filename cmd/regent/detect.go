package main

import (
	"time"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/probes"
)

// emergentOptions: emergent probes are always on. A round holds its
// instances on the fast lane long enough for the replicas' stall evidence
// (two ReplicationStallMilliseconds) and a probe timeout, at least 3 s.
func emergentOptions(cfg config.Config) probes.EmergentOptions {
	stall := time.Duration(cfg.ReplicationStallMilliseconds) * time.Millisecond
	return probes.EmergentOptions{Enabled: true, Hold: max(probes.DefaultEmergentHold, 2*stall+cfg.ProbeTimeout())}
}

// watchOptions: the watch pings every poll interval and waits a probe
// timeout for the answer, each within [200 ms, 1 s]: a silent primary is
// found within 2 s at most, and a 1,000-instance fleet pays at most one
// ping a second per primary.
func watchOptions(cfg config.Config) probes.WatchOptions {
	clamp := func(d time.Duration) time.Duration { return min(max(d, 200*time.Millisecond), time.Second) }
	return probes.WatchOptions{PingInterval: clamp(cfg.PollInterval()), PingTimeout: clamp(cfg.ProbeTimeout())}
}
