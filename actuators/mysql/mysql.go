package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/mysqlconn"
)

// Defaults of Options.
const (
	DefaultConnectTimeout  = 2 * time.Second
	DefaultReadTimeout     = 5 * time.Second
	DefaultHeartbeatPeriod = 500 * time.Millisecond
	DefaultPollInterval    = 10 * time.Millisecond
)

// poolMaxOpen sizes each server's pool: actuator steps on one server run
// one at a time, a second connection serves a concurrent status read.
const poolMaxOpen = 2

// Options configure a DB. Zero values take the defaults.
type Options struct {
	// Conn is what the probes' connections use too: the topology user's
	// credentials, the MySQLTopologySSL* TLS settings, and the timeouts:
	// ConnectTimeout bounds the dial and handshake (default 2 s),
	// ReadTimeout each read and write on a connection
	// (MySQLTopologyReadTimeoutSeconds; default 5 s; waits are cut into
	// chunks shorter than it), ConnectionLifetime each connection's age
	// (MySQLConnectionLifetimeSeconds).
	Conn mysqlconn.Options
	// UseSuperReadOnly: SetReadOnly(true) sets super_read_only too where
	// the server has it (orchestrator's UseSuperReadOnly; default false:
	// read_only only).
	UseSuperReadOnly bool
	// HeartbeatPeriod is MASTER_HEARTBEAT_PERIOD of ChangeSource (default
	// 0.5 s): replicas' heartbeats are part of failure detection.
	HeartbeatPeriod time.Duration
	// PollInterval is the pace of WaitRelayApplied and WaitGTID's checks
	// (default 10 ms).
	PollInterval time.Duration
	// Logger receives one line per change made on a server.
	Logger zerolog.Logger
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Conn.ConnectTimeout, DefaultConnectTimeout)
	def(&o.Conn.ReadTimeout, DefaultReadTimeout)
	def(&o.HeartbeatPeriod, DefaultHeartbeatPeriod)
	def(&o.PollInterval, DefaultPollInterval)
	return o
}

// DB implements actuators.DB over the MySQL protocol. It is safe for
// concurrent use.
type DB struct {
	opts  Options
	pools *mysqlconn.Pools
	log   zerolog.Logger
}

var _ actuators.DB = (*DB)(nil)

// server is one instance's pool (with its flavor and version).
type server struct {
	db   *sql.DB
	pool *mysqlconn.Pool
}

// New returns a DB. It connects to nothing until an operation needs a
// server; it fails only when the TLS files cannot be loaded.
func New(opts Options) (*DB, error) {
	opts = opts.withDefaults()
	dial, err := mysqlconn.New(opts.Conn)
	if err != nil {
		return nil, fmt.Errorf("new mysql actuator: %w", err)
	}
	log := opts.Logger.With().Str(events.LogComponent, "actuator-mysql").Logger()
	pools := dial.NewPools(mysqlconn.PoolOptions{MaxOpen: poolMaxOpen, Adjust: func(c *mysqlconn.Config) {
		c.InterpolateParams = true // CHANGE MASTER cannot be prepared
		c.Logger = driverLogger{log: log}
	}})
	return &DB{opts: opts, pools: pools, log: log}, nil
}

// server returns key's server, opening its pool on first use.
func (d *DB) server(key events.InstanceKey) (*server, error) {
	p, err := d.pools.Get(key.Hostname, key.Port)
	if err != nil {
		return nil, err
	}
	return &server{db: p.DB, pool: p}, nil
}

// dialect returns key's server and the statements of its flavor and
// version, read once per server.
func (d *DB) dialect(ctx context.Context, key events.InstanceKey) (*server, dialect, error) {
	s, err := d.server(key)
	if err != nil {
		return nil, dialect{}, err
	}
	srv, err := s.pool.Server(ctx)
	if err != nil {
		return nil, dialect{}, err
	}
	return s, dialectFor(srv), nil
}

// forget drops key's cached flavor after a connection failure: a server
// that went away may come back upgraded.
func (d *DB) forget(key events.InstanceKey, err error) {
	if classify(err) != actuators.Transient {
		return
	}
	if p, gerr := d.pools.Get(key.Hostname, key.Port); gerr == nil {
		p.ForgetServer()
	}
}

// fail classifies err and forgets the flavor on connection failures.
func (d *DB) fail(op string, key events.InstanceKey, err error) error {
	if err == nil {
		return nil
	}
	d.forget(key, err)
	return wrap(op, key, err)
}

// Close closes every pool. Operations after Close fail.
func (d *DB) Close() error { return d.pools.Close() }

// driverLogger sends the driver's own messages (e.g. "unexpected EOF" on a
// dead connection, which the caller also gets as an error) to debug.
type driverLogger struct{ log zerolog.Logger }

func (l driverLogger) Print(v ...any) { l.log.Debug().Str("source", "driver").Msgf("%v", v) }
