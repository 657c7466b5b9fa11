package main

import "net/url"

// replCtlCommands are orchestrator-client's remaining replication controls:
// semi-sync switches, stop-replica-nice, skip-query, binary logs,
// delay-replication, the master-host detach synonyms and the GTID moves.
// Instance commands print Details.Key; moves print instance<source.
func replCtlCommands() []command {
	t := generalInstanceCommands([]struct{ name, summary string }{
		{"enable-semi-sync-master", "enable semi-sync on the source side of an instance"},
		{"disable-semi-sync-master", "disable semi-sync on the source side of an instance"},
		{"enable-semi-sync-replica", "enable semi-sync on the replica side (restarts a running IO thread)"},
		{"disable-semi-sync-replica", "disable semi-sync on the replica side (restarts a running IO thread)"},
		{"stop-replica-nice", "stop the IO thread, let the SQL thread apply the relay log (bounded), then stop replication"},
		{"skip-query", "skip the statement a replica's stopped SQL thread failed on, and start replication"},
		{"detach-replica-master-host", "same as detach-replica (the source host becomes //host)"},
		{"reattach-replica-master-host", "same as reattach-replica"},
		{"flush-binary-logs", "FLUSH BINARY LOGS on an instance"},
	})
	return append(t, []command{
		{name: "purge-binary-logs", summary: "purge an instance's binary logs before -n (refused while a replica still needs them)", needs: needInstance | needBinlog,
			path: func(o *options) string {
				return "purge-binary-logs/" + o.hostPort(o.instance) + "/" + url.PathEscape(o.binlog)
			}, output: outDetailsField("Key")},
		{name: "delay-replication", summary: "set a replica's SQL thread delay to -S seconds, keeping its threads' state", needs: needInstance | needSeconds,
			path: func(o *options) string {
				return "delay-replication/" + o.hostPort(o.instance) + "/" + url.PathEscape(o.seconds)
			}, output: outDetailsText}, // orchestrator-client prints the whole Details (the instance)
		{name: "move-up", summary: "move a replica below its source's source (GTID); print instance<source", needs: needInstance,
			path: instPath("move-up"), output: outRelocated},
		{name: "move-below", summary: "move a replica below its sibling -d (GTID); print instance<source", needs: needInstance | needDest,
			path: func(o *options) string { return "move-below/" + o.hostPort(o.instance) + "/" + o.hostPort(o.dest) }, output: outRelocated},
		{name: "repoint", summary: "point a replica at -d (GTID); print instance<source", needs: needInstance | needDest,
			path: func(o *options) string { return "repoint/" + o.hostPort(o.instance) + "/" + o.hostPort(o.dest) }, output: outRelocated},
	}...)
}
