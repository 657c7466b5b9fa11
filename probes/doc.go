// Package probes observes MySQL and MariaDB instances and turns what it sees
// into observation events.
//
// Responsibilities:
//
//   - Prober reads one instance: identity, version and flavor, read_only,
//     binary log settings and position, replica status for both column
//     namings (MySQL ≥ 8.0.22 Source_*, older MySQL and MariaDB Master_*),
//     GTID state for both flavors, semi-sync, lag, replication heartbeat,
//     replicas (SHOW SLAVE HOSTS or Binlog Dump threads) and the Detect*
//     queries. The fixed reads go to the server as one multi-statement
//     batch per probe, chosen by flavor and version: the full batch every
//     FullProbeInterval and on a change of role, a light one (what moves
//     and what a failure shows in) in between. It names the instance
//     by MySQLHostnameResolveMethod and its neighbours by the names servers
//     gave themselves and HostnameResolveMethod. Failures are *ProbeError,
//     classified by ErrorKind (timeout, refused, connection lost, partial,
//     auth, privilege).
//   - Observer probes and publishes through a Publisher: a full
//     InstanceObserved when the state digest changes or every
//     FullObservationInterval, a compact InstanceProgress otherwise, an
//     InstanceUnreachable for every failure (see docs/probes.md).
//   - Scheduler decides when each instance is probed: a bounded pool, no
//     two probes of one instance at once, jittered next-due times, a
//     slow lane with backoff for failing instances, and (WithEmergent) a
//     fast lane for emergent probes: a failed probe, a replica whose IO
//     thread lost its source or a Suspect call probes the suspect, its
//     source and its replicas at once, bounded per cluster and per node.
//     It learns who replicates from whom from its own last observations.
//   - Watcher keeps one primary watch per primary and intermediate
//     primary: an idle authenticated connection that is always being read
//     (the server's death shows as EOF or reset at once) and pinged (its
//     silence shows as a ping timeout); each event suspects the instance.
//   - Discoverer brings instances into the inventory (InstanceDiscovered
//     through an Appender) and crawls sources and replicas, honouring the
//     DiscoveryIgnore*HostnameFilters.
//
// The package imports no configuration: cmd/regent fills Options and wires
// Prober → Observer → Scheduler ← Discoverer.
//
// Concurrency: Scheduler.Run, Discoverer.Run and Watcher.Run are the only
// long-lived goroutines' owners (Watcher.Run starts one goroutine per
// watched instance; each watch connection has one reader goroutine that
// ends when the connection is closed); each returns when its context ends, after the probes
// it started have returned. Scheduler.Run starts one goroutine per probe in
// flight, at most MaxConcurrency (plus the slow lane's share when
// MaxConcurrency < 2). Prober, Observer, Scheduler and Discoverer are safe
// for concurrent use; each mutex guards the fields declared after it. A
// Prober keeps up to two pooled connections per instance open between
// probes; Close closes them.
package probes
