package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
)

// toolCommands are the reads that online-schema-change wrappers and
// runbooks call: OSC control replicas, downtimed instances, the dominant
// data center, can-replicate-from, restart-replica-statements and
// snapshot-topologies. Each prints what orchestrator-client prints.
func toolCommands() []command {
	hint := func(prefix string) func(o *options) string {
		return func(o *options) string { return prefix + "/" + url.PathEscape(o.hint()) }
	}
	pair := func(prefix string) func(o *options) string {
		return func(o *options) string { return prefix + "/" + o.hostPort(o.instance) + "/" + o.hostPort(o.dest) }
	}
	return []command{
		{name: "which-cluster-osc-replicas", summary: "list replicas fit to control an online schema change (pt-osc, gh-ost)", needs: needHint,
			path: hint("cluster-osc-replicas"), output: outBodyKeys},
		{name: "which-cluster-osc-running-replicas", summary: "the same, only replicas whose both threads run", needs: needHint,
			path: hint("cluster-osc-replicas"), output: outRunningReplicas},
		// orchestrator-client sends "downtimed/" when neither -a nor -i is given.
		{name: "downtimed", summary: "list downtimed instances, of the cluster of -i/-a if given", path: hint("downtimed"), output: outBodyKeys},
		{name: "dominant-dc", summary: "print the data center where most primaries are", path: func(*options) string { return "masters" }, output: outDominantDC},
		{name: "can-replicate-from", summary: "print -d if -i could replicate from it, by replication rules", needs: needInstance | needDest,
			path: pair("can-replicate-from"), output: outIfMessageTrue},
		{name: "can-replicate-from-gtid", summary: "the same, also checking a move by GTID", needs: needInstance | needDest,
			path: pair("can-replicate-from-gtid"), output: outIfMessageTrue},
		{name: "restart-replica-statements", summary: "wrap the query -q in the stop/start statements that keep -i's replication state",
			needs: needInstance | needQuery, path: func(o *options) string {
				return "restart-replica-statements/" + o.hostPort(o.instance) + "?q=" + escapeURI(o.query)
			}, output: outDetailsEcho},
		{name: "topology-tags", summary: "print the replication tree of a cluster with each instance's tags", needs: needHint,
			path: hint("topology-tags"), output: outDetailsText},
		{name: "tags", summary: "list an instance's tags (name=value)", needs: needInstance,
			path: func(o *options) string { return "tags/" + o.hostPort(o.instance) }, output: outDetailsLines},
		{name: "tag-value", summary: "print the value of an instance's tag -t", needs: needInstance | needTag,
			path: withTag("tag-value"), output: outDetailsText},
		{name: "tag", summary: "tag an instance with -t name or name=value", needs: needInstance | needTag,
			path: withTag("tag"), output: outDataKey},
		{name: "untag", summary: "remove the tag -t from an instance; print it if it had it", needs: needInstance | needTag,
			path: withTag("untag"), output: outDetailsKeys},
		{name: "untag-all", summary: "remove the tag -t (name=value) from every instance; print those that had it", needs: needTag,
			path: func(o *options) string { return "untag-all?tag=" + escapeURI(o.tag) }, output: outDetailsKeys},
		{name: "tagged", summary: "list the instances tagged -t (name, name=value, ~name; comma-separated for all of them)", needs: needTag,
			path: func(o *options) string { return "tagged/" + o.hostPort(o.instance) + "?tag=" + escapeURI(o.tag) }, output: outBodyKeyList},
		{name: "snapshot-topologies", summary: "answer as orchestrator (Regent's event log already records every topology)",
			path: func(*options) string { return "snapshot-topologies" }, output: outDetailsText},
	}
}

// outRunningReplicas keeps instances whose SQL and IO threads both run
// (orchestrator-client's filter_running_replicas).
func outRunningReplicas(w io.Writer, r reply) error {
	return printKeys(w, r.data(), func(it json.RawMessage) bool {
		s := stateOf(it)
		return isTrue(s.ReplicationSQLThreadRuning) && isTrue(s.ReplicationIOThreadRuning)
	})
}

func isTrue(b *bool) bool { return b != nil && *b }

// outDominantDC is `jq -r '.[].DataCenter' | sort | uniq -c | sort -nr |
// head -n 1 | awk '{print $2}'`: the most frequent data center; a tie goes
// to the name sort -r puts first, an empty name prints an empty line.
func outDominantDC(w io.Writer, r reply) error {
	list, err := items(r.data())
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, it := range list {
		counts[jqText(field(it, "DataCenter"))]++ // uniq -c counts whole lines
	}
	if len(counts) == 0 {
		return nil
	}
	names := make([]string, 0, len(counts))
	for n := range counts {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(b, a)) })
	first := "" // awk's $2: the first word
	if f := strings.Fields(names[0]); len(f) > 0 {
		first = f[0]
	}
	_, err = fmt.Fprintln(w, first)
	return err
}

// outIfMessageTrue prints Details as a key when Message contains "true".
func outIfMessageTrue(w io.Writer, r reply) error {
	if !strings.Contains(r.message, "true") {
		return nil
	}
	return outDataKey(w, r)
}

// outDetailsEcho prints Details as `echo $api_details` does: the jq
// layout with every run of white space made one space.
func outDetailsEcho(w io.Writer, r reply) error {
	_, err := fmt.Fprintln(w, strings.Join(strings.Fields(prettyJSON(r.data())), " "))
	return err
}

// withTag is "<prefix>/H/P?tag=<-t>".
func withTag(prefix string) func(o *options) string {
	return func(o *options) string { return prefix + "/" + o.hostPort(o.instance) + "?tag=" + escapeURI(o.tag) }
}

// outDataKey prints Details (or the body), a key.
func outDataKey(w io.Writer, r reply) error {
	k, err := keyOf(r.data())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, k)
	return err
}

// outDetailsKeys prints Details, a list of keys, one per line.
func outDetailsKeys(w io.Writer, r reply) error { return outBodyKeyList(w, r) }

// outBodyKeyList prints a list of bare keys ({Hostname, Port}), one per
// line (orchestrator-client's print_keys).
func outBodyKeyList(w io.Writer, r reply) error {
	list, err := items(r.data())
	if err != nil {
		return err
	}
	for _, it := range list {
		k, err := keyOf(it)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, k)
	}
	return nil
}
