package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/api/web"
	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/control"
	"github.com/regent-ha/regent/control/audit"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/events/natsclient"
	"github.com/regent-ha/regent/events/natsnode"
)

// node is one Regent node's parts, built from the config.
type node struct {
	cfg   config.Config
	log   zerolog.Logger
	nats  *natsnode.Node // nil with an external NATS
	nc    *nats.Conn
	elog  *eventlog.Log
	lease *eventlog.Lease
	api   *api.Server
	// cluster is what the API knows of the Regent cluster: the lease, no
	// leader while the node starts (state).
	cluster *api.NodeCluster
	reg     *prometheus.Registry
	app     *control.Fold
	read    *control.ReadPath
	unseen  *control.ForgetUnseen
	engine  *actuators.Engine
	runner  *actuators.Runner
	audit   *audit.Writer // nil without AuditLogFile and AuditToSyslog
	// closers are the resources close releases, last built first closed,
	// before the NATS connection: the probes' and the actuators' MySQL
	// pools, the VIP mover and the hook runner (whose asynchronous hooks
	// record their outcome in the log when they finish).
	closers []io.Closer
	kv      *control.MastersKV // publishes the primaries to the KV bucket while leading
	reload  *reloader          // SIGHUP and reload-configuration
	// state says what the node waits for until it is ready (the streams
	// exist): /api/status answers not ready, with it, meanwhile.
	state control.Startup
}

// startNode starts the embedded NATS node (or connects to an external one)
// and builds the API and every part; nothing waits for JetStream: ensure
// creates the streams and then ready opens the node (serve.go). A failure
// closes what was built.
func startNode(ctx context.Context, cfg config.Config, logger zerolog.Logger, ver string) (*node, error) {
	id := cfg.NodeID()
	n := &node{cfg: cfg, log: logger.With().Str(events.LogNode, id).Logger(), reg: prometheus.NewRegistry()}
	n.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := n.openLog(cfg, id); err != nil {
		n.close()
		return nil, err
	}
	if err := n.build(cfg, id, ver); err != nil {
		n.close()
		return nil, err
	}
	return n, nil
}

// openLog connects to NATS (starting the embedded server) and opens the
// event log and the leader lease, which follows configured peers only.
func (n *node) openLog(cfg config.Config, id string) error {
	var err error
	if cfg.External() {
		n.nc, err = connectNode(cfg, nil)
	} else {
		n.nc, err = n.startEmbedded(cfg, id)
	}
	if err != nil {
		return err
	}
	so := streamOptions(cfg, cfg.StreamReplicas())
	if n.elog, err = eventlog.New(n.nc, n.log, so); err != nil {
		return err
	}
	n.lease = n.elog.NewLease(id, cfg.APIAddress())
	n.lease.SetCheck(func(i eventlog.LeaseInfo) error { return cfg.CheckPeer(i.Holder, i.Addr) })
	n.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "regent_lease_records_rejected_total",
		Help: "Leader lease records not followed: malformed, or naming a holder that is not a configured peer."},
		func() float64 { return float64(n.lease.Rejected()) }))
	return nil
}

// build builds the API, the fold, the read path, the recovery engine, the
// operator and the leader's loops on the open log, and registers each
// part's routes.
func (n *node) build(cfg config.Config, id, ver string) error {
	n.cluster = &api.NodeCluster{Name: id, Nodes: cfg.PeerNames(), Startup: &n.state, Lease: n.lease,
		Check: func(ctx context.Context) error { return control.Health(ctx, &n.state, n.nc, n.elog) }}
	tlsOpts, err := apiTLS(cfg)
	if err != nil {
		return err
	}
	n.api = api.New(api.Options{
		ListenAddress:  cfg.ListenAddress,
		URLPrefix:      cfg.URLPrefix,
		StatusEndpoint: cfg.StatusEndpoint,
		Advertise:      cfg.APIAddress(),
		TLS:            tlsOpts,
		Version:        ver,
		ForwardTo:      cfg.PeerAPIAddresses(),
		Auth:           apiAuth(cfg),
	}, n.cluster, n.reg, n.log)
	settings, err := projectionSettings(cfg, len(cfg.PeerNames()))
	if err != nil {
		return err
	}
	ids, err := cfg.NodeIDs()
	if err != nil {
		return err
	}
	if n.app, err = control.NewFold(n.elog, settings, ids, n.reg, n.log); err != nil {
		return err
	}
	n.lease.SetFloor(n.app.EpochFloor)
	if n.read, err = newReadPath(cfg, id, n.elog, n.app, n.log); err != nil {
		return err
	}
	n.closers = append(n.closers, n.read)
	n.reg.MustRegister(n.read.Collector())
	leading := func() bool { _, held := (control.LeaseHolder{L: n.lease}).Leading(); return held }
	n.unseen = control.NewForgetUnseen(n.elog, n.app, id, cfg.UnseenInstanceForgetHours, leading, n.log)
	n.api.RegisterRead(n.app, n.read, cfg.DefaultInstancePort)
	var closers []io.Closer
	n.engine, n.runner, closers, err = newRecovery(cfg, id, n.elog, n.lease, n.app, n.log)
	n.closers = append(n.closers, closers...)
	if err != nil {
		return err
	}
	ops, err := newOperator(n)
	if err != nil {
		return err
	}
	n.api.RegisterRecovery(n.app, ops, ops)
	tools, err := readToolsOptions(cfg)
	if err != nil {
		return err
	}
	n.api.RegisterReadTools(n.app, ops, tools)
	n.api.RegisterTags(n.app, ops)
	n.api.RegisterInventoryWrites(n.app, n.read, ops)
	n.api.RegisterAudit(api.NewLogAudit(n.elog), ops)
	if _, err := web.Register(n.api, n.app, web.Options{History: audit.History{Log: n.elog, Settings: settings}}); err != nil {
		return fmt.Errorf("register the web interface: %w", err)
	}
	n.kv = control.NewMastersKV(cfg.MastersKVPrefix(), n.app, n.elog, leading, n.log)
	n.api.RegisterKV(n.app, n.kv)
	n.reload = newReloader(n)
	n.api.RegisterReload(n.reload)
	if n.audit, err = newAuditWriter(cfg, n.elog, n.log); err != nil {
		return err
	}
	if n.audit != nil {
		n.closers = append(n.closers, n.audit)
	}
	return nil
}

var (
	_ api.Operations     = (*control.Operator)(nil)
	_ api.RecoveryReader = (*control.Operator)(nil)
	_ api.ReplicaControl = (*control.Operator)(nil)
	_ api.TagWriter      = (*control.Operator)(nil)
	_ api.AliasWriter    = (*control.Operator)(nil)
	_ api.BulkControl    = (*control.Operator)(nil)
)

// newOperator builds the operator layer of a node.
func newOperator(n *node) (*control.Operator, error) {
	o := control.Options{Params: n.engine.CurrentParams,
		CandidateExpire: time.Duration(n.cfg.CandidateInstanceExpireMinutes) * time.Minute}
	if n.cfg.ReplicationUser != "" {
		o.Replication = &actuators.Credentials{User: n.cfg.ReplicationUser, Password: n.cfg.ReplicationPassword}
	}
	return control.NewOperator(control.Deps{Runner: n.runner, Engine: n.engine, Leader: control.LeaseHolder{L: n.lease},
		Views: control.FoldViews{Fold: n.app, Log: n.elog}, Probe: n.read, Logger: n.log}, o)
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

// streamOptions sizes the streams inside the node's store limit
// (events.SizeStreams).
func streamOptions(cfg config.Config, replicas int) events.StreamOptions {
	return events.SizeStreams(int64(cfg.NATSMaxStoreMB)<<20, int64(cfg.EventStreamMaxMB)<<20,
		time.Duration(cfg.ObservationRetentionMinutes)*time.Minute, replicas)
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
	if a := cfg.NATSListenAddress; !cfg.NATSClientListener() {
		o.NoClientListener = true
	} else {
		host, port, err := config.SplitHostPort(a)
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
	ids, err := identities(cfg)
	if err != nil {
		return nil, err
	}
	if err := ids.Apply(&o); err != nil {
		return nil, err
	}
	if n.nats, err = natsnode.Start(o, 10*time.Second); err != nil {
		return nil, err
	}
	return connectNode(cfg, n.nats)
}

func clusterOptions(cfg config.Config) (*natsnode.ClusterOptions, error) {
	peers, err := cfg.RaftPeers()
	if err != nil {
		return nil, err
	}
	bindHost, bindPort, err := config.SplitHostPortDefault(cfg.RaftBind, cfg.DefaultRaftPort)
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

// connectNode is the node's own connection: in-process to the embedded
// server (embedded not nil) or to NATSServers, as nodeClient derives it.
func connectNode(cfg config.Config, embedded *natsnode.Node) (*nats.Conn, error) {
	o, err := nodeClient(cfg, natsnode.RoleNode)
	if err != nil {
		return nil, err
	}
	o.Name, o.Reconnect = "regent-"+cfg.NodeID(), true
	if embedded != nil {
		o.InProcess = embedded.InProcessProvider()
		return natsclient.Connect(o)
	}
	nc, err := natsclient.Connect(o)
	if err != nil {
		return nil, fmt.Errorf("connect to NATSServers %v: %w", config.MaskURLs(cfg.NATSServers), config.MaskURLError(err, cfg.NATSServers))
	}
	return nc, nil
}

// tlsConfig loads a certificate pair and CA; nil when none is configured.
// server selects the server-side shape (client certificates verified when a
// CA is given).
func tlsConfig(certFile, keyFile, caFile string, server bool) (*tls.Config, error) {
	return natsclient.TLSFiles{CertFile: certFile, KeyFile: keyFile, CAFile: caFile}.Load(server)
}

func (n *node) natsURL() string {
	if n.nats == nil {
		return strings.Join(config.MaskURLs(n.cfg.NATSServers), ",")
	}
	if !n.cfg.NATSClientListener() {
		return "in-process only"
	}
	return n.nats.ClientURL()
}

// close releases everything in reverse order of start, once the node's
// loops have ended: the hook runner waits for its asynchronous hooks (each
// bounded by HookTimeoutSeconds) and the VIP mover for its gratuitous ARPs,
// the MySQL pools close, then the connection is drained (bounded) before
// the embedded server shuts down and closes its stores.
func (n *node) close() {
	for i := len(n.closers) - 1; i >= 0; i-- {
		if err := n.closers[i].Close(); err != nil {
			n.log.Warn().Err(err).Msg("close a resource on shutdown")
		}
	}
	n.closers = nil
	if n.nc != nil {
		natsclient.Drain(n.nc, 2*time.Second)
	}
	if n.nats != nil {
		n.nats.Shutdown()
	}
}

// ensure creates the streams and the lease bucket (control.Startup.Ensure),
// naming the settings that sized the streams when storage is short.
func (n *node) ensure(ctx context.Context) error {
	so := streamOptions(n.cfg, n.cfg.StreamReplicas())
	storage := fmt.Sprintf("(%d MB events, %d MB observations, from NATSMaxStoreMB %d and EventStreamMaxMB %d): "+
		"the JetStream server has less storage: lower NATSMaxStoreMB or raise the server's max_file_store",
		so.EventBytes>>20, so.ObservationBytes>>20, n.cfg.NATSMaxStoreMB, n.cfg.EventStreamMaxMB)
	return n.state.Ensure(ctx, n.elog, storage, n.log)
}
