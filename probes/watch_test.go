package probes

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
)

// pair returns a readAheadConn on the client side of a loopback TCP
// connection and the server side.
func pair(t *testing.T) (*readAheadConn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		acc <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	srv := (<-acc).(*net.TCPConn)
	r := newReadAheadConn(c)
	t.Cleanup(func() { _ = r.Close(); _ = srv.Close() })
	return r, srv
}

func waitDead(t *testing.T, r *readAheadConn, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	select {
	case <-r.dead:
		return time.Since(start)
	case <-time.After(within):
		t.Fatalf("reader did not see the end of the connection within %v", within)
	}
	return 0
}

func TestReadAheadConnSeesFINWhileIdle(t *testing.T) {
	r, srv := pair(t)
	if _, err := srv.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	_ = srv.Close()
	took := waitDead(t, r, time.Second)
	if got := readEventKind(r.readErr()); got != WatchEOF {
		t.Fatalf("kind = %s (%v), want %s", got, r.readErr(), WatchEOF)
	}
	// What arrived before the end is still read, then the end.
	b := make([]byte, 10)
	n, err := r.Read(b)
	if err != nil || string(b[:n]) != "hello" {
		t.Fatalf("read = %q, %v", b[:n], err)
	}
	if _, err := r.Read(b); !errors.Is(err, io.EOF) {
		t.Fatalf("read after the data = %v, want EOF", err)
	}
	t.Logf("FIN seen after %v", took)
}

func TestReadAheadConnSeesRSTWhileIdle(t *testing.T) {
	r, srv := pair(t)
	_ = srv.SetLinger(0) // close sends RST
	_ = srv.Close()
	waitDead(t, r, time.Second)
	if got := readEventKind(r.readErr()); got != WatchReset {
		t.Fatalf("kind = %s (%v), want %s", got, r.readErr(), WatchReset)
	}
}

func TestReadAheadConnReadDeadline(t *testing.T) {
	r, srv := pair(t)
	_ = r.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	b := make([]byte, 4)
	if _, err := r.Read(b); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read = %v, want a deadline error", err)
	}
	_ = r.SetReadDeadline(time.Time{})
	go func() { time.Sleep(20 * time.Millisecond); _, _ = srv.Write([]byte("ok")) }()
	if n, err := r.Read(b); err != nil || string(b[:n]) != "ok" {
		t.Fatalf("read = %q, %v", b[:n], err)
	}
	if r.ended() {
		t.Fatal("a deadline must not end the reader")
	}
}

// suspects records SuspectFunc calls.
type suspects struct {
	mu   sync.Mutex
	keys []events.InstanceKey
	at   []time.Time
}

func (s *suspects) suspect(k events.InstanceKey, reason string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if reason != SuspectWatch {
		panic("reason " + reason)
	}
	s.keys = append(s.keys, k)
	s.at = append(s.at, time.Now())
	return true
}

func (s *suspects) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

func runWatcher(t *testing.T, w *Watcher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("watcher did not stop")
		}
		if st := w.Stats(); st.Open != 0 {
			t.Errorf("%d watch connections open after Run returned", st.Open)
		}
	})
}

// TestWatcherSeesKilledSimulatedPrimary: a watch on a simulated primary
// reports its death at once (long before a ping would), suspects it, and
// reconnects once it is back.
func TestWatcherSeesKilledSimulatedPrimary(t *testing.T) {
	f := runSim(t, 3)
	primary := f.Clusters()[0][0]
	p := newLabProber(t, labOptions())
	var sus suspects
	w := NewWatcher(p, sus.suspect, WatchOptions{PingInterval: 10 * time.Second, BackoffMin: 20 * time.Millisecond}, zerolog.New(zerolog.NewTestWriter(t)))
	runWatcher(t, w)
	w.Set([]events.InstanceKey{primary})
	waitUntil(t, "the watch to open", func() bool { return w.Stats().Open == 1 })
	killed := time.Now()
	if err := f.Kill(primary); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the watch event", func() bool { return sus.count() == 1 })
	sus.mu.Lock()
	took, k := sus.at[0].Sub(killed), sus.keys[0]
	sus.mu.Unlock()
	if k != primary || took > 500*time.Millisecond {
		t.Fatalf("suspected %s after %v, want %s at once", k, took, primary)
	}
	st := w.Stats()
	if st.Events[WatchEOF]+st.Events[WatchReset] != 1 {
		t.Fatalf("stats = %+v, want one eof or reset", st)
	}
	waitUntil(t, "dial errors while it is dead", func() bool { return w.Stats().DialErrors > 0 })
	if err := f.Revive(primary); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the reconnect", func() bool { st := w.Stats(); return st.Open == 1 && st.Reconnects == 1 })
	if sus.count() != 1 {
		t.Fatalf("failed reconnects suspected the instance again: %d", sus.count())
	}
	w.Set(nil)
	waitUntil(t, "the watch to close", func() bool { return w.Stats().Open == 0 })
	t.Logf("killed primary suspected after %v", took)
}

// TestWatcherPingTimeoutOnSilence: a proxy in front of a simulated primary
// stops forwarding (as a paused process or a network cut would): the ping
// times out within PingInterval + PingTimeout.
func TestWatcherPingTimeoutOnSilence(t *testing.T) {
	f := runSim(t, 3)
	primary := f.Clusters()[0][0]
	px := startProxy(t, primary)
	p := newLabProber(t, labOptions())
	var sus suspects
	w := newWatcher(func(ctx context.Context, _ events.InstanceKey) (*watchConn, error) { return p.dialWatch(ctx, px.key) },
		sus.suspect, WatchOptions{PingInterval: 50 * time.Millisecond, PingTimeout: 100 * time.Millisecond, BackoffMin: 20 * time.Millisecond},
		zerolog.New(zerolog.NewTestWriter(t)))
	runWatcher(t, w)
	w.Set([]events.InstanceKey{primary})
	waitUntil(t, "the watch to open", func() bool { return w.Stats().Open == 1 })
	time.Sleep(200 * time.Millisecond) // pings answered: no event
	if sus.count() != 0 {
		t.Fatalf("events while the primary answers: %+v", w.Stats())
	}
	stopped := time.Now()
	px.pause()
	waitUntil(t, "the ping timeout", func() bool { return sus.count() == 1 })
	sus.mu.Lock()
	took := sus.at[0].Sub(stopped)
	sus.mu.Unlock()
	if st := w.Stats(); st.Events[WatchPingTimeout] != 1 || took > 400*time.Millisecond {
		t.Fatalf("stats %+v after %v, want one ping-timeout within 150 ms + scheduling", st, took)
	}
}

// proxy forwards TCP to a target until paused; then it forwards nothing.
type proxy struct {
	key    events.InstanceKey
	mu     sync.Mutex
	paused bool
}

func startProxy(t *testing.T, target events.InstanceKey) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	px := &proxy{key: events.InstanceKey{Hostname: "127.0.0.1", Port: addr.Port}}
	var wg sync.WaitGroup
	var conns []net.Conn
	var cmu sync.Mutex // guards conns and closed
	closed := false
	t.Cleanup(func() {
		_ = ln.Close()
		cmu.Lock()
		closed = true // a connection accepted from now on is closed, not copied
		for _, c := range conns {
			_ = c.Close()
		}
		cmu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target.String())
			if err != nil {
				_ = c.Close()
				continue
			}
			cmu.Lock()
			if closed {
				// Accepted while the test's cleanup ran: nobody would
				// close these, and their copies would block it forever.
				cmu.Unlock()
				_, _ = c.Close(), u.Close()
				return
			}
			conns = append(conns, c, u)
			wg.Go(func() { px.copy(u, c) })
			wg.Go(func() { px.copy(c, u) })
			cmu.Unlock()
		}
	})
	return px
}

func (px *proxy) pause() {
	px.mu.Lock()
	px.paused = true
	px.mu.Unlock()
}

func (px *proxy) copy(dst, src net.Conn) {
	b := make([]byte, 32<<10)
	for {
		n, err := src.Read(b)
		if err != nil {
			return
		}
		px.mu.Lock()
		paused := px.paused
		px.mu.Unlock()
		if paused {
			continue // swallowed: silence
		}
		if _, err := dst.Write(b[:n]); err != nil {
			return
		}
	}
}
