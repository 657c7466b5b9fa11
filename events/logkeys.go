package events

// Log field names: every component logs with these keys so that logs from
// all of Regent can be filtered the same way.
const (
	LogComponent = "component"
	LogNode      = "node"
	LogCluster   = "cluster"
	LogInstance  = "instance"
	LogEventID   = "event_id"
	LogKind      = "kind"
	LogSeq       = "seq"
	LogEpoch     = "epoch"
	LogRecovery  = "recovery"
	LogStep      = "step"
	LogHook      = "hook"
	LogDuration  = "duration"
	LogStream    = "stream"
	LogReason    = "reason"
)
