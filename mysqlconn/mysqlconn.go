package mysqlconn

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/go-sql-driver/mysql"
)

// TLSOptions are orchestrator's MySQLTopology TLS settings.
type TLSOptions struct {
	// Config, when set, is used as is and the file fields are ignored.
	Config *tls.Config
	// CAFile verifies the server; CertFile and KeyFile are the client's
	// certificate (MySQLTopologySSLCAFile/CertFile/PrivateKeyFile).
	CAFile   string
	CertFile string
	KeyFile  string
	// SkipVerify skips server certificate verification
	// (MySQLTopologySSLSkipVerify).
	SkipVerify bool
	// UseMutualTLS requires TLS with the files above
	// (MySQLTopologyUseMutualTLS).
	UseMutualTLS bool
	// UseMixedTLS uses TLS when the server offers it and plain text when it
	// does not (MySQLTopologyUseMixedTLS).
	UseMixedTLS bool
}

// Build returns the client TLS configuration (nil means plain text) and
// whether plain text is allowed when the server has no TLS.
func (o TLSOptions) Build() (cfg *tls.Config, mixed bool, err error) {
	mixed = o.UseMixedTLS && !o.UseMutualTLS
	if o.Config != nil {
		return o.Config, mixed, nil
	}
	if !o.UseMutualTLS && !o.UseMixedTLS && o.CAFile == "" && o.CertFile == "" {
		return nil, false, nil
	}
	cfg = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.SkipVerify} //nolint:gosec // operator's choice
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, false, fmt.Errorf("read MySQLTopologySSLCAFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, false, fmt.Errorf("read MySQLTopologySSLCAFile %s: no PEM certificates", o.CAFile)
		}
		cfg.RootCAs = pool
	}
	if o.CertFile != "" || o.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, false, fmt.Errorf("load MySQLTopologySSLCertFile %q and MySQLTopologySSLPrivateKeyFile %q: %w", o.CertFile, o.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if o.CAFile == "" && !o.SkipVerify && mixed {
		// Mixed mode without a CA: orchestrator encrypts but does not verify.
		cfg.InsecureSkipVerify = true
	}
	return cfg, mixed, nil
}

// Options are what every connection to a managed server shares.
type Options struct {
	// User and Password are the topology credentials
	// (MySQLTopologyUser/MySQLTopologyPassword).
	User, Password string
	// ConnectTimeout bounds the dial and handshake; ReadTimeout bounds each
	// read and write. Zero leaves the driver's (none): callers set their
	// own defaults first.
	ConnectTimeout time.Duration
	ReadTimeout    time.Duration
	// ConnectionLifetime closes connections that old
	// (MySQLConnectionLifetimeSeconds; zero: DefaultConnectionLifetime).
	ConnectionLifetime time.Duration
	// TLS holds the MySQLTopology* TLS settings.
	TLS TLSOptions
}

// Dialer builds driver configurations from Options whose TLS files have
// been loaded.
type Dialer struct {
	opts  Options
	tls   *tls.Config
	mixed bool
}

// New loads the TLS files of o. It fails only when they cannot be loaded.
func New(o Options) (*Dialer, error) {
	cfg, mixed, err := o.TLS.Build()
	if err != nil {
		return nil, err
	}
	return &Dialer{opts: o, tls: cfg, mixed: mixed}, nil
}

// Config returns a new driver configuration for the server at host:port
// with the credentials, timeouts and TLS set. Callers add what is theirs
// (InterpolateParams, MultiStatements, Logger) and build a connector with
// mysql.NewConnector.
func (d *Dialer) Config(host string, port int) *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd = d.opts.User, d.opts.Password
	cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(host, strconv.Itoa(port))
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = d.opts.ConnectTimeout, d.opts.ReadTimeout, d.opts.ReadTimeout
	cfg.TLS = d.tls
	cfg.AllowFallbackToPlaintext = d.mixed
	return cfg
}

func (d *Dialer) lifetime() time.Duration {
	if d.opts.ConnectionLifetime > 0 {
		return d.opts.ConnectionLifetime
	}
	return DefaultConnectionLifetime
}

// TLS returns the TLS configuration every connection uses (nil: plain
// text) and whether plain text is allowed when a server offers no TLS.
func (d *Dialer) TLS() (*tls.Config, bool) { return d.tls, d.mixed }
