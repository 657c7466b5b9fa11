package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators/consumer"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/events/natsnode"
)

const hooksUsage = `usage: regent hooks consume --durable NAME [--filter SUBJECT]... [flags] -- CMD [ARGS...]

Runs CMD once per event of Regent's event log (stream REGENT_EVENTS) through
a durable JetStream pull consumer. The event's JSON is on CMD's stdin; its
environment has REGENT_EVENT_ID, REGENT_EVENT_KIND, REGENT_EVENT_SEQ,
REGENT_EVENT_SUBJECT, REGENT_EVENT_TIME, REGENT_CLUSTER, REGENT_INSTANCE,
REGENT_ORIGIN, REGENT_DELIVERY, REGENT_CONSUMER and, for failure and
recovery events, orchestrator's ORC_* variables the event provides.

Exit 0 acknowledges the event; a failure or timeout retries it after the
next backoff delay; after --max-deliver failed runs a dead-letter event is
appended and the event is dropped. Acknowledged events never run again,
across restarts; processes with the same --durable share the events.
SIGTERM/SIGINT: no new event is taken, the running CMD finishes (bounded by
--timeout), exit 0. See docs/operations.md.

Filters are subjects of REGENT_EVENTS, e.g. 'regent.evt.*.failure-detected'
or 'regent.evt.198_18_0_2-3306.>' (default: every event).

flags:
`

// runHooks is `regent hooks <subcommand>`; only "consume" exists.
func runHooks(ctx context.Context, e env) int {
	if len(e.args) == 0 || e.args[0] != "consume" {
		if len(e.args) > 0 && (e.args[0] == "help" || e.args[0] == "-h" || e.args[0] == "--help") {
			fmt.Fprint(e.stdout, hooksUsage)
			return 0
		}
		fmt.Fprint(e.stderr, hooksUsage)
		return 2
	}
	return runHooksConsume(ctx, e)
}

// hooksFlags are the parsed flags of `hooks consume`.
type hooksFlags struct {
	natsFlags
	cfg                 consumer.Config
	logFormat, logLevel string
}

func parseHooksFlags(e env) (hooksFlags, error) {
	var h hooksFlags
	fs := flag.NewFlagSet("regent hooks consume", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() { fmt.Fprint(e.stderr, hooksUsage); fs.PrintDefaults() }
	var filters multiFlag
	backoff := consumer.Backoff(consumer.DefaultBackoff)
	fs.Var(&filters, "filter", "subject of REGENT_EVENTS to consume (repeatable; default every event)")
	fs.StringVar(&h.cfg.Durable, "durable", "", "durable consumer name (required); processes with the same name share the events")
	h.natsFlags.register(fs, natsnode.RoleHooks) // --password defaults to $REGENT_NATSPassword
	fs.IntVar(&h.cfg.MaxDeliver, "max-deliver", consumer.DefaultMaxDeliver, "runs of CMD on one event before it is dead-lettered")
	fs.DurationVar(&h.cfg.AckWait, "ack-wait", consumer.DefaultAckWait, "time without an answer before the server delivers an event again")
	fs.Var(&backoff, "backoff", "delays before the 1st, 2nd, … retry of a failed run; the last repeats")
	fs.DurationVar(&h.cfg.Timeout, "timeout", consumer.DefaultTimeout, "bound of one run of CMD (then SIGTERM, SIGKILL to its process group)")
	deliver := fs.String("deliver", "new", "where a new durable starts: new, all, a duration (e.g. 2h: events since then) or an RFC 3339 time")
	fs.StringVar(&h.logFormat, "log-format", "auto", "log format: json, console or auto")
	fs.StringVar(&h.logLevel, "log-level", "info", "log level")
	if err := fs.Parse(e.args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return h, err
		}
		return h, errFlagsReported // the flag package printed it
	}
	h.cfg.Filters, h.cfg.Backoff, h.cfg.Command = filters, backoff, fs.Args()
	if h.auth.Password == "" && h.auth.User != "" {
		h.auth.Password = e.getenv("REGENT_NATSPassword")
	}
	switch {
	case h.cfg.Durable == "":
		return h, errors.New("--durable is required")
	case len(h.cfg.Command) == 0:
		return h, errors.New("a command is required after --")
	case h.cfg.MaxDeliver < 1:
		return h, errors.New("--max-deliver must be at least 1")
	case h.cfg.AckWait <= 0 || h.cfg.Timeout <= 0:
		return h, errors.New("--ack-wait and --timeout must be positive")
	}
	return h, h.cfg.ParseDeliver(*deliver, time.Now())
}

// errFlagsReported is a flag error the flag package already printed.
var errFlagsReported = errors.New("bad flags")

func runHooksConsume(ctx context.Context, e env) int {
	h, err := parseHooksFlags(e)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		if !errors.Is(err, errFlagsReported) {
			fmt.Fprintf(e.stderr, "regent hooks consume: %v\n", err)
		}
		return 2
	}
	lg, err := newLogger(e.stderr, h.logFormat, h.logLevel)
	if err != nil {
		fmt.Fprintf(e.stderr, "regent hooks consume: %v\n", err)
		return 2
	}
	if err := hooksConsume(ctx, h, lg); err != nil {
		lg.Error().Err(err).Msg("hook consumer failed")
		return 1
	}
	return 0
}

func hooksConsume(ctx context.Context, h hooksFlags, lg zerolog.Logger) error {
	host, _ := os.Hostname()
	nc, err := h.connect("regent-hooks-"+h.cfg.Durable, natsnode.RoleHooks, true)
	if err != nil {
		return err
	}
	defer nc.Close()
	l, err := eventlog.New(nc, lg, events.StreamOptions{})
	if err != nil {
		return err
	}
	h.cfg.Env = os.Environ()
	h.cfg.Origin = "regent-hooks/" + h.cfg.Durable + "@" + host
	c, err := consumer.New(l, h.cfg, lg)
	if err != nil {
		return err
	}
	return c.Run(ctx)
}
