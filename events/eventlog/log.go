package eventlog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
)

// Log appends to and reads from Regent's streams.
type Log struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	specs []events.StreamSpec
	log   zerolog.Logger
	skips *skipSet // skipped records already logged by logSkip
}

// New wraps a NATS connection. It does not create anything: call Ensure.
func New(nc *nats.Conn, logger zerolog.Logger, o events.StreamOptions) (*Log, error) {
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(5*time.Second))
	if err != nil {
		return nil, fmt.Errorf("open jetstream: %w", err)
	}
	return &Log{nc: nc, js: js, specs: events.Streams(o), log: logger.With().Str(events.LogComponent, "eventlog").Logger(), skips: &skipSet{}}, nil
}

// JetStream exposes the underlying context for consumers built elsewhere
// (hook consumers, benchmarks).
func (l *Log) JetStream() jetstream.JetStream { return l.js }

// Conn exposes the underlying connection.
func (l *Log) Conn() *nats.Conn { return l.nc }

// StreamConfig turns a spec into JetStream's configuration.
func StreamConfig(s events.StreamSpec) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        s.Name,
		Description: s.Description,
		Subjects:    s.Subjects,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		Storage:     jetstream.FileStorage,
		Replicas:    s.Replicas,
		MaxAge:      s.MaxAge,
		MaxBytes:    s.MaxBytes,
		Duplicates:  s.Duplicates,
		DenyDelete:  s.DenyDelete,
		DenyPurge:   s.DenyPurge,
		AllowDirect: true,
	}
}

// Ensure creates or updates every stream, retrying the errors a cold cluster
// gives (no meta leader yet, not enough peers, timeouts) until ctx ends.
func (l *Log) Ensure(ctx context.Context) error {
	for _, s := range l.specs {
		cfg := StreamConfig(s)
		if err := retryCold(ctx, l.log, "create stream "+s.Name, func(ctx context.Context) error {
			return l.ensureStream(ctx, cfg)
		}); err != nil {
			return err
		}
	}
	return l.ensureLease(ctx)
}

// ensureStream creates cfg's stream, or updates it when the settings Regent
// owns differ. An unchanged stream is left alone: every node runs Ensure at
// start, and an update racing a consumer's creation is a data race inside
// nats-server 2.15 (fileStore.UpdateConfig against ConsumerStore), besides
// a needless write through the meta group.
func (l *Log) ensureStream(ctx context.Context, cfg jetstream.StreamConfig) error {
	s, err := l.js.Stream(ctx, cfg.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		if _, err = l.js.CreateStream(ctx, cfg); !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return err
		}
		s, err = l.js.Stream(ctx, cfg.Name) // another node created it meanwhile
	}
	if err != nil {
		return err
	}
	if sameStream(s.CachedInfo().Config, cfg) {
		return nil
	}
	_, err = l.js.UpdateStream(ctx, cfg)
	return err
}

// sameStream compares the settings StreamConfig sets.
func sameStream(have, want jetstream.StreamConfig) bool {
	return have.Description == want.Description && slices.Equal(have.Subjects, want.Subjects) &&
		have.Retention == want.Retention && have.Discard == want.Discard && have.Storage == want.Storage &&
		have.Replicas == want.Replicas && have.MaxAge == want.MaxAge && have.MaxBytes == want.MaxBytes &&
		have.Duplicates == want.Duplicates && have.DenyDelete == want.DenyDelete &&
		have.DenyPurge == want.DenyPurge && have.AllowDirect == want.AllowDirect
}

// retryCold runs f until it succeeds, fails with a permanent error, or ctx
// ends. Backoff: 50 ms doubling to 1 s.
func retryCold(ctx context.Context, lg zerolog.Logger, what string, f func(context.Context) error) error {
	wait := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := f(cctx)
		cancel()
		if err == nil {
			return nil
		}
		if !coldError(err) {
			return fmt.Errorf("%s: %w", what, err)
		}
		if attempt%10 == 1 {
			lg.Debug().Err(err).Int("attempt", attempt).Msg(what + ": cluster not ready, retrying")
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last error: %v)", what, ctx.Err(), err)
		case <-time.After(wait):
		}
		if wait < time.Second {
			wait *= 2
		}
	}
}

// coldError reports whether err is one a starting cluster gives before it
// has elected its leaders.
func coldError(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		// 503s: JetStream temporarily unavailable (10008, no meta leader
		// yet), insufficient resources (10023, peers not yet known), not
		// enabled yet (10076, 10039).
		return apiErr.Code == 503
	}
	return errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, jetstream.ErrJetStreamNotEnabled) ||
		errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount)
}
