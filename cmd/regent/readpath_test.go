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
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/probes"
	"github.com/regent-ha/regent/projections"
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

// unseenTranscript: "dead" was discovered and never reached, "gone" was
// last seen 250 h before now, "alive" is seen now.
func unseenTranscript(t *testing.T, now time.Time) []events.Envelope {
	old := now.Add(-300 * time.Hour)
	var out []events.Envelope
	for _, h := range []string{"dead", "gone", "alive"} {
		out = append(out, rpEnv(t, events.KindInstanceDiscovered, old, "n1", rpKey(h), events.InstanceDiscovered{Key: rpKey(h), Via: "seed"}))
	}
	out = append(out,
		rpEnv(t, events.KindInstanceUnreachable, old, "n1", rpKey("dead"), events.InstanceUnreachable{Key: rpKey("dead"), Error: "connection refused"}),
		rpEnv(t, events.KindInstanceObserved, now.Add(-250*time.Hour), "n2", rpKey("gone"), events.InstanceObserved{Key: rpKey("gone"), ServerID: 2, Digest: "g"}),
		rpEnv(t, events.KindInstanceUnreachable, now.Add(-time.Minute), "n2", rpKey("gone"), events.InstanceUnreachable{Key: rpKey("gone"), Error: "timeout"}),
		rpEnv(t, events.KindInstanceObserved, now, "n1", rpKey("alive"), events.InstanceObserved{Key: rpKey("alive"), ServerID: 3, Digest: "a"}))
	return out
}

func TestUnseenForgets(t *testing.T) {
	now := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	topo, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	for i, env := range unseenTranscript(t, now) {
		if err := topo.Apply(uint64(i+1), env); err != nil {
			t.Fatal(err)
		}
	}
	v := topo.View(now)
	for _, c := range []struct {
		hours uint
		want  []string
	}{{0, nil}, {240, []string{"dead:3306", "gone:3306"}}, {260, []string{"dead:3306"}}, {301, nil}} {
		envs, err := unseenForgets(v, c.hours, "n3")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, env := range envs {
			var p events.InstanceForgotten
			if err := env.Decode(&p); err != nil {
				t.Fatal(err)
			}
			if env.Kind != events.KindInstanceForgotten || p.Reason != "unseen" || p.Key.String() != env.Instance ||
				env.Origin != "n3" || !env.Time.Equal(now) || env.Cluster != env.Instance {
				t.Errorf("hours %d: bad event %+v payload %+v", c.hours, env, p)
			}
			got = append(got, env.Instance)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("hours %d: forgets %v, want %v", c.hours, got, c.want)
		}
	}
	// The id is the decision's: the same instance unseen since the same
	// time gives the same id whatever the node or the check's time.
	a, _ := unseenForgets(v, 240, "n1")
	b, _ := unseenForgets(topo.View(now.Add(time.Hour)), 240, "n2")
	if len(a) != 2 || len(b) != 2 || a[0].ID != b[0].ID || a[1].ID != b[1].ID || a[0].ID == a[1].ID {
		t.Errorf("ids not deterministic: %v vs %v", a, b)
	}
}

// TestForgetUnseenReconcile runs the reconcile step against a real log:
// only the leader appends, the forgets fold, the scheduler drops the
// instances, and the same decision appended again is deduplicated.
func TestForgetUnseenReconcile(t *testing.T) {
	_, l := hooksLog(t)
	cfg := config.Default()
	settings, err := projectionSettings(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	app, err := newApplier(l, settings, []string{"n1", "n2"}, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	app.timeless = true // the transcript spans 300 hours, appended now
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	defer func() { cancel(); <-done }()
	rp, err := newReadPath(cfg, "n1", l, app, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range unseenTranscript(t, time.Now()) {
		if _, err := l.Append(ctx, env, eventlog.NoExpect); err != nil {
			t.Fatal(err)
		}
	}
	if err := app.Barrier(ctx, l); err != nil {
		t.Fatal(err)
	}
	v := app.freshView()
	rp.reconcile(v)
	if got := rp.sched.Keys(); len(got) != 3 {
		t.Fatalf("scheduled %v, want 3 instances", got)
	}
	leader := false
	rp.leading = func() bool { return leader }
	if n := rp.forgetUnseen(ctx, v); n != 0 {
		t.Fatalf("follower appended %d forgets", n)
	}
	leader = true
	rp.cfg.UnseenInstanceForgetHours = 0
	if n := rp.forgetUnseen(ctx, v); n != 0 {
		t.Fatalf("UnseenInstanceForgetHours 0 appended %d forgets", n)
	}
	rp.cfg.UnseenInstanceForgetHours = 240
	if n := rp.forgetUnseen(ctx, v); n != 2 {
		t.Fatalf("leader appended %d forgets, want 2", n)
	}
	seq, err := l.StreamLastSeq(ctx, events.EventsName)
	if err != nil {
		t.Fatal(err)
	}
	if n := rp.forgetUnseen(ctx, v); n != 2 { // appended again: deduplicated by id
		t.Fatalf("second append: %d", n)
	}
	if again, err := l.StreamLastSeq(ctx, events.EventsName); err != nil || again != seq {
		t.Fatalf("events stream moved from %d to %d (%v): duplicate forgets stored", seq, again, err)
	}
	if err := app.Barrier(ctx, l); err != nil {
		t.Fatal(err)
	}
	v = app.freshView()
	rp.reconcile(v)
	if got, want := rp.sched.Keys(), []events.InstanceKey{rpKey("alive")}; !slices.Equal(got, want) {
		t.Errorf("scheduled after forget %v, want %v", got, want)
	}
	for _, h := range []string{"dead", "gone"} {
		if _, ok := v.Instance(rpKey(h)); ok {
			t.Errorf("%s still in the view", h)
		}
	}
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
