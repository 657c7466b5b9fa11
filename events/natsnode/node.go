package natsnode

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events/natsclient"
)

// Options configure an embedded node. Zero values mean "not set".
type Options struct {
	// Name is the server name, unique in the cluster (required when
	// clustered).
	Name string
	// StoreDir holds JetStream's file store.
	StoreDir string
	// ClientHost/ClientPort: the NATS client listener. ClientPort 0 means
	// the default 4222; -1 picks a random free port. NoClientListener turns
	// the listener off (only allowed when not clustered: DontListen breaks
	// route solicitation in nats-server).
	ClientHost       string
	ClientPort       int
	NoClientListener bool
	// Client authentication and TLS for the client listener: either one
	// user (User/Password) or a token, or Users (per-role identities with
	// permissions, see Credentials.Users) and Self, the identity the
	// node's in-process connections present. Users excludes Token.
	User, Password, Token string
	Users                 []*server.User
	Self                  UserPass
	ClientTLS             *tls.Config
	// Cluster, when non-nil, makes this node one of a JetStream cluster.
	Cluster *ClusterOptions
	// MaxMemory and MaxStore bound JetStream's memory and file storage, in
	// bytes. Both must be set (positive): limits computed from free disk are
	// a known cause of outages.
	MaxMemory int64
	MaxStore  int64
	// Logger receives the server's log lines.
	Logger zerolog.Logger
	// Debug and Trace turn on the server's verbose logs.
	Debug, Trace bool
}

// ClusterOptions make the node one of a JetStream cluster.
type ClusterOptions struct {
	Name string // cluster name, the same on every node
	Host string // route listener host
	Port int    // route listener port
	// Routes lists every node's route address as host:port (this node may
	// be included).
	Routes         []string
	User, Password string
	TLS            *tls.Config
}

// Node is a running embedded server.
type Node struct {
	srv  *server.Server
	opts Options
}

// ErrNotReady is returned when the server did not become ready in time.
var ErrNotReady = errors.New("embedded nats server not ready")

// Start starts the embedded server and waits up to ready for it to accept
// connections.
func Start(o Options, ready time.Duration) (*Node, error) {
	so, err := serverOptions(o)
	if err != nil {
		return nil, err
	}
	srv, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("create embedded nats server: %w", err)
	}
	srv.SetLoggerV2(zlog{o.Logger}, o.Debug, o.Trace, false)
	go srv.Start() // owned by srv: Shutdown stops it
	if !srv.ReadyForConnections(ready) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("%w after %s (client %s:%d)", ErrNotReady, ready, o.ClientHost, o.ClientPort)
	}
	return &Node{srv: srv, opts: o}, nil
}

func serverOptions(o Options) (*server.Options, error) {
	if o.StoreDir == "" {
		return nil, errors.New("natsnode: StoreDir is required")
	}
	if o.MaxMemory <= 0 || o.MaxStore <= 0 {
		return nil, errors.New("natsnode: MaxMemory and MaxStore must be set")
	}
	so := &server.Options{
		ServerName:         o.Name,
		Host:               o.ClientHost,
		Port:               o.ClientPort,
		NoSigs:             true,
		JetStream:          true,
		StoreDir:           o.StoreDir,
		JetStreamMaxMemory: o.MaxMemory,
		JetStreamMaxStore:  o.MaxStore,
		Username:           o.User,
		Password:           o.Password,
		Authorization:      o.Token,
		TLSConfig:          o.ClientTLS,
		Debug:              o.Debug,
		Trace:              o.Trace,
		// The monitoring port stays off: Regent serves its own HTTP.
		HTTPPort: 0,
	}
	if so.Host == "" {
		so.Host = "127.0.0.1"
	}
	if so.Port == 0 {
		so.Port = 4222
	}
	if o.ClientTLS != nil {
		so.TLS = true
		so.TLSVerify = o.ClientTLS.ClientAuth == tls.RequireAndVerifyClientCert
	}
	if len(o.Users) > 0 {
		if o.Token != "" || o.User != "" {
			return nil, errors.New("natsnode: Users exclude User and Token (nats-server takes one authentication scheme)")
		}
		so.Users = o.Users
	}
	if o.NoClientListener {
		if o.Cluster != nil {
			return nil, errors.New("natsnode: a clustered node needs its client listener (NATSListenAddress)")
		}
		so.DontListen = true
	}
	if o.Cluster != nil {
		if err := clusterOptions(so, o); err != nil {
			return nil, err
		}
	}
	return so, nil
}

func clusterOptions(so *server.Options, o Options) error {
	c := o.Cluster
	if o.Name == "" {
		return errors.New("natsnode: a clustered node needs a unique Name")
	}
	if c.Name == "" {
		return errors.New("natsnode: a clustered node needs a cluster Name")
	}
	if c.User == "" || c.Password == "" {
		return errors.New("natsnode: a clustered node needs route credentials (User and Password): routes always authenticate")
	}
	so.Cluster = server.ClusterOpts{
		Name:           c.Name,
		Host:           c.Host,
		Port:           c.Port,
		Username:       c.User,
		Password:       c.Password,
		TLSConfig:      c.TLS,
		ConnectBackoff: true,
		PoolSize:       -1, // one route per peer: simpler to reason about on a LAN
	}
	scheme := "nats-route"
	if c.TLS != nil {
		scheme = "tls"
	}
	for _, r := range c.Routes {
		host, port, err := net.SplitHostPort(r)
		if err != nil {
			return fmt.Errorf("natsnode: route %q: %w", r, err)
		}
		if _, err := strconv.Atoi(port); err != nil {
			return fmt.Errorf("natsnode: route %q: bad port", r)
		}
		u := &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, port)}
		if c.User != "" {
			u.User = url.UserPassword(c.User, c.Password)
		}
		so.Routes = append(so.Routes, u)
	}
	return nil
}

// Server exposes the embedded server for health queries.
func (n *Node) Server() *server.Server { return n.srv }

// Name is the node's server name.
func (n *Node) Name() string { return n.srv.Name() }

// ClientURL is the URL the NATS CLI can use to reach this node.
func (n *Node) ClientURL() string { return n.srv.ClientURL() }

// InProcessConn opens a client connection to this node that bypasses TCP,
// built by natsclient.Connect as every other client connection, as the
// node's own identity (Options.Self, else its token or user). name labels
// the connection in the server's monitoring.
func (n *Node) InProcessConn(name string) (*nats.Conn, error) {
	o := natsclient.Options{Name: name, InProcess: n.srv, Reconnect: true}
	switch {
	case n.opts.Self.User != "":
		o.Auth = natsclient.Auth{User: n.opts.Self.User, Password: n.opts.Self.Password}
	case n.opts.Token != "":
		o.Auth = natsclient.Auth{Token: n.opts.Token}
	case n.opts.User != "":
		o.Auth = natsclient.Auth{User: n.opts.User, Password: n.opts.Password}
	}
	nc, err := natsclient.Connect(o)
	if err != nil {
		return nil, fmt.Errorf("connect in-process to %s: %w", n.Name(), err)
	}
	return nc, nil
}

// InProcessProvider is the server as nats.go's in-process provider: for
// connections built by natsclient.Connect (Options.InProcess).
func (n *Node) InProcessProvider() nats.InProcessConnProvider { return n.srv }

// Shutdown stops the server and waits until it has stopped (file stores
// closed). Raft groups this node leads are stepped down first by the server.
func (n *Node) Shutdown() {
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
}
