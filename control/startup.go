package control

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
)

// Start-up waits for JetStream without a bound: a node of a cold cluster
// whose peers are not up yet keeps trying to create the streams (each
// attempt bounded by ensureAttempt, then a pause doubling from
// ensureBackoff to ensureMaxBackoff) until they exist or the node is told
// to stop. Meanwhile the API serves, /api/status answers not ready and the
// node leads nothing.
const (
	ensureAttempt    = 10 * time.Second
	ensureBackoff    = 200 * time.Millisecond
	ensureMaxBackoff = 5 * time.Second
)

// Startup is what a starting node waits for (for /api/status); done once
// it is ready. Its methods are safe for concurrent use.
type Startup struct {
	mu   sync.Mutex
	what string
	done bool
}

func (s *Startup) set(what string) {
	s.mu.Lock()
	s.what = what
	s.mu.Unlock()
}

// Ready marks the node ready.
func (s *Startup) Ready() {
	s.mu.Lock()
	s.what, s.done = "", true
	s.mu.Unlock()
}

// Waiting says what the node waits for; "" once it is ready.
func (s *Startup) Waiting() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.done:
		return ""
	case s.what == "":
		return "starting"
	}
	return s.what
}

// ErrStorage marks a failure to create the streams that no retry cures.
var ErrStorage = errors.New("insufficient storage")

// Ensure creates elog's streams and the lease bucket, retrying every
// failure but a lack of storage until ctx ends; storage explains a lack of
// storage (the streams' sizes and the settings that chose them). Each failed attempt is
// logged once, with its number, and is what Waiting says meanwhile.
func (s *Startup) Ensure(ctx context.Context, elog *eventlog.Log, storage string, log zerolog.Logger) error {
	s.set("waiting for JetStream: creating the streams")
	wait := ensureBackoff
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, ensureAttempt)
		err := elog.Ensure(actx)
		cancel()
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case strings.Contains(err.Error(), "insufficient storage"):
			return fmt.Errorf("create streams %s: %w: %w", storage, ErrStorage, err)
		}
		s.set(fmt.Sprintf("waiting for JetStream (attempt %d): %v", attempt, err))
		log.Warn().Err(err).Int("attempt", attempt).Dur("retry_in", wait).
			Msg("create streams: JetStream not ready (peers down or a cluster still forming); retrying")
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, ensureMaxBackoff)
	}
}

// Health is nil when the node is ready (s), its connection is up and its
// event log answers within a second (the API's /api/status and
// raft-health).
func Health(ctx context.Context, s *Startup, nc *nats.Conn, elog *eventlog.Log) error {
	if w := s.Waiting(); w != "" {
		return errors.New("not ready: " + w)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if nc.Status() != nats.CONNECTED {
		return errors.New("nats connection " + nc.Status().String())
	}
	if _, err := elog.LastSeq(ctx, events.EventsName, events.EventsAll); err != nil {
		return fmt.Errorf("event log: %w", err)
	}
	return nil
}
