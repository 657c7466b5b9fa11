package consumer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
)

// Defaults of Config.
const (
	DefaultMaxDeliver = 5
	DefaultAckWait    = 30 * time.Second
	DefaultTimeout    = 60 * time.Second
	DefaultKillGrace  = 2 * time.Second
	DefaultPollWait   = time.Second
	DefaultMaxOutput  = 8 << 10
)

// DefaultBackoff is the delay before each retry of a failed command; the
// last value repeats.
var DefaultBackoff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second}

// Config describes one hook consumer.
type Config struct {
	// Durable is the consumer's name on the server; processes with the
	// same name share its events.
	Durable string
	// Filters are the subjects of REGENT_EVENTS to consume, e.g.
	// "regent.evt.*.failure-detected" (empty: every event).
	Filters []string
	// Command is the program and its arguments (run without a shell).
	Command []string
	// Env is the base environment of the command (e.g. os.Environ()).
	Env []string
	// MaxDeliver is how many times the command runs on one event before
	// it is dead-lettered.
	MaxDeliver int
	// AckWait is how long the server waits for an answer before it
	// delivers an event again (to any process of the durable).
	AckWait time.Duration
	// Backoff are the delays before the 1st, 2nd, … retry of a failed run.
	Backoff []time.Duration
	// Timeout bounds one run; KillGrace is the time between SIGTERM and
	// SIGKILL to the command's process group.
	Timeout   time.Duration
	KillGrace time.Duration
	// Where a new durable starts: at StartTime when set, else at the first
	// stored event when DeliverAll, else with the events appended after its
	// creation. Only creation uses them: afterwards it resumes where it is.
	DeliverAll bool
	StartTime  time.Time
	// Origin is written as the Origin of dead-letter events.
	Origin string
	// PollWait bounds one pull request, hence how long a stop waits when
	// idle.
	PollWait time.Duration
	// MaxOutput is how much of the command's output (the tail) is kept for
	// the log and the dead letter.
	MaxOutput int
}

// Consumer runs Config.Command for each event of its durable consumer.
type Consumer struct {
	cfg Config
	log *eventlog.Log
	js  jetstream.JetStream
	lg  zerolog.Logger
}

// New checks cfg, fills in defaults and returns a consumer that appends its
// dead letters to l.
func New(l *eventlog.Log, cfg Config, lg zerolog.Logger) (*Consumer, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	return &Consumer{cfg: cfg, log: l, js: l.JetStream(),
		lg: lg.With().Str(events.LogComponent, "hooks").Str("durable", cfg.Durable).Logger()}, nil
}

func (c *Config) fill() error {
	switch {
	case c.Durable == "":
		return errors.New("check hook consumer: a durable name is required")
	case strings.ContainsAny(c.Durable, ".*> \t"):
		return fmt.Errorf("check hook consumer: durable name %q may not contain '.', '*', '>' or spaces", c.Durable)
	case len(c.Command) == 0 || c.Command[0] == "":
		return errors.New("check hook consumer: a command is required")
	case c.MaxDeliver < 0 || c.AckWait < 0 || c.Timeout < 0:
		return errors.New("check hook consumer: negative max-deliver, ack wait or timeout")
	}
	if len(c.Filters) == 0 {
		c.Filters = []string{events.EventsAll}
	}
	for _, f := range c.Filters {
		if f != events.EventsAll && !strings.HasPrefix(f, events.EventRoot+".") {
			return fmt.Errorf("check hook consumer: filter %q is not a subject of %s (%s)", f, events.EventsName, events.EventsAll)
		}
	}
	for _, d := range c.Backoff {
		if d <= 0 {
			return fmt.Errorf("check hook consumer: backoff %s is not positive", d)
		}
	}
	setDefault(&c.MaxDeliver, DefaultMaxDeliver)
	setDefault(&c.AckWait, DefaultAckWait)
	setDefault(&c.Timeout, DefaultTimeout)
	setDefault(&c.KillGrace, DefaultKillGrace)
	setDefault(&c.PollWait, DefaultPollWait)
	setDefault(&c.MaxOutput, DefaultMaxOutput)
	if len(c.Backoff) == 0 {
		c.Backoff = DefaultBackoff
	}
	if c.Origin == "" {
		c.Origin = "regent-hooks/" + c.Durable
	}
	return nil
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v == 0 {
		*v = d
	}
}

// Delay is the wait before the retry that follows the delivery-th failed
// run (1-based): Backoff[delivery-1], the last value repeating.
func (c *Config) Delay(delivery uint64) time.Duration {
	if len(c.Backoff) == 0 {
		return 0
	}
	i := int(min(delivery, uint64(len(c.Backoff)))) - 1
	return c.Backoff[max(i, 0)]
}

// serverConfig is the consumer's configuration on the server. Creation-only
// settings (the deliver policy) come from existing when it is not nil.
func (c *Consumer) serverConfig(existing *jetstream.ConsumerConfig) jetstream.ConsumerConfig {
	bo := make([]string, len(c.cfg.Backoff))
	for i, d := range c.cfg.Backoff {
		bo[i] = d.String()
	}
	sc := jetstream.ConsumerConfig{
		Durable:        c.cfg.Durable,
		Description:    "Regent hook consumer: " + strings.Join(c.cfg.Command, " "),
		FilterSubjects: c.cfg.Filters,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        c.cfg.AckWait,
		// One delivery more than runs: see the package documentation.
		MaxDeliver:    c.cfg.MaxDeliver + 1,
		DeliverPolicy: jetstream.DeliverNewPolicy,
		Metadata: map[string]string{
			"regent.max_runs": strconv.Itoa(c.cfg.MaxDeliver),
			"regent.backoff":  strings.Join(bo, ","),
			"regent.timeout":  c.cfg.Timeout.String(),
		},
	}
	switch {
	case !c.cfg.StartTime.IsZero():
		t := c.cfg.StartTime
		sc.DeliverPolicy, sc.OptStartTime = jetstream.DeliverByStartTimePolicy, &t
	case c.cfg.DeliverAll:
		sc.DeliverPolicy = jetstream.DeliverAllPolicy
	}
	if existing != nil {
		sc.DeliverPolicy = existing.DeliverPolicy
		sc.OptStartTime = existing.OptStartTime
		sc.OptStartSeq = existing.OptStartSeq
		sc.ReplayPolicy = existing.ReplayPolicy
		sc.MaxAckPending = existing.MaxAckPending
	}
	return sc
}

// ensure creates or updates the durable consumer, waiting (until ctx ends)
// for the stream when it does not exist yet or the server is not ready.
func (c *Consumer) ensure(ctx context.Context) (jetstream.Consumer, error) {
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		cons, err := c.ensureOnce(ctx)
		if err == nil {
			return cons, nil
		}
		if !retryable(err) {
			return nil, err
		}
		if attempt == 1 || attempt%20 == 0 {
			c.lg.Warn().Err(err).Int("attempt", attempt).Msg("hook consumer not set up yet; retrying")
		}
		if !sleep(ctx, wait) {
			return nil, fmt.Errorf("set up hook consumer %s: %w (last error: %v)", c.cfg.Durable, ctx.Err(), err)
		}
		wait = min(2*wait, 2*time.Second)
	}
}

func (c *Consumer) ensureOnce(ctx context.Context) (jetstream.Consumer, error) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, err := c.js.Stream(cctx, events.EventsName)
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", events.EventsName, err)
	}
	var existing *jetstream.ConsumerConfig
	if cur, err := s.Consumer(cctx, c.cfg.Durable); err == nil {
		existing = &cur.CachedInfo().Config
	} else if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, fmt.Errorf("look up consumer %s: %w", c.cfg.Durable, err)
	}
	cons, err := s.CreateOrUpdateConsumer(cctx, c.serverConfig(existing))
	if err != nil {
		return nil, fmt.Errorf("create or update consumer %s: %w", c.cfg.Durable, err)
	}
	return cons, nil
}

// retryable reports whether err may go away by itself: the stream is not
// there yet, the server is starting or unreachable.
func retryable(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.Code == 503 {
		return true
	}
	return errors.Is(err, jetstream.ErrStreamNotFound) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, nats.ErrConnectionClosed) ||
		errors.Is(err, nats.ErrDisconnected) ||
		errors.Is(err, jetstream.ErrJetStreamNotEnabled)
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Run sets up the durable consumer and handles events until ctx ends. When
// it ends, the command already running finishes and is answered, and Run
// returns nil. It returns an error only when the consumer cannot be set up.
func (c *Consumer) Run(ctx context.Context) error {
	cons, err := c.ensure(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	c.lg.Info().Strs("filters", c.cfg.Filters).Int("max_deliver", c.cfg.MaxDeliver).
		Dur("ack_wait", c.cfg.AckWait).Strs("command", c.cfg.Command).Msg("hook consumer started")
	failures := 0
	for ctx.Err() == nil {
		msg, err := cons.Next(jetstream.FetchMaxWait(c.cfg.PollWait))
		if err != nil {
			if errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrNoMessages) {
				failures = 0
				continue
			}
			failures++
			if failures == 1 || failures%30 == 0 {
				c.lg.Warn().Err(err).Int("failures", failures).Msg("fetch event failed; retrying")
			}
			if !sleep(ctx, time.Second) {
				break
			}
			if errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConsumerDeleted) {
				if cons, err = c.ensure(ctx); err != nil {
					if ctx.Err() != nil {
						break
					}
					return err
				}
			}
			continue
		}
		failures = 0
		c.handle(ctx, msg)
	}
	c.lg.Info().Msg("hook consumer stopped")
	return nil
}

// ParseDeliver sets where a new durable starts from s (the --deliver
// flag): "new" (the default), "all", a positive duration (events stored
// since now minus it) or an RFC 3339 time.
func (cfg *Config) ParseDeliver(s string, now time.Time) error {
	switch s {
	case "new":
		return nil
	case "all":
		cfg.DeliverAll = true
		return nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		cfg.StartTime = now.Add(-d)
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("--deliver %q: want new, all, a positive duration or an RFC 3339 time", s)
	}
	cfg.StartTime = t
	return nil
}

// Backoff is the delays before the 1st, 2nd, … retry of a failed run (the
// last repeats) as a flag: a comma-separated list of positive durations.
type Backoff []time.Duration

// String is the list as the flag takes it.
func (d *Backoff) String() string {
	out := make([]string, len(*d))
	for i, v := range *d {
		out[i] = v.String()
	}
	return strings.Join(out, ",")
}

// Set reads the flag's value.
func (d *Backoff) Set(v string) error {
	var out []time.Duration
	for _, f := range strings.Split(v, ",") {
		x, err := time.ParseDuration(strings.TrimSpace(f))
		if err != nil {
			return err
		}
		if x <= 0 {
			return fmt.Errorf("backoff %s is not positive", x)
		}
		out = append(out, x)
	}
	*d = out
	return nil
}
