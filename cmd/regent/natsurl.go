package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/events/natsnode"
)

const natsURLUsage = `usage: regent nats-url [--role reader|hooks|node|admin] [--config FILE]... [--data-dir DIR] [--set Key=Value]...

Prints the NATS URL of this node's embedded NATS with the credentials of a
role, derived from the cluster secret (NATSClusterSecret, or the secret a
single node generated in its data directory), for the NATS CLI:

  nats -s "$(regent nats-url --role reader)" sub 'regent.>'
  nats -s "$(regent nats-url --role reader)" stream ls

The config is found as by regent serve (--config, /etc/regent.conf.json,
./regent.conf.json, …); --data-dir selects the node by its RaftDataDir.

flags:
`

func runNATSURL(_ context.Context, e env) int {
	fs := flag.NewFlagSet("regent nats-url", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprint(e.stderr, natsURLUsage); fs.PrintDefaults() }
	var configs, sets multiFlag
	role := fs.String("role", natsnode.RoleReader, "reader (subscribe, read the streams), hooks (hook consumers), node (this node's identity) or admin")
	dataDir := fs.String("data-dir", "", "the node's data directory (RaftDataDir)")
	fs.Var(&configs, "config", "the node's config file (repeatable)")
	fs.Var(&sets, "set", "set a config key: Key=Value (repeatable)")
	if err := fs.Parse(e.args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "regent nats-url: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	overrides, err := parseSets(sets)
	if err != nil {
		fmt.Fprintf(e.stderr, "regent nats-url: %v\n", err)
		return 2
	}
	if *dataDir != "" {
		overrides["RaftDataDir"] = *dataDir
	}
	cfg, _, err := config.Load(config.LoadOptions{Files: configs, Env: os.Environ(), Flags: overrides})
	if err != nil {
		fmt.Fprintln(e.stderr, "regent nats-url: config:", err)
		return 1
	}
	u, err := roleURL(cfg, *role)
	if err != nil {
		fmt.Fprintln(e.stderr, "regent nats-url:", err)
		return 1
	}
	fmt.Fprintln(e.stdout, u)
	return 0
}
