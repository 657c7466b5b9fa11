package lab

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Writer inserts into regent_lab.acked through the VIP as the app user:
// every interval it starts one insert on a new connection, without waiting
// for the previous ones (at most writerInFlight at once) — like an
// application's many clients, so one connection stuck in a TCP SYN
// retransmission does not hold back the others. It records when each write
// was acknowledged; the longest gap between two acknowledgements is the
// write-refused window.
type Writer struct {
	interval time.Duration
	db       *sql.DB
	stop     chan struct{}
	done     chan struct{}

	mu     sync.Mutex
	acked  []int64
	at     []time.Time
	failed int
	fails  []string
	t0     time.Time
}

// writerInFlight bounds the concurrent inserts of a Writer.
const writerInFlight = 64

// StartWriter starts a writer through the VIP for at most max (every loop
// here is bounded); it stops at Stop or at the end of the test.
func (l *Lab) StartWriter(interval, max time.Duration) *Writer {
	l.t.Helper()
	db := appDB(l.t, VIPAddr, 2*time.Second)
	db.SetMaxIdleConns(0)
	w := &Writer{interval: interval, db: db, stop: make(chan struct{}), done: make(chan struct{}), t0: time.Now()}
	go w.run(max)
	l.t.Cleanup(w.Stop)
	return w
}

// StartDirectWriter starts a writer that inserts on every host's own
// address (not the VIP), each host on one kept-open connection every
// interval, in its own goroutine: whichever host accepts writes gets them.
// The longest gap between two acknowledgements from any host is the
// database's write-refused window, free of the VIP's and ARP's share.
func (l *Lab) StartDirectWriter(interval, max time.Duration) *Writer {
	l.t.Helper()
	w := &Writer{interval: interval, stop: make(chan struct{}), done: make(chan struct{}), t0: time.Now()}
	dbs := make([]*sql.DB, l.opts.Hosts)
	for i := range dbs {
		dbs[i] = appDB(l.t, l.Host(i+1).Addr, 500*time.Millisecond)
		dbs[i].SetMaxOpenConns(1)
	}
	go func() {
		defer close(w.done)
		var wg sync.WaitGroup
		base := time.Now().UnixNano()/1000 + 500_000_000 // apart from a VIP writer's ids
		for k, db := range dbs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer db.Close()
				w.direct(db, base+int64(k)*100_000_000, max)
			}()
		}
		wg.Wait()
	}()
	l.t.Cleanup(w.Stop)
	return w
}

// direct inserts on one host, one insert at a time, every interval.
func (w *Writer) direct(db *sql.DB, base int64, max time.Duration) {
	w.ticks(max, func(i int64) { w.insert(db, base+i) })
}

// ticks calls f(1), f(2), … every interval until max passed or Stop.
func (w *Writer) ticks(max time.Duration, f func(i int64)) {
	deadline := time.Now().Add(max)
	tick := time.NewTicker(w.interval)
	defer tick.Stop()
	for i := int64(1); time.Now().Before(deadline); i++ {
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
		f(i)
	}
}

// appDB opens a pool as the lab's app user on addr.
func appDB(t testing.TB, addr string, timeout time.Duration) *sql.DB {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr = "app", "app", "tcp", addr
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = timeout, timeout, timeout
	cfg.Logger = quietLogger{}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatalf("lab: writer connector for %s: %v", addr, err)
	}
	return sql.OpenDB(connector)
}

func (w *Writer) run(max time.Duration) {
	defer close(w.done)
	defer w.db.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, writerInFlight)
	base := time.Now().UnixNano() / 1000
	w.ticks(max, func(i int64) {
		select {
		case slots <- struct{}{}:
		default:
			return // every slot is stuck: skip this tick
		}
		wg.Add(1)
		go func() { // owned: joined by wg.Wait before run returns
			defer wg.Done()
			defer func() { <-slots }()
			w.insert(w.db, base+i)
		}()
	})
}

func (w *Writer) insert(db *sql.DB, id int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	_, err := db.ExecContext(ctx, "INSERT INTO regent_lab.acked (id) VALUES (?)", id)
	cancel()
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	if err == nil {
		w.acked, w.at = append(w.acked, id), append(w.at, now)
		return
	}
	w.failed++
	if len(w.fails) < 8 {
		w.fails = append(w.fails, fmt.Sprintf("+%s: %v", now.Sub(w.t0).Round(time.Millisecond), err))
	}
}

// Stop ends the writer and waits for it (idempotent).
func (w *Writer) Stop() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// AckedCount is how many writes were acknowledged so far.
func (w *Writer) AckedCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.acked)
}

// WaitAcked waits (bounded) until at least n writes were acknowledged.
func (w *Writer) WaitAcked(n int, timeout time.Duration) error {
	return poll(timeout, w.interval, func() error {
		if got := w.AckedCount(); got < n {
			return fmt.Errorf("only %d of %d writes acknowledged within %s", got, n, timeout)
		}
		return nil
	})
}

// AckedAfter reports whether a write was acknowledged after t.
func (w *Writer) AckedAfter(t time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(w.at)
	return n > 0 && w.at[n-1].After(t)
}

// WaitAckedAfter waits (bounded) until a write after t was acknowledged.
func (w *Writer) WaitAckedAfter(t time.Time, timeout time.Duration) error {
	return poll(timeout, w.interval, func() error {
		if w.AckedAfter(t) {
			return nil
		}
		return fmt.Errorf("no write acknowledged through the VIP within %s after %s", timeout, t.Format("15:04:05.000"))
	})
}

// WriterResult is what a stopped writer saw.
type WriterResult struct {
	Acked   []int64
	Refused time.Duration // the longest gap between two acknowledged writes
	Failed  int           // attempts that got an error
	Fails   []string      // the first few errors, with their offsets
}

// Result stops the writer and returns what it saw.
func (w *Writer) Result() WriterResult {
	w.Stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	r := WriterResult{Acked: append([]int64(nil), w.acked...), Failed: w.failed, Fails: append([]string(nil), w.fails...)}
	at := slices.Clone(w.at) // in order of acknowledgement already; sorted for safety
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(at); i++ {
		r.Refused = max(r.Refused, at[i].Sub(at[i-1]))
	}
	return r
}

// IDs returns the ids in regent_lab.acked on host i.
func (l *Lab) IDs(i int) (map[int64]bool, error) {
	rows, err := l.SQL(i, "SELECT id FROM regent_lab.acked")
	if err != nil {
		return nil, err
	}
	have := make(map[int64]bool, len(rows))
	for _, r := range rows {
		id, err := strconv.ParseInt(r[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("host %d: id %q: %w", i, r[0], err)
		}
		have[id] = true
	}
	return have, nil
}

// Fenced reports nil once host i answers, is read-only and does not hold
// the VIP — a returning old primary after Regent fenced it.
func (l *Lab) Fenced(i int) error {
	if h := l.Status()[i-1]; !h.Up || !h.ReadOnly || h.VIP {
		return fmt.Errorf("returning old primary not fenced yet: %s", h)
	}
	return nil
}
