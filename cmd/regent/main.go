// Command regent is the Regent server and its admin commands.
//
// Each subcommand lives in its own file (<verb>.go) and registers itself in
// the commands table below. main is the only place that calls os.Exit.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// env is what a subcommand gets from the process: arguments after the verb,
// the standard streams and the process environment.
type env struct {
	args   []string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// command is one `regent <verb>`.
type command struct {
	summary string
	run     func(ctx context.Context, e env) int
}

// commands is the dispatch table; filled by the command files.
func commands() map[string]command {
	return map[string]command{
		"serve":    {summary: "run a Regent node (embedded NATS JetStream, probes, API)", run: runServe},
		"config":   {summary: "config check [FILE]: print the effective config, or its errors and warnings", run: runConfig},
		"hooks":    {summary: "hooks consume --durable NAME -- CMD: run a command per event (durable JetStream consumer)", run: runHooks},
		"version":  {summary: "print the version", run: runVersion},
		"nats-url": {summary: "nats-url --role reader|hooks|node|admin: the node's NATS URL with a role's credentials (for the NATS CLI)", run: runNATSURL},
		"replay":   {summary: "print the event log as a timeline or JSON lines; --verify re-derives every recorded decision", run: runReplay},
		"topology": {summary: "topology --at TIME -i CLUSTER: the topology as Regent believed it at that moment", run: runTopology},
		"why":      {summary: "why RECOVERY-ID | why --cluster C --at TIME: a decision and its evidence, or why nothing happened", run: runWhy},
	}
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func runVersion(_ context.Context, e env) int {
	fmt.Fprintf(e.stdout, "regent %s\n", version)
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: regent <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "regent: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return c.run(ctx, env{args: args[1:], stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv})
}
