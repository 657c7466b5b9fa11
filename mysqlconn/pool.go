package mysqlconn

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Config is the driver's configuration. It is an alias so that callers
// adjust what is theirs (MultiStatements, Logger, DialFunc) without
// importing the driver: only this package does.
type Config = mysql.Config

// Pool defaults.
const (
	DefaultPoolMaxOpen     = 2
	DefaultPoolMaxIdleTime = 2 * time.Minute
	// DefaultConnectionLifetime applies when MySQLConnectionLifetimeSeconds
	// is 0.
	DefaultConnectionLifetime = 10 * time.Minute
)

// ErrClosed is returned by Pools.Get after Close.
var ErrClosed = errors.New("mysql connection pools closed")

// PoolOptions size the pools of one user (the probes, the actuators).
type PoolOptions struct {
	// MaxOpen bounds each server's open connections (default 2); idle
	// connections are kept up to the same number.
	MaxOpen int
	// MaxIdleTime closes connections idle that long (default 2 min).
	MaxIdleTime time.Duration
	// Adjust, when set, changes each server's driver configuration before
	// its pool opens (MultiStatements, Logger...).
	Adjust func(*Config)
}

// Pool is one server's bounded connection pool and its flavor and
// version, read once (ForgetServer reads them again).
type Pool struct {
	DB *sql.DB

	mu     sync.Mutex // guards server and known
	server Server
	known  bool
}

// Server returns the server's flavor and version, reading them on first
// use.
func (p *Pool) Server(ctx context.Context) (Server, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.known {
		return p.server, nil
	}
	var version, comment sql.NullString
	if err := p.DB.QueryRowContext(ctx, VersionSQL).Scan(&version, &comment); err != nil {
		return Server{}, fmt.Errorf("read version: %w", err)
	}
	p.server, p.known = ParseServer(version.String, comment.String), true
	return p.server, nil
}

// ForgetServer makes the next Server call read the version again: a server
// that went away may come back upgraded.
func (p *Pool) ForgetServer() {
	p.mu.Lock()
	p.known = false
	p.mu.Unlock()
}

// Pools holds one Pool per server, opened on first use and closed by
// Close. It is safe for concurrent use.
type Pools struct {
	dial *Dialer
	opts PoolOptions

	mu     sync.Mutex // guards pools and closed
	pools  map[string]*Pool
	closed bool
}

// NewPools returns empty pools whose connections d configures.
func (d *Dialer) NewPools(o PoolOptions) *Pools {
	if o.MaxOpen <= 0 {
		o.MaxOpen = DefaultPoolMaxOpen
	}
	if o.MaxIdleTime <= 0 {
		o.MaxIdleTime = DefaultPoolMaxIdleTime
	}
	return &Pools{dial: d, opts: o, pools: map[string]*Pool{}}
}

// Get returns the pool of host:port, opening it on first use.
func (ps *Pools) Get(host string, port int) (*Pool, error) {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.closed {
		return nil, ErrClosed
	}
	if p, ok := ps.pools[addr]; ok {
		return p, nil
	}
	conn, err := ps.dial.Connector(host, port, ps.opts.Adjust)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(ps.opts.MaxOpen)
	db.SetMaxIdleConns(ps.opts.MaxOpen)
	db.SetConnMaxLifetime(ps.dial.lifetime())
	db.SetConnMaxIdleTime(ps.opts.MaxIdleTime)
	p := &Pool{DB: db}
	ps.pools[addr] = p
	return p, nil
}

// Forget closes the pool of host:port; the next Get opens a new one.
func (ps *Pools) Forget(host string, port int) {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	ps.mu.Lock()
	p := ps.pools[addr]
	delete(ps.pools, addr)
	ps.mu.Unlock()
	if p != nil {
		_ = p.DB.Close() // closing a pool fails only on driver bugs: nothing to do
	}
}

// Close closes every pool; Get fails afterwards.
func (ps *Pools) Close() error {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.closed = true
	var errs []error
	for addr, p := range ps.pools {
		if err := p.DB.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close pool of %s: %w", addr, err))
		}
		delete(ps.pools, addr)
	}
	return errors.Join(errs...)
}

// Open reports how many pools are open.
func (ps *Pools) Open() int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return len(ps.pools)
}

// Connector returns a connector to host:port with d's configuration,
// changed by adjust when it is not nil (the probes' primary watch dials
// through it with a DialFunc of its own).
func (d *Dialer) Connector(host string, port int, adjust func(*Config)) (driver.Connector, error) {
	cfg := d.Config(host, port)
	if adjust != nil {
		adjust(cfg)
	}
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("configure connection to %s: %w", cfg.Addr, err)
	}
	return c, nil
}
