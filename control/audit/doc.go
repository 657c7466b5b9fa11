// Package audit reads Regent's event log for the audit commands (regent
// replay, replay --verify, topology --at, why: Log.Replay, Verify,
// TopologyAt, WhyRecovery, WhyCluster) and
// the web interface's history slider (History), and renders it: both
// streams read in stream order, merged and filtered as the nodes' fold
// admits them, the records no node could fold reported where they were
// stored, a progress line on a terminal. The reading is offline from the
// nodes' point of view: it changes nothing in the log.
//
// A Writer (AuditLogFile, AuditToSyslog) follows the event stream on a
// node and writes every event as one line to a file and to syslog.
//
// A Log is used by one goroutine; History reads the log anew on every call
// and is safe for concurrent use; a Writer's Run is its one goroutine.
package audit
