package consumer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/projections"
)

// answerTimeout bounds one ack, nak, term or dead-letter append. They run
// even after Run's context ended: the command ran and must be answered.
const answerTimeout = 10 * time.Second

// delivery is one message with what was read from it.
type delivery struct {
	msg     jetstream.Msg
	meta    *jetstream.MsgMetadata
	env     events.Envelope
	decoded bool  // env was decoded from the body
	invalid error // not a valid event: skipped, no hook runs
}

func newDelivery(msg jetstream.Msg) (delivery, error) {
	meta, err := msg.Metadata()
	if err != nil {
		return delivery{}, fmt.Errorf("read message metadata: %w", err)
	}
	d := delivery{msg: msg, meta: meta}
	env, err := events.Unmarshal(msg.Data())
	switch {
	case err == nil:
		d.env, d.decoded = env, true
	case json.Unmarshal(msg.Data(), &d.env) == nil && d.env.ID != "" && d.env.Kind.Valid():
		// Lenient on the rest: a hook still runs on an event of a version
		// newer than this build knows; it gets the JSON as stored.
		d.decoded = true
	default:
		// Not an event (does not decode, no id, a kind this build does not
		// know): no hook runs on it.
		d.env = events.Envelope{ID: msg.Headers().Get("Nats-Msg-Id")}
		d.invalid = fmt.Errorf("%s seq %d (%s): %w", meta.Stream, meta.Sequence.Stream, eventlog.SkipReason(err), err)
	}
	return d, nil
}

func (d delivery) kindName() string {
	if d.env.Kind == 0 {
		return d.msg.Headers().Get(eventlog.HeaderKind)
	}
	return d.env.Kind.String()
}

func (d delivery) logger(lg zerolog.Logger) zerolog.Logger {
	return lg.With().Uint64(events.LogSeq, d.meta.Sequence.Stream).Str(events.LogEventID, d.env.ID).
		Str("kind", d.kindName()).Uint64("delivery", d.meta.NumDelivered).Logger()
}

// handle runs the command on one message and answers the server.
func (c *Consumer) handle(ctx context.Context, msg jetstream.Msg) {
	d, err := newDelivery(msg)
	if err != nil {
		c.lg.Error().Err(err).Str("subject", msg.Subject()).Msg("cannot handle message; it will be redelivered")
		return
	}
	lg := d.logger(c.lg)
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), answerTimeout)
	defer cancel()
	if d.invalid != nil {
		// Terminated, so logged once: the server does not deliver it again.
		lg.Warn().Err(d.invalid).Str("subject", msg.Subject()).Msg("skipped a stored message that is not a valid event; no hook runs on it")
		if err := msg.TermWithReason("regent: not a valid event"); err != nil {
			lg.Warn().Err(err).Msg("terminate skipped message failed; it may be delivered (and skipped) again")
		}
		return
	}
	// A copy of an old event that a push consumer delivered back into the
	// stream, or an event far from its stored time, is refused as the fold
	// refuses it: its hooks ran on the original.
	if reason := (projections.OriginGate{}).Admit(d.meta.Stream, msg.Subject(), d.meta.Timestamp, &d.env); reason != projections.RejectNone {
		lg.Warn().Str(events.LogReason, reason).Time("event_time", d.env.Time).Time("stored", d.meta.Timestamp).
			Msg("skipped an event the fold refuses (a copy of a stored record?); no hook runs on it")
		if err := msg.TermWithReason("regent: refused (" + reason + ")"); err != nil {
			lg.Warn().Err(err).Msg("terminate refused message failed; it may be delivered (and refused) again")
		}
		return
	}
	runs := uint64(c.cfg.MaxDeliver)
	if d.meta.NumDelivered > runs {
		c.deadLetter(actx, lg, d, fmt.Sprintf("run %d of %d got no answer (the consumer stopped or the ack wait passed)", runs, runs))
		return
	}
	env := append(append(append([]string(nil), c.cfg.Env...), Environment(d.env, msg.Subject(), d.meta, c.cfg.Durable)...), ORCEnvironment(d.env)...)
	res := c.runCommand(msg.Data(), env, func() { _ = msg.InProgress() })
	if res.err == nil {
		if err := msg.DoubleAck(actx); err != nil {
			lg.Warn().Err(err).Dur(events.LogDuration, res.took).Msg("command succeeded but the ack was not confirmed; the event may run again")
			return
		}
		lg.Info().Dur(events.LogDuration, res.took).Msg("command succeeded")
		lg.Debug().Str("output", res.output).Msg("command output")
		return
	}
	if d.meta.NumDelivered >= runs {
		c.deadLetter(actx, lg, d, res.describe())
		return
	}
	delay := c.cfg.Delay(d.meta.NumDelivered)
	lg.Warn().Err(res.err).Int("exit_code", res.exitCode).Str("output", res.output).Dur("retry_in", delay).Msg("command failed; will retry")
	if err := msg.NakWithDelay(delay); err != nil {
		lg.Warn().Err(err).Msg("nak failed; the event is redelivered after the ack wait")
	}
}

// deadLetter appends a dead-letter event for d and terminates the message.
// A dead-letter event is itself never dead-lettered.
func (c *Consumer) deadLetter(ctx context.Context, lg zerolog.Logger, d delivery, lastErr string) {
	if d.env.Kind == events.KindDeadLetter {
		lg.Error().Str("last_error", lastErr).Msg("command failed on a dead-letter event; dropping it without a new dead letter")
		_ = d.msg.TermWithReason("regent: dead letter not dead-lettered")
		return
	}
	ev, err := c.deadLetterEvent(d, lastErr)
	if err == nil {
		_, err = c.log.Append(ctx, ev, eventlog.NoExpect)
	}
	if err != nil {
		delay := c.cfg.Delay(uint64(len(c.cfg.Backoff)))
		lg.Error().Err(err).Dur("retry_in", delay).Msg("append dead letter failed; the event is kept")
		_ = d.msg.NakWithDelay(delay)
		return
	}
	if err := d.msg.TermWithReason("regent: dead-lettered as " + ev.ID); err != nil {
		lg.Warn().Err(err).Msg("terminate dead-lettered message failed")
	}
	lg.Error().Str("last_error", lastErr).Str("dead_letter_id", ev.ID).Msg("command gave up; dead letter recorded")
}

// deadLetterEvent builds the dead letter of d. Its id is derived from the
// stream, sequence and consumer, so a retried append is deduplicated.
func (c *Consumer) deadLetterEvent(d delivery, lastErr string) (events.Envelope, error) {
	p := events.DeadLetter{
		Stream: d.meta.Stream, Sequence: d.meta.Sequence.Stream, Subject: d.msg.Subject(),
		Consumer: c.cfg.Durable, Deliveries: d.meta.NumDelivered,
		EventID: d.env.ID, Kind: d.kindName(), LastError: lastErr,
	}
	ev, err := events.New(events.KindDeadLetter, time.Now(), c.cfg.Origin, p)
	if err != nil {
		return events.Envelope{}, fmt.Errorf("build dead letter: %w", err)
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "dead-letter/%s/%d/%s", p.Stream, p.Sequence, p.Consumer))
	ev.ID = hex.EncodeToString(sum[:16])
	ev.Cluster, ev.Instance = d.env.Cluster, d.env.Instance
	ev.CausationID, ev.CorrelationID = d.env.ID, d.env.CorrelationID
	return ev, nil
}
