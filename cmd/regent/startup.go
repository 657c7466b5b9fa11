package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
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

// startState is what a starting node waits for; done once it is ready.
type startState struct {
	mu   sync.Mutex
	what string
	done bool
}

func (s *startState) set(what string) {
	s.mu.Lock()
	s.what = what
	s.mu.Unlock()
}

func (s *startState) ready() {
	s.mu.Lock()
	s.what, s.done = "", true
	s.mu.Unlock()
}

// waiting says what the node waits for; "" once it is ready.
func (s *startState) waiting() string {
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

// errStorage marks a failure to create the streams that no retry cures.
var errStorage = errors.New("insufficient storage")

// ensure creates the streams and the lease bucket, retrying every failure
// but a lack of storage until ctx ends. Each failed attempt is logged once,
// with its number.
func (n *node) ensure(ctx context.Context) error {
	so := streamOptions(n.cfg, streamReplicas(n.cfg))
	n.state.set("waiting for JetStream: creating the streams")
	wait := ensureBackoff
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, ensureAttempt)
		err := n.elog.Ensure(actx)
		cancel()
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case strings.Contains(err.Error(), "insufficient storage"):
			return fmt.Errorf("create streams (%d MB events, %d MB observations, from NATSMaxStoreMB %d and EventStreamMaxMB %d): "+
				"the JetStream server has less storage: lower NATSMaxStoreMB or raise the server's max_file_store: %w: %w",
				so.EventBytes>>20, so.ObservationBytes>>20, n.cfg.NATSMaxStoreMB, n.cfg.EventStreamMaxMB, errStorage, err)
		}
		n.state.set(fmt.Sprintf("waiting for JetStream (attempt %d): %v", attempt, err))
		n.log.Warn().Err(err).Int("attempt", attempt).Dur("retry_in", wait).
			Msg("create streams: JetStream not ready (peers down or a cluster still forming); retrying")
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, ensureMaxBackoff)
	}
}
