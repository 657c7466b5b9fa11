package main

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/probes"
)

func rpKey(host string) events.InstanceKey { return events.InstanceKey{Hostname: host, Port: 3306} }

func rpEnv(t *testing.T, kind events.Kind, at time.Time, origin string, key events.InstanceKey, p any) events.Envelope {
	t.Helper()
	env, err := events.New(kind, at, origin, p)
	if err != nil {
		t.Fatal(err)
	}
	env.Instance = key.String()
	return env
}

func TestProbeOptionsMapping(t *testing.T) {
	cfg := config.Default()
	cfg.MySQLTopologyUser, cfg.MySQLTopologyPassword = "orc", "secret"
	cfg.InstancePollMilliseconds, cfg.ProbeTimeoutMilliseconds = 250, 700
	cfg.MySQLConnectTimeoutSeconds, cfg.MySQLDiscoveryReadTimeoutSeconds = 3, 4
	cfg.DiscoveryMaxConcurrency = 50
	cfg.MySQLTopologySSLCAFile, cfg.MySQLTopologySSLCertFile, cfg.MySQLTopologySSLPrivateKeyFile = "/ca.pem", "/c.pem", "/c.key"
	cfg.MySQLTopologySSLSkipVerify, cfg.MySQLTopologyUseMutualTLS, cfg.MySQLTopologyUseMixedTLS = true, true, true
	cfg.HostnameResolveMethod, cfg.MySQLHostnameResolveMethod = "none", "@@report_host"
	cfg.ExpiryHostnameResolvesMinutes = 7
	cfg.DefaultInstancePort = 3307
	cfg.DiscoverByShowSlaveHosts = true
	cfg.ReplicationLagQuery, cfg.DetectClusterAliasQuery, cfg.DetectClusterDomainQuery = "q-lag", "q-alias", "q-domain"
	cfg.DetectInstanceAliasQuery, cfg.DetectDataCenterQuery, cfg.DetectRegionQuery = "q-ialias", "q-dc", "q-region"
	cfg.DetectPhysicalEnvironmentQuery, cfg.DetectPromotionRuleQuery, cfg.DetectSemiSyncEnforcedQuery = "q-env", "q-rule", "q-semi"
	cfg.DiscoveryIgnoreReplicaHostnameFilters = []string{`^rep`}
	cfg.DiscoveryIgnoreMasterHostnameFilters = []string{`^mas`, `^old`}
	cfg.DiscoveryIgnoreHostnameFilters = []string{`\.test$`}
	o, err := probeOptions(cfg, "n2")
	if err != nil {
		t.Fatal(err)
	}
	want := probes.TLSOptions{CAFile: "/ca.pem", CertFile: "/c.pem", KeyFile: "/c.key", SkipVerify: true, UseMutualTLS: true, UseMixedTLS: true}
	if o.TLS != want {
		t.Errorf("TLS %+v, want %+v", o.TLS, want)
	}
	if o.NodeID != "n2" || o.User != "orc" || o.Password != "secret" || o.ConnectTimeout != 3*time.Second ||
		o.ReadTimeout != 4*time.Second || o.ProbeTimeout != 700*time.Millisecond || o.PollInterval != 250*time.Millisecond ||
		o.DeadProbeInterval != 1200*time.Millisecond || o.MaxConcurrency != 50 {
		t.Errorf("credentials, timeouts, intervals: %+v", o)
	}
	if o.HostnameResolveMethod != "none" || o.MySQLHostnameResolveMethod != "@@report_host" || o.HostnameResolveTTL != 7*time.Minute ||
		o.DefaultInstancePort != 3307 || !o.DiscoverByShowSlaveHosts {
		t.Errorf("names: %+v", o)
	}
	if got := []string{o.ReplicationLagQuery, o.DetectClusterAliasQuery, o.DetectClusterDomainQuery, o.DetectInstanceAliasQuery,
		o.DetectDataCenterQuery, o.DetectRegionQuery, o.DetectPhysicalEnvironmentQuery, o.DetectPromotionRuleQuery, o.DetectSemiSyncEnforcedQuery}; !slices.Equal(got,
		[]string{"q-lag", "q-alias", "q-domain", "q-ialias", "q-dc", "q-region", "q-env", "q-rule", "q-semi"}) {
		t.Errorf("queries %v", got)
	}
	rxs := func(rs []*regexp.Regexp) (out []string) {
		for _, r := range rs {
			out = append(out, r.String())
		}
		return out
	}
	if !slices.Equal(rxs(o.DiscoveryIgnoreReplicaHostnameFilters), []string{`^rep`}) ||
		!slices.Equal(rxs(o.DiscoveryIgnoreMasterHostnameFilters), []string{`^mas`, `^old`}) ||
		!slices.Equal(rxs(o.DiscoveryIgnoreHostnameFilters), []string{`\.test$`}) {
		t.Errorf("filters %v %v %v", o.DiscoveryIgnoreReplicaHostnameFilters, o.DiscoveryIgnoreMasterHostnameFilters, o.DiscoveryIgnoreHostnameFilters)
	}

	// Without MySQLDiscoveryReadTimeoutSeconds the probes' default applies;
	// ProbeTimeoutMilliseconds 0 is MySQLConnectTimeoutSeconds.
	cfg.MySQLDiscoveryReadTimeoutSeconds, cfg.ProbeTimeoutMilliseconds = 0, 0
	if o, err := probeOptions(cfg, "n2"); err != nil || o.ReadTimeout != 0 || o.ProbeTimeout != 3*time.Second {
		t.Errorf("read timeout %v probe timeout %v (%v)", o.ReadTimeout, o.ProbeTimeout, err)
	}

	for _, key := range []string{"DiscoveryIgnoreReplicaHostnameFilters", "DiscoveryIgnoreMasterHostnameFilters", "DiscoveryIgnoreHostnameFilters"} {
		bad := config.Default()
		switch key {
		case "DiscoveryIgnoreReplicaHostnameFilters":
			bad.DiscoveryIgnoreReplicaHostnameFilters = []string{"ok", "(unclosed"}
		case "DiscoveryIgnoreMasterHostnameFilters":
			bad.DiscoveryIgnoreMasterHostnameFilters = []string{"(unclosed"}
		default:
			bad.DiscoveryIgnoreHostnameFilters = []string{"[z-a]"}
		}
		if _, err := probeOptions(bad, "n1"); err == nil || !strings.HasPrefix(err.Error(), key+" ") {
			t.Errorf("%s: error %v, want one naming the key", key, err)
		}
	}
	// A bad TLS file is reported when the prober is built, naming the key.
	cfg = config.Default()
	cfg.MySQLTopologySSLCAFile = filepath.Join(t.TempDir(), "missing.pem")
	o, err = probeOptions(cfg, "n1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := probes.NewProber(o, zerolog.Nop()); err == nil || !strings.Contains(err.Error(), "MySQLTopologySSLCAFile") {
		t.Errorf("bad CA file: %v", err)
	}
}
