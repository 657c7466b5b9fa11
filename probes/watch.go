package probes

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/mysqlconn"
)

// This file is the primary watch: one long-lived, authenticated and idle
// connection per primary and intermediate primary (Watcher.Set), on which a
// goroutine is always reading. The server never sends anything on an idle
// connection, so the read returns only when the connection ends: the
// kernel's FIN (EOF) or RST the moment the server process dies. A COM_PING
// every PingInterval, answered within PingTimeout, bounds the detection of
// a silent server (SIGSTOP, a network cut). The connection sits in Sleep in
// the processlist (no running query), sends no writes and is not a replica.
// Any of these ends the connection, reports a watch event and suspects the
// instance (Scheduler.Suspect: emergent probes); the watch reconnects with
// backoff. docs/probes.md explains the choice of mechanism.

// WatchOptions configure the primary watch.
type WatchOptions struct {
	// PingInterval is the time between two pings (default 1 s), PingTimeout
	// how long a ping may take (default 1 s): a silent server is found
	// within their sum.
	PingInterval time.Duration
	PingTimeout  time.Duration
	// BackoffMin and BackoffMax bound the wait between reconnects (defaults
	// 100 ms and 5 s, doubling).
	BackoffMin time.Duration
	BackoffMax time.Duration
}

func (o WatchOptions) withDefaults() WatchOptions {
	set := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	set(&o.PingInterval, time.Second)
	set(&o.PingTimeout, time.Second)
	set(&o.BackoffMin, 100*time.Millisecond)
	set(&o.BackoffMax, 5*time.Second)
	o.BackoffMax = max(o.BackoffMax, o.BackoffMin)
	return o
}

// Watch event kinds, the values of the watch metrics' kind label.
const (
	WatchEOF         = "eof"          // the server closed the connection (FIN)
	WatchReset       = "reset"        // the connection was reset (RST)
	WatchReadError   = "read-error"   // another read error
	WatchPingTimeout = "ping-timeout" // no answer to a ping within PingTimeout
	WatchPingError   = "ping-error"   // the ping failed otherwise
)

// WatchStats counts what the watches did since start.
type WatchStats struct {
	Targets    int               // instances to watch
	Open       int               // watch connections open now
	Events     map[string]uint64 // by kind
	Reconnects uint64            // connections opened after the first, per target
	DialErrors uint64            // failed connection attempts
}

// SuspectFunc is told of a watch event on key (Scheduler.Suspect).
type SuspectFunc func(key events.InstanceKey, reason string) bool

// watchDialer opens one watch connection to key.
type watchDialer func(ctx context.Context, key events.InstanceKey) (*watchConn, error)

// Watcher keeps one watch per target. Set and Stats are safe for concurrent
// use; Run owns the watches' goroutines and returns when its context ends,
// after they all returned.
type Watcher struct {
	dial    watchDialer
	suspect SuspectFunc
	opts    WatchOptions
	log     zerolog.Logger

	mu      sync.Mutex // guards the fields below
	want    map[events.InstanceKey]bool
	running map[events.InstanceKey]context.CancelFunc
	stats   WatchStats

	wake chan struct{} // buffered(1): want changed
}

// NewWatcher returns a Watcher that opens its connections with p's driver
// configuration (credentials, timeouts, TLS) and reports events to suspect.
func NewWatcher(p *Prober, suspect SuspectFunc, opts WatchOptions, log zerolog.Logger) *Watcher {
	return newWatcher(p.dialWatch, suspect, opts, log)
}

func newWatcher(dial watchDialer, suspect SuspectFunc, opts WatchOptions, log zerolog.Logger) *Watcher {
	return &Watcher{
		dial: dial, suspect: suspect, opts: opts.withDefaults(),
		log:     log.With().Str(events.LogComponent, "watch").Logger(),
		want:    map[events.InstanceKey]bool{},
		running: map[events.InstanceKey]context.CancelFunc{},
		stats:   WatchStats{Events: map[string]uint64{}},
		wake:    make(chan struct{}, 1),
	}
}

// Set makes keys the watched instances: new ones get a watch, others lose
// theirs.
func (w *Watcher) Set(keys []events.InstanceKey) {
	want := make(map[events.InstanceKey]bool, len(keys))
	for _, k := range keys {
		want[k] = true
	}
	w.mu.Lock()
	same := maps.Equal(w.want, want) // called every 500 ms: wake Run only on a change
	w.want = want
	w.stats.Targets = len(want)
	w.mu.Unlock()
	if same {
		return
	}
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Stats returns the counters.
func (w *Watcher) Stats() WatchStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.stats
	st.Events = maps.Clone(w.stats.Events)
	return st
}

// Run keeps the watches until ctx ends.
func (w *Watcher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		w.mu.Lock()
		for k, cancel := range w.running {
			if !w.want[k] {
				cancel()
				delete(w.running, k)
			}
		}
		for k := range w.want {
			if _, ok := w.running[k]; !ok {
				wctx, cancel := context.WithCancel(ctx)
				w.running[k] = cancel
				wg.Go(func() { w.watch(wctx, k) })
			}
		}
		w.mu.Unlock()
		select {
		case <-ctx.Done():
			w.mu.Lock()
			for k, cancel := range w.running {
				cancel()
				delete(w.running, k)
			}
			w.mu.Unlock()
			return nil
		case <-w.wake:
		}
	}
}

// watch keeps one watch on key until ctx ends: connect, hold until an
// event, report it, reconnect with backoff.
func (w *Watcher) watch(ctx context.Context, key events.InstanceKey) {
	backoff, opened := w.opts.BackoffMin, false
	for ctx.Err() == nil {
		c, err := w.dial(ctx, key)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			w.count(func(st *WatchStats) { st.DialErrors++ })
			if !sleepCtx(ctx, backoff) {
				return
			}
			backoff = min(2*backoff, w.opts.BackoffMax)
			continue
		}
		w.count(func(st *WatchStats) {
			st.Open++
			if opened {
				st.Reconnects++
			}
		})
		opened, backoff = true, w.opts.BackoffMin
		kind, cause := w.hold(ctx, c)
		_ = c.Close() // the connection is done with either way
		w.count(func(st *WatchStats) {
			st.Open--
			if kind != "" {
				st.Events[kind]++
			}
		})
		if kind == "" {
			return
		}
		w.log.Info().Str(events.LogInstance, key.String()).Str(events.LogKind, kind).Err(cause).Msg("watch event")
		if w.suspect != nil {
			w.suspect(key, SuspectWatch)
		}
	}
}

func (w *Watcher) count(f func(*WatchStats)) {
	w.mu.Lock()
	f(&w.stats)
	w.mu.Unlock()
}

// hold waits on c until the connection ends or a ping fails; it returns
// the event's kind and cause, or "" when ctx ended.
func (w *Watcher) hold(ctx context.Context, c *watchConn) (string, error) {
	t := time.NewTicker(w.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return "", nil
		case <-c.net.dead:
			if ctx.Err() != nil {
				return "", nil
			}
			err := c.net.readErr()
			return readEventKind(err), err
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, w.opts.PingTimeout)
		err := c.ping(pctx)
		timedOut := pctx.Err() != nil
		cancel()
		switch {
		case ctx.Err() != nil:
			return "", nil
		case err == nil:
			continue
		case timedOut:
			return WatchPingTimeout, err
		case c.net.ended():
			err := c.net.readErr()
			return readEventKind(err), err
		default:
			return WatchPingError, err
		}
	}
}

// readEventKind classifies the error that ended the reader.
func readEventKind(err error) string {
	switch {
	case errors.Is(err, io.EOF):
		return WatchEOF
	case errors.Is(err, syscall.ECONNRESET):
		return WatchReset
	}
	return WatchReadError
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// watchConn is one authenticated watch connection: the driver's connection
// and the socket under it.
type watchConn struct {
	drv driver.Conn
	net *readAheadConn
}

func (c *watchConn) ping(ctx context.Context) error {
	p, ok := c.drv.(driver.Pinger)
	if !ok {
		return errors.New("driver connection cannot ping")
	}
	return p.Ping(ctx)
}

func (c *watchConn) Close() error {
	err := c.drv.Close()
	_ = c.net.Close() // the driver closed it already, or it is dead
	return err
}

// dialWatch opens an authenticated watch connection to key with the
// probes' driver configuration and a connection attribute that names it in
// performance_schema.session_connect_attrs.
func (p *Prober) dialWatch(ctx context.Context, key events.InstanceKey) (*watchConn, error) {
	var under *readAheadConn
	conn, err := p.dial.Connector(key.Hostname, key.Port, func(cfg *mysqlconn.Config) {
		watchConfig(cfg)
		cfg.ConnectionAttributes = "program_name:regent-watch"
		cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			d := net.Dialer{KeepAlive: 15 * time.Second}
			nc, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			under = newReadAheadConn(nc)
			return under, nil
		}
	})
	if err != nil {
		return nil, fmt.Errorf("configure watch of %s: %w", key, err)
	}
	dc, err := conn.Connect(ctx)
	if err != nil {
		if under != nil {
			_ = under.Close()
		}
		return nil, fmt.Errorf("open watch of %s: %w", key, err)
	}
	return &watchConn{drv: dc, net: under}, nil
}

// readAheadConn is a net.Conn whose socket is read by a goroutine of its
// own at all times, into a buffer the driver's reads take from: the end of
// the connection is seen the moment it happens, even while nobody asks.
type readAheadConn struct {
	net.Conn
	data chan struct{} // buffered(1): buf or err changed
	dead chan struct{} // closed when the reader ended

	mu       sync.Mutex // guards the fields below
	buf      []byte
	err      error
	deadline time.Time
}

func newReadAheadConn(c net.Conn) *readAheadConn {
	r := &readAheadConn{Conn: c, data: make(chan struct{}, 1), dead: make(chan struct{})}
	go r.pump() // ends when the socket does: Close ends it
	return r
}

func (r *readAheadConn) pump() {
	defer close(r.dead)
	b := make([]byte, 16<<10)
	for {
		n, err := r.Conn.Read(b)
		r.mu.Lock()
		r.buf = append(r.buf, b[:n]...)
		if err != nil {
			r.err = err
		}
		r.mu.Unlock()
		r.kick()
		if err != nil {
			return
		}
	}
}

// Read returns buffered bytes, or waits for some until the read deadline.
func (r *readAheadConn) Read(p []byte) (int, error) {
	for {
		r.mu.Lock()
		if len(r.buf) > 0 {
			n := copy(p, r.buf)
			r.buf = r.buf[n:]
			if len(r.buf) == 0 {
				r.buf = nil
			}
			r.mu.Unlock()
			return n, nil
		}
		err, dl := r.err, r.deadline
		r.mu.Unlock()
		if err != nil {
			return 0, err
		}
		if err := r.wait(dl); err != nil {
			return 0, err
		}
	}
}

func (r *readAheadConn) wait(dl time.Time) error {
	if dl.IsZero() {
		<-r.data
		return nil
	}
	d := time.Until(dl)
	if d <= 0 {
		return os.ErrDeadlineExceeded
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.data:
		return nil
	case <-t.C:
		return os.ErrDeadlineExceeded
	}
}

// SetReadDeadline bounds Read, not the reader goroutine.
func (r *readAheadConn) SetReadDeadline(t time.Time) error {
	r.mu.Lock()
	r.deadline = t
	r.mu.Unlock()
	r.kick()
	return nil
}

// SetDeadline sets the read deadline here and the write deadline on the
// socket.
func (r *readAheadConn) SetDeadline(t time.Time) error {
	_ = r.SetReadDeadline(t) // never fails
	return r.Conn.SetWriteDeadline(t)
}

// kick wakes a Read waiting so it sees a new deadline.
func (r *readAheadConn) kick() {
	select {
	case r.data <- struct{}{}:
	default:
	}
}

func (r *readAheadConn) readErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *readAheadConn) ended() bool {
	select {
	case <-r.dead:
		return true
	default:
		return false
	}
}
