package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/fleetsim"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fleetsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o fleetsim.Options
	fs.IntVar(&o.Instances, "instances", 1000, "instances in the whole fleet (clusters of 3–5)")
	fs.IntVar(&o.Octet, "octet", 0, "second address byte, 127.OCTET.C.D (0: random; required with -shards)")
	fs.IntVar(&o.Port, "port", 3306, "port of every instance")
	fs.IntVar(&o.Shard, "shard", 0, "this process's shard")
	fs.IntVar(&o.Shards, "shards", 1, "processes the fleet is split over")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := zerolog.New(stderr).With().Timestamp().Logger()
	f, err := fleetsim.New(o, log)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	select {
	case <-f.Ready():
	case err := <-done:
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintln(stdout, "ready")
	go func() { commands(f, stdin, stdout); cancel() }() // ends with stdin (or the process); Run ends with cancel
	if err := <-done; err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// commands answers stdin's commands until it closes.
func commands(f *fleetsim.Fleet, stdin io.Reader, stdout io.Writer) {
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		switch cmd {
		case "kill", "revive":
			k, err := parseKey(arg)
			switch {
			case err != nil:
			case cmd == "kill":
				err = f.Kill(k)
			default:
				err = f.Revive(k)
			}
			if err != nil {
				fmt.Fprintln(stdout, "error", err)
				continue
			}
			fmt.Fprintln(stdout, "ok")
		case "queries":
			fmt.Fprintln(stdout, f.Queries())
		default:
			fmt.Fprintln(stdout, "error unknown command", cmd)
		}
	}
}

func parseKey(s string) (events.InstanceKey, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return events.InstanceKey{}, fmt.Errorf("parse instance key %q: %w", s, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return events.InstanceKey{}, fmt.Errorf("parse instance key %q: %w", s, err)
	}
	return events.InstanceKey{Hostname: host, Port: p}, nil
}
