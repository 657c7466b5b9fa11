package probes

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/mysqlconn"
)

// poolMaxOpen sizes each instance's pool: one connection for the
// scheduler's probe, one for a concurrent discover or emergent probe.
const poolMaxOpen = 2

// Prober reads one instance's state. It keeps one small connection pool per
// instance, open between probes. It is safe for concurrent use; probing the
// same instance concurrently is allowed but wasteful (the scheduler never
// does).
type Prober struct {
	opts    Options
	log     zerolog.Logger
	sampled zerolog.Logger // for the probe path: bursts of 5 a minute
	clock   Clock
	dial    *mysqlconn.Dialer
	pools   *mysqlconn.Pools
	names   *nameCache

	mu        sync.Mutex // guards instances and closed
	instances map[events.InstanceKey]*instance
	closed    bool
}

// instance is the prober's per-instance state.
type instance struct {
	db *sql.DB

	mu     sync.Mutex // guards the fields below
	plan   dialectPlan
	known  bool // plan has been built from the server's version
	detect detected
	// detectAt is when the Detect* queries last ran.
	detectAt time.Time
	// last holds what the last full probe read that a light probe does not.
	last lastFull

	// columns caches each batch part's column index, reused while the
	// server sends the same columns.
	columns [partCount][2]atomic.Pointer[colIndex]
}

// dialectPlan holds the statements for a server's flavor and version: the
// full batch and the light (steady-state) one.
type dialectPlan struct {
	info              mysqlconn.Server
	full, light       []statement
	fullSQL, lightSQL string
}

// ProberOption adjusts a Prober.
type ProberOption func(*Prober)

// WithClock sets the prober's clock (default SystemClock).
func WithClock(c Clock) ProberOption { return func(p *Prober) { p.clock = c } }

// WithResolver sets the DNS resolver for HostnameResolveMethod cname/ip
// (default net.DefaultResolver).
func WithResolver(r Resolver) ProberOption { return func(p *Prober) { p.names.resolver = r } }

// NewProber returns a Prober. It fails only when the TLS files cannot be
// read.
func NewProber(opts Options, log zerolog.Logger, popts ...ProberOption) (*Prober, error) {
	opts = opts.withDefaults()
	dial, err := mysqlconn.New(mysqlconn.Options{User: opts.User, Password: opts.Password,
		ConnectTimeout: opts.ConnectTimeout, ReadTimeout: opts.ReadTimeout, ConnectionLifetime: opts.ConnectionLifetime, TLS: opts.TLS})
	if err != nil {
		return nil, fmt.Errorf("new prober: %w", err)
	}
	p := &Prober{
		opts:      opts,
		log:       log.With().Str(events.LogComponent, "probe").Logger(),
		sampled:   log.With().Str(events.LogComponent, "probe").Logger().Sample(&zerolog.BurstSampler{Burst: 5, Period: time.Minute}),
		clock:     SystemClock(),
		dial:      dial,
		pools:     dial.NewPools(mysqlconn.PoolOptions{MaxOpen: poolMaxOpen, Adjust: probeConfig}),
		instances: make(map[events.InstanceKey]*instance),
	}
	p.names = newNameCache(opts.HostnameResolveMethod, opts.HostnameResolveTTL, net.DefaultResolver, func() time.Time { return p.clock.Now() })
	for _, o := range popts {
		o(p)
	}
	return p, nil
}

// Close closes every pool. Probes after Close fail.
func (p *Prober) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	clear(p.instances)
	return p.pools.Close()
}

// Forget closes the pool of key and drops what the prober knew about it.
func (p *Prober) Forget(key events.InstanceKey) {
	p.mu.Lock()
	defer p.mu.Unlock() // held while the pool closes: instance must not pick up the closing pool
	delete(p.instances, key)
	p.pools.Forget(key.Hostname, key.Port)
}

// Resolve maps a host name the way discovery and the probe do: names
// learned from servers first, then HostnameResolveMethod.
func (p *Prober) Resolve(ctx context.Context, host string) string { return p.names.resolve(ctx, host) }

// instance returns key's state, opening its pool on first use.
func (p *Prober) instance(key events.InstanceKey) (*instance, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errors.New("prober closed")
	}
	if in, ok := p.instances[key]; ok {
		return in, nil
	}
	pool, err := p.pools.Get(key.Hostname, key.Port)
	if err != nil {
		return nil, fmt.Errorf("open pool of %s: %w", key, err)
	}
	in := &instance{db: pool.DB}
	p.instances[key] = in
	return in, nil
}

// probeConfig adjusts the driver configuration of the probes' pools: the
// batch is one multi-statement round trip; the driver's own logging is
// silenced (the probe reports errors itself). The primary watch
// (watch.go) starts from watchConfig.
func probeConfig(cfg *mysqlconn.Config) {
	watchConfig(cfg)
	cfg.MultiStatements = true
}

func watchConfig(cfg *mysqlconn.Config) {
	cfg.InterpolateParams = true
	cfg.Logger = discardLogger{}
}

// discardLogger silences the driver's own logging.
type discardLogger struct{}

func (discardLogger) Print(...any) {}

// dialect returns the statements for the instance's known dialect.
func (in *instance) dialect() (dialectPlan, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.plan, in.known
}

func (in *instance) setDialect(info mysqlconn.Server, byShowSlaveHosts bool) dialectPlan {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.known && in.plan.info == info {
		return in.plan
	}
	in.known = true
	in.plan = dialectPlan{info: info, full: batch(info, byShowSlaveHosts), light: lightBatch(info)}
	in.plan.fullSQL, in.plan.lightSQL = batchSQL(in.plan.full), batchSQL(in.plan.light)
	in.last = lastFull{}
	return in.plan
}

func (in *instance) forgetDialect() {
	in.mu.Lock()
	in.known = false
	in.last = lastFull{}
	in.mu.Unlock()
}

// Probe reads the instance dialled as key. The observation's Key is the
// instance's name under MySQLHostnameResolveMethod. A failure is a
// *ProbeError; its Kind classifies it.
func (p *Prober) Probe(ctx context.Context, key events.InstanceKey) (events.InstanceObserved, error) {
	start := p.clock.Now()
	obs, answered, err := p.probe(ctx, key)
	if err != nil {
		return events.InstanceObserved{}, p.probeError(ctx, key, answered, err)
	}
	obs.ProbeDuration = p.clock.Now().Sub(start)
	obs.Digest = Digest(&obs)
	return obs, nil
}

// probeError wraps err as a *ProbeError.
func (p *Prober) probeError(ctx context.Context, key events.InstanceKey, answered bool, err error) error {
	var pe *ProbeError
	if errors.As(err, &pe) {
		return pe
	}
	kind := classify(ctx, err)
	var lost *pooledConnLost
	if errors.As(err, &lost) {
		err = lost.err
	}
	var rh *ReportHostError
	var bad *NameError
	if !errors.As(err, &rh) && !errors.As(err, &bad) {
		err = fmt.Errorf("probe %s: %w", key, err)
	}
	return &ProbeError{Key: key, Kind: kind, Partial: answered || kind == ErrPartial,
		ConnectionLost: kind == ErrConnectionLost || lost != nil, Err: err}
}

// pooledConnLost marks a failure to get a connection after an idle pooled
// connection to the instance was found dead.
type pooledConnLost struct{ err error }

func (e *pooledConnLost) Error() string { return e.err.Error() }
func (e *pooledConnLost) Unwrap() error { return e.err }

// probe does the work of Probe. answered reports that the server answered
// at least one statement.
func (p *Prober) probe(ctx context.Context, key events.InstanceKey) (obs events.InstanceObserved, answered bool, err error) {
	in, err := p.instance(key)
	if err != nil {
		return obs, false, err
	}
	before := in.db.Stats()
	conn, err := in.db.Conn(ctx)
	if err != nil {
		if before.OpenConnections > before.InUse && in.db.Stats().OpenConnections < before.OpenConnections {
			err = &pooledConnLost{err: err}
		}
		return obs, false, err
	}
	defer conn.Close() //nolint:errcheck // returns the connection to the pool

	d, known := in.dialect()
	if !known {
		info, err := identify(ctx, conn)
		if err != nil {
			return obs, false, err
		}
		d = in.setDialect(info, p.opts.DiscoverByShowSlaveHosts)
	}
	res, answered, err := p.readState(ctx, key, conn, in, d)
	if err != nil {
		return obs, answered, err
	}
	obs, err = p.observation(ctx, key, res)
	if now := mysqlconn.ParseServer(obs.Version, obs.VersionComment); now != d.info {
		in.setDialect(now, p.opts.DiscoverByShowSlaveHosts) // upgraded in place: the next batch follows
	}
	if err != nil {
		return obs, true, err
	}
	p.runOptionalQueries(ctx, conn, in, &obs)
	return obs, true, nil
}

// observation turns a batch's rows into the observation of the instance
// dialled as key: named under MySQLHostnameResolveMethod, its source and
// replicas named the same way. The names a server reports are checked
// (events.ValidHost): an invalid name of the instance itself or of its
// source fails the probe with a *NameError naming the instance and the
// field; an invalid replica name is left out (a replica's report_host must
// not make its primary look unreachable) and logged. The observation is
// returned, unnamed, with the error.
func (p *Prober) observation(ctx context.Context, key events.InstanceKey, res batchResult) (events.InstanceObserved, error) {
	obs, id := buildObservation(key, res)
	name, err := instanceName(p.opts.MySQLHostnameResolveMethod, key, id)
	if err != nil {
		return obs, err
	}
	if err := checkSource(key, res.replica, obs.Replication); err != nil {
		return obs, err
	}
	obs.Key = name
	p.names.learn(key.Hostname, name.Hostname)
	p.resolveNeighbours(ctx, &obs, res)
	return obs, nil
}

// statementError explains a failed batch statement, naming the privilege it
// needs when that is the cause. A dialect mismatch (an unknown variable
// after an upgrade) makes the next probe identify the server again.
func (p *Prober) statementError(in *instance, info mysqlconn.Server, stmts []statement, failed int, err error) error {
	number, ok := mysqlconn.ErrorNumber(err)
	if !ok || failed < 0 {
		return err
	}
	st := stmts[failed]
	switch {
	case number == mysqlconn.ErUnknownSystemVar, number == mysqlconn.ErParse, number == mysqlconn.ErUnknownTable, number == mysqlconn.ErNoSuchTable:
		in.forgetDialect()
	case mysqlconn.Classify(err) == mysqlconn.KindPrivilege:
		return fmt.Errorf("%s needs %s on %s %s: %w", st.name, st.needs, info.Flavor, info.Version.Short(), err)
	}
	return fmt.Errorf("read %s: %w", st.name, err)
}

// identify reads the version, which picks the dialect of the batch.
func identify(ctx context.Context, conn *sql.Conn) (mysqlconn.Server, error) {
	var version, comment sql.NullString
	if err := conn.QueryRowContext(ctx, mysqlconn.VersionSQL).Scan(&version, &comment); err != nil {
		return mysqlconn.Server{}, fmt.Errorf("read version: %w", err)
	}
	return mysqlconn.ParseServer(version.String, comment.String), nil
}

// batchResult holds the rows of each part of the batch.
type batchResult struct {
	globals   row
	status    []row
	variables []row
	binlog    []row
	replica   []row
	replicas  []row
	heartbeat []row
}

// runBatch sends the statements in one round trip and reads each result
// set straight from the driver (no database/sql row scanning: values are
// copied once into one buffer per result set). On error, failed is the
// index of the statement that failed (-1 when the round trip itself
// failed).
func runBatch(ctx context.Context, conn *sql.Conn, in *instance, stmts []statement, sqlText string) (res batchResult, failed int, err error) {
	failed = -1
	err = conn.Raw(func(dc any) error {
		q, ok := dc.(driver.QueryerContext)
		if !ok {
			return errors.New("driver cannot query")
		}
		rows, err := q.QueryContext(ctx, sqlText, nil)
		if err != nil {
			if _, ok := mysqlconn.ErrorNumber(err); ok {
				failed = 0
			}
			return err
		}
		defer rows.Close() //nolint:errcheck // a read error has been returned already
		next, _ := rows.(driver.RowsNextResultSet)
		for i, st := range stmts {
			if i > 0 {
				if next == nil || !next.HasNextResultSet() {
					failed = i
					return fmt.Errorf("read %s: no result set", st.name)
				}
				if err := next.NextResultSet(); err != nil {
					failed = i
					if errors.Is(err, io.EOF) {
						return fmt.Errorf("read %s: no result set", st.name)
					}
					return err
				}
			}
			rs, err := readRows(rows, in.columnIndex(st.part, rows.Columns()))
			if err != nil {
				failed = i
				return fmt.Errorf("read %s: %w", st.name, err)
			}
			res.set(st.part, rs)
		}
		return nil
	})
	return res, failed, err
}

func (r *batchResult) set(part batchPart, rs []row) {
	switch part {
	case partGlobals:
		if len(rs) > 0 {
			r.globals = rs[0]
		}
	case partStatus:
		r.status = rs
	case partVariables:
		r.variables = rs
	case partBinlog:
		r.binlog = rs
	case partReplica:
		r.replica = rs
	case partReplicas:
		r.replicas = rs
	case partHeartbeat:
		r.heartbeat = rs
	}
}

// readRows reads the current result set's rows. Values are copied into one
// buffer shared by the result set; NULL is a nil value.
func readRows(rows driver.Rows, ix *colIndex) ([]row, error) {
	dest := make([]driver.Value, len(ix.names))
	var out []row
	buf := make([]byte, 0, 256)
	for {
		if err := rows.Next(dest); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		r := row{ix: ix, vals: make([][]byte, len(dest))}
		for i, v := range dest {
			start := len(buf)
			var null bool
			buf, null = appendValue(buf, v)
			if !null {
				r.vals[i] = buf[start:len(buf):len(buf)]
			}
		}
		out = append(out, r)
	}
}

// appendValue appends v's text as database/sql would convert it to a
// string; null reports NULL.
func appendValue(b []byte, v driver.Value) (out []byte, null bool) {
	switch x := v.(type) {
	case nil:
		return b, true
	case []byte:
		return append(b, x...), false
	case string:
		return append(b, x...), false
	case int64:
		return strconv.AppendInt(b, x, 10), false
	case uint64:
		return strconv.AppendUint(b, x, 10), false
	case float64:
		return strconv.AppendFloat(b, x, 'g', -1, 64), false
	case float32:
		return strconv.AppendFloat(b, float64(x), 'g', -1, 32), false
	case bool:
		return strconv.AppendBool(b, x), false
	case time.Time:
		return x.AppendFormat(b, time.RFC3339Nano), false
	}
	return fmt.Appendf(b, "%v", v), false
}
