package main

// bulkCommands are orchestrator's refactorings in bulk and by role, the
// single GTID moves under their other names, GTID positioning, and
// recover-lite. Bulk moves print the moved replicas' keys (`.[] | .Key`);
// moves of one instance print instance<source; instance commands
// Details.Key.
func bulkCommands() []command {
	destPath := func(op string) func(o *options) string {
		return func(o *options) string { return op + "/" + o.hostPort(o.instance) + "/" + o.hostPort(o.dest) }
	}
	t := []command{
		{name: "relocate-replicas", summary: "move the replicas of an instance below -d (GTID); print the moved replicas", needs: needInstance | needDest,
			path: destPath("relocate-replicas"), output: outBodyKeys},
		{name: "move-replicas-gtid", summary: "move the replicas of an instance below -d by GTID; print -d (orchestrator answers its key)", needs: needInstance | needDest,
			path: destPath("move-replicas-gtid"), output: outDetailsKey},
		{name: "move-up-replicas", summary: "move the replicas of an instance below its source (GTID); print the moved replicas", needs: needInstance,
			path: instPath("move-up-replicas"), output: outBodyKeys},
		{name: "repoint-replicas", summary: "point the replicas of an instance at it again (GTID); print them", needs: needInstance,
			path: instPath("repoint-replicas"), output: outBodyKeys},
		{name: "regroup-replicas", summary: "promote the best replica of an instance over its siblings (GTID); print it", needs: needInstance,
			path: instPath("regroup-replicas"), output: outDetailsKey},
		{name: "take-siblings", summary: "move the siblings of a replica below it (GTID); print instance<source", needs: needInstance,
			path: instPath("take-siblings"), output: outRelocated},
		{name: "take-master", summary: "swap a replica with its source, which is not the primary (GTID); print instance<source", needs: needInstance,
			path: instPath("take-master"), output: outRelocated},
		{name: "make-co-master", summary: "refused: Regent does not run co-master topologies", needs: needInstance,
			path: instPath("make-co-master"), output: outRelocated},
		{name: "relocate-below", summary: "same as relocate: move an instance below -d (GTID); print instance<source", needs: needInstance | needDest,
			path: destPath("relocate-below"), output: outRelocated},
		{name: "move-below-gtid", summary: "move an instance below -d by GTID; print instance<source", needs: needInstance | needDest,
			path: destPath("move-below-gtid"), output: outRelocated},
		{name: "recover-lite", summary: "recover as recover does (-d: the candidate to promote), without running hooks", needs: needInstance,
			path: recoverPath("recover-lite"), output: outDetailsKey},
	}
	return append(t, generalInstanceCommands([]struct{ name, summary string }{
		{"enable-gtid", "make a replica position by GTID (MariaDB MASTER_USE_GTID=slave_pos, MySQL auto-position)"},
		{"disable-gtid", "make a replica position by binary log coordinates (MASTER_USE_GTID=no, auto-position off)"},
	})...)
}

// recoverPath is <op>/H/P, with /DH/DP when -d names the candidate.
func recoverPath(op string) func(o *options) string {
	return func(o *options) string {
		p := op + "/" + o.hostPort(o.instance)
		if o.dest != "" {
			p += "/" + o.hostPort(o.dest)
		}
		return p
	}
}
