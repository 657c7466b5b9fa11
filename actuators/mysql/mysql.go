package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
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

// Pool sizing per server: actuator steps on one server run one at a time,
// a second connection serves a concurrent status read.
const (
	poolMaxOpen     = 2
	poolMaxIdle     = 2
	poolMaxLifetime = 10 * time.Minute
	poolMaxIdleTime = 2 * time.Minute
)

// Options configure a DB. Zero values take the defaults.
type Options struct {
	// Conn is what the probes' connections use too: the topology user's
	// credentials, the MySQLTopologySSL* TLS settings, and the timeouts:
	// ConnectTimeout bounds the dial and handshake (default 2 s),
	// ReadTimeout each read and write on a connection (default 5 s; waits
	// are cut into chunks shorter than it).
	Conn mysqlconn.Options
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
	opts Options
	dial *mysqlconn.Dialer
	log  zerolog.Logger

	mu      sync.Mutex // guards servers and closed
	servers map[events.InstanceKey]*server
	closed  bool
}

var _ actuators.DB = (*DB)(nil)

// server is the per-instance state: its pool and its dialect.
type server struct {
	db *sql.DB

	mu      sync.Mutex // guards the fields below
	known   bool
	flavor  flavor
	dialect dialect
}

// New returns a DB. It connects to nothing until an operation needs a
// server; it fails only when the TLS files cannot be loaded.
func New(opts Options) (*DB, error) {
	opts = opts.withDefaults()
	dial, err := mysqlconn.New(opts.Conn)
	if err != nil {
		return nil, fmt.Errorf("new mysql actuator: %w", err)
	}
	return &DB{opts: opts, dial: dial, log: opts.Logger.With().Str(events.LogComponent, "actuator-mysql").Logger(),
		servers: map[events.InstanceKey]*server{}}, nil
}

var errClosed = errors.New("actuator closed")

// server returns key's server, opening its pool on first use.
func (d *DB) server(key events.InstanceKey) (*server, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, errClosed
	}
	if s, ok := d.servers[key]; ok {
		return s, nil
	}
	cfg := d.dial.Config(key.Hostname, key.Port)
	cfg.InterpolateParams = true // CHANGE MASTER cannot be prepared
	cfg.Logger = driverLogger{log: d.log}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(poolMaxOpen)
	db.SetMaxIdleConns(poolMaxIdle)
	db.SetConnMaxLifetime(poolMaxLifetime)
	db.SetConnMaxIdleTime(poolMaxIdleTime)
	s := &server{db: db}
	d.servers[key] = s
	return s, nil
}

// dialect returns key's server and dialect, reading the flavor once.
func (d *DB) dialect(ctx context.Context, key events.InstanceKey) (*server, dialect, error) {
	s, err := d.server(key)
	if err != nil {
		return nil, dialect{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.known {
		return s, s.dialect, nil
	}
	var version, comment string
	if err := s.db.QueryRowContext(ctx, "SELECT @@version, @@version_comment").Scan(&version, &comment); err != nil {
		return nil, dialect{}, err
	}
	s.flavor = parseFlavor(version, comment)
	s.dialect = dialectFor(s.flavor)
	s.known = true
	return s, s.dialect, nil
}

// forget drops key's cached flavor after a connection failure: a server
// that went away may come back upgraded.
func (d *DB) forget(key events.InstanceKey, err error) {
	if classify(err) != actuators.Transient {
		return
	}
	d.mu.Lock()
	s := d.servers[key]
	d.mu.Unlock()
	if s != nil {
		s.mu.Lock()
		s.known = false
		s.mu.Unlock()
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
func (d *DB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	var errs []error
	for key, s := range d.servers {
		errs = append(errs, s.db.Close())
		delete(d.servers, key)
	}
	return errors.Join(errs...)
}

// driverLogger sends the driver's own messages (e.g. "unexpected EOF" on a
// dead connection, which the caller also gets as an error) to debug.
type driverLogger struct{ log zerolog.Logger }

func (l driverLogger) Print(v ...any) { l.log.Debug().Str("source", "driver").Msgf("%v", v) }
