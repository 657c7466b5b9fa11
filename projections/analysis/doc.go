// Package analysis decides, from the projected topology, whether an
// instance has failed, which replica to promote, and whether a recovery may
// start. It also folds the failure and recovery events into the state the
// recovery engine resumes from and the audit API shows.
//
// Everything here is pure: no I/O, no clock (time arrives as the View's
// instant and `now` arguments, or as event times), no randomness. It imports
// only events, projections and the standard library.
//
// # Multi-vantage failure detection
//
// A primary is dead only when both kinds of observers agree:
//
//  1. The Regent nodes: at least Quorum() of them, counting only nodes
//     whose latest report of the primary is fresh, last saw it unreachable
//     (refused, timed out, dropped connection). One node that lost the
//     primary is not a failure: that is its own partition. Fresh follows
//     the interval each node achieves (projections.Settings.ReportWindow):
//     within max(Window(), min(2×gap, MaxFreshWindow)), gap being the time
//     between that node's two latest reports of the instance, so an
//     overloaded node slows detection down instead of stopping it.
//  2. Its replicas: every reachable replica agrees the source is gone —
//     its IO thread is not running (Connecting, or stopped: nothing fresh
//     comes from the source, as orchestrator counts it),
//     or its IO progress has stalled: neither the heartbeat count nor the
//     read positions (coordinates, Gtid_IO_Pos, Retrieved_Gtid_Set) moved
//     for longer than Params.IOStallThreshold, measured between the
//     replica's latest fresh observation and the last time they advanced
//     (fresh: within projections.Evidence.ObservationWindow, 2×PollInterval
//     stretched the same way by the slowest fresh node).
//     Under write load positions move; idle, heartbeats arrive every
//     heartbeat period; when the source is killed, cut off or paused
//     (SIGSTOP), both stop, long before slave_net_timeout makes the IO
//     thread give up. A replica whose own observation is stale proves
//     nothing either way and only its thread state counts.
//
// When the Regent nodes lose the primary but some reachable replica still
// receives from it (fresh IO progress), only the controllers are cut off:
// UnreachableMaster, never a failover. With no replicas at all there is no
// second opinion and nothing to promote (DeadMasterWithoutReplicas); with no
// reachable replica nothing confirms it (DeadMasterAndReplicas). Both are
// recorded, neither is actionable. Intermediate masters follow the same
// rule with orchestrator's DeadIntermediateMaster codes.
//
// The rule table (Rules) lists each code with its condition over Facts;
// the first match in priority order wins. docs/analysis.md has the table.
//
// # Candidates
//
// ChooseCandidate rejects, before anything moves, every replica that must
// not be promoted and ranks the rest by received position (MariaDB GTID per
// domain, MySQL GTID set containment, then coordinates), promotion rule,
// data center, log_slave_updates, version, binlog format and name.
// ChooseIntermediateTarget picks a sibling or the grandparent.
//
// # Decide
//
// Decide turns the analysis and the Recoveries fold into decisions: detect
// (non-actionable failures, recorded with the reason), start, block (global
// switch, cluster filters, RecoveryIgnoreHostnameFilters, downtime, a
// recovery still running on the cluster — completion-based, however long it
// runs — or one that ended within RecoveryPeriodBlock and is not
// acknowledged) and clear. Detection ids are derived from the cluster, the
// instance, the code, the observation sequence at which the quorum's runs
// of failed probes began and the last clear, so nodes deciding on the same
// log produce the same ids. A recovery of the same instance that started
// after the current run of failures began means the incident is handled:
// a view lagging behind the recovery never starts a second one.
package analysis
