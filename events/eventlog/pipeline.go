package eventlog

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/regent-ha/regent/events"
)

// The read pipeline: one goroutine takes messages from the consumer in
// stream order and cuts them into batches; a bounded pool of workers decodes
// the batches (events.Unmarshal, payloads included) in parallel; the calling
// goroutine waits for each batch in the order it was cut and hands its
// records to the handler one by one. The handler therefore sees exactly the
// sequence a one-by-one reader would, on the goroutine that called Read or
// Follow.

const (
	// batchSize is the most messages one batch holds. A batch is also cut
	// when the consumer has nothing more pending, so a follower sees a new
	// event at once.
	batchSize = 256
	// maxWorkers caps the decode workers whatever GOMAXPROCS says.
	maxWorkers = 8
)

// batch is a run of consecutive messages and, once done is closed, their
// records. err ends the read after the records before it (a bad record or
// the consumer's failure); last says the read is complete after it.
type batch struct {
	msgs []rawMsg
	recs []Record
	err  error
	last bool
	done chan struct{}
}

// rawMsg is a message as taken from the consumer, not yet decoded.
type rawMsg struct {
	seq     uint64
	stored  time.Time
	subject string
	data    []byte
}

// source is what the pipeline reads: the consumer's iterator, the stream's
// name for records and errors, and when a complete read ends (last: the
// stream's last sequence when the read started; 0 for Follow).
type source struct {
	it        jetstream.MessagesContext
	stream    string
	stopAtEnd bool
	last      uint64
}

// workerCount is the number of decode workers for o.
func workerCount(o ReadOptions) int {
	n := o.Workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return max(1, min(n, maxWorkers))
}

// run delivers the records of src to h in order until the read is complete,
// h fails, a record is bad, the consumer fails or ctx ends. Every goroutine
// it starts has ended when it returns.
func (src source) run(ctx context.Context, workers int, h Handler, onSkip func(Skip)) error {
	ctx, cancel := context.WithCancel(ctx)
	// Once the read ends, for whatever reason, stopping the iterator ends
	// the producer's wait in Next.
	context.AfterFunc(ctx, src.it.Stop)
	work := make(chan *batch, workers)
	ordered := make(chan *batch, 2*workers+1)
	// Delivered batches go back to the producer, so that a read reuses a
	// few batches' buffers instead of allocating as many as it delivers.
	free := make(chan *batch, cap(work)+cap(ordered)+workers+2)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // runs before the Wait: unblocks the producer and the workers
	wg.Go(func() {
		defer close(work)
		defer close(ordered)
		src.produce(ctx, free, work, ordered)
	})
	for range workers {
		wg.Go(func() {
			for b := range work {
				b.decode(src.stream)
			}
		})
	}
	return deliver(ctx, ordered, free, h, onSkip)
}

// deliver hands the records of the batches to h in the batches' order.
// A record that is not a valid event goes to onSkip instead. Each batch it
// is done with goes to free.
func deliver(ctx context.Context, ordered <-chan *batch, free chan<- *batch, h Handler, onSkip func(Skip)) error {
	for {
		var b *batch
		select {
		case <-ctx.Done():
			return ctx.Err()
		case b = <-ordered:
		}
		if b == nil {
			return ctx.Err() // the producer stopped because ctx ended
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-b.done:
		}
		for _, r := range b.recs {
			if err := ctx.Err(); err != nil {
				return err // no record after ctx ends, as a one-by-one reader
			}
			if r.skip != nil {
				onSkip(*r.skip)
				continue
			}
			if err := h(r); err != nil {
				return err
			}
		}
		if b.err != nil {
			return b.err
		}
		if b.last {
			return nil
		}
		select {
		case free <- b:
		default:
		}
	}
}

// produce cuts the consumer's messages into batches and sends each to both
// the workers and the deliverer, in order, until a batch is the last one or
// ctx ends.
func (src source) produce(ctx context.Context, free <-chan *batch, work, ordered chan<- *batch) {
	for {
		var b *batch
		select {
		case b = <-free:
			b.reset()
		default:
			b = &batch{msgs: make([]rawMsg, 0, batchSize), recs: make([]Record, 0, batchSize)}
		}
		b.done = make(chan struct{})
		src.next(ctx, b)
		stop := b.last || b.err != nil // read now: a worker writes b.err later
		// The deliverer takes b first, so that the workers never hold a
		// batch the deliverer has not queued.
		select {
		case <-ctx.Done():
			return
		case ordered <- b:
		}
		if len(b.msgs) == 0 {
			close(b.done)
		} else {
			select {
			case <-ctx.Done():
				return
			case work <- b:
			}
		}
		if stop {
			return
		}
	}
}

// next reads messages until a batch is full, the consumer has nothing more
// pending, the read is complete or the consumer fails.
func (src source) next(ctx context.Context, b *batch) {
	for len(b.msgs) < batchSize {
		m, err := src.it.Next()
		if err != nil {
			if ctx.Err() == nil {
				b.err = fmt.Errorf("read %s: %w", src.stream, err)
			} else {
				b.err = ctx.Err()
			}
			return
		}
		a, err := ackOf(m)
		if err != nil {
			b.err = fmt.Errorf("read %s: %w", src.stream, err)
			return
		}
		b.msgs = append(b.msgs, rawMsg{seq: a.seq, stored: a.stored, subject: m.Subject(), data: m.Data()})
		if src.stopAtEnd && (a.seq >= src.last || a.pending == 0) {
			b.last = true
			return
		}
		if a.pending == 0 {
			return
		}
	}
}

// ackOf reads m's position from its ack subject, or from its metadata when
// the subject has a form parseAck does not know.
func ackOf(m jetstream.Msg) (ackInfo, error) {
	if a, ok := parseAck(m.Reply()); ok {
		return a, nil
	}
	md, err := m.Metadata()
	if err != nil {
		return ackInfo{}, err
	}
	return ackInfo{seq: md.Sequence.Stream, stored: md.Timestamp, pending: md.NumPending}, nil
}

// reset empties a delivered batch for reuse.
func (b *batch) reset() {
	clear(b.msgs)
	clear(b.recs)
	b.msgs, b.recs, b.err, b.last = b.msgs[:0], b.recs[:0], nil, false
}

// decode turns the batch's messages into records; a message that is not a
// valid envelope becomes a record to skip.
func (b *batch) decode(stream string) {
	defer close(b.done)
	for _, m := range b.msgs {
		env, err := events.UnmarshalOwned(m.data) // the message is ours alone
		if err != nil {
			b.recs = append(b.recs, Record{Stream: stream, Sequence: m.seq, Stored: m.stored, skip: &Skip{
				Stream: stream, Sequence: m.seq, Stored: m.stored, Reason: SkipReason(err),
				Err: fmt.Errorf("%w: %s seq %d: %w", ErrBadRecord, stream, m.seq, err)}})
			continue
		}
		b.recs = append(b.recs, Record{Stream: stream, Subject: m.subject, Sequence: m.seq, Stored: m.stored, Env: env})
	}
}
