package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/probes"
	"github.com/regent-ha/regent/test/fakemysql"
)

// issue12Configs are the configs issue 12 found `config check` passing and
// serve refusing or failover breaking, each with the key it must name.
var issue12Configs = []struct{ name, body, key string }{
	{"bad regex in RecoverMasterClusterFilters", `"RecoverMasterClusterFilters": ["prod(", "*"]`, "RecoverMasterClusterFilters"},
	{"bad regex in RecoverIntermediateMasterClusterFilters", `"RecoverIntermediateMasterClusterFilters": ["alias~=[a-"]`, "RecoverIntermediateMasterClusterFilters"},
	{"bad regex in DiscoveryIgnoreReplicaHostnameFilters", `"DiscoveryIgnoreReplicaHostnameFilters": ["+x"]`, "DiscoveryIgnoreReplicaHostnameFilters"},
	{"bad regex in PromotionIgnoreHostnameFilters", `"PromotionIgnoreHostnameFilters": ["a{2,1}"]`, "PromotionIgnoreHostnameFilters"},
	{"bad regex in DataCenterPattern", `"DataCenterPattern": "(dc"`, "DataCenterPattern"},
	{"duplicate RaftNodes", `"RaftEnabled": true, "RaftBind": "10.0.0.1", "RaftNodes": ["10.0.0.1", "10.0.0.2", "10.0.0.2:10008"]`, "RaftNodes"},
	{"unusable VIPInterface", `"VIPAddress": "10.0.0.30", "VIPInterface": "eth0; rm -rf /"`, "VIPInterface"},
	{"basic auth without a password", `"AuthenticationMethod": "basic", "HTTPAuthUser": "dba"`, "HTTPAuthPassword"},
	{"HookTimeoutSeconds overflows", `"HookTimeoutSeconds": 9223372036854775807`, "HookTimeoutSeconds"},
	{"negative RecoveryPeriodBlockSeconds", `"RecoveryPeriodBlockSeconds": -60`, "RecoveryPeriodBlockSeconds"},
	{"RecoveryTickMilliseconds overflows", `"RecoveryTickMilliseconds": 9300000000000000`, "RecoveryTickMilliseconds"},
}

func writeBody(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "regent.conf.json")
	if err := os.WriteFile(path, []byte("{\n  \"Debug\": false,\n  "+body+"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConfigCheckRefusesIssue12Configs: each is refused by `config check`
// with its key and the line it was set on, and `serve` refuses it with
// the same messages before it starts anything (one validation path).
func TestConfigCheckRefusesIssue12Configs(t *testing.T) {
	for _, tt := range issue12Configs {
		t.Run(tt.name, func(t *testing.T) {
			path := writeBody(t, tt.body)
			var out, checkErr bytes.Buffer
			if rc := configCheck(config.LoadOptions{Files: []string{path}}, false, &out, &checkErr); rc != 1 {
				t.Fatalf("config check: rc %d, want 1; stderr:\n%s", rc, checkErr.String())
			}
			want := fmt.Sprintf("error: %s:3: key %q: ", path, tt.key)
			if !strings.Contains(checkErr.String(), want) {
				t.Fatalf("config check stderr lacks %q:\n%s", want, checkErr.String())
			}
			var serveOut, serveErr bytes.Buffer
			start := time.Now()
			rc := runServe(context.Background(), env{args: []string{"--config", path}, stdout: &serveOut, stderr: &serveErr})
			if rc != 1 || time.Since(start) > 5*time.Second {
				t.Fatalf("serve: rc %d after %v, want 1 at once; stderr:\n%s", rc, time.Since(start), serveErr.String())
			}
			for _, line := range strings.Split(checkErr.String(), "\n") {
				if msg, ok := strings.CutPrefix(line, "error: "); ok && !strings.Contains(serveErr.String(), msg) {
					t.Errorf("serve does not report %q; stderr:\n%s", msg, serveErr.String())
				}
			}
		})
	}
}

// TestPreflightAcceptsWhatLoadAccepts: serve builds, from every config
// config.Load accepts, the parts it derives before starting — including
// each numeric key at both ends of its range, every cluster-filter form,
// TLS files and a cluster on a bare IPv6 RaftBind (which serve refused
// while check accepted it). Load and preflight are the two halves of
// loadConfig; this is the test that they agree.
func TestPreflightAcceptsWhatLoadAccepts(t *testing.T) {
	p := newTestPKI(t)
	dir := t.TempDir()
	bodies := []string{
		`"RecoverMasterClusterFilters": ["*", "alias=prod(", "alias~=^prod", "^c[0-9]+$"], "RecoverIntermediateMasterClusterFilters": ["alias~=x"]`,
		`"DataCenterPattern": "^([a-z]+)-", "RegionPattern": "r", "PhysicalEnvironmentPattern": "p", "ProblemIgnoreHostnameFilters": ["x"], "DiscoveryIgnoreHostnameFilters": ["y"]`,
		`"RaftEnabled": true, "RaftBind": "fd00::1", "RaftNodes": ["fd00::1", "fd00::2", "[fd00::3]:10008"], "NATSClusterSecret": "` + testSecret + `", "RaftDataDir": "` + dir + `"`,
		`"UseSSL": true, "UseMutualTLS": true, "SSLValidOUs": ["dba"], "SSLCertFile": "` + p.certFile + `", "SSLPrivateKeyFile": "` + p.keyFile + `", "SSLCAFile": "` + p.caFile + `"`,
		`"MySQLTopologySSLCAFile": "` + p.caFile + `", "MySQLTopologySSLCertFile": "` + p.clientCert + `", "MySQLTopologySSLPrivateKeyFile": "` + p.clientKey + `", "MySQLTopologyUseMutualTLS": true`,
		`"NATSTLSCertFile": "` + p.certFile + `", "NATSTLSKeyFile": "` + p.keyFile + `", "NATSTLSCAFile": "` + p.caFile + `"`,
		`"NATSServers": ["nats://u:pw@127.0.0.1:4222"], "NATSTLSCAFile": "` + p.caFile + `", "RaftDataDir": ""`,
		`"VIPAddress": "10.0.0.30", "VIPInterface": "eth0:1"`,
		`"VIPAddress": "10.0.0.30", "VIPInterface": "br_lan-2.100"`,
		`"VIPAddress": "10.0.0.30", "VIPInterface": "averylongname15"`,
		`"AuthenticationMethod": "multi", "HTTPAuthUser": "dba", "HTTPAuthPassword": "pw"`,
	}
	for _, key := range []string{"HookTimeoutSeconds", "RecoveryPeriodBlockSeconds", "FailureDetectionPeriodBlockMinutes",
		"RecoveryTickMilliseconds", "InstancePollMilliseconds", "ProbeTimeoutMilliseconds", "MySQLConnectTimeoutSeconds",
		"MySQLDiscoveryReadTimeoutSeconds", "ExpiryHostnameResolvesMinutes", "ReplicationStallMilliseconds",
		"ObservationRetentionMinutes", "NATSMaxStoreMB", "EventStreamMaxMB", "CandidateInstanceExpireMinutes"} {
		for _, end := range []string{"min", "max"} {
			bodies = append(bodies, boundBody(t, key, end))
		}
	}
	for i, body := range bodies {
		cfg, _, err := config.Load(config.LoadOptions{Files: []string{writeBody(t, body)}})
		if err != nil {
			t.Errorf("config %d refused by Load: %v\n%s", i, err, body)
			continue
		}
		if err := preflight(cfg); err != nil {
			t.Errorf("config %d: Load accepts, serve would refuse: %v\n%s", i, err, body)
		}
	}
}

// boundBody sets key to the min or max that `config check` accepts, found
// by asking it (the bounds are config's; this test must not copy them).
func boundBody(t *testing.T, key, end string) string {
	t.Helper()
	path := writeBody(t, fmt.Sprintf(`%q: 9223372036854775807`, key))
	_, _, err := config.Load(config.LoadOptions{Files: []string{path}})
	if err == nil {
		t.Fatalf("%s: the largest int64 accepted", key)
	}
	var lo, hi int64
	msg := err.Error()
	if i := strings.Index(msg, "want "); i < 0 {
		t.Fatalf("%s: no range in %v", key, err)
	} else if _, err := fmt.Sscanf(msg[i:], "want %d to %d", &lo, &hi); err != nil {
		t.Fatalf("%s: no range in %v: %v", key, msg, err)
	}
	v := lo
	if end == "max" {
		v = hi
	}
	body := fmt.Sprintf(`%q: %d`, key, v)
	switch key { // keep the cross-field rules satisfied
	case "MySQLConnectTimeoutSeconds":
		body += `, "ProbeTimeoutMilliseconds": 1000`
	case "InstancePollMilliseconds":
		body += `, "InstancePollSeconds": 1`
	case "NATSMaxStoreMB":
		body += `, "EventStreamMaxMB": 1`
	}
	return body
}

// TestConfigCheckMasksNATSServerCredentials: a password or token inside a
// NATSServers URL appears neither in `config check`'s output nor in its
// errors, nor in the error of a failed connection.
func TestConfigCheckMasksNATSServerCredentials(t *testing.T) {
	good := writeBody(t, `"NATSServers": ["nats://alice:s3cret@127.0.0.1:4222", "nats://t0ken@127.0.0.2:4222"], "RaftDataDir": ""`)
	var out, errOut bytes.Buffer
	if rc := configCheck(config.LoadOptions{Files: []string{good}}, false, &out, &errOut); rc != 0 {
		t.Fatalf("rc %d:\n%s", rc, errOut.String())
	}
	if !strings.Contains(out.String(), "nats://alice:********@127.0.0.1:4222") || !strings.Contains(out.String(), "nats://********@127.0.0.2:4222") {
		t.Errorf("masked URLs missing from output:\n%s", out.String())
	}
	bad := writeBody(t, `"NATSServers": ["nats://alice:s3cret@127.0.0.1:port", "ftp://t0ken@h:1"], "RaftDataDir": ""`)
	out.Reset()
	errOut.Reset()
	if rc := configCheck(config.LoadOptions{Files: []string{bad}}, false, &out, &errOut); rc != 1 {
		t.Fatalf("bad URLs accepted:\n%s", errOut.String())
	}
	all := out.String() + errOut.String()
	cfg := config.Default()
	cfg.NATSServers = []string{"nats://alice:s3cret@127.0.0.1:notaport"}
	_, err := connectNode(cfg, nil)
	if err == nil {
		t.Fatal("connected to a URL with a bad port")
	}
	cfg.NATSServers = []string{"nats://alice:s3cret@127.0.0.1:1", "nats://t0ken@127.0.0.1:2"}
	_, err2 := connectNode(cfg, nil)
	if err2 == nil {
		t.Fatal("connected to a closed port")
	}
	all += err.Error() + "\n" + err2.Error()
	for _, secret := range []string{"s3cret", "t0ken"} {
		if strings.Contains(all, secret) {
			t.Errorf("%s shown:\n%s", secret, all)
		}
	}
	if !strings.Contains(err2.Error(), "alice:********@127.0.0.1:1") {
		t.Errorf("connection error does not name the (masked) servers: %v", err2)
	}
}

// TestTopologyTLSOnEveryConnection: the probes and the actuators (recovery
// and the manual operations) log in to a server inside TLS with the same
// MySQLTopologySSL* settings — mixed TLS by default, as orchestrator —
// and both in clear when TLS is turned off (the fake server can tell).
func TestTopologyTLSOnEveryConnection(t *testing.T) {
	p := newTestPKI(t)
	cert, err := tls.LoadX509KeyPair(p.certFile, p.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	s, host, port := fakemysql.StartTLS(t, cert)
	key := events.InstanceKey{Hostname: host, Port: port}
	for _, tt := range []struct {
		name string
		set  func(*config.Config)
		want bool
	}{
		{"default (mixed TLS)", func(*config.Config) {}, true},
		{"verified against MySQLTopologySSLCAFile", func(c *config.Config) { c.MySQLTopologyUseMixedTLS, c.MySQLTopologySSLCAFile = false, p.caFile }, true},
		{"TLS off", func(c *config.Config) { c.MySQLTopologyUseMixedTLS = false }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.MySQLTopologyUser, cfg.MySQLTopologyPassword = "orc", "pw"
			tt.set(&cfg)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			db, err := actuatorDB(cfg, zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			_ = db.SetReadOnly(ctx, key, true) // refused by the fake: what matters is how it logged in
			if l, ok := s.Next(5 * time.Second); !ok || l.TLS != tt.want || l.User != "orc" {
				t.Errorf("actuator login %+v (seen %v), want TLS %v as orc", l, ok, tt.want)
			}
			opts, err := probeOptions(cfg, "n1")
			if err != nil {
				t.Fatal(err)
			}
			prober, err := probes.NewProber(opts, zerolog.Nop())
			if err != nil {
				t.Fatal(err)
			}
			defer prober.Close()
			_, _ = prober.Probe(ctx, key)
			if l, ok := s.Next(5 * time.Second); !ok || l.TLS != tt.want || l.User != "orc" {
				t.Errorf("probe login %+v (seen %v), want TLS %v as orc", l, ok, tt.want)
			}
		})
	}
}

// TestConfigCheckExpandsCommands: a hook or VIP command whose placeholder
// the shell expander refuses in every run is refused by `config check` and
// by `serve`, naming the key, instead of failing during a failover.
func TestConfigCheckExpandsCommands(t *testing.T) {
	for _, tt := range []struct{ body, key string }{
		{`"PostFailoverProcesses": ["echo ok", "echo ${X:-{failedHost}}"]`, `"PostFailoverProcesses": command 2`},
		{`"VIPAddress": "10.0.0.30", "VIPInterface": "eth0", "VIPCheckCommand": "ip -o a show dev ${I:-{interface}}"`, "VIPCheckCommand"},
	} {
		path := writeBody(t, tt.body)
		var out, checkErr, serveErr bytes.Buffer
		if rc := configCheck(config.LoadOptions{Files: []string{path}}, false, &out, &checkErr); rc != 1 || !strings.Contains(checkErr.String(), tt.key) ||
			!strings.Contains(checkErr.String(), "unsupported shell context") {
			t.Errorf("config check rc %d, want 1 naming %s:\n%s", rc, tt.key, checkErr.String())
		}
		if rc := runServe(context.Background(), env{args: []string{"--config", path}, stdout: &out, stderr: &serveErr}); rc != 1 || !strings.Contains(serveErr.String(), tt.key) {
			t.Errorf("serve rc %d, want 1 naming %s:\n%s", rc, tt.key, serveErr.String())
		}
	}
	path := writeBody(t, `"PostFailoverProcesses": ["echo {failedHost}:{failedPort} $(( {failedPort} + 1 )) >> /tmp/x &"], "VIPAddress": "10.0.0.30", "VIPInterface": "eth0", "RemoteExecPrefix": "ssh {host}"`)
	var out, errOut bytes.Buffer
	if rc := configCheck(config.LoadOptions{Files: []string{path}}, true, &out, &errOut); rc != 0 {
		t.Errorf("good commands refused:\n%s", errOut.String())
	}
}

// TestStatusEndpointCollisionRefused: a StatusEndpoint that is one of the
// API's own routes made serve panic while `config check` passed; now both
// refuse it, and a prefixed custom endpoint still works.
func TestStatusEndpointCollisionRefused(t *testing.T) {
	for _, ep := range []string{"/api/health", "/api/leader-check", "/metrics"} {
		path := writeBody(t, fmt.Sprintf(`"StatusEndpoint": %q`, ep))
		var out, errOut bytes.Buffer
		if rc := configCheck(config.LoadOptions{Files: []string{path}}, false, &out, &errOut); rc != 1 || !strings.Contains(errOut.String(), `"StatusEndpoint"`) {
			t.Errorf("StatusEndpoint %s: rc %d, want 1 naming the key:\n%s", ep, rc, errOut.String())
		}
		if rc := runServe(context.Background(), env{args: []string{"--config", path}, stdout: &out, stderr: &errOut}); rc != 1 {
			t.Errorf("serve with StatusEndpoint %s: rc %d, want 1", ep, rc)
		}
	}
	cfg := config.Default()
	cfg.URLPrefix, cfg.StatusEndpoint = "/orc", "/lb"
	if err := preflight(cfg); err != nil {
		t.Errorf("URLPrefix /orc with StatusEndpoint /lb: %v", err)
	}
}
