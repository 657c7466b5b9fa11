package eventlog

import (
	"context"
	"errors"
	"fmt"
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

// ErrBadRecord wraps a message that is not a valid envelope. Read and Follow
// stop with it, naming the sequence: a bad record in Regent's own streams is
// a bug to see, not to skip.
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
	it, err := c.Messages(jetstream.PullMaxMessages(pullMessages), jetstream.PullHeartbeat(pullHeartbeat), jetstream.PullExpiry(pullExpiry))
	if err != nil {
		return fmt.Errorf("read %s: %w", o.Stream, err)
	}
	defer it.Stop()
	if stopAtEnd {
		// A filter may match nothing: then Next would wait forever.
		ci, err := c.Info(ctx)
		if err != nil {
			return fmt.Errorf("read %s: %w", o.Stream, err)
		}
		if ci.NumPending == 0 && ci.Delivered.Consumer == 0 {
			return nil
		}
	}
	src := source{it: it, stream: o.Stream, stopAtEnd: stopAtEnd, last: last}
	return src.run(ctx, workerCount(o), h)
}
