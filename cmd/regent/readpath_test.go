package main

import (
	"bytes"
	"context"
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

func TestSeedKeys(t *testing.T) {
	keys, bad := seedKeys([]string{"db1:3306", " db2 ", "db1:3306", "db3:notaport", "", "db4:3307"}, 3306)
	want := []events.InstanceKey{{Hostname: "db1", Port: 3306}, {Hostname: "db2", Port: 3306}, {Hostname: "db4", Port: 3307}}
	if !slices.Equal(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	if len(bad) != 2 || !strings.Contains(bad[0].Error(), `DiscoverySeeds "db3:notaport"`) || !strings.Contains(bad[1].Error(), `DiscoverySeeds ""`) {
		t.Errorf("bad %v", bad)
	}
	if keys, bad := seedKeys(nil, 3306); keys != nil || bad != nil {
		t.Errorf("no seeds: %v %v", keys, bad)
	}
}

// TestSeedLogsFailures: a seed that cannot be reached or parsed is logged
// and the node goes on: the failed probe is published as evidence, the
// seed is not recorded as discovered.
func TestSeedLogsFailures(t *testing.T) {
	cfg := config.Default()
	cfg.DiscoverySeeds = []string{"127.0.0.1:1", "127.0.0.1:x"}
	cfg.MySQLConnectTimeoutSeconds = 1
	var buf bytes.Buffer
	_, l := hooksLog(t)
	rp, err := newReadPath(cfg, "n1", l, nil, zerolog.New(&buf))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rp.seed(ctx)
	out := buf.String()
	if !strings.Contains(out, `"message":"bad DiscoverySeeds entry"`) || !strings.Contains(out, `DiscoverySeeds \"127.0.0.1:x\"`) ||
		!strings.Contains(out, `"instance":"127.0.0.1:1","message":"discover seed"`) {
		t.Errorf("log:\n%s", out)
	}
	if rp.sched.Has(events.InstanceKey{Hostname: "127.0.0.1", Port: 1}) {
		t.Error("an unreachable seed was scheduled")
	}
	if seq, err := l.StreamLastSeq(ctx, events.EventsName); err != nil || seq != 0 {
		t.Errorf("events stream at %d (%v): an unreachable seed was recorded", seq, err)
	}
}
