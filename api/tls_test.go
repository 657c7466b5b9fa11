package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/test/tlstest"
)

// testCA is the shared throw-away CA; issue signs a server certificate
// for 127.0.0.1 when ous is nil, else a client one with those OUs.
type testCA struct{ *tlstest.CA }

func newTestCA(t *testing.T, name string) testCA { return testCA{tlstest.NewCA(t, name)} }

func (ca testCA) issue(t *testing.T, cn string, ous []string) (certPEM, keyPEM []byte) {
	t.Helper()
	return ca.Issue(t, cn, ous, ous == nil, ous != nil)
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	return tlstest.WriteFile(t, dir, name, b)
}

// pki is a CA with a server certificate, on disk.
type pki struct {
	ca                    testCA
	certFile, keyFile     string
	caFile                string
	dir                   string
	serverCert, serverKey []byte
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	dir := t.TempDir()
	ca := newTestCA(t, "regent test CA")
	c, k := ca.issue(t, "127.0.0.1", nil)
	return &pki{ca: ca, dir: dir, serverCert: c, serverKey: k,
		certFile: writeFile(t, dir, "server.pem", c), keyFile: writeFile(t, dir, "server.key", k),
		caFile: writeFile(t, dir, "ca.pem", ca.PEM)}
}

// runTLS serves s on 127.0.0.1 until the test ends and returns host:port.
func runTLS(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("server did not stop within 5s")
		}
	})
	return ln.Addr().String()
}

// client trusts ca and presents cert/key when given.
func client(t *testing.T, ca []byte, cert, key []byte) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if cert != nil {
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			t.Fatal(err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}
}

// fetch returns the status code and body, or the transport error.
func fetch(c *http.Client, url string) (int, string, error) {
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func tlsServer(t *testing.T, p *pki, mutual, statusVerify bool, ous []string) *Server {
	t.Helper()
	tc, err := ServerTLSConfig(p.certFile, p.keyFile, p.caFile, mutual)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{StatusEndpoint: "/api/status", URLPrefix: "/orc",
		TLS: TLSOptions{Config: tc, Mutual: mutual, ValidOUs: ous, StatusOUVerify: statusVerify}}
	return New(o, &fakeCluster{l: Leadership{Known: true, Leader: "n1:10008", IsLeader: true}},
		prometheus.NewRegistry(), zerolog.Nop())
}

func TestHTTPSServedAndPlainHTTPRefused(t *testing.T) {
	p := newPKI(t)
	s := tlsServer(t, p, false, false, nil)
	if s.Scheme() != "https" {
		t.Errorf("Scheme() = %q, want https", s.Scheme())
	}
	addr := runTLS(t, s)
	code, body, err := fetch(client(t, p.ca.PEM, nil, nil), "https://"+addr+"/orc/api/leader-check")
	if err != nil || code != 200 || !strings.Contains(body, "OK") {
		t.Errorf("https leader-check: code %d body %q err %v, want 200 OK", code, body, err)
	}
	code, body, err = fetch(&http.Client{Timeout: 5 * time.Second}, "http://"+addr+"/orc/api/leader-check")
	if err == nil && (code != http.StatusBadRequest || strings.Contains(body, `"OK"`)) {
		t.Errorf("plain http on the https port: code %d body %q, want 400 and no API answer", code, body)
	}
	// A client that does not trust the CA fails the handshake.
	if _, _, err := fetch(&http.Client{Timeout: 5 * time.Second}, "https://"+addr+"/orc/api/leader-check"); err == nil {
		t.Error("https without trusting the CA: want a certificate error")
	}
	if New(Options{}, &fakeCluster{}, prometheus.NewRegistry(), zerolog.Nop()).Scheme() != "http" {
		t.Error("Scheme() without TLS is not http")
	}
}

func TestMutualTLSChecksClientOU(t *testing.T) {
	p := newPKI(t)
	dbaCert, dbaKey := p.ca.issue(t, "alice", []string{"ops", "dba"})
	webCert, webKey := p.ca.issue(t, "bob", []string{"web"})
	other := newTestCA(t, "other CA")
	strangerCert, strangerKey := other.issue(t, "eve", []string{"dba"})
	tests := []struct {
		name         string
		statusVerify bool
		cert, key    []byte
		path         string
		want         int // 0: the handshake fails
	}{
		{"valid OU", false, dbaCert, dbaKey, "/orc/api/leader-check", 200},
		{"valid OU, status", true, dbaCert, dbaKey, "/orc/api/status", 200},
		{"wrong OU", false, webCert, webKey, "/orc/api/leader-check", 401},
		{"no certificate", false, nil, nil, "/orc/api/leader-check", 401},
		{"no certificate, metrics", false, nil, nil, "/orc/metrics", 401},
		{"no certificate, status open", false, nil, nil, "/orc/api/status", 200},
		{"no certificate, status verified", true, nil, nil, "/orc/api/status", 401},
		{"wrong OU, status verified", true, webCert, webKey, "/orc/api/status", 401},
		// Go's client sends no certificate the server's CA list does not
		// name; either way the request is refused.
		{"certificate from another CA", false, strangerCert, strangerKey, "/orc/api/leader-check", 401},
	}
	addrs := map[bool]string{
		false: runTLS(t, tlsServer(t, p, true, false, []string{"dba"})),
		true:  runTLS(t, tlsServer(t, p, true, true, []string{"dba"})),
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, err := fetch(client(t, p.ca.PEM, tt.cert, tt.key), "https://"+addrs[tt.statusVerify]+tt.path)
			switch {
			case tt.want == 0 && err == nil:
				t.Errorf("code %d body %q, want a failed handshake", code, body)
			case tt.want != 0 && err != nil:
				t.Errorf("err %v, want %d", err, tt.want)
			case tt.want != 0 && code != tt.want:
				t.Errorf("code %d body %q, want %d", code, body, tt.want)
			}
		})
	}
}

func TestServerTLSConfigErrorsNameTheKey(t *testing.T) {
	p := newPKI(t)
	missing := filepath.Join(p.dir, "missing.pem")
	garbage := writeFile(t, p.dir, "garbage.pem", []byte("not a certificate"))
	tests := []struct {
		name                  string
		cert, key, ca, expect string
	}{
		{"no files", "", "", "", "SSLCertFile/SSLPrivateKeyFile"},
		{"missing cert", missing, p.keyFile, "", "SSLCertFile " + missing},
		{"missing key", p.certFile, missing, "", "SSLPrivateKeyFile " + missing},
		{"cert is the key", p.keyFile, p.keyFile, "", "SSLCertFile"},
		{"missing CA", p.certFile, p.keyFile, missing, "read SSLCAFile"},
		{"garbage CA", p.certFile, p.keyFile, garbage, "SSLCAFile " + garbage + ": no PEM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ServerTLSConfig(tt.cert, tt.key, tt.ca, true)
			if err == nil || !strings.Contains(err.Error(), tt.expect) {
				t.Errorf("err = %v, want one containing %q", err, tt.expect)
			}
		})
	}
	tc, err := ServerTLSConfig(p.certFile, p.keyFile, p.caFile, true)
	if err != nil {
		t.Fatal(err)
	}
	if tc.ClientAuth != tls.VerifyClientCertIfGiven || tc.ClientCAs == nil || tc.MinVersion != tls.VersionTLS12 {
		t.Errorf("mutual config: ClientAuth %v ClientCAs %v MinVersion %x", tc.ClientAuth, tc.ClientCAs != nil, tc.MinVersion)
	}
	if _, err := ServerTLSConfig(p.certFile, p.keyFile, missing, false); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing CA err = %v, want it to wrap os.ErrNotExist", err)
	}
}

// TestForwardToLeaderOverMutualTLS: with UseSSL and UseMutualTLS, a write
// sent to a follower reaches the leader over HTTPS, the follower presenting
// its own certificate (OU checked by the leader like a client's), and the
// leader's answer comes back.
func TestForwardToLeaderOverMutualTLS(t *testing.T) {
	p := newPKI(t)
	nodeCert, nodeKey := p.ca.Issue(t, "node", []string{"regent"}, true, true)
	certFile, keyFile := writeFile(t, p.dir, "node.pem", nodeCert), writeFile(t, p.dir, "node.key", nodeKey)
	node := func(c Cluster, forwardTo ...string) (*Server, *fakeOps) {
		tc, err := ServerTLSConfig(certFile, keyFile, p.caFile, true)
		if err != nil {
			t.Fatal(err)
		}
		ops := &fakeOps{}
		s := New(Options{TLS: TLSOptions{Config: tc, Mutual: true, ValidOUs: []string{"regent"}}, ForwardTo: forwardTo}, c,
			prometheus.NewRegistry(), zerolog.Nop())
		v := staticViews{testView(t)}
		s.RegisterRead(v, &fakeInventory{v: v.v}, 3306)
		s.RegisterRecovery(v, foldReader{testFold(t)}, ops)
		return s, ops
	}
	leaderSrv, leaderOps := node(leader())
	leaderAddr := runTLS(t, leaderSrv)
	followerSrv, followerOps := node(&fakeCluster{l: Leadership{Known: true, Leader: "n2:10008", LeaderAddr: leaderAddr}}, leaderAddr)
	followerAddr := runTLS(t, followerSrv)
	c := client(t, p.ca.PEM, nodeCert, nodeKey)
	code, body, err := fetch(c, "https://"+followerAddr+"/api/disable-global-recoveries")
	if err != nil || code != 200 || !strings.Contains(body, `"Code":"OK"`) {
		t.Fatalf("forwarded write: %d %s %v", code, body, err)
	}
	if followerOps.count() != 0 || leaderOps.count() != 1 {
		t.Fatalf("follower ran %v, leader ran %v", followerOps.calls, leaderOps.calls)
	}
	code, body, err = fetch(c, "https://"+followerAddr+"/api/status")
	if err != nil || code != 200 {
		t.Fatalf("status: %d %s %v", code, body, err)
	}
	if !strings.Contains(body, `"https://`+leaderAddr+`"`) {
		t.Errorf("status does not name the leader's https URI: %s", body)
	}
}
