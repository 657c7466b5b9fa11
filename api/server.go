package api

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
)

// Leadership says who leads the Regent cluster, as this node sees it.
type Leadership struct {
	Known      bool   // a leader is known (false while none holds the lease)
	Leader     string // leader's node name
	LeaderAddr string // leader's HTTP address (host:port)
	IsLeader   bool   // this node leads
	Epoch      uint64 // the leader's fencing epoch
}

// Cluster is what the API needs to know about the Regent cluster.
type Cluster interface {
	// Self is this node's name (its raft address when clustered).
	Self() string
	// Leadership is the current leader as this node sees it.
	Leadership() Leadership
	// Peers lists the configured nodes (RaftNodes), or only Self.
	Peers() []string
	// Health returns nil when this node can serve: its event log is
	// reachable and current.
	Health(ctx context.Context) error
}

// Options configure the server.
type Options struct {
	ListenAddress  string // ListenAddress, default ":3000"
	URLPrefix      string // URLPrefix
	StatusEndpoint string // StatusEndpoint, default "/api/status"
	// Advertise is this node's API address as clients reach it
	// (HTTPAdvertise's host:port): a browser Origin naming it is the API's
	// own, besides the request's Host.
	Advertise string
	Auth      AuthOptions
	TLS       TLSOptions // UseSSL and friends; zero serves plain HTTP
	Version   string
	// ForwardTo are the HTTP addresses (host:port) of the configured peers'
	// APIs: a write on a follower is forwarded to the leader only when its
	// advertised address is one of them (none on a single node).
	ForwardTo []string
}

// Server is Regent's HTTP API.
type Server struct {
	opts    Options
	cluster Cluster
	log     zerolog.Logger
	reg     *prometheus.Registry
	mux     *http.ServeMux
	routes  []string // patterns registered, for tests and docs
	started time.Time
	// auth is Options.Auth as SetAuth last replaced it (reloads).
	auth atomic.Pointer[AuthOptions]
	// forwardTransport carries writes forwarded to the leader: nil (the
	// default transport) over HTTP, one with TLSOptions.peerConfig over HTTPS.
	forwardTransport http.RoundTripper
	onShutdown       []func() // OnShutdown's functions
}

// OnShutdown registers f to run when Run begins its graceful shutdown:
// long-lived responses (the web interface's event streams) end then
// instead of holding the shutdown to its bound. Call it before Run.
func (s *Server) OnShutdown(f func()) { s.onShutdown = append(s.onShutdown, f) }

// New builds the server; reg holds the process's metrics (served on /metrics).
func New(o Options, c Cluster, reg *prometheus.Registry, logger zerolog.Logger) *Server {
	if o.ListenAddress == "" {
		o.ListenAddress = ":3000"
	}
	if o.StatusEndpoint == "" {
		o.StatusEndpoint = "/api/status"
	}
	o.URLPrefix = strings.TrimRight(o.URLPrefix, "/")
	s := &Server{opts: o, cluster: c, log: logger.With().Str(events.LogComponent, "api").Logger(), reg: reg,
		mux: http.NewServeMux(), started: time.Now()}
	auth := o.Auth
	s.auth.Store(&auth)
	if o.TLS.Config != nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = o.TLS.peerConfig()
		s.forwardTransport = tr
	}
	s.registerHealth()
	s.registerLBCheck()
	s.mux.Handle("GET "+o.URLPrefix+"/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return s
}

// Handle registers an API route that changes nothing ("GET /api/…"
// without the URL prefix); routes that change something are registered
// with HandleWrite. Packages that extend the API call it before Run. A
// route with {host}/{port} (or {dhost}/{dport}) parameters answers 400 to
// an invalid instance key before h runs (checkKeys).
func (s *Server) Handle(pattern string, h http.HandlerFunc) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
	}
	s.register(method, path, checkKeys(path, h))
}

// HandleWrite registers a route that changes something ("/api/…" without
// method or URL prefix) for GET (orchestrator-client's calls) and POST.
// writeGuard runs first: HEAD is refused (405) and so are cross-site
// browser requests (403); then invalid instance keys (400); then h.
func (s *Server) HandleWrite(path string, h http.HandlerFunc) {
	g := s.writeGuard(checkKeys(path, h))
	s.register(http.MethodGet, path, g)
	s.register(http.MethodPost, path, g)
}

func (s *Server) register(method, path string, h http.HandlerFunc) {
	full := method + " " + s.opts.URLPrefix + path
	s.mux.HandleFunc(full, h)
	s.routes = append(s.routes, full)
}

// MayWrite reports whether r may change anything (ReadOnly, the multi
// method's read-only user, proxy users not in PowerAuthUsers may not): the
// web interface shows write controls only to those who may.
func (s *Server) MayWrite(r *http.Request) bool { return s.authorizedForAction(r) }

// User names who sent r, as the audit events record it.
func (s *Server) User(r *http.Request) string { return s.requestUser(r) }

// Prefix is URLPrefix without its trailing slash ("" when none).
func (s *Server) Prefix() string { return s.opts.URLPrefix }

// Routes lists the registered patterns.
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

// Handler is the complete handler: client-certificate OU check
// (UseMutualTLS), then authentication, then the routes.
func (s *Server) Handler() http.Handler {
	return s.verifyOUs(s.authenticate(s.mux))
}

// openPath reports whether path is served without authentication (health
// checks for load balancers).
func (s *Server) openPath(path string) bool {
	p := strings.TrimPrefix(path, s.opts.URLPrefix)
	return p == s.opts.StatusEndpoint || strings.HasPrefix(p, "/api/leader-check") ||
		p == "/api/raft-health" || p == "/api/health" || lbPath(p)
}

// Scheme is "https" when the server serves TLS, else "http".
func (s *Server) Scheme() string {
	if s.opts.TLS.Config != nil {
		return "https"
	}
	return "http"
}

// Run serves until ctx ends, then shuts down gracefully (bounded). With
// TLSOptions.Config set it serves HTTPS only: a plain HTTP request on the
// same port gets 400 and no API answer.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: log.New(debugWriter{s.log}, "", 0)}
	for _, f := range s.onShutdown {
		srv.RegisterOnShutdown(f)
	}
	errc := make(chan error, 1)
	if tc := s.opts.TLS.Config; tc != nil {
		srv.TLSConfig = tc.Clone()
		go func() { errc <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve http on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// debugWriter turns net/http's own error lines (TLS handshake failures,
// plain HTTP on the HTTPS port) into debug log entries.
type debugWriter struct{ log zerolog.Logger }

func (d debugWriter) Write(p []byte) (int, error) {
	d.log.Debug().Msg(strings.TrimSpace(string(p)))
	return len(p), nil
}
