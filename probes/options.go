package probes

import (
	"regexp"
	"time"

	"github.com/regent-ha/regent/mysqlconn"
)

// Options configure the probe, the scheduler and the discovery crawl. cmd/
// fills them from the Config; zero values take the defaults documented on
// each field (see withDefaults).
type Options struct {
	// NodeID is the Origin of every event this node writes.
	NodeID string

	// User and Password are the topology credentials (MySQLTopologyUser/…).
	User     string
	Password string
	// ConnectTimeout bounds the TCP dial and handshake (default 2 s);
	// ReadTimeout bounds each read and write on a connection (default 3 s).
	ConnectTimeout time.Duration
	ReadTimeout    time.Duration
	// ConnectionLifetime closes pooled connections that old
	// (MySQLConnectionLifetimeSeconds; zero: mysqlconn's default).
	ConnectionLifetime time.Duration
	// ProbeTimeout bounds one whole probe through its context; a probe that
	// hangs is cut off and counts as evidence (default ConnectTimeout +
	// ReadTimeout).
	ProbeTimeout time.Duration
	// TLS holds the MySQLTopology* TLS settings.
	TLS TLSOptions

	// PollInterval is how often a live instance is probed (default 1 s;
	// sub-second values are allowed).
	PollInterval time.Duration
	// Jitter spreads each next-due time over PollInterval×(1±Jitter)
	// (default 0.1; negative means none).
	Jitter float64
	// MaxConcurrency bounds the probes in flight (default 64). A quarter of
	// it (at least one) is the slow lane for failing instances.
	MaxConcurrency int
	// DeadProbeInterval caps the exponential backoff of failing instances,
	// so their recovery is seen within it (default 5 s, never less than
	// PollInterval).
	DeadProbeInterval time.Duration
	// FullObservationInterval is how often a full observation is published
	// even when nothing changed, so that a node that just started catches up
	// (default 30 s; each instance gets a random interval within ±25%).
	FullObservationInterval time.Duration
	// FullProbeInterval is how often a probe reads everything (default
	// 10 s; negative: every probe). In between, a light batch reads what
	// moves and what a failure or a change of role shows in, and stands in
	// the last full probe's answers for the rest (versions, names, binary
	// log format, semi-sync variables, the replicas list); a change of
	// server, read_only or replication source makes it read everything at
	// once.
	FullProbeInterval time.Duration

	// HostnameResolveMethod: "none", "default" (keep the name), "cname"
	// (follow the CNAME) or "ip" (the first address). DNS is only asked for
	// names that are not IP addresses.
	HostnameResolveMethod string
	// MySQLHostnameResolveMethod: "@@hostname" (default; also "hostname",
	// "default"), "@@report_host" (also "report_host"), or "none".
	MySQLHostnameResolveMethod string
	// HostnameResolveTTL is how long a resolved or learned name is kept
	// (ExpiryHostnameResolvesMinutes; default 60 min).
	HostnameResolveTTL time.Duration
	// DefaultInstancePort is the port of keys given without one (3306).
	DefaultInstancePort int

	// DiscoverByShowSlaveHosts reads replicas with SHOW SLAVE HOSTS (SHOW
	// REPLICAS); otherwise from the processlist's Binlog Dump threads.
	DiscoverByShowSlaveHosts bool

	// Optional queries, each returning one row with one column. A failure is
	// logged and leaves the field empty; it never fails the probe.
	ReplicationLagQuery            string
	DetectClusterAliasQuery        string
	DetectClusterDomainQuery       string
	DetectInstanceAliasQuery       string
	DetectDataCenterQuery          string
	DetectRegionQuery              string
	DetectPhysicalEnvironmentQuery string
	DetectPromotionRuleQuery       string
	DetectSemiSyncEnforcedQuery    string
	// DetectRefreshInterval is how long the Detect* answers are reused
	// before they are asked again (default 30 s; negative: every probe).
	// ReplicationLagQuery is asked on every probe.
	DetectRefreshInterval time.Duration

	// Hostname filters for the discovery crawl: replica filters apply when
	// crawling down, master filters when crawling up, the general ones to
	// both and to the instance given to Discover.
	DiscoveryIgnoreReplicaHostnameFilters []*regexp.Regexp
	DiscoveryIgnoreMasterHostnameFilters  []*regexp.Regexp
	DiscoveryIgnoreHostnameFilters        []*regexp.Regexp
	// DiscoveryMaxDepth and DiscoveryMaxInstances bound one crawl (default
	// 16 hops and 10,000 instances); DiscoveryConcurrency bounds its probes
	// in flight (default 8).
	DiscoveryMaxDepth     int
	DiscoveryMaxInstances int
	DiscoveryConcurrency  int
}

// TLSOptions are orchestrator's MySQLTopology TLS settings (built by
// package mysqlconn, like every MySQL connection Regent opens).
type TLSOptions = mysqlconn.TLSOptions

// Defaults.
const (
	DefaultConnectTimeout          = 2 * time.Second
	DefaultReadTimeout             = 3 * time.Second
	DefaultPollInterval            = time.Second
	DefaultJitter                  = 0.1
	DefaultMaxConcurrency          = 64
	DefaultDeadProbeInterval       = 5 * time.Second
	DefaultFullObservationInterval = 30 * time.Second
	DefaultFullProbeInterval       = 10 * time.Second
	DefaultDetectRefreshInterval   = 30 * time.Second
	DefaultHostnameResolveTTL      = 60 * time.Minute
	DefaultInstancePort            = 3306
	DefaultDiscoveryMaxDepth       = 16
	DefaultDiscoveryMaxInstances   = 10000
	DefaultDiscoveryConcurrency    = 8
)

// withDefaults returns o with zero fields set to their defaults.
func (o Options) withDefaults() Options {
	setDur := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	setDur(&o.ConnectTimeout, DefaultConnectTimeout)
	setDur(&o.ReadTimeout, DefaultReadTimeout)
	setDur(&o.ProbeTimeout, o.ConnectTimeout+o.ReadTimeout)
	setDur(&o.PollInterval, DefaultPollInterval)
	setDur(&o.DeadProbeInterval, DefaultDeadProbeInterval)
	setDur(&o.FullObservationInterval, DefaultFullObservationInterval)
	setDur(&o.FullProbeInterval, DefaultFullProbeInterval)
	setDur(&o.DetectRefreshInterval, DefaultDetectRefreshInterval)
	setDur(&o.HostnameResolveTTL, DefaultHostnameResolveTTL)
	if o.DeadProbeInterval < o.PollInterval {
		o.DeadProbeInterval = o.PollInterval
	}
	switch {
	case o.Jitter == 0:
		o.Jitter = DefaultJitter
	case o.Jitter < 0:
		o.Jitter = 0
	case o.Jitter > 0.5:
		o.Jitter = 0.5
	}
	setInt := func(n *int, def int) {
		if *n <= 0 {
			*n = def
		}
	}
	setInt(&o.MaxConcurrency, DefaultMaxConcurrency)
	setInt(&o.DefaultInstancePort, DefaultInstancePort)
	setInt(&o.DiscoveryMaxDepth, DefaultDiscoveryMaxDepth)
	setInt(&o.DiscoveryMaxInstances, DefaultDiscoveryMaxInstances)
	setInt(&o.DiscoveryConcurrency, DefaultDiscoveryConcurrency)
	if o.MySQLHostnameResolveMethod == "" {
		o.MySQLHostnameResolveMethod = "@@hostname"
	}
	if o.HostnameResolveMethod == "" {
		o.HostnameResolveMethod = "default"
	}
	return o
}
