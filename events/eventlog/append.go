package eventlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/regent-ha/regent/events"
)

// Header names Regent sets on every message besides Nats-Msg-Id.
const (
	HeaderKind    = "Regent-Kind"
	HeaderVersion = "Regent-Version"
	HeaderOrigin  = "Regent-Origin"
)

// ErrConflict is matched (errors.Is) by every optimistic-concurrency failure.
var ErrConflict = errors.New("event log conflict")

// ConflictError says an append lost a race: the aggregate's last sequence was
// not the expected one. Re-read and re-decide.
type ConflictError struct {
	Subject  string // the subject (or wildcard) whose sequence was checked
	Expected uint64
	Detail   string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("append to %s: expected last sequence %d: %s", e.Subject, e.Expected, e.Detail)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Ack is the log's answer to an append.
type Ack struct {
	Stream    string
	Sequence  uint64
	Duplicate bool // the event id was already stored; Sequence is the original's
}

// Expect is an optimistic-concurrency precondition for Append.
type Expect struct {
	set     bool
	seq     uint64
	subject string // "" = the message's own subject
}

// NoExpect appends unconditionally (deduplication still applies).
var NoExpect = Expect{}

// ExpectSubjectSeq requires the message's own subject to have last sequence
// seq (0: the subject must be empty).
func ExpectSubjectSeq(seq uint64) Expect { return Expect{set: true, seq: seq} }

// ExpectClusterSeq requires the last sequence over all of cluster's events
// (events.ClusterEvents) to be seq: the per-cluster aggregate.
func ExpectClusterSeq(cluster string, seq uint64) Expect {
	return Expect{set: true, seq: seq, subject: events.ClusterEvents(cluster)}
}

// inflightRetries bounds the retries of error 10164/10163 (another write to
// the same subject in flight on a replicated stream).
const inflightRetries = 20

// A replicated stream whose leader died has no leader until its Raft group
// elects one (4–9 s in nats-server, not tunable). An append then times out
// or finds no responder; it is retried, each attempt bounded by
// appendAttemptTimeout, for at most appendElectionBudget. Retrying is safe:
// the message id (Nats-Msg-Id) is checked before the expected sequence, so
// an attempt that was stored although its ack was lost comes back as a
// duplicate with its sequence, never as a conflict.
const (
	errCodeMsgIDInProcess = 10158 // "duplicate message id is in process"
	errCodeStreamOffline  = 10118 // "stream is offline"
	appendAttemptTimeout  = time.Second
	appendElectionBudget  = 15 * time.Second
)

// Append stores env on its subject. It returns *ConflictError when ex fails.
func (l *Log) Append(ctx context.Context, env events.Envelope, ex Expect) (Ack, error) {
	body, err := env.Marshal()
	if err != nil {
		return Ack{}, fmt.Errorf("append %s: %w", env.Kind, err)
	}
	// An overlong subject would make the server close the connection (its
	// max_control_line), and with it every reader of this log: refuse it
	// here, an error for this append only.
	subj := env.Subject()
	if err := events.CheckSubject(subj); err != nil {
		return Ack{}, fmt.Errorf("append %s for %s: %w", env.Kind, events.Quote(env.Instance+env.Cluster), err)
	}
	msg := nats.NewMsg(subj)
	msg.Data = body
	msg.Header.Set(HeaderKind, env.Kind.String())
	msg.Header.Set(HeaderVersion, fmt.Sprint(env.Version))
	msg.Header.Set(HeaderOrigin, env.Origin)
	opts := []jetstream.PublishOpt{jetstream.WithMsgID(env.ID), jetstream.WithRetryAttempts(10), jetstream.WithRetryWait(100 * time.Millisecond)}
	checked := msg.Subject
	if ex.set {
		if ex.subject != "" {
			checked = ex.subject
			opts = append(opts, jetstream.WithExpectLastSequenceForSubject(ex.seq, ex.subject))
		} else {
			opts = append(opts, jetstream.WithExpectLastSequencePerSubject(ex.seq))
		}
	}
	var pa *jetstream.PubAck
	wait, inflight := 2*time.Millisecond, 0
	var budget electionBudget
	err = retryAttempts(ctx, func(ctx context.Context) error {
		var err error
		pa, err = l.js.PublishMsg(ctx, msg, opts...)
		return err
	}, func(err error) (time.Duration, error) {
		var apiErr *jetstream.APIError
		switch {
		case errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence:
			return 0, &ConflictError{Subject: checked, Expected: ex.seq, Detail: apiErr.Description}
		case errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant || apiErr.ErrorCode == 10163):
			// Another write to this subject is in flight on the
			// replicated stream: retry, the answer will be success or a
			// real conflict.
			if inflight++; inflight > inflightRetries {
				return 0, &ConflictError{Subject: checked, Expected: ex.seq, Detail: "concurrent write still in flight: " + apiErr.Description}
			}
			wait = min(2*wait, 64*time.Millisecond)
			return wait, nil
		}
		return budget.next(err)
	})
	var conflict *ConflictError
	switch {
	case errors.As(err, &conflict):
		return Ack{}, conflict
	case err != nil:
		return Ack{}, fmt.Errorf("append %s to %s: %w", env.Kind, msg.Subject, err)
	}
	return Ack{Stream: pa.Stream, Sequence: pa.Sequence, Duplicate: pa.Duplicate}, nil
}

// retryAttempts runs f until it succeeds. Each attempt is bounded by
// appendAttemptTimeout (or the caller's sooner deadline): a message sent
// while a stream has no leader is dropped and no answer comes, so an
// unbounded attempt would wait out the caller's whole deadline (nats.go's
// default 5 s without one) instead of retrying once a leader is elected.
// The timer costs well under a microsecond per append. After a failed
// attempt next returns the wait before the next one, or the error to give
// up with.
func retryAttempts(ctx context.Context, f func(context.Context) error, next func(error) (time.Duration, error)) error {
	for {
		actx, cancel := context.WithTimeout(ctx, appendAttemptTimeout)
		err := f(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%w (after %v)", ctx.Err(), err)
		}
		wait, stop := next(err)
		if stop != nil {
			return stop
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (after %v)", ctx.Err(), err)
		case <-time.After(wait):
		}
	}
}

// electionBudget lets requests that failed as a stream without a leader
// does (or whose message an earlier attempt is still proposing) be retried
// every 50 ms for appendElectionBudget from the first failure.
type electionBudget struct{ giveUp time.Time }

// next is retryAttempts' answer for err.
func (b *electionBudget) next(err error) (time.Duration, error) {
	if b.giveUp.IsZero() {
		b.giveUp = time.Now().Add(appendElectionBudget)
	}
	var apiErr *jetstream.APIError
	inProcess := errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeMsgIDInProcess
	if !(leaderless(err) || inProcess) || !time.Now().Before(b.giveUp) {
		return 0, err
	}
	return 50 * time.Millisecond, nil
}

// leaderless reports whether err is what a request gets from a stream with
// no leader: no responder, no answer within the attempt's time, a 503, or
// "stream is offline" — the cold cluster's errors and a few more.
func leaderless(err error) bool {
	var apiErr *jetstream.APIError
	return coldError(err) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		(errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeStreamOffline)
}

// LastSeq returns the last stream sequence stored on subject (which may be a
// wildcard such as events.ClusterEvents(c)); 0 when there is none.
func (l *Log) LastSeq(ctx context.Context, stream, subject string) (uint64, error) {
	var seq uint64
	err := rideOutElection(ctx, func(ctx context.Context) error {
		s, err := l.js.Stream(ctx, stream)
		if err != nil {
			return err
		}
		m, err := s.GetLastMsgForSubject(ctx, subject)
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
			seq = 0
		case err != nil:
			return err
		default:
			seq = m.Sequence
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("last sequence of %s: %w", subject, err)
	}
	return seq, nil
}

// LastClusterSeq is LastSeq over every event of a cluster: the value to pass
// to ExpectClusterSeq.
func (l *Log) LastClusterSeq(ctx context.Context, cluster string) (uint64, error) {
	return l.LastSeq(ctx, events.EventsName, events.ClusterEvents(cluster))
}

// StreamLastSeq returns the last sequence stored in stream (0 when empty).
func (l *Log) StreamLastSeq(ctx context.Context, stream string) (uint64, error) {
	var seq uint64
	err := rideOutElection(ctx, func(ctx context.Context) error {
		s, err := l.js.Stream(ctx, stream)
		if err != nil {
			return err
		}
		info, err := s.Info(ctx)
		if err != nil {
			return err
		}
		seq = info.State.LastSeq
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("last sequence of %s: %w", stream, err)
	}
	return seq, nil
}

// rideOutElection runs f (retryAttempts) again while it fails as a stream
// without a leader does, for at most appendElectionBudget.
func rideOutElection(ctx context.Context, f func(context.Context) error) error {
	var budget electionBudget
	return retryAttempts(ctx, f, budget.next)
}
