package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidationRules(t *testing.T) {
	tmpFile := writeConf(t, "readable.pem", "x")
	certFile, keyFile, caFile := testPair(t)
	tests := []struct {
		name    string
		content string
		key     string // KeyError.Key expected; "" = valid
		msg     string // substring of the message
	}{
		{"raft ok", `{"RaftEnabled": true, "RaftBind": "10.0.0.1", "RaftNodes": ["10.0.0.1:10008", "10.0.0.2", "10.0.0.3"], "NATSClusterSecret": "0123456789abcdef0123"}`, "", ""},
		{"raft advertise in nodes", `{"RaftEnabled": true, "RaftBind": "0.0.0.0:10008", "RaftAdvertise": "n1", "RaftNodes": ["n1", "n2", "n3"], "NATSClusterSecret": "0123456789abcdef0123"}`, "", ""},
		{"raft two nodes", `{"RaftEnabled": true, "RaftBind": "10.0.0.1", "RaftNodes": ["10.0.0.1", "10.0.0.2"]}`, "RaftNodes", "lists 2 nodes"},
		{"raft two nodes, external NATS", `{"RaftEnabled": true, "RaftBind": "10.0.0.1", "RaftNodes": ["10.0.0.1", "10.0.0.2"], "NATSServers": ["nats://127.0.0.1:4222"], "NATSUser": "regent"}`, "", ""},
		{"raft two nodes, raft off", `{"RaftEnabled": false, "RaftNodes": ["10.0.0.1", "10.0.0.2"]}`, "", ""},
		{"stream replicas 0", `{"NATSStreamReplicas": 0}`, "NATSStreamReplicas", "want 1 to 5"},
		{"stream replicas 6", `{"NATSServers": ["nats://127.0.0.1:4222"], "NATSStreamReplicas": 6}`, "NATSStreamReplicas", "got 6"},
		{"stream replicas 3", `{"NATSServers": ["nats://127.0.0.1:4222"], "NATSStreamReplicas": 3, "NATSCredentialsFile": "x.creds"}`, "", ""},
		{"mutual needs ssl", `{"UseMutualTLS": true}`, "UseMutualTLS", "requires UseSSL"},
		{"topology mutual needs a cert", `{"MySQLTopologyUseMutualTLS": true, "MySQLTopologySSLPrivateKeyFile": "` + tmpFile + `"}`, "MySQLTopologySSLCertFile", "client certificate"},
		{"topology CA unreadable", `{"MySQLTopologySSLCAFile": "/nonexistent/ca.pem"}`, "MySQLTopologySSLCAFile", "cannot read"},
		{"ssl needs cert", `{"UseSSL": true, "SSLPrivateKeyFile": "` + tmpFile + `"}`, "SSLCertFile", "must be set when UseSSL"},
		{"ssl needs key", `{"UseSSL": true, "SSLCertFile": "` + tmpFile + `"}`, "SSLPrivateKeyFile", "must be set when UseSSL"},
		{"ssl cert unreadable", `{"UseSSL": true, "SSLCertFile": "/nonexistent/c.pem", "SSLPrivateKeyFile": "` + tmpFile + `"}`, "SSLCertFile", "cannot read /nonexistent/c.pem"},
		{"ssl CA unreadable", `{"UseSSL": true, "SSLCertFile": "` + tmpFile + `", "SSLPrivateKeyFile": "` + tmpFile + `", "SSLCAFile": "/nonexistent/ca.pem"}`, "SSLCAFile", "cannot read"},
		{"ssl ok", `{"UseSSL": true, "SSLCertFile": "` + certFile + `", "SSLPrivateKeyFile": "` + keyFile + `"}`, "", ""},
		{"mutual needs CA", `{"UseSSL": true, "UseMutualTLS": true, "SSLValidOUs": ["dba"], "SSLCertFile": "` + tmpFile + `", "SSLPrivateKeyFile": "` + tmpFile + `"}`, "SSLCAFile", "UseMutualTLS"},
		{"mutual needs OUs", `{"UseSSL": true, "UseMutualTLS": true, "SSLCAFile": "` + tmpFile + `", "SSLCertFile": "` + tmpFile + `", "SSLPrivateKeyFile": "` + tmpFile + `"}`, "SSLValidOUs", "refuses every client"},
		{"mutual ok", `{"UseSSL": true, "UseMutualTLS": true, "SSLValidOUs": ["dba"], "SSLCAFile": "` + caFile + `", "SSLCertFile": "` + certFile + `", "SSLPrivateKeyFile": "` + keyFile + `"}`, "", ""},
		{"raft needs bind", `{"RaftEnabled": true, "RaftBind": "", "RaftNodes": ["a"]}`, "RaftBind", "must be set"},
		{"raft needs nodes", `{"RaftEnabled": true, "RaftNodes": []}`, "RaftNodes", "must list"},
		{"raft needs data dir", `{"RaftEnabled": true, "RaftBind": "a", "RaftNodes": ["a"], "RaftDataDir": ""}`, "RaftDataDir", "must be set"},
		{"raft bind not in nodes", `{"RaftEnabled": true, "RaftBind": "10.0.0.9", "RaftNodes": ["10.0.0.1", "10.0.0.2", "10.0.0.3"]}`, "RaftBind", "not one of RaftNodes"},
		{"raft bind port differs", `{"RaftEnabled": true, "RaftBind": "10.0.0.1:10009", "RaftNodes": ["10.0.0.1"]}`, "RaftBind", "not one of RaftNodes"},
		{"raft bad node", `{"RaftEnabled": true, "RaftBind": "a", "RaftNodes": ["a:notaport"]}`, "RaftNodes", "port"},
		{"fail and delay", `{"FailMasterPromotionIfSQLThreadNotUpToDate": true, "DelayMasterPromotionIfSQLThreadNotUpToDate": true}`, "FailMasterPromotionIfSQLThreadNotUpToDate", "DelayMasterPromotionIfSQLThreadNotUpToDate"},
		{"lag minutes need query", `{"FailMasterPromotionOnLagMinutes": 5}`, "FailMasterPromotionOnLagMinutes", "ReplicationLagQuery"},
		{"lag minutes with query", `{"FailMasterPromotionOnLagMinutes": 5, "ReplicationLagQuery": "select 1"}`, "", ""},
		{"auth token", `{"AuthenticationMethod": "token"}`, "AuthenticationMethod", "not supported by Regent"},
		{"auth oauth", `{"AuthenticationMethod": "oauth"}`, "AuthenticationMethod", "not supported by Regent"},
		{"auth unknown", `{"AuthenticationMethod": "ldap"}`, "AuthenticationMethod", "want one of"},
		{"basic needs user", `{"AuthenticationMethod": "basic"}`, "HTTPAuthUser", "basic"},
		{"multi needs user", `{"AuthenticationMethod": "multi", "HTTPAuthUser": ""}`, "HTTPAuthUser", "multi"},
		{"proxy ok", `{"AuthenticationMethod": "proxy"}`, "", ""},
		{"listen address", `{"ListenAddress": "3000"}`, "ListenAddress", "host:port"},
		{"listen port", `{"ListenAddress": ":http"}`, "ListenAddress", "numeric port"},
		{"regex pattern", `{"DataCenterPattern": "[.]([^.]+"}`, "DataCenterPattern", `"[.]([^.]+"`},
		{"regex reject", `{"RejectHostnameResolvePattern": "*"}`, "RejectHostnameResolvePattern", "bad regular expression"},
		{"regex filter list", `{"RecoveryIgnoreHostnameFilters": ["ok", "(bad"]}`, "RecoveryIgnoreHostnameFilters", `"(bad"`},
		{"regex discovery list", `{"DiscoveryIgnoreHostnameFilters": ["a[b"]}`, "DiscoveryIgnoreHostnameFilters", "bad regular expression"},
		{"mysql resolve", `{"MySQLHostnameResolveMethod": "dns"}`, "MySQLHostnameResolveMethod", `"dns"`},
		{"mysql resolve report_host", `{"MySQLHostnameResolveMethod": "report_host"}`, "", ""},
		{"hostname resolve", `{"HostnameResolveMethod": "@@hostname"}`, "HostnameResolveMethod", "default, cname, none"},
		{"poll seconds zero", `{"InstancePollSeconds": 0}`, "InstancePollSeconds", "≥ 1"},
		{"poll ms allows zero seconds", `{"InstancePollSeconds": 0, "InstancePollMilliseconds": 500}`, "", ""},
		{"log format", `{"LogFormat": "xml"}`, "LogFormat", "json, console or auto"},
		{"log level", `{"LogLevel": "verbose"}`, "LogLevel", "trace, debug"},
		{"nats servers", `{"NATSServers": ["http://x:4222"]}`, "NATSServers", "nats://"},
		{"nats servers ok", `{"NATSServers": ["nats://127.0.0.1:4222", "tls://h:4443"], "RaftDataDir": "", "NATSToken": "t"}`, "", ""},
		{"nats listen", `{"NATSListenAddress": "localhost"}`, "NATSListenAddress", "host:port"},
		{"nats listen off", `{"NATSListenAddress": "-"}`, "", ""},
		{"nats tls pair", `{"NATSTLSCertFile": "c.pem"}`, "NATSTLSCertFile", "set together"},
		{"nats sizes", `{"NATSMaxStoreMB": 0}`, "NATSMaxStoreMB", "want 1 to"},
		{"vip address", `{"VIPAddress": "10.0.0.300", "VIPInterface": "eth0"}`, "VIPAddress", "IP address"},
		{"vip interface", `{"VIPAddress": "10.0.0.30"}`, "VIPInterface", "must be set"},
		{"vip ok", `{"VIPAddress": "fd00::30", "VIPInterface": "eth0"}`, "", ""},
		{"http advertise", `{"HTTPAdvertise": "10.0.0.1:3000"}`, "HTTPAdvertise", "http://"},
		{"http advertise port", `{"HTTPAdvertise": "http://10.0.0.1"}`, "HTTPAdvertise", "port"},
		{"default raft port", `{"DefaultRaftPort": 0}`, "DefaultRaftPort", "1-65535"},
		{"heartbeat zero", `{"ReplicationHeartbeatMilliseconds": 0}`, "ReplicationHeartbeatMilliseconds", "want 1 to"},
		{"stall below heartbeats", `{"ReplicationHeartbeatMilliseconds": 500, "ReplicationStallMilliseconds": 1000}`, "ReplicationStallMilliseconds", "2.5 × ReplicationHeartbeatMilliseconds"},
		{"stall and heartbeat ok", `{"ReplicationHeartbeatMilliseconds": 250, "ReplicationStallMilliseconds": 700}`, "", ""},
		{"stall negative", `{"ReplicationStallMilliseconds": -1}`, "ReplicationStallMilliseconds", "want 0 to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, path, err := loadString(t, "{\n\"Debug\": false,\n"+strings.TrimPrefix(tt.content, "{"), nil, nil)
			if tt.key == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want an error about %s", tt.key)
			}
			var found bool
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var ke *KeyError
				if errors.As(e, &ke) && ke.Key == tt.key && strings.Contains(ke.Message, tt.msg) {
					found = true
					if ke.File != path || ke.Line != 3 {
						t.Errorf("location %s:%d, want %s:3", ke.File, ke.Line, path)
					}
				}
			}
			if !found {
				t.Errorf("no error for key %s containing %q; got:\n%v", tt.key, tt.msg, err)
			}
		})
	}
}

func TestValidateReportsAllErrors(t *testing.T) {
	c := Default()
	c.LogFormat = "xml"
	c.AuthenticationMethod = "oauth"
	c.InstancePollSeconds = 0
	err := c.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 3 {
		t.Errorf("%d errors, want 3:\n%v", n, err)
	}
	if !strings.Contains(err.Error(), `key "LogFormat": want json`) {
		t.Errorf("default-located error format: %v", err)
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
}

func TestDerived(t *testing.T) {
	c := Default()
	if c.PollInterval() != 5*time.Second || c.ProbeTimeout() != 2*time.Second {
		t.Errorf("PollInterval=%v ProbeTimeout=%v", c.PollInterval(), c.ProbeTimeout())
	}
	c.InstancePollMilliseconds, c.ProbeTimeoutMilliseconds = 250, 400
	if c.PollInterval() != 250*time.Millisecond || c.ProbeTimeout() != 400*time.Millisecond {
		t.Errorf("PollInterval=%v ProbeTimeout=%v", c.PollInterval(), c.ProbeTimeout())
	}
	if c.Clustered() || c.NodeID() != "regent-1" || c.EffectiveLogLevel() != "info" {
		t.Errorf("single node: Clustered=%v NodeID=%q level=%q", c.Clustered(), c.NodeID(), c.EffectiveLogLevel())
	}
	c.Debug = true
	if c.EffectiveLogLevel() != "debug" {
		t.Errorf("Debug → level %q", c.EffectiveLogLevel())
	}
	c.RaftEnabled, c.RaftBind, c.RaftNodes = true, "Node1", []string{"node1", "node2:4248", "[fd00::3]:10010", "fd00::4"}
	peers, err := c.RaftPeers()
	if err != nil {
		t.Fatal(err)
	}
	want := []Peer{
		{Host: "node1", Port: 10008, Name: "node1:10008"},
		{Host: "node2", Port: 4248, Name: "node2:4248"},
		{Host: "fd00::3", Port: 10010, Name: "[fd00::3]:10010"},
		{Host: "fd00::4", Port: 10008, Name: "[fd00::4]:10008"},
	}
	for i := range want {
		if peers[i] != want[i] {
			t.Errorf("peer %d = %+v, want %+v", i, peers[i], want[i])
		}
	}
	if peers[1].RouteURL() != "nats-route://node2:4248" {
		t.Errorf("RouteURL = %q", peers[1].RouteURL())
	}
	if !c.Clustered() || c.Self().Name != "node1:10008" || c.NodeID() != "node1:10008" {
		t.Errorf("Clustered=%v Self=%+v NodeID=%q", c.Clustered(), c.Self(), c.NodeID())
	}
	c.NodeName = "alpha"
	if c.NodeID() != "alpha" {
		t.Errorf("NodeID with NodeName = %q", c.NodeID())
	}
	c.RaftNodes = []string{"node1"}
	if c.Clustered() {
		t.Error("RaftNodes of only self must not be clustered")
	}
}
