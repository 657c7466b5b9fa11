// Package projections folds Regent's event streams into the topology that
// orchestrator users know: instances, clusters, replication depth, problems,
// and the `topology` text.
//
// # Purity
//
// Everything here is a pure, deterministic function of its inputs. The
// package imports only the standard library and events; it does no I/O,
// never reads the clock (time arrives as event times and as the `now`
// argument of View), uses no randomness and keeps no package-level mutable
// state. The same sequence of events folds to the same Topology on every
// node and in `regent replay`.
//
// A Topology is owned by one goroutine (control.Fold). Apply folds one event;
// View(now) returns an immutable snapshot that readers may keep and share
// across goroutines while the fold goes on folding. Clone copies the state
// for snapshot-and-resume.
//
// # Streams and order
//
// Apply takes events of both streams, REGENT_OBS (observations) and
// REGENT_EVENTS (inventory). Sequence numbers are tracked per stream; an
// event whose sequence is not above the last one applied from its stream is
// ignored (redelivery), and sequence 0 means "unsequenced" and is always
// applied. The relative interleaving of the two streams may differ between
// nodes; the rules below are chosen so that this only matters transiently.
//
// # Inventory membership
//
//   - InstanceDiscovered adds an instance (and lifts a forget tombstone).
//   - An observation (full, progress or unreachable) of an instance that is
//     not known adds it, because probes only probe what is in the inventory.
//   - InstanceForgotten removes the instance and its observed state and
//     leaves a tombstone: later observations of that key are ignored (they
//     are probes that were in flight on other nodes) until the key is
//     discovered again.
//   - ClusterForgotten forgets every instance whose cluster name, computed
//     from the state at that point of the fold, is the given one.
//   - Downtimes, candidate registrations and manual aliases are annotations
//     kept apart from membership; they expire by their own Until times.
//   - A record naming an invalid instance key (events.InstanceKey.Validate:
//     a host name beyond 253 bytes or outside the hostname/IPv6 characters,
//     a port outside 1-65535), or an observation naming such a source or
//     replica, is refused: Apply returns an error wrapping
//     events.ErrInvalidName and changes nothing, so a forged or old record
//     never puts such a name in the inventory.
//
// # Merging the vantage points
//
// Every Regent node probes every instance, so each instance has one report
// per origin (Envelope.Origin): the latest probe result (ok or unreachable),
// its event time and error text (Evidence). The displayed state is the latest
// full observation in stream order from any origin; a progress event moves
// the positions, GTID positions, lag and heartbeat of that state only when
// its Digest equals the digest of that full observation, otherwise it counts
// only as evidence that its origin reached the instance.
//
// Last-check validity (IsLastCheckValid) is decided by the origins whose
// latest report is fresh, i.e. not older than Settings.ReportWindow at
// `now` (2×PollInterval, or twice the interval that origin achieves, up to
// Settings.MaxFreshWindow; FreshWindow replaces 2×PollInterval when set): the
// check is valid when a strict majority of them saw the instance reachable
// at their latest probe (two of three, one of one; one against one is
// invalid). When no report is fresh, the most recent report of any origin
// decides (a tie in time counts as unreachable). IsUpToDate and
// IsRecentlyChecked mean that some origin reported (ok or not) within
// 1×PollInterval and 5×PollInterval of `now`, as orchestrator's
// last_checked. LastSeenTimestamp is the latest successful probe by any
// origin.
//
// # Cluster name, depth and co-masters
//
// An instance's source is its MasterKey when that instance is known. The
// cluster name is the key (host:port) of the root reached by following
// sources; an instance whose source is unknown is a root (depth 0), as in
// orchestrator. When the sources form a ring (two co-masters replicating
// from each other, or a longer circle), every ring member has IsCoMaster
// set, the cluster is named after the member that sorts first by hostname
// then port, that member has depth 0 and every other member's depth is its
// distance to it along the sources (so the other co-master of a pair has
// depth 1, as in orchestrator).
//
// # Derived facts
//
// Cluster alias precedence: manual alias (ClusterAliasSet) >
// ClusterNameToAlias (exact key first, then the keys as regular expressions
// in sorted order) > the probe's DetectClusterAliasQuery answer (the root's,
// else the first member's in hostname order) > the cluster name.
// DataCenter, Region and PhysicalEnvironment come from the observation when
// the probe set them (Detect*Query), else from the first group of the
// configured pattern on the hostname. Problems follow orchestrator:
// last_check_invalid, else not_recently_checked, else not_replicating, else
// replication_lag (|lag − SQL delay| > ReasonableReplicationLagSeconds); plus
// errant_gtid. View.ProblemInstances honours ProblemIgnoreHostnameFilters;
// Instance.Problems itself is never filtered, as in orchestrator.
//
// Errant GTIDs: for MySQL, the replica's gtid_executed minus its source's,
// ignoring the UUIDs of all its ancestors (and its own on a co-master). For
// MariaDB, a GTID of the replica's gtid_current_pos whose server_id is not an
// ancestor's and whose domain the source either lacks or has at a lower
// sequence (MariaDB positions keep the last GTID per domain only, so an
// errant transaction followed by upstream ones in the same domain is not
// seen).
package projections
