package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/events/natsnode"
)

// node is one Regent node's parts, built from the config.
type node struct {
	cfg    config.Config
	log    zerolog.Logger
	nats   *natsnode.Node // nil with an external NATS
	nc     *nats.Conn
	elog   *eventlog.Log
	lease  *eventlog.Lease
	api    *api.Server
	reg    *prometheus.Registry
	app    *applier
	read   *readPath
	engine *actuators.Engine
	runner *actuators.Runner
	kv     *mastersKV // publishes the primaries to the KV bucket while leading
	reload *reloader  // SIGHUP and reload-configuration
	// state says what the node waits for until it is ready (the streams
	// exist): /api/status answers not ready, with it, meanwhile.
	state startState
}

// startNode starts the embedded NATS node (or connects to an external one)
// and builds the API and every part; nothing waits for JetStream: ensure
// creates the streams and then ready opens the node (serve.go).
func startNode(ctx context.Context, cfg config.Config, logger zerolog.Logger, ver string) (*node, error) {
	id := cfg.NodeID()
	n := &node{cfg: cfg, log: logger.With().Str(events.LogNode, id).Logger(), reg: prometheus.NewRegistry()}
	n.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var err error
	if cfg.External() {
		n.nc, err = connectExternal(cfg, id)
	} else {
		n.nc, err = n.startEmbedded(cfg, id)
	}
	if err != nil {
		n.close()
		return nil, err
	}
	so := streamOptions(cfg, streamReplicas(cfg))
	if n.elog, err = eventlog.New(n.nc, n.log, so); err != nil {
		n.close()
		return nil, err
	}
	n.lease = n.elog.NewLease(id, httpAdvertise(cfg))
	n.lease.SetCheck(leaseCheck(cfg))
	n.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "regent_lease_records_rejected_total",
		Help: "Leader lease records not followed: malformed, or naming a holder that is not a configured peer."},
		func() float64 { return float64(n.lease.Rejected()) }))
	tlsOpts, err := apiTLS(cfg)
	if err != nil {
		n.close()
		return nil, err
	}
	n.api = api.New(api.Options{
		ListenAddress:  cfg.ListenAddress,
		URLPrefix:      cfg.URLPrefix,
		StatusEndpoint: cfg.StatusEndpoint,
		Advertise:      httpAdvertise(cfg),
		TLS:            tlsOpts,
		Version:        ver,
		ForwardTo:      peerHTTPAddrs(cfg),
		Auth:           apiAuth(cfg),
	}, &clusterView{n: n}, n.reg, n.log)
	settings, err := projectionSettings(cfg, len((&clusterView{n: n}).Peers()))
	if err != nil {
		n.close()
		return nil, err
	}
	ids, err := nodeIDs(cfg)
	if err != nil {
		n.close()
		return nil, err
	}
	if n.app, err = newApplier(n.elog, settings, ids, n.reg, n.log); err != nil {
		n.close()
		return nil, err
	}
	n.lease.SetFloor(n.app.EpochFloor)
	if n.read, err = newReadPath(cfg, id, n.elog, n.app, n.log); err != nil {
		n.close()
		return nil, err
	}
	n.reg.MustRegister(newDetectCollector(n.read))
	n.read.leading = func() bool { _, held := (leaseAdapter{n.lease}).Leading(); return held }
	n.api.RegisterRead(n.app, n.read, cfg.DefaultInstancePort)
	if n.engine, n.runner, err = newRecovery(cfg, id, n.elog, n.lease, n.app, n.log); err != nil {
		n.close()
		return nil, err
	}
	ops := newOperations(n)
	n.api.RegisterRecovery(n.app, ops, ops)
	n.kv = newMastersKV(cfg.MastersKVPrefix(), n.app, n.elog, n.read.leading, n.log)
	n.api.RegisterKV(n.app, n.kv)
	n.reload = newReloader(n)
	n.api.RegisterReload(n.reload)
	return n, nil
}

// streamReplicas is the streams' replica count: NATSStreamReplicas on an
// external NATS, 3 on an embedded cluster, else 1.
func streamReplicas(cfg config.Config) int {
	switch {
	case cfg.External():
		return max(cfg.NATSStreamReplicas, 1)
	case cfg.Clustered():
		return 3
	}
	return 1
}

// apiTLS loads the HTTPS settings (UseSSL and friends); zero when UseSSL
// is false.
func apiTLS(cfg config.Config) (api.TLSOptions, error) {
	if !cfg.UseSSL {
		return api.TLSOptions{}, nil
	}
	tc, err := api.ServerTLSConfig(cfg.SSLCertFile, cfg.SSLPrivateKeyFile, cfg.SSLCAFile, cfg.UseMutualTLS)
	if err != nil {
		return api.TLSOptions{}, fmt.Errorf("configure https: %w", err)
	}
	return api.TLSOptions{Config: tc, Mutual: cfg.UseMutualTLS, ValidOUs: cfg.SSLValidOUs,
		StatusOUVerify: cfg.StatusOUVerify, SkipVerify: cfg.SSLSkipVerify}, nil
}

// streamOptions sizes the streams inside the node's store limit.
func streamOptions(cfg config.Config, replicas int) events.StreamOptions {
	store := int64(cfg.NATSMaxStoreMB) << 20
	evt := int64(cfg.EventStreamMaxMB) << 20
	if evt <= 0 || evt > store*6/10 {
		evt = store * 6 / 10
	}
	return events.StreamOptions{
		Replicas:          replicas,
		ObservationMaxAge: time.Duration(cfg.ObservationRetentionMinutes) * time.Minute,
		ObservationBytes:  store * 3 / 10,
		EventBytes:        evt,
	}
}

func (n *node) startEmbedded(cfg config.Config, id string) (*nats.Conn, error) {
	o := natsnode.Options{
		Name:      id,
		StoreDir:  filepath.Join(cfg.RaftDataDir, "jetstream"),
		MaxMemory: int64(cfg.NATSMaxMemoryMB) << 20,
		MaxStore:  int64(cfg.NATSMaxStoreMB) << 20,
		Logger:    n.log.With().Str(events.LogComponent, "nats").Logger(),
		Debug:     cfg.EffectiveLogLevel() == "trace",
	}
	if cfg.NATSToken != "" { // config.Load refuses it too; this guards a Config built in code
		return nil, errors.New("NATSToken: the embedded NATS authenticates per-role users derived from NATSClusterSecret, " +
			"which nats-server cannot combine with a token: remove NATSToken (NATSUser/NATSPassword set the admin identity)")
	}
	if err := os.MkdirAll(o.StoreDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir (RaftDataDir %s): %w", cfg.RaftDataDir, err)
	}
	if a := cfg.NATSListenAddress; a == "" || a == "-" {
		o.NoClientListener = true
	} else {
		host, port, err := splitHostPort(a)
		if err != nil {
			return nil, fmt.Errorf("NATSListenAddress %q: %w", a, err)
		}
		o.ClientHost, o.ClientPort = host, port
	}
	var err error
	if o.ClientTLS, err = tlsConfig(cfg.NATSTLSCertFile, cfg.NATSTLSKeyFile, cfg.NATSTLSCAFile, true); err != nil {
		return nil, fmt.Errorf("NATSTLS*: %w", err)
	}
	if cfg.Clustered() {
		if o.Cluster, err = clusterOptions(cfg); err != nil {
			return nil, err
		}
	}
	if err := embeddedAuth(cfg, &o); err != nil {
		return nil, err
	}
	if n.nats, err = natsnode.Start(o, 10*time.Second); err != nil {
		return nil, err
	}
	return n.nats.InProcessConn("regent-" + id)
}

func clusterOptions(cfg config.Config) (*natsnode.ClusterOptions, error) {
	peers, err := cfg.RaftPeers()
	if err != nil {
		return nil, err
	}
	bindHost, bindPort, err := splitHostPortDefault(cfg.RaftBind, cfg.DefaultRaftPort)
	if err != nil {
		return nil, fmt.Errorf("RaftBind %q: %w", cfg.RaftBind, err)
	}
	co := &natsnode.ClusterOptions{Name: cfg.NATSClusterName, Host: bindHost, Port: bindPort} // credentials: embeddedAuth
	for _, p := range peers {
		co.Routes = append(co.Routes, net.JoinHostPort(p.Host, strconv.Itoa(p.Port)))
	}
	if co.TLS, err = tlsConfig(cfg.NATSClusterTLSCertFile, cfg.NATSClusterTLSKeyFile, cfg.NATSClusterTLSCAFile, true); err != nil {
		return nil, fmt.Errorf("NATSClusterTLS*: %w", err)
	}
	return co, nil
}

func connectExternal(cfg config.Config, id string) (*nats.Conn, error) {
	opts := []nats.Option{nats.Name("regent-" + id), nats.MaxReconnects(-1), nats.Timeout(5 * time.Second)}
	switch {
	case cfg.NATSCredentialsFile != "":
		opts = append(opts, nats.UserCredentials(cfg.NATSCredentialsFile))
	case cfg.NATSToken != "":
		opts = append(opts, nats.Token(cfg.NATSToken))
	case cfg.NATSUser != "":
		opts = append(opts, nats.UserInfo(cfg.NATSUser, cfg.NATSPassword))
	}
	tc, err := tlsConfig(cfg.NATSTLSCertFile, cfg.NATSTLSKeyFile, cfg.NATSTLSCAFile, false)
	if err != nil {
		return nil, fmt.Errorf("NATSTLS*: %w", err)
	}
	if tc != nil {
		opts = append(opts, nats.Secure(tc))
	}
	nc, err := nats.Connect(strings.Join(cfg.NATSServers, ","), opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATSServers %v: %w", config.MaskURLs(cfg.NATSServers), maskURLErr(err, cfg.NATSServers))
	}
	return nc, nil
}

// tlsConfig loads a certificate pair and CA; nil when none is configured.
// server selects the server-side shape (client certificates verified when a
// CA is given).
func tlsConfig(certFile, keyFile, caFile string, server bool) (*tls.Config, error) {
	if certFile == "" && keyFile == "" && caFile == "" {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("load key pair %s / %s: %w", certFile, keyFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("read CA %s: %w", caFile, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA %s: no certificate found", caFile)
		}
		if server {
			tc.ClientCAs = pool
			tc.ClientAuth = tls.RequireAndVerifyClientCert
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

// httpAdvertise is the address peers and clients use to reach this node's
// API: HTTPAdvertise, else the raft host with ListenAddress's port.
func httpAdvertise(cfg config.Config) string {
	if cfg.HTTPAdvertise != "" {
		s := strings.TrimPrefix(strings.TrimPrefix(cfg.HTTPAdvertise, "http://"), "https://")
		return strings.TrimRight(s, "/")
	}
	host, port, err := net.SplitHostPort(cfg.ListenAddress)
	if err != nil {
		return cfg.ListenAddress
	}
	if self := cfg.Self(); cfg.Clustered() && self.Host != "" {
		host = self.Host
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func splitHostPort(a string) (string, int, error) {
	host, ps, err := net.SplitHostPort(a)
	if err != nil {
		return "", 0, err
	}
	p, err := strconv.Atoi(ps)
	if err != nil || p < 0 || p > 65535 {
		return "", 0, fmt.Errorf("bad port %q", ps)
	}
	return host, p, nil
}

// splitHostPortDefault reads "host", "host:port", "[v6]:port", "[v6]" and
// a bare IPv6 address, as config's RaftBind rule does.
func splitHostPortDefault(a string, def int) (string, int, error) {
	switch {
	case !strings.Contains(a, ":"):
		return a, def, nil
	case strings.Count(a, ":") > 1 && !strings.Contains(a, "]"):
		return a, def, nil // bare IPv6 address
	case strings.HasPrefix(a, "[") && strings.HasSuffix(a, "]"):
		return strings.Trim(a, "[]"), def, nil
	}
	return splitHostPort(a)
}

func (n *node) natsURL() string {
	if n.nats == nil {
		return strings.Join(config.MaskURLs(n.cfg.NATSServers), ",")
	}
	if n.cfg.NATSListenAddress == "" || n.cfg.NATSListenAddress == "-" {
		return "in-process only"
	}
	return n.nats.ClientURL()
}

// close releases everything in reverse order of start: the connection is
// drained (bounded) before the embedded server shuts down and closes its
// stores.
func (n *node) close() {
	if n.nc != nil {
		done := make(chan struct{})
		var once sync.Once
		n.nc.SetClosedHandler(func(*nats.Conn) { once.Do(func() { close(done) }) })
		if err := n.nc.Drain(); err != nil {
			n.nc.Close()
		}
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			n.nc.Close()
		}
	}
	if n.nats != nil {
		n.nats.Shutdown()
	}
}

// clusterView answers the API's questions about the Regent cluster.
type clusterView struct{ n *node }

func (c *clusterView) Self() string { return c.n.cfg.NodeID() }

func (c *clusterView) Leadership() api.Leadership {
	if c.n.state.waiting() != "" {
		return api.Leadership{}
	}
	info, known, held := c.n.lease.Current()
	return api.Leadership{Known: known, Leader: info.Holder, LeaderAddr: info.Addr, IsLeader: held, Epoch: info.Epoch}
}

func (c *clusterView) Peers() []string {
	peers, err := c.n.cfg.RaftPeers()
	if err != nil || len(peers) == 0 {
		return []string{c.Self()}
	}
	out := make([]string, len(peers))
	for i, p := range peers {
		out[i] = p.Name
	}
	return out
}

// Health is nil when the event log answers within a second.
func (c *clusterView) Health(ctx context.Context) error {
	if w := c.n.state.waiting(); w != "" {
		return errors.New("not ready: " + w)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if c.n.nc.Status() != nats.CONNECTED {
		return errors.New("nats connection " + c.n.nc.Status().String())
	}
	if _, err := c.n.elog.LastSeq(ctx, events.EventsName, events.EventsAll); err != nil {
		return fmt.Errorf("event log: %w", err)
	}
	return nil
}
