package eventlog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/regent-ha/regent/events"
)

// Record is one stored event with its position in its stream.
type Record struct {
	Stream   string
	Subject  string // the subject it was published on
	Sequence uint64
	Stored   time.Time // the stream leader's clock: an index, not an order
	Env      events.Envelope
	// skip is set on a stored message that is not a valid event: the
	// reader reports it (ReadOptions.OnSkip) instead of handing it to the
	// handler.
	skip *Skip
}

// Skip describes a stored message that is not a valid event: it does not
// decode, names a kind this build does not know, or (found by the fold, not
// by the reader) carries a payload that fails validation. Readers skip it,
// report it and go on: nothing on the wire stops a reader, and the records
// after it are delivered.
type Skip struct {
	Stream   string
	Sequence uint64
	Stored   time.Time
	Reason   string // SkipDecode, SkipUnknownKind or SkipPayload
	Err      error
}

// The reasons a record is skipped (the reason label of the counter).
const (
	SkipDecode      = "decode"       // not a JSON envelope, or a field of it invalid
	SkipUnknownKind = "unknown_kind" // a kind this build does not know
	SkipPayload     = "payload"      // the fold refused the payload
)

// SkipReason classifies a decoding error.
func SkipReason(err error) string {
	if errors.Is(err, events.ErrUnknownKind) {
		return SkipUnknownKind
	}
	return SkipDecode
}

func (s Skip) String() string {
	return fmt.Sprintf("%s seq %d skipped (%s): %v", s.Stream, s.Sequence, s.Reason, s.Err)
}

// ReadOptions select what Read and Follow deliver.
type ReadOptions struct {
	Stream   string   // events.EventsName or events.ObservationsName
	Subjects []string // filters; empty = all
	StartSeq uint64   // 0 = from the first message
	Since    time.Time
	// Workers is the number of goroutines decoding records ahead of the
	// handler (0: GOMAXPROCS, at most 8). The handler is always called on
	// the goroutine that called Read or Follow, one record at a time, in
	// stream order.
	Workers int
	// OnSkip gets each stored message that is not a valid event, in stream
	// order, on the reading goroutine, instead of the handler. Nil: the
	// Log logs it (a warning, once per stream sequence for the Log's life).
	OnSkip func(Skip)
}

// pullMessages is how many messages the consumer asks the server for at a
// time (nats.go's default is 500; it asks again at half). Larger requests
// keep the server delivering while the reader is busy: 2,000 took a replay of
// 1M events from ≈ 210k to ≈ 275k events/s on 2 cores.
const pullMessages = 2000

// A reader whose stream lost its leader (the node died) gets nothing until
// the ordered consumer notices the missing idle heartbeats (two in a row)
// and re-creates itself on the new leader. nats.go's defaults (5 s
// heartbeats, 30 s pulls) stall a node's fold — and so its failure
// detection and its recovery decisions — for about 10 s; 1 s heartbeats on
// 5 s pulls bound the stall near 2 s for a heartbeat a second per reader.
const (
	pullHeartbeat = time.Second
	pullExpiry    = 5 * time.Second
)

// Handler gets each record in stream order. An error stops the read.
type Handler func(Record) error

// ErrBadRecord is wrapped by Skip.Err: a message that is not a valid
// envelope. Read and Follow skip it (see ReadOptions.OnSkip) and go on.
var ErrBadRecord = errors.New("bad record in event log")

// Read delivers every stored record matching o, in order, and returns when
// it has delivered everything that was in the stream when it started.
func (l *Log) Read(ctx context.Context, o ReadOptions, h Handler) error {
	return l.consume(ctx, o, h, true)
}

// Follow delivers stored records and then new ones as they arrive, until ctx
// ends (it then returns ctx.Err()).
func (l *Log) Follow(ctx context.Context, o ReadOptions, h Handler) error {
	return l.consume(ctx, o, h, false)
}

func (l *Log) consume(ctx context.Context, o ReadOptions, h Handler, stopAtEnd bool) error {
	s, err := l.js.Stream(ctx, o.Stream)
	if err != nil {
		return fmt.Errorf("read %s: %w", o.Stream, err)
	}
	var last uint64
	if stopAtEnd {
		info, err := s.Info(ctx)
		if err != nil {
			return fmt.Errorf("read %s: %w", o.Stream, err)
		}
		last = info.State.LastSeq
		if last == 0 || (o.StartSeq > 0 && o.StartSeq > last) {
			return nil
		}
		// A filter or a start time may match nothing: then Next would
		// wait forever. The stream answers whether anything matches; the
		// consumer's info cannot (see anyToRead).
		some, err := anyToRead(ctx, s, o)
		if err != nil {
			return fmt.Errorf("read %s: %w", o.Stream, err)
		}
		if !some {
			return nil
		}
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: o.Subjects, DeliverPolicy: jetstream.DeliverAllPolicy}
	switch {
	case o.StartSeq > 0:
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = o.StartSeq
	case !o.Since.IsZero():
		cfg.DeliverPolicy = jetstream.DeliverByStartTimePolicy
		t := o.Since
		cfg.OptStartTime = &t
	}
	c, err := s.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("read %s: %w", o.Stream, err)
	}
	src := source{c: c, stream: o.Stream, stopAtEnd: stopAtEnd, last: last, opts: []jetstream.PullConsumeOpt{
		jetstream.PullMaxMessages(pullMessages), jetstream.PullHeartbeat(pullHeartbeat), jetstream.PullExpiry(pullExpiry)}}
	onSkip := o.OnSkip
	if onSkip == nil {
		onSkip = l.logSkip
	}
	return src.run(ctx, workerCount(o), h, onSkip)
}

// anyToRead reports whether the stream holds a record that o selects: the
// last record stored on one of o's subjects (all, when none) is at or after
// o.StartSeq and stored at or after o.Since. The consumer delivers from the
// first record matching; if the last one does not match, none after it does.
//
// It asks the stream, not the consumer: a clustered server may answer a
// consumer's info before the consumer runs (a member that has not created
// it yet, or a new consumer without a leader) with its configuration and
// zero state — no pending, nothing delivered — which on a busy machine made
// a read of a non-empty stream return nothing and no error.
func anyToRead(ctx context.Context, s jetstream.Stream, o ReadOptions) (bool, error) {
	subjects := o.Subjects
	if len(subjects) == 0 {
		subjects = []string{">"}
	}
	for _, subj := range subjects {
		m, err := s.GetLastMsgForSubject(ctx, subj)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("last record on %s: %w", subj, err)
		}
		if m.Sequence >= o.StartSeq && (o.Since.IsZero() || !m.Time.Before(o.Since)) {
			return true, nil
		}
	}
	return false, nil
}

// logSkip is the default OnSkip: a warning, once per stream sequence.
func (l *Log) logSkip(s Skip) {
	if !l.skips.first(s) {
		return
	}
	l.log.Warn().Err(s.Err).Str(events.LogStream, s.Stream).Uint64(events.LogSeq, s.Sequence).
		Str(events.LogReason, s.Reason).Msg("skipped a stored message that is not a valid event")
}

// skipSet remembers the skipped records already reported, so that a record
// read again (another reader, a replay) is reported once. It keeps at most
// maxSkipsRemembered; beyond, it starts afresh (a record may then be
// reported again, never lost).
type skipSet struct {
	mu   sync.Mutex
	seen map[skipKey]struct{}
}

type skipKey struct {
	stream string
	seq    uint64
}

const maxSkipsRemembered = 10000

// first reports whether s is seen for the first time.
func (ss *skipSet) first(s Skip) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	k := skipKey{s.Stream, s.Sequence}
	if _, ok := ss.seen[k]; ok {
		return false
	}
	if ss.seen == nil || len(ss.seen) >= maxSkipsRemembered {
		ss.seen = map[skipKey]struct{}{}
	}
	ss.seen[k] = struct{}{}
	return true
}

// SkipOnce returns a filter that passes each skipped record once (per
// stream and sequence): for callers that report skips themselves.
func SkipOnce() func(Skip) bool {
	ss := &skipSet{}
	return ss.first
}
