package fleetsim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/regent-ha/regent/events"
)

// Options configure a Fleet.
type Options struct {
	// Instances is the number of simulated instances (at least 3), split
	// into clusters of 3, 4 and 5 in turn.
	Instances int
	// Octet is the second byte of every address (127.Octet.C.D); 0 picks a
	// free one at random.
	Octet int
	// Port every instance listens on (default 3306).
	Port int
	// WritesPerSecond advance every primary's GTID sequence (default 10;
	// negative: no writes, MySQL dialect only).
	WritesPerSecond float64
	// HeartbeatPeriod of the replicas (Slave_heartbeat_period, default 1 s).
	HeartbeatPeriod time.Duration
	// Version is @@version (default "10.11.6-MariaDB-log").
	Version string
	// MySQL, when set, makes every instance a stateful MySQL server of
	// this @@version (e.g. "5.7.28-log", "8.0.36", "8.4.3"; it replaces
	// Version): UUID-based GTID sets, the version's statements and column
	// names, replication that follows the source while it runs. Each
	// statement received is recorded (Statements).
	MySQL string
	// ApplyLag delays a MySQL replica's SQL thread: it applies a
	// transaction this long after its IO thread received it (default 0).
	ApplyLag time.Duration
	// SemiSync loads the semi-sync plugins on every MySQL-dialect server,
	// under the version's variable names (see mysqlsemisync.go), both
	// switches off.
	SemiSync bool
	// Shards > 1 splits the fleet over processes (an open-file limit caps
	// listeners plus connections per process): this one serves the
	// clusters whose index modulo Shards is Shard. Every shard lays out
	// the whole fleet the same way (Octet must be set).
	Shard, Shards int
}

func (o Options) withDefaults() Options {
	if o.Port == 0 {
		o.Port = 3306
	}
	if o.WritesPerSecond == 0 {
		o.WritesPerSecond = 10
	}
	if o.HeartbeatPeriod == 0 {
		o.HeartbeatPeriod = time.Second
	}
	if o.MySQL != "" {
		o.Version = o.MySQL
	}
	if o.Version == "" {
		o.Version = "10.11.6-MariaDB-log"
	}
	return o
}

// perThirdOctet is how many instances share a third address byte.
const perThirdOctet = 250

// Fleet is a set of simulated clusters.
type Fleet struct {
	opts     Options
	log      zerolog.Logger
	start    time.Time
	clusters []*cluster // the whole fleet
	served   []*cluster // this shard's
	byIP     map[string]*instance
	connID   atomic.Uint32
	queries  atomic.Uint64
	plans    planCache
	ready    chan struct{}

	// The MySQL dialect (Options.MySQL; my nil: MariaDB).
	my    *myVersion
	myMu  sync.Mutex // guards every instance's MySQL state
	stmts statementLog

	mu     sync.Mutex // guards the listeners and connections of every instance, and the fields below
	run    bool
	runCtx context.Context //nolint:containedctx // Run's, for the accept loops Revive starts
	group  *errgroup.Group
	conns  *sync.WaitGroup
}

// cluster is one primary and its replicas.
type cluster struct {
	served  bool // by this shard
	primary *instance
	members []*instance // primary first
	// killedAt is the UnixNano time the primary was killed (0: alive).
	killedAt atomic.Int64
}

// instance is one simulated server.
type instance struct {
	ip       string
	serverID uint32
	c        *cluster
	primary  bool

	my   *myServer   // MySQL dialect only, guarded by Fleet.myMu
	down atomic.Bool // killed (as dead, readable without Fleet.mu)

	// guarded by Fleet.mu
	ln    net.Listener
	conns map[net.Conn]struct{}
	dead  bool
}

// New lays out the fleet's clusters; Run serves them.
func New(opts Options, log zerolog.Logger) (*Fleet, error) {
	opts = opts.withDefaults()
	if opts.Instances < 3 {
		return nil, fmt.Errorf("new fleet: want at least 3 instances, got %d", opts.Instances)
	}
	if opts.Instances > 250*perThirdOctet {
		return nil, fmt.Errorf("new fleet: at most %d instances, got %d", 250*perThirdOctet, opts.Instances)
	}
	if opts.Shards > 1 && (opts.Octet == 0 || opts.Shard < 0 || opts.Shard >= opts.Shards) {
		return nil, fmt.Errorf("new fleet: shard %d of %d needs a fixed Octet", opts.Shard, opts.Shards)
	}
	f := &Fleet{opts: opts, log: log.With().Str(events.LogComponent, "fleetsim").Logger(), start: time.Now(),
		byIP: make(map[string]*instance, opts.Instances), ready: make(chan struct{})}
	if opts.MySQL != "" {
		if opts.Shards > 1 {
			return nil, errors.New("new fleet: the MySQL dialect is stateful and runs in one process (no shards)")
		}
		v, err := parseMyVersion(opts.MySQL)
		if err != nil {
			return nil, fmt.Errorf("new fleet: %w", err)
		}
		f.my = &v
	}
	f.layout(opts.Octet)
	return f, nil
}

// clusterSizes splits n (≥ 3) into sizes 3, 4, 5, 3, 4, 5 …, each 3–5.
func clusterSizes(n int) []int {
	var sizes []int
	for next := 3; n > 0; next = 3 + (next-2)%3 {
		s := min(next, n)
		if n-s > 0 && n-s < 3 {
			s = n - 3 // leave a full last cluster
			if s < 3 {
				s = n // 4 or 5 left: one cluster
			}
		}
		sizes = append(sizes, s)
		n -= s
	}
	return sizes
}

// layout builds clusters on 127.octet.C.D (octet 0: placeholder, chosen
// by Run).
func (f *Fleet) layout(octet int) {
	f.opts.Octet = octet
	i := 0
	f.clusters, f.served = f.clusters[:0], f.served[:0]
	clear(f.byIP)
	for ci, size := range clusterSizes(f.opts.Instances) {
		c := &cluster{served: f.opts.Shards <= 1 || ci%f.opts.Shards == f.opts.Shard}
		for m := range size {
			in := &instance{ip: f.ip(i), serverID: uint32(i + 1), c: c, primary: m == 0, conns: map[net.Conn]struct{}{}}
			c.members = append(c.members, in)
			f.byIP[in.ip] = in
			i++
		}
		c.primary = c.members[0]
		f.clusters = append(f.clusters, c)
		if c.served {
			f.served = append(f.served, c)
		}
	}
	if f.my != nil {
		f.initMySQL()
	}
}

func (f *Fleet) ip(i int) string {
	return fmt.Sprintf("127.%d.%d.%d", f.opts.Octet, i/perThirdOctet, 1+i%perThirdOctet)
}

func (f *Fleet) key(in *instance) events.InstanceKey {
	return events.InstanceKey{Hostname: in.ip, Port: f.opts.Port}
}

// Clusters lists each cluster's instances, primary first, all shards'.
// Valid once Ready is closed.
func (f *Fleet) Clusters() [][]events.InstanceKey {
	out := make([][]events.InstanceKey, len(f.clusters))
	for i, c := range f.clusters {
		for _, in := range c.members {
			out[i] = append(out[i], f.key(in))
		}
	}
	return out
}

// Ready is closed once every instance listens.
func (f *Fleet) Ready() <-chan struct{} { return f.ready }

// Queries counts the statements answered.
func (f *Fleet) Queries() uint64 { return f.queries.Load() }

// Kill makes the primary at key die as under SIGKILL: its listener and
// connections close, and its replicas report their IO thread Connecting
// with heartbeats stopped.
func (f *Fleet) Kill(key events.InstanceKey) error {
	in, ok := f.byIP[key.Hostname]
	if !ok || key.Port != f.opts.Port || !in.c.served {
		return fmt.Errorf("kill %s: no such instance in this shard", key)
	}
	if in.my != nil && !in.down.Load() {
		// Connected replicas had received every transaction committed
		// before the kill, as they stream.
		f.myMu.Lock()
		f.tick(in, time.Now(), 0)
		f.connectedReplicas(in)
		f.myMu.Unlock()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if in.dead {
		return nil
	}
	in.dead = true
	in.down.Store(true)
	if in.primary {
		in.c.killedAt.Store(time.Now().UnixNano())
	}
	if in.ln != nil {
		_ = in.ln.Close() // an already closed listener is fine
	}
	for c := range in.conns {
		_ = c.Close() // the peer sees the connection drop, as after SIGKILL
	}
	return nil
}

// Revive brings a killed instance back, as a restarted server (its
// replicas reconnect at once). Only while Run runs.
func (f *Fleet) Revive(key events.InstanceKey) error {
	in, ok := f.byIP[key.Hostname]
	if !ok || key.Port != f.opts.Port || !in.c.served {
		return fmt.Errorf("revive %s: no such instance in this shard", key)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !in.dead {
		return nil
	}
	if f.runCtx == nil || f.runCtx.Err() != nil {
		return fmt.Errorf("revive %s: the fleet is not running", key)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", net.JoinHostPort(in.ip, strconv.Itoa(f.opts.Port)))
	if err != nil {
		return fmt.Errorf("revive %s: %w", key, err)
	}
	in.ln, in.dead = ln, false
	in.down.Store(false)
	if in.primary {
		in.c.killedAt.Store(0)
	}
	f.group.Go(func() error { f.accept(f.runCtx, in, ln, f.conns); return nil })
	return nil
}

// Run listens on every instance's address and serves until ctx is done.
func (f *Fleet) Run(ctx context.Context) error {
	f.mu.Lock()
	if f.run {
		f.mu.Unlock()
		return errors.New("run fleet: already running")
	}
	f.run = true
	f.mu.Unlock()
	if err := f.listenAll(); err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	var conns sync.WaitGroup
	f.mu.Lock()
	f.runCtx, f.group, f.conns = gctx, g, &conns
	for _, c := range f.served {
		for _, in := range c.members {
			ln := in.ln
			g.Go(func() error { f.accept(gctx, in, ln, &conns); return nil })
		}
	}
	f.mu.Unlock()
	close(f.ready)
	<-gctx.Done()
	f.mu.Lock()
	for _, c := range f.served {
		for _, in := range c.members {
			in.dead = true
			_ = in.ln.Close() // closing twice is harmless
			for c := range in.conns {
				_ = c.Close()
			}
		}
	}
	f.mu.Unlock()
	err := g.Wait()
	conns.Wait()
	return err
}

// listenAll opens every listener, choosing a free second octet when none
// was given.
func (f *Fleet) listenAll() error {
	if err := RaiseFileLimit(); err != nil {
		f.log.Warn().Err(err).Msg("cannot raise the open-file limit")
	}
	fixed := f.opts.Octet != 0
	for attempt := 0; ; attempt++ {
		if !fixed {
			f.layout(10 + rand.IntN(240)) //nolint:gosec // an address choice, not a secret
		}
		err := f.listenOnce()
		if err == nil {
			return nil
		}
		if fixed || !errors.Is(err, syscall.EADDRINUSE) || attempt >= 20 {
			return err
		}
	}
}

func (f *Fleet) listenOnce() error {
	var lc net.ListenConfig
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.served {
		for _, in := range c.members {
			ln, err := lc.Listen(context.Background(), "tcp", net.JoinHostPort(in.ip, strconv.Itoa(f.opts.Port)))
			if err != nil {
				f.closeListenersLocked()
				return fmt.Errorf("listen on %s: %w", in.ip, err)
			}
			in.ln = ln
		}
	}
	return nil
}

func (f *Fleet) closeListenersLocked() {
	for _, c := range f.served {
		for _, in := range c.members {
			if in.ln != nil {
				_ = in.ln.Close()
				in.ln = nil
			}
		}
	}
}

// accept serves in's connections until its listener closes.
func (f *Fleet) accept(ctx context.Context, in *instance, ln net.Listener, conns *sync.WaitGroup) {
	for {
		c, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return // closed by Kill or at the end of Run
		}
		if err != nil { // EMFILE, ECONNABORTED: keep listening
			f.log.Warn().Err(err).Str(events.LogInstance, in.ip).Msg("accept")
			select {
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		f.mu.Lock()
		if in.dead || ctx.Err() != nil {
			f.mu.Unlock()
			_ = c.Close()
			continue
		}
		in.conns[c] = struct{}{}
		f.mu.Unlock()
		conns.Add(1)
		go func() {
			defer conns.Done()
			f.serve(in, c)
			f.mu.Lock()
			delete(in.conns, c)
			f.mu.Unlock()
			_ = c.Close()
		}()
	}
}

// RaiseFileLimit raises this process's open-file soft limit to its hard
// limit, and the hard limit to 1,048,576 when allowed (root).
func RaiseFileLimit() error {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return fmt.Errorf("get open-file limit: %w", err)
	}
	const want = 1 << 20
	if rl.Max < want {
		up := syscall.Rlimit{Cur: want, Max: want}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &up); err == nil {
			return nil
		}
	}
	rl.Cur = rl.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return fmt.Errorf("set open-file limit: %w", err)
	}
	return nil
}
