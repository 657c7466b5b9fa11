package natsclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Auth is the identity a connection presents: at most one of a credentials
// file, a token, or a user (with its password). The zero Auth presents none
// (or the credentials embedded in a server URL).
type Auth struct {
	User, Password string
	Token          string
	CredsFile      string
}

// check refuses an Auth that names two identities: which one the server
// would see would depend on the client library's order.
func (a Auth) check() error {
	n := 0
	for _, set := range []bool{a.User != "", a.Token != "", a.CredsFile != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		return errors.New("give one NATS identity: a user (and password), a token or a credentials file, not several")
	}
	if a.Password != "" && a.User == "" {
		return errors.New("a NATS password without a user")
	}
	return nil
}

func (a Auth) options() []nats.Option {
	switch {
	case a.CredsFile != "":
		return []nats.Option{nats.UserCredentials(a.CredsFile)}
	case a.Token != "":
		return []nats.Option{nats.Token(a.Token)}
	case a.User != "":
		return []nats.Option{nats.UserInfo(a.User, a.Password)}
	}
	return nil
}

// TLSFiles are PEM files: a certificate and its key (presented to the
// peer), and a CA (trusted for the peer's certificate). All empty: no TLS.
type TLSFiles struct{ CertFile, KeyFile, CAFile string }

// Set is whether any file is given.
func (f TLSFiles) Set() bool { return f.CertFile != "" || f.KeyFile != "" || f.CAFile != "" }

// Load reads the files into a TLS config; nil when none is given. server
// selects the listener's shape: with a CA, client certificates are
// required and verified against it.
func (f TLSFiles) Load(server bool) (*tls.Config, error) {
	if !f.Set() {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.CertFile != "" || f.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load key pair %s / %s: %w", f.CertFile, f.KeyFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if f.CAFile != "" {
		pem, err := os.ReadFile(f.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA %s: %w", f.CAFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA %s: no certificate found", f.CAFile)
		}
		if server {
			tc.ClientCAs = pool
			tc.ClientAuth = tls.RequireAndVerifyClientCert
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

// Options say how to connect.
type Options struct {
	// Name is the connection's name, shown by the server (nats server
	// report connections).
	Name string
	// Servers are the URLs tried (nats://, tls://); a URL may carry
	// user:password@ or a token@ instead of Auth.
	Servers []string
	// InProcess, when set, connects to an embedded server without a
	// socket (Servers and TLS are then ignored: nothing crosses a wire).
	InProcess nats.InProcessConnProvider
	Auth      Auth
	TLS       TLSFiles
	// Reconnect keeps a long-running client reconnecting forever (a node,
	// a hook consumer); without it a lost connection is closed (a one-shot
	// read).
	Reconnect bool
	// Timeout bounds each connection attempt (default 5 s).
	Timeout time.Duration
}

// Connect connects with o. Its error does not repeat the server URLs
// (they may carry credentials): the caller names them, masked.
func Connect(o Options) (*nats.Conn, error) {
	if o.InProcess != nil {
		o.Servers, o.TLS = nil, TLSFiles{}
	} else if len(o.Servers) == 0 {
		return nil, errors.New("no NATS server URL to connect to")
	}
	opts, err := o.natsOptions()
	if err != nil {
		return nil, err
	}
	if o.InProcess != nil {
		nc, err := nats.Connect("", append(opts, nats.InProcessServer(o.InProcess))...)
		if err != nil {
			return nil, fmt.Errorf("connect in-process as %s: %w", o.Name, err)
		}
		return nc, nil
	}
	// The caller names the servers (masking their credentials): the
	// error does not repeat them.
	return nats.Connect(strings.Join(o.Servers, ","), opts...)
}

// natsOptions are o's nats.go options.
func (o Options) natsOptions() ([]nats.Option, error) {
	if err := o.Auth.check(); err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	opts := []nats.Option{nats.Name(o.Name), nats.Timeout(timeout)}
	if o.Reconnect {
		opts = append(opts, nats.MaxReconnects(-1), nats.ReconnectWait(time.Second))
	} else {
		opts = append(opts, nats.NoReconnect())
	}
	opts = append(opts, o.Auth.options()...)
	tc, err := o.TLS.Load(false)
	if err != nil {
		return nil, fmt.Errorf("NATS client TLS: %w", err)
	}
	if tc != nil {
		opts = append(opts, nats.Secure(tc))
	}
	return opts, nil
}

// Drain drains nc (its subscriptions finish, its pending publishes are
// flushed) and closes it, within timeout: past it, the connection is
// closed as it is.
func Drain(nc *nats.Conn, timeout time.Duration) {
	done := make(chan struct{})
	var once sync.Once
	nc.SetClosedHandler(func(*nats.Conn) { once.Do(func() { close(done) }) })
	if err := nc.Drain(); err != nil {
		nc.Close()
	}
	select {
	case <-done:
	case <-time.After(timeout):
		nc.Close()
	}
}

// Defaults fills what o leaves open from local, a local node's connection
// (its derived identity and TLS files): the identity when o names none,
// neither in Auth nor as user@ in a server URL; the client certificate
// when o gives neither file; the CA when o gives none.
func (o Options) Defaults(local Options) Options {
	if o.Auth == (Auth{}) && !strings.Contains(strings.Join(o.Servers, ","), "@") {
		o.Auth = local.Auth
	}
	if o.TLS.CertFile == "" && o.TLS.KeyFile == "" {
		o.TLS.CertFile, o.TLS.KeyFile = local.TLS.CertFile, local.TLS.KeyFile
	}
	if o.TLS.CAFile == "" {
		o.TLS.CAFile = local.TLS.CAFile
	}
	return o
}
