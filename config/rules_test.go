package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/regent-ha/regent/test/tlstest"
)

// keyErrors loads content (its keys start on line 3) and returns the
// KeyErrors by key.
func keyErrors(t *testing.T, content string) (map[string][]*KeyError, string) {
	t.Helper()
	_, _, path, err := loadString(t, "{\n\"Debug\": false,\n"+strings.TrimPrefix(content, "{"), nil, nil)
	out := map[string][]*KeyError{}
	if err == nil {
		return out, path
	}
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ke *KeyError
		if !errors.As(e, &ke) {
			t.Fatalf("not a KeyError: %v", e)
		}
		out[ke.Key] = append(out[ke.Key], ke)
	}
	return out, path
}

// wantRefused asserts that content is refused with an error about key,
// located on line 3 of the file, whose message holds msg.
func wantRefused(t *testing.T, content, key, msg string) {
	t.Helper()
	errs, path := keyErrors(t, content)
	for _, ke := range errs[key] {
		if strings.Contains(ke.Message, msg) {
			if ke.File != path || ke.Line != 3 {
				t.Errorf("%s: located at %s:%d, want %s:3", key, ke.File, ke.Line, path)
			}
			if !strings.HasPrefix(ke.Message, fmt.Sprintf("%s:3: key %q: ", path, key)) {
				t.Errorf("message does not start with file:line and key: %s", ke.Message)
			}
			return
		}
	}
	t.Errorf("%s: no error about %s containing %q; got %v", content, key, msg, errs)
}

func wantAccepted(t *testing.T, content string) {
	t.Helper()
	if errs, _ := keyErrors(t, content); len(errs) > 0 {
		for _, es := range errs {
			for _, e := range es {
				t.Errorf("%s: %s", content, e.Message)
			}
		}
	}
}

// TestEveryNumericKeyIsBounded: every int or uint key Regent reads is in
// the bounds table (or checked as a port), and every table entry names a
// numeric key.
func TestEveryNumericKeyIsBounded(t *testing.T) {
	inTable := map[string]bool{}
	for _, b := range bounds {
		inTable[b.key] = true
		if b.min > b.max {
			t.Errorf("%s: min %d > max %d", b.key, b.min, b.max)
		}
	}
	for _, p := range portKeys {
		inTable[p] = true
	}
	numeric := map[string]bool{}
	for _, ki := range knownKeys().ordered {
		switch ki.typ.Kind() {
		case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64:
		default:
			continue
		}
		numeric[ki.name] = true
		if !ki.unused && !inTable[ki.name] {
			t.Errorf("numeric key %s has no bound: add it to the bounds table", ki.name)
		}
	}
	for key := range inTable {
		if !numeric[key] {
			t.Errorf("bounds table names %s, which is not a numeric key", key)
		}
	}
}

// TestBoundsRefuseOutOfRange: each bounded key is refused one past each
// end of its range, with its key and line, and accepted at both ends.
func TestBoundsRefuseOutOfRange(t *testing.T) {
	unsigned := map[string]bool{}
	for _, ki := range knownKeys().ordered {
		unsigned[ki.name] = ki.typ != nil && ki.typ.Kind() >= reflect.Uint && ki.typ.Kind() <= reflect.Uint64
	}
	// what a cross-field rule needs for either end of the range to be valid
	crossField := map[string]string{
		"MySQLConnectTimeoutSeconds":      `, "ProbeTimeoutMilliseconds": 1000`,
		"InstancePollSeconds":             `, "InstancePollMilliseconds": 500`,
		"FailMasterPromotionOnLagMinutes": `, "ReplicationLagQuery": "select 0"`,
	}
	for _, b := range bounds {
		t.Run(b.key, func(t *testing.T) {
			wantRefused(t, fmt.Sprintf(`{"%s": %d}`, b.key, b.max+1), b.key, fmt.Sprintf("want %d to %d", b.min, b.max))
			if b.min > 0 || !unsigned[b.key] { // a negative uint is a type error
				wantRefused(t, fmt.Sprintf(`{"%s": %d}`, b.key, b.min-1), b.key, fmt.Sprintf("got %d", b.min-1))
			}
			for _, v := range []int64{b.min, b.max} {
				if errs, _ := keyErrors(t, fmt.Sprintf(`{"%s": %d%s}`, b.key, v, crossField[b.key])); len(errs[b.key]) > 0 {
					t.Errorf("%s = %d refused: %v", b.key, v, errs[b.key][0])
				}
			}
		})
	}
}

// TestIssue12BadConfigs: each config issue 12 names is refused with the key
// and its line.
func TestIssue12BadConfigs(t *testing.T) {
	tests := []struct{ name, content, key, msg string }{
		{"recover master filter regex", `{"RecoverMasterClusterFilters": ["ok", "(bad"]}`, "RecoverMasterClusterFilters", `"(bad"`},
		{"recover intermediate filter alias regex", `{"RecoverIntermediateMasterClusterFilters": ["alias~=[x"]}`, "RecoverIntermediateMasterClusterFilters", `"alias~=[x"`},
		{"raft nodes same entry twice", `{"RaftEnabled": true, "RaftBind": "10.0.0.1", "RaftNodes": ["10.0.0.1", "10.0.0.2", "10.0.0.2"]}`, "RaftNodes", "same node"},
		{"raft nodes default port spelled out", `{"RaftEnabled": true, "RaftBind": "10.0.0.1", "RaftNodes": ["10.0.0.1", "10.0.0.1:10008", "10.0.0.3"]}`, "RaftNodes", `"10.0.0.1:10008"`},
		{"raft nodes case and trailing dot", `{"RaftEnabled": true, "RaftBind": "n1", "RaftNodes": ["n1", "N2.example", "n2.example."]}`, "RaftNodes", "same node"},
		{"raft nodes IPv6 spellings", `{"RaftEnabled": true, "RaftBind": "fd00::1", "RaftNodes": ["fd00::1", "[FD00:0::1]:10008", "fd00::3"]}`, "RaftNodes", "same node"},
		{"vip interface too long", `{"VIPAddress": "10.0.0.30", "VIPInterface": "averyveryverylongif"}`, "VIPInterface", "1 to 15"},
		{"vip interface slash", `{"VIPAddress": "10.0.0.30", "VIPInterface": "eth0/1"}`, "VIPInterface", "no '/'"},
		{"vip interface space", `{"VIPAddress": "10.0.0.30", "VIPInterface": "eth 0"}`, "VIPInterface", "cannot be checked from here"},
		{"vip interface shell", `{"VIPAddress": "10.0.0.30", "VIPInterface": "eth0;reboot"}`, "VIPInterface", "shell"},
		{"vip interface dot", `{"VIPAddress": "10.0.0.30", "VIPInterface": ".."}`, "VIPInterface", "not a usable"},
		{"vip interface empty alias", `{"VIPAddress": "10.0.0.30", "VIPInterface": "eth0:"}`, "VIPInterface", "alias form"},
		{"vip interface option", `{"VIPAddress": "10.0.0.30", "VIPInterface": "-eth0"}`, "VIPInterface", "starting with"},
		{"vip interface two colons", `{"VIPAddress": "10.0.0.30", "VIPInterface": "eth0:1:2"}`, "VIPInterface", "interface name"},
		{"basic without password", `{"AuthenticationMethod": "basic", "HTTPAuthUser": "dba"}`, "HTTPAuthPassword", "must be set"},
		{"multi without password", `{"AuthenticationMethod": "multi", "HTTPAuthUser": "dba", "HTTPAuthPassword": ""}`, "HTTPAuthPassword", `"multi"`},
		{"hook timeout overflows", `{"HookTimeoutSeconds": 9300000000000}`, "HookTimeoutSeconds", "got 9300000000000"},
		{"recovery block negative", `{"RecoveryPeriodBlockSeconds": -1}`, "RecoveryPeriodBlockSeconds", "want 0 to"},
		{"detection block overflows", `{"FailureDetectionPeriodBlockMinutes": 153722867280912930}`, "FailureDetectionPeriodBlockMinutes", "min"},
		{"hostname TTL negative", `{"ExpiryHostnameResolvesMinutes": -5}`, "ExpiryHostnameResolvesMinutes", "got -5"},
		{"connect timeout negative", `{"MySQLConnectTimeoutSeconds": -1}`, "MySQLConnectTimeoutSeconds", "want 0 to 3600 s"},
		{"clustered without a client listener", `{"RaftEnabled": true, "RaftBind": "10.0.0.1", "RaftNodes": ["10.0.0.1", "10.0.0.2", "10.0.0.3"], "NATSListenAddress": "-"}`, "NATSListenAddress", "client listener"},
		{"node name with a space", `{"NodeName": "node one"}`, "NodeName", "spaces"},
		{"cluster name with a space", `{"RaftEnabled": true, "RaftBind": "10.0.0.1", "RaftNodes": ["10.0.0.1", "10.0.0.2", "10.0.0.3"], "NATSClusterName": "my cluster"}`, "NATSClusterName", "spaces"},
		{"status endpoint relative", `{"StatusEndpoint": "api/status"}`, "StatusEndpoint", "starting with '/'"},
		{"status endpoint space", `{"StatusEndpoint": "/api/my status"}`, "StatusEndpoint", "plain path"},
		{"url prefix brace", `{"URLPrefix": "/orc/{x}"}`, "URLPrefix", "plain path"},
		{"http advertise credentials", `{"HTTPAdvertise": "http://u:pw@10.0.0.1:3000"}`, "HTTPAdvertise", "u:********@"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantRefused(t, tt.content, tt.key, tt.msg) })
	}
	for _, ok := range []string{
		`{"RecoverMasterClusterFilters": ["*", "alias=x(", "alias~=^prod", "^c[0-9]+$"]}`,
		`{"RaftEnabled": true, "RaftBind": "10.0.0.1", "RaftNodes": ["10.0.0.1:10008", "10.0.0.1:10009", "10.0.0.2"], "NATSClusterSecret": "0123456789abcdef0123"}`,
		`{"VIPAddress": "10.0.0.30", "VIPInterface": "eth0:1"}`,
		`{"VIPAddress": "10.0.0.30", "VIPInterface": "enp0s31f6.100"}`,
		`{"AuthenticationMethod": "basic", "HTTPAuthUser": "dba", "HTTPAuthPassword": "pw"}`,
		`{"HookTimeoutSeconds": 0, "RecoveryPeriodBlockSeconds": 0}`,
		`{"URLPrefix": "/orchestrator/", "StatusEndpoint": "/lb-check"}`,
	} {
		wantAccepted(t, ok)
	}
}

// TestTLSFilesLoadAsServeLoadsThem: a readable file that is no
// certificate, a key that does not match, and a CA file without
// certificates are refused by Load, as serve would refuse them.
func TestTLSFilesLoadAsServeLoadsThem(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, caFile := testPair(t)
	_, otherKey := tlstest.NewCA(t, "other CA").Issue(t, "other", nil, true, false)
	otherKeyFile := tlstest.WriteFile(t, dir, "o.key", otherKey)
	junk := tlstest.WriteFile(t, dir, "junk.pem", []byte("not a certificate"))
	for _, pair := range [][3]string{
		{"SSLCertFile", "SSLPrivateKeyFile", "SSLCAFile"},
		{"MySQLTopologySSLCertFile", "MySQLTopologySSLPrivateKeyFile", "MySQLTopologySSLCAFile"},
		{"NATSTLSCertFile", "NATSTLSKeyFile", "NATSTLSCAFile"},
		{"NATSClusterTLSCertFile", "NATSClusterTLSKeyFile", "NATSClusterTLSCAFile"},
	} {
		ssl := ""
		if pair[0] == "SSLCertFile" {
			ssl = `"UseSSL": true, `
		}
		files := func(c, k, a string) string {
			return fmt.Sprintf(`{%s"%s": %q, "%s": %q, "%s": %q}`, ssl, pair[0], c, pair[1], k, pair[2], a)
		}
		wantAccepted(t, files(certFile, keyFile, caFile))
		wantRefused(t, files(junk, keyFile, caFile), pair[0], "do not load as a certificate and its key")
		wantRefused(t, files(certFile, otherKeyFile, caFile), pair[0], "do not load")
		wantRefused(t, files(certFile, keyFile, junk), pair[2], "no PEM certificate")
	}
}

// TestNATSServersCredentialsMasked: credentials in NATSServers URLs never
// appear in errors or in Masked, and stay intact in the config itself.
func TestNATSServersCredentialsMasked(t *testing.T) {
	errs, _ := keyErrors(t, `{"NATSServers": ["nats://alice:s3cret@127.0.0.1:notaport", "http://tok3n@h:4222", "nats://bob:pw2@[::1"]}`)
	if len(errs["NATSServers"]) != 3 {
		t.Fatalf("want 3 NATSServers errors, got %v", errs)
	}
	for _, e := range errs["NATSServers"] {
		for _, secret := range []string{"s3cret", "tok3n", "pw2"} {
			if strings.Contains(e.Message, secret) {
				t.Errorf("error shows %s: %s", secret, e.Message)
			}
		}
	}
	cfg, _, _, err := loadString(t, `{"NATSServers": ["nats://alice:s3cret@127.0.0.1:4222", "nats://tok3n@127.0.0.2:4222"], "RaftDataDir": ""}`, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Masked()
	if want := []string{"nats://alice:********@127.0.0.1:4222", "nats://********@127.0.0.2:4222"}; !reflect.DeepEqual(m.NATSServers, want) {
		t.Errorf("Masked NATSServers = %v, want %v", m.NATSServers, want)
	}
	if cfg.NATSServers[0] != "nats://alice:s3cret@127.0.0.1:4222" {
		t.Errorf("Masked changed the config it was called on: %v", cfg.NATSServers)
	}
}

func TestMaskURL(t *testing.T) {
	for in, want := range map[string]string{
		"nats://alice:s3cret@h:4222":         "nats://alice:********@h:4222",
		"nats://tok3n@h:4222":                "nats://********@h:4222",
		"nats://h:4222":                      "nats://h:4222",
		"tls://a:b:c@h:4222/path@x":          "tls://a:********@h:4222/path@x",
		"nats://u:p@w@h":                     "nats://u:********@h",
		"u:p@h:4222":                         "u:********@h:4222",
		"nats://u:p@[::1":                    "nats://u:********@[::1",
		"":                                   "",
		"http://h:3000/a?next=http://x@y":    "http://h:3000/a?next=http://x@y",
		"nats://a%40b:p%3Aq@h:4222":          "nats://a%40b:********@h:4222",
		"nats://user:pa/ss@h":                "nats://user:********@h", // does not parse: masked up to the last '@'
		"wss://user:pass@h:443/ws?x=1#frag@": "wss://user:********@h:443/ws?x=1#frag@",
	} {
		if got := MaskURL(in); got != want {
			t.Errorf("MaskURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// testPair writes a certificate, its key and their CA as PEM files.
func testPair(t *testing.T) (certFile, keyFile, caFile string) {
	t.Helper()
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "config test CA")
	cert, key := ca.Issue(t, "127.0.0.1", nil, true, false)
	return tlstest.WriteFile(t, dir, "c.pem", cert), tlstest.WriteFile(t, dir, "c.key", key), tlstest.WriteFile(t, dir, "ca.pem", ca.PEM)
}
