package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/regent-ha/regent/control/audit"
)

// topologyFlags are `regent topology`'s flags.
type topologyFlags struct {
	audit     auditFlags
	at        string
	hint      string
	tabulated bool
}

func parseTopologyFlags(e env) (topologyFlags, error) {
	var f topologyFlags
	fs := flag.NewFlagSet("regent topology", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	f.audit.register(fs)
	fs.StringVar(&f.at, "at", "", "the instant: RFC 3339 or a duration ago (2h, 10m); default now")
	fs.StringVar(&f.hint, "i", "", "the cluster: name, alias or an instance of it (host[:port])")
	fs.BoolVar(&f.tabulated, "tabulated", false, "columns, as topology-tabulated")
	if err := fs.Parse(e.args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("regent topology: unexpected argument %q", fs.Arg(0))
	}
	if f.hint == "" {
		return f, errors.New("regent topology: -i CLUSTER is required")
	}
	return f, nil
}

// runTopology prints the topology as Regent believed it at --at, in the
// format of `topology`.
func runTopology(ctx context.Context, e env) int {
	f, err := parseTopologyFlags(e)
	return runAt(e, "regent topology", err, f.at, func(at time.Time) (string, error) { return topologyAt(ctx, e, f, at) })
}

func topologyAt(ctx context.Context, e env, f topologyFlags, at time.Time) (string, error) {
	s, _, err := f.audit.settings()
	if err != nil {
		return "", err
	}
	a, err := f.audit.open(auditLogger(e.stderr))
	if err != nil {
		return "", err
	}
	defer a.Close()
	text, err := a.TopologyAt(ctx, s, at, f.hint, f.tabulated, audit.NewProgress(e.stderr))
	a.ReportSkips(e.stderr, "regent topology")
	return text, err
}
