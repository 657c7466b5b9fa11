package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
)

// readCommands are discovery, topology and information commands.
func readCommands() []command {
	inst := func(prefix string) func(o *options) string {
		return func(o *options) string { return prefix + "/" + o.hostPort(o.instance) }
	}
	hint := func(prefix string) func(o *options) string {
		return func(o *options) string { return prefix + "/" + url.PathEscape(o.hint()) }
	}
	fixed := func(p string) func(o *options) string { return func(*options) string { return p } }
	return []command{
		{name: "discover", summary: "probe an instance now and crawl its topology; print its key", needs: needInstance, path: inst("discover"), output: outDetailsField("Key")},
		{name: "async-discover", summary: "start discovering an instance in the background", needs: needInstance, path: inst("async-discover"), output: outDetailsField("Key")},
		{name: "forget", summary: "forget an instance", needs: needInstance, path: inst("forget"), output: outNothing},
		{name: "forget-cluster", summary: "forget every instance of a cluster", needs: needHint, path: hint("forget-cluster"), output: outNothing},
		{name: "search", summary: "list instances whose host, cluster, version, alias, server id or port contains -i", needs: needText,
			path: func(o *options) string { return "search?s=" + escapeURI(o.instance) }, output: outBodyKeys},
		{name: "topology", summary: "print the replication tree of a cluster", needs: needHint, path: hint("topology"), output: outDetailsText},
		{name: "topology-tabulated", summary: "print the replication tree of a cluster in columns", needs: needHint, path: hint("topology-tabulated"), output: outDetailsText},
		{name: "clusters", summary: "list cluster names", path: fixed("clusters-info"), output: outEach(func(c json.RawMessage) string { return jqText(field(c, "ClusterName")) })},
		{name: "clusters-alias", summary: "list clusters as name,alias", path: fixed("clusters-info"), output: outEach(func(c json.RawMessage) string { return str(c, "ClusterName") + "," + str(c, "ClusterAlias") })},
		{name: "instance", summary: "print an instance's key, or fail if unknown", needs: needInstance, path: inst("instance"), output: outBodyKey("Key")},
		{name: "which-instance", summary: "same as instance", needs: needInstance, path: inst("instance"), output: outBodyKey("Key")},
		{name: "which-master", summary: "print the source of an instance (\":0\" for a primary)", needs: needInstance, path: inst("instance"), output: outBodyKey("MasterKey")},
		{name: "which-replicas", summary: "list the direct replicas of an instance", needs: needInstance, path: inst("instance-replicas"), output: outBodyKeys},
		{name: "which-broken-replicas", summary: "list direct replicas with a stopped thread and a replication error", needs: needInstance, path: inst("instance-replicas"), output: outBrokenReplicas},
		{name: "which-cluster", summary: "print the cluster name of an instance or alias", needs: needHint, path: hint("cluster-info"), output: outBodyField("ClusterName")},
		{name: "which-cluster-alias", summary: "print the cluster alias", needs: needHint, path: hint("cluster-info"), output: outBodyField("ClusterAlias")},
		{name: "which-cluster-master", summary: "print the writable primary of a cluster", needs: needHint, path: hint("master"), output: outBodyField("ClusterName")},
		{name: "which-cluster-instances", summary: "list the instances of a cluster", needs: needHint, path: hint("cluster"), output: outBodyKeys},
		{name: "all-instances", summary: "list every known instance", path: fixed("all-instances"), output: outBodyKeys},
		{name: "all-clusters-masters", summary: "list the writable primary of each cluster", path: fixed("masters"), output: outBodyKeys},
		{name: "replication-analysis", summary: "print the current failure analysis of every instance", path: fixed("replication-analysis"), output: outAnalysis},
		{name: "is-replicating", summary: "print the key if both replication threads run, else nothing", needs: needInstance, path: inst("instance"), output: outIfThreadStates(1)},
		{name: "is-replication-stopped", summary: "print the key if both replication threads are stopped, else nothing", needs: needInstance, path: inst("instance"), output: outIfThreadStates(0)},
		{name: "which-gtid-errant", summary: "print an instance's errant GTID set (empty if none)", needs: needInstance, path: inst("instance"), output: outBodyField("GtidErrant")},
		{name: "locate-gtid-errant", summary: "list the binary logs that contain errant GTIDs", needs: needInstance, path: inst("locate-gtid-errant"), output: outDetailsLines},
	}
}

// data is Details for an envelope, else the bare body.
func (r reply) data() json.RawMessage {
	if r.envelope {
		return r.details
	}
	return r.body
}

func outNothing(io.Writer, reply) error { return nil }

// outDetailsField prints Details.<name> as a key (discover, generic
// instance commands).
func outDetailsField(name string) func(w io.Writer, r reply) error {
	return func(w io.Writer, r reply) error {
		k, err := fieldKey(r.data(), name)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, k)
		return err
	}
}

// outBodyKey prints <name> of the bare body as a key.
func outBodyKey(name string) func(w io.Writer, r reply) error {
	return func(w io.Writer, r reply) error {
		k, err := fieldKey(r.data(), name)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, k)
		return err
	}
}

// outBodyField is `jq -r .<name>` on the body.
func outBodyField(name string) func(w io.Writer, r reply) error {
	return func(w io.Writer, r reply) error {
		_, err := fmt.Fprintln(w, jqText(field(r.data(), name)))
		return err
	}
}

// outDetailsText is `jq -r .Details`: topology text verbatim, or strings
// such as "enabled".
func outDetailsText(w io.Writer, r reply) error {
	_, err := fmt.Fprintln(w, jqText(r.data()))
	return err
}

// outDetailsLines is `.Details[]`, one `jq -r` line each.
func outDetailsLines(w io.Writer, r reply) error {
	list, err := items(r.data())
	if err != nil {
		return err
	}
	for _, it := range list {
		fmt.Fprintln(w, jqText(it))
	}
	return nil
}

// outEach prints one line per element of the body array.
func outEach(line func(json.RawMessage) string) func(w io.Writer, r reply) error {
	return func(w io.Writer, r reply) error {
		list, err := items(r.data())
		if err != nil {
			return err
		}
		for _, it := range list {
			fmt.Fprintln(w, line(it))
		}
		return nil
	}
}

// outBodyKeys prints `.[] | .Key` of the body, one key per line.
func outBodyKeys(w io.Writer, r reply) error {
	return printKeys(w, r.data(), func(json.RawMessage) bool { return true })
}

func printKeys(w io.Writer, list json.RawMessage, keep func(json.RawMessage) bool) error {
	all, err := items(list)
	if err != nil {
		return err
	}
	for _, it := range all {
		if !keep(it) {
			continue
		}
		k, err := fieldKey(it, "Key")
		if err != nil {
			return err
		}
		fmt.Fprintln(w, k)
	}
	return nil
}

// replicationState holds the instance fields the thread filters read.
// Pointers keep jq's distinction between false and missing (null).
type replicationState struct {
	ReplicationSQLThreadRuning *bool // sic, orchestrator's spelling
	ReplicationIOThreadRuning  *bool
	ReplicationSQLThreadState  *int
	ReplicationIOThreadState   *int
	LastSQLError               *string
	LastIOError                *string
}

func stateOf(raw json.RawMessage) replicationState {
	var s replicationState
	_ = json.Unmarshal(raw, &s)
	return s
}

func isFalse(b *bool) bool      { return b != nil && !*b }
func nonEmpty(s *string) bool   { return s == nil || *s != "" } // jq: null != "" is true
func equals(p *int, v int) bool { return p != nil && *p == v }

// outBrokenReplicas keeps replicas with a stopped thread and an error.
func outBrokenReplicas(w io.Writer, r reply) error {
	return printKeys(w, r.data(), func(it json.RawMessage) bool {
		s := stateOf(it)
		return (isFalse(s.ReplicationSQLThreadRuning) || isFalse(s.ReplicationIOThreadRuning)) &&
			(nonEmpty(s.LastSQLError) || nonEmpty(s.LastIOError))
	})
}

// outIfThreadStates prints the instance key when both thread states equal v
// (1 running, 0 stopped), else nothing.
func outIfThreadStates(v int) func(w io.Writer, r reply) error {
	return func(w io.Writer, r reply) error {
		s := stateOf(r.data())
		if !equals(s.ReplicationSQLThreadState, v) || !equals(s.ReplicationIOThreadState, v) {
			return nil
		}
		return outBodyKey("Key")(w, r)
	}
}

// outAnalysis prints "host:port (cluster C): Analysis", or the first
// structure analysis code for NoProblem entries.
func outAnalysis(w io.Writer, r reply) error {
	list, err := items(r.data())
	if err != nil {
		return err
	}
	for _, it := range list {
		k, err := fieldKey(it, "AnalyzedInstanceKey")
		if err != nil {
			return err
		}
		what := str(it, "Analysis")
		if what == "NoProblem" {
			var structure []string
			_ = json.Unmarshal(field(it, "StructureAnalysis"), &structure)
			what = ""
			if len(structure) > 0 {
				what = structure[0]
			}
		}
		fmt.Fprintf(w, "%s (cluster %s): %s\n", k, str(field(it, "ClusterDetails"), "ClusterName"), what)
	}
	return nil
}
