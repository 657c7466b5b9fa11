package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// writeCommands are replication control, recovery, downtime, maintenance and raft
// commands. Regent's server decides whether it may act (leader, ReadOnly,
// authorization) and answers with orchestrator's envelope.
func writeCommands() []command {
	t := generalInstanceCommands([]struct{ name, summary string }{
		{"start-replica", "start replication on an instance"},
		{"stop-replica", "stop replication on an instance"},
		{"restart-replica", "stop, then start replication on an instance"},
		{"reset-replica", "reset replication on an instance (use with care)"},
		{"detach-replica", "stop replication and make its source coordinates reversibly invalid"},
		{"reattach-replica", "undo detach-replica"},
		{"set-read-only", "set read_only=1 on an instance"},
		{"set-writeable", "set read_only=0 on an instance"},
		{"gtid-errant-inject-empty", "commit one empty transaction per errant GTID on the cluster's primary"},
		{"gtid-errant-reset-master", "remove an instance's errant GTIDs by RESET MASTER and gtid_purged"},
	})
	return append(t, []command{
		{name: "relocate", summary: "move an instance below the destination (-d); print instance<source", needs: needInstance | needDest,
			path: func(o *options) string { return "relocate/" + o.hostPort(o.instance) + "/" + o.hostPort(o.dest) }, output: outRelocated},
		{name: "recover", summary: "recover a failed instance now, if the analysis shows a failure (-d: the candidate to promote)", needs: needInstance, path: recoverPath("recover"), output: outDetailsKey},
		{name: "graceful-master-takeover", summary: "planned switchover: promote -d (a direct replica) in the cluster of -a/-i", needs: needHint, run: runTakeover("graceful-master-takeover", false)},
		{name: "graceful-master-takeover-auto", summary: "planned switchover; without -d Regent picks the replica", needs: needHint, run: runTakeover("graceful-master-takeover-auto", false)},
		{name: "force-master-failover", summary: "fail over the cluster's primary now, even if it looks healthy", needs: needHint,
			path: func(o *options) string { return "force-master-failover/" + url.PathEscape(o.hint()) }, output: outDetailsField("SuccessorKey")},
		{name: "force-master-takeover", summary: "fail over now and promote -d (a direct replica)", needs: needHint | needDest, run: runTakeover("force-master-takeover", true)},
		{name: "register-candidate", summary: "set an instance's promotion rule (-R)", needs: needInstance | needRule,
			path: func(o *options) string {
				return "register-candidate/" + o.hostPort(o.instance) + "/" + url.PathEscape(o.rule)
			}, output: outDetailsKey},
		{name: "begin-downtime", summary: "downtime an instance (-o owner, -r reason, -u duration)", needs: needInstance | needOwner | needReason | needDuration,
			path: func(o *options) string {
				return "begin-downtime/" + o.hostPort(o.instance) + "/" + escapeURI(o.owner) + "/" + escapeURI(o.reason) + "/" + url.PathEscape(o.duration)
			}, output: outDetailsKey},
		{name: "end-downtime", summary: "end an instance's downtime", needs: needInstance, path: instPath("end-downtime"), output: outDetailsKey},
		{name: "begin-maintenance", summary: "put an instance in maintenance for 10m: no automated recovery (-o owner, -r reason)", needs: needInstance | needOwner | needReason,
			path: func(o *options) string {
				return "begin-maintenance/" + o.hostPort(o.instance) + "/" + escapeURI(o.owner) + "/" + escapeURI(o.reason)
			}, output: outDetailsKey},
		{name: "end-maintenance", summary: "end an instance's maintenance", needs: needInstance, path: instPath("end-maintenance"), output: outDetailsKey},
		{name: "ack-cluster-recoveries", summary: "acknowledge a cluster's recoveries (-r comment)", needs: needHint | needReason,
			path: func(o *options) string {
				return "ack-recovery/cluster/" + url.PathEscape(o.hint()) + "?comment=" + escapeURI(o.reason)
			}, output: outDetailsText},
		{name: "ack-instance-recoveries", summary: "acknowledge an instance's recoveries (-r comment)", needs: needInstance | needReason,
			path: func(o *options) string {
				return "ack-recovery/instance/" + o.hostPort(o.instance) + "?comment=" + escapeURI(o.reason)
			}, output: outDetailsText},
		{name: "ack-all-recoveries", summary: "acknowledge all recoveries (-r comment)", needs: needReason,
			path: func(o *options) string { return "ack-all-recoveries?comment=" + escapeURI(o.reason) }, output: outDetailsText},
		{name: "disable-global-recoveries", summary: "stop all automated recoveries", path: fixedPath("disable-global-recoveries"), output: outDetailsText},
		{name: "enable-global-recoveries", summary: "allow automated recoveries", path: fixedPath("enable-global-recoveries"), output: outDetailsText},
		{name: "check-global-recoveries", summary: "print whether automated recoveries are enabled", path: fixedPath("check-global-recoveries"), output: outDetailsText},
		{name: "raft-leader", summary: "print the leader node's address", run: runRaftLeader},
		{name: "raft-health", summary: "print healthy, or fail if this node is not part of a healthy group", path: fixedPath("raft-health"), output: outDetailsText},
		{name: "raft-leader-hostname", summary: "print the leader node's hostname", run: runRaftLeaderHostname},
	}...)
}

func instPath(prefix string) func(o *options) string {
	return func(o *options) string { return prefix + "/" + o.hostPort(o.instance) }
}

func fixedPath(p string) func(o *options) string { return func(*options) string { return p } }

// outDetailsKey prints Details itself as a key.
func outDetailsKey(w io.Writer, r reply) error {
	k, err := keyOf(r.data())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, k)
	return err
}

// outRelocated prints "instance<source" from Details.Key and Details.MasterKey.
func outRelocated(w io.Writer, r reply) error {
	k, err := fieldKey(r.data(), "Key")
	if err != nil {
		return err
	}
	m, err := fieldKey(r.data(), "MasterKey")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s<%s\n", k, m)
	return err
}

// runTakeover calls <op>/<hint>[/DH/DP] and prints Details.SuccessorKey.
// When -d is given it first asks for the cluster's primary: naming the
// current primary with -d is the usual mistake (the runbook's
// "-a <new> -d <old>" reading), and the client says so with the right form.
func runTakeover(op string, destRequired bool) func(ctx context.Context, s *session) error {
	return func(ctx context.Context, s *session) error {
		o := s.opts
		hint := url.PathEscape(o.hint())
		path := op + "/" + hint
		if o.dest != "" {
			m, err := s.get(ctx, "master/"+hint)
			if err != nil {
				return err
			}
			primary, err := fieldKey(m.data(), "Key")
			if err != nil {
				return err
			}
			if strings.EqualFold(primary, o.instanceKey(o.dest)) {
				return failf("%s: -d must name the replica to promote; %s is the current primary. Use: -c %s -a <cluster or any instance> -d <replica to promote>",
					op, primary, op)
			}
			path += "/" + o.hostPort(o.dest)
		} else if destRequired {
			return failf("destination must be provided (-d)")
		}
		r, err := s.get(ctx, path)
		if err != nil {
			return err
		}
		return outDetailsField("SuccessorKey")(s.stdout, r)
	}
}

// runRaftLeader checks raft-state mentions Leader, then prints raft-leader.
func runRaftLeader(ctx context.Context, s *session) error {
	if err := s.requireRaftLeaderState(ctx); err != nil {
		return err
	}
	r, err := s.get(ctx, "raft-leader")
	if err != nil {
		return err
	}
	return outDetailsText(s.stdout, r)
}

// runRaftLeaderHostname prints status' Details.Hostname from the leader.
func runRaftLeaderHostname(ctx context.Context, s *session) error {
	if err := s.requireRaftLeaderState(ctx); err != nil {
		return err
	}
	r, err := s.get(ctx, "status")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(s.stdout, jqText(field(r.data(), "Hostname")))
	return err
}

// requireRaftLeaderState is orchestrator-client's guard: the chosen node's
// raft-state must contain "Leader" (with several URLs, leader discovery
// already picked the leader).
func (s *session) requireRaftLeaderState(ctx context.Context) error {
	r, err := s.get(ctx, "raft-state")
	if err != nil {
		return err
	}
	if !strings.Contains(jqText(r.data()), "Leader") {
		return failf("Cannot determine raft state")
	}
	return nil
}

// generalInstanceCommands are orchestrator-client's general_instance_command
// ones: GET <name>/H/P for -i, printing Details.Key.
func generalInstanceCommands(list []struct{ name, summary string }) []command {
	t := make([]command, 0, len(list))
	for _, g := range list {
		t = append(t, command{name: g.name, summary: g.summary, needs: needInstance, path: instPath(g.name), output: outDetailsField("Key")})
	}
	return t
}
