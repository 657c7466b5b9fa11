package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// need is a set of arguments a command requires.
type need uint16

const (
	needInstance need = 1 << iota // -i, sent as host/port
	needText                      // -i, sent as free text (search)
	needHint                      // -a, else the raw -i
	needDest                      // -d / -s, sent as host/port
	needOwner                     // -o
	needReason                    // -r
	needDuration                  // -u
	needRule                      // -R
	needPath                      // -P
	needBinlog                    // -n
	needSeconds                   // -S
	needTag                       // -t
	needQuery                     // -q
)

// needChecks run in this order; the message names the argument the way
// orchestrator-client does ("instance must be provided") plus the flag.
type needCheck struct {
	n     need
	name  string
	flag  string
	value func(o *options) string
}

func needChecks() []needCheck {
	return []needCheck{
		{needInstance, "instance", "-i", func(o *options) string { return o.hostPort(o.instance) }},
		{needText, "instance", "-i", func(o *options) string { return o.instance }},
		{needHint, "instance|alias", "-i or -a", (*options).hint},
		{needDest, "destination", "-d", func(o *options) string { return o.hostPort(o.dest) }},
		{needOwner, "owner", "-o", func(o *options) string { return o.owner }},
		{needReason, "reason", "-r", func(o *options) string { return o.reason }},
		{needDuration, "duration", "-u", func(o *options) string { return o.duration }},
		{needRule, "promotion-rule", "-R", func(o *options) string { return o.rule }},
		{needPath, "path", "-P", func(o *options) string { return o.path }},
		{needBinlog, "binlog", "-n", func(o *options) string { return o.binlog }},
		{needSeconds, "seconds", "-S", func(o *options) string { return o.seconds }},
		{needTag, "tag", "-t", func(o *options) string { return o.tag }},
		{needQuery, "query", "-q", func(o *options) string { return o.query }},
	}
}

// command is one entry of the dispatch table. A command either has a path
// (the API path built from the options) and an output formatter, or a run
// function for flows that are more than one request.
type command struct {
	name    string
	summary string
	needs   need
	path    func(o *options) string
	output  func(w io.Writer, r reply) error
	run     func(ctx context.Context, s *session) error
	local   bool // needs no API endpoint
}

// commandTable is every command, in help order.
func commandTable() []command {
	t := []command{
		{name: "help", summary: "show usage, options and the command list", local: true, run: runHelp},
		{name: "which-api", summary: "print the API base URL that would be used (after leader discovery)", run: runWhichAPI},
		{name: "api", summary: "call any API path (-P) and print its JSON", needs: needPath, run: runAPI},
	}
	t = append(t, readCommands()...)
	t = append(t, toolCommands()...)
	t = append(t, writeCommands()...)
	t = append(t, healthCommands()...)
	return append(t, replCtlCommands()...)
}

// orchestratorOnly are orchestrator-client commands regent-client does not
// offer; they get a specific message instead of a bare "Unsupported".
func orchestratorOnly() []string {
	return strings.Fields(`relocate-replicas match match-up match-up-replicas move-equivalent
	move-up-replicas make-co-master take-master move-gtid move-replicas-gtid
	repoint-replicas take-siblings
	submit-pool-instances which-heuristic-cluster-pool-instances
	register-hostname-unresolve deregister-hostname-unresolve
	last-pseudo-gtid raft-elect-leader`)
}

func lookup(name string) (command, error) {
	for _, c := range commandTable() {
		if c.name == name {
			return c, nil
		}
	}
	for _, n := range orchestratorOnly() {
		if n == name {
			return command{}, failf("Unsupported command %s: orchestrator-client has it, regent-client does not implement it", name)
		}
	}
	return command{}, failf("Unsupported command %s (see -c help)", name)
}

// dispatch parses args, checks the command's needs, picks the API endpoint
// and runs the command.
func (a *app) dispatch(ctx context.Context, args []string) error {
	o, err := parseArgs(args, a.getenv, a.whoami)
	if err != nil {
		return err
	}
	if o.help {
		o.command = "help"
	}
	if o.command == "" {
		return failf("No command given. Use %s -c <command> [...] or %s --command <command> [...] to do something useful", a.name, a.name)
	}
	c, err := lookup(o.command)
	if err != nil {
		return err
	}
	for _, chk := range needChecks() {
		if c.needs&chk.n != 0 && chk.value(o) == "" {
			return failf("%s must be provided (%s)", chk.name, chk.flag)
		}
	}
	s := &session{app: a, opts: o}
	if !c.local {
		if err := s.resolveAPI(ctx); err != nil {
			return err
		}
	}
	if c.run != nil {
		return c.run(ctx, s)
	}
	r, err := s.get(ctx, c.path(o))
	if err != nil {
		return err
	}
	return c.output(s.stdout, r)
}

func runHelp(_ context.Context, s *session) error {
	w := s.stdout
	fmt.Fprintf(w, "Usage: %s -c <command> [flags...]\n", s.name)
	fmt.Fprintf(w, "Example: %s -c which-master -i some.replica:3306\n\nOptions:\n", s.name)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, l := range [][2]string{
		{"-c, --command <command>", "the command to run (see below); the first \"slave\" in it reads \"replica\""},
		{"-i <host[:port]>", "instance (default $ORCHESTRATOR_INSTANCE; port from -D)"},
		{"-d, -s <host[:port]>", "destination: the replica to promote, or the new source"},
		{"-a, --alias <alias>", "cluster alias or any cluster hint; wins over -i for cluster commands"},
		{"-o, --owner <owner>", "downtime owner (default: current user)"},
		{"-r, --reason <reason>", "downtime reason or acknowledgement comment"},
		{"-u, --duration <duration>", "downtime duration, e.g. 30m, 2h (default 10m)"},
		{"-R, --promotion-rule <rule>", "prefer, neutral, prefer_not or must_not (register-candidate)"},
		{"-D <port>", "default port for instances given without one (default 3306)"},
		{"-U, --api <url>", "API URL(s), overrides $REGENT_API and $ORCHESTRATOR_API"},
		{"-P, --path <path>", "API path for -c api, e.g. clusters-info"},
		{"-b, --auth <user:password>", "basic auth (default $ORCHESTRATOR_AUTH_USER:$ORCHESTRATOR_AUTH_PASSWORD)"},
		{"-e, --headers-auth <Header: user>", "header auth (default $ORCHESTRATOR_AUTH_USER_HEADER)"},
		{"-n, --binlog <binlog>", "binary log name (purge-binary-logs)"},
		{"-S, --seconds <seconds>", "replication delay in seconds (delay-replication)"},
		{"-t, --tag <tag>", "tag: name or name=value (tagged: comma-separated, ~name negates)"},
		{"-q, --query <query>", "query for restart-replica-statements"},
		{"-l, -H", "pool, hostname (accepted for compatibility)"},
		{"-h, --help", "this help"},
	} {
		fmt.Fprintf(tw, "  %s\t%s\n", l[0], l[1])
	}
	fmt.Fprintln(tw, "\nCommands:")
	for _, c := range commandTable() {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write help: %w", err)
	}
	return nil
}

func runWhichAPI(_ context.Context, s *session) error {
	fmt.Fprintln(s.stdout, s.base)
	return nil
}

// runAPI prints the raw response, pretty-printed; an ERROR envelope is
// printed the same way and the exit status is 1.
func runAPI(ctx context.Context, s *session) error {
	r, err := s.get(ctx, s.opts.path)
	var ae *apiError
	if errors.As(err, &ae) {
		fmt.Fprintln(s.stdout, prettyJSON(ae.raw))
		return errSilent
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(s.stdout, prettyJSON(r.body))
	return nil
}
