package eventlog

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/regent-ha/regent/events"
)

// The read pipeline: the consumer's delivery goroutine (Consume) takes its
// messages in stream order and cuts them into batches (cutter); a bounded pool of workers decodes
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

// source is what the pipeline reads: the ordered consumer and the options
// of its Consume, the stream's name for records and errors, and when a
// complete read ends (last: the stream's last sequence when the read
// started; 0 for Follow).
type source struct {
	c         jetstream.Consumer
	opts      []jetstream.PullConsumeOpt
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
//
// The consumer's messages come through Consume, on the subscription's
// delivery goroutine, which cuts them into batches (cutter). Consume keeps
// one heartbeat timer for the subscription, where the Messages iterator's
// Next made one per message (three allocations and a timer heap insert and
// removal per event).
func (src source) run(ctx context.Context, workers int, h Handler, onSkip func(Skip)) error {
	ctx, cancel := context.WithCancel(ctx)
	work := make(chan *batch, workers)
	ordered := make(chan *batch, 2*workers+1)
	// Delivered batches go back to the cutter, so that a read reuses a few
	// batches' buffers instead of allocating as many as it delivers.
	free := make(chan *batch, cap(work)+cap(ordered)+workers+2)
	cut := &cutter{src: src, ctx: ctx, free: free, work: work, ordered: ordered}
	var wg sync.WaitGroup
	defer wg.Wait()
	for range workers {
		wg.Go(func() {
			for b := range work {
				b.decode(src.stream)
			}
		})
	}
	defer cut.end() // after cancel: closes work, which ends the workers
	defer cancel()
	opts := append(slices.Clip(src.opts), jetstream.ConsumeErrHandler(cut.consumerError))
	cc, err := src.c.Consume(cut.take, opts...)
	if err != nil {
		return fmt.Errorf("read %s: %w", src.stream, err)
	}
	defer func() { // the first deferred call after the read
		cancel() // first: watch must not take the stop below for a failure
		cc.Stop()
	}()
	wg.Go(func() { cut.watch(cc.Closed()) })
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

// cutter cuts the consumer's messages into batches and sends each to both
// the deliverer and the workers, in order. take runs on the subscription's
// delivery goroutine; a send waits while the pipeline is full (the consumer
// pulls no more meanwhile) and gives up when the read ends.
type cutter struct {
	src           source
	ctx           context.Context
	free          <-chan *batch
	work, ordered chan<- *batch

	mu    sync.Mutex
	b     *batch // being filled; nil: none yet
	ended bool   // no batch is sent any more: the read is complete, failed or over

	// errMu guards err apart from mu: the ordered consumer reports
	// errors holding its own lock, and must not wait for a send.
	errMu sync.Mutex
	err   error // the consumer's last error, for a consumer that stops by itself
}

// take adds m to the batch being filled and sends the batch when it is
// full, when the consumer has nothing more pending (a follower sees a new
// event at once) or when the read is complete.
func (c *cutter) take(m jetstream.Msg) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return
	}
	b := c.batch()
	a, err := ackOf(m)
	if err != nil {
		b.err = fmt.Errorf("read %s: %w", c.src.stream, err)
		c.send(true)
		return
	}
	b.msgs = append(b.msgs, rawMsg{seq: a.seq, stored: a.stored, subject: m.Subject(), data: m.Data()})
	switch {
	case c.src.stopAtEnd && (a.seq >= c.src.last || a.pending == 0):
		b.last = true
		c.send(true)
	case a.pending == 0 || len(b.msgs) == batchSize:
		c.send(false)
	}
}

// batch returns the batch being filled, a delivered one reused or a new one.
func (c *cutter) batch() *batch {
	if c.b == nil {
		select {
		case c.b = <-c.free:
			c.b.reset()
		default:
			c.b = &batch{msgs: make([]rawMsg, 0, batchSize), recs: make([]Record, 0, batchSize)}
		}
		c.b.done = make(chan struct{})
	}
	return c.b
}

// send hands the batch being filled to the deliverer and then to the
// workers; with final, nothing is sent after it. The deliverer takes it
// first, so that the workers never hold a batch it has not queued.
func (c *cutter) send(final bool) {
	b := c.b
	c.b, c.ended = nil, final
	select {
	case <-c.ctx.Done():
		c.ended = true
		return
	case c.ordered <- b:
	}
	if len(b.msgs) == 0 {
		close(b.done)
		return
	}
	select {
	case <-c.ctx.Done():
		c.ended = true
	case c.work <- b:
	}
}

// consumerError keeps the consumer's last error. The ordered consumer
// handles what it can itself (missing heartbeats, a deleted consumer, a
// reconnect: it starts a new consumer after the last delivered record);
// the error is the read's when the consumer stops by itself (watch).
func (c *cutter) consumerError(_ jetstream.ConsumeContext, err error) {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	c.err = err
}

// watch ends the read with an error when the consumer stops before the
// read ends (the connection closed): the records taken before it are
// delivered first.
func (c *cutter) watch(closed <-chan struct{}) {
	select {
	case <-c.ctx.Done():
		return
	case <-closed:
	}
	c.errMu.Lock()
	err := c.err
	c.errMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended || c.ctx.Err() != nil {
		return // the read is over: Read stopped the consumer itself
	}
	if err == nil {
		err = jetstream.ErrMsgIteratorClosed
	}
	c.batch().err = fmt.Errorf("read %s: consumer stopped: %w", c.src.stream, err)
	c.send(true)
}

// end stops the cutter for good, once the read is over (ctx ended): a
// delivery under way gives up its send at once (it waits for nothing but
// the pipeline and ctx), and closing work ends the workers.
func (c *cutter) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended = true
	close(c.work)
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
