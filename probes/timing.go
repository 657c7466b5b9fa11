package probes

import "time"

// The probes' timing derived from the two settings every node has: the
// poll interval (InstancePollSeconds or InstancePollMilliseconds) and the
// probe timeout. The fold's fresh window and the recovery engine's settle
// time follow DeadProbeInterval too (twice it): a failing instance's
// latest report stays its current view that long.

// DeadProbeInterval caps the backoff of failing instances
// (Options.DeadProbeInterval): two polls and a probe timeout.
func DeadProbeInterval(poll, probeTimeout time.Duration) time.Duration {
	return 2*poll + probeTimeout
}

// EmergentFor is the fast lane of a node: always on; a round holds its
// instances long enough for the replicas' stall evidence (two stall
// thresholds, ReplicationStallMilliseconds) and a probe timeout, at least
// DefaultEmergentHold.
func EmergentFor(stall, probeTimeout time.Duration) EmergentOptions {
	return EmergentOptions{Enabled: true, Hold: max(DefaultEmergentHold, 2*stall+probeTimeout)}
}

// WatchFor is the primaries' watch of a node: it pings every poll interval
// and waits a probe timeout for the answer, each within [200 ms, 1 s]: a
// silent primary is found within 2 s at most, and a 1,000-instance fleet
// pays at most one ping a second per primary.
func WatchFor(poll, probeTimeout time.Duration) WatchOptions {
	clamp := func(d time.Duration) time.Duration { return min(max(d, 200*time.Millisecond), time.Second) }
	return WatchOptions{PingInterval: clamp(poll), PingTimeout: clamp(probeTimeout)}
}
