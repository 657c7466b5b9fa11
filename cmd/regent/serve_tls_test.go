package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/test/natstest"
	"github.com/regent-ha/regent/test/tlstest"
)

// testPKI is a throw-away CA with a server certificate for 127.0.0.1 and a
// client certificate (OU "dba"), written as PEM files in dir.
type testPKI struct {
	caFile, certFile, keyFile, clientCert, clientKey string
	caPEM                                            []byte
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "regent test CA")
	serverCert, serverKey := ca.Issue(t, "127.0.0.1", nil, true, false)
	clientCert, clientKey := ca.Issue(t, "alice", []string{"dba"}, false, true)
	return testPKI{caFile: tlstest.WriteFile(t, dir, "ca.pem", ca.PEM), caPEM: ca.PEM,
		certFile: tlstest.WriteFile(t, dir, "server.pem", serverCert), keyFile: tlstest.WriteFile(t, dir, "server.key", serverKey),
		clientCert: tlstest.WriteFile(t, dir, "client.pem", clientCert), clientKey: tlstest.WriteFile(t, dir, "client.key", clientKey)}
}

// clientTLS trusts the test CA and, with withCert, presents the client
// certificate.
func (p testPKI) clientTLS(t *testing.T, withCert bool) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(p.caPEM)
	tc := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if withCert {
		pair, err := tls.LoadX509KeyPair(p.clientCert, p.clientKey)
		if err != nil {
			t.Fatal(err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	return tc
}

// serveInProcess runs serve with the given keys (ports and data dir are
// filled in) until the test ends, and returns the effective config.
func serveInProcess(t *testing.T, keys map[string]string) config.Config {
	t.Helper()
	flags := map[string]string{"ListenAddress": addr(natstest.FreePort(t)), "NATSListenAddress": addr(natstest.FreePort(t)),
		"RaftDataDir": filepath.Join(t.TempDir(), "data"), "LogLevel": "warn", "LogFormat": "json"}
	for k, v := range keys {
		flags[k] = v
	}
	cfg, _, err := config.Load(config.LoadOptions{SearchPaths: []string{}, Flags: flags})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var errOut bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, env{stdout: io.Discard, stderr: &errOut}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not return within 10 s of cancel")
		}
	})
	return cfg
}

// waitURL polls url with c until it answers want (bounded by 15 s).
func waitURL(t *testing.T, c *http.Client, url string, want int) {
	t.Helper()
	natstest.Eventually(t, 15*time.Second, 50*time.Millisecond, func() error {
		resp, err := c.Get(url)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			return fmt.Errorf("%s: %d %s", url, resp.StatusCode, b)
		}
		return nil
	})
}

// TestServeHTTPSWithMutualTLS: UseSSL serves the API over HTTPS only, and
// UseMutualTLS lets only a client certificate with a valid OU through
// (StatusEndpoint stays open for load balancers).
func TestServeHTTPSWithMutualTLS(t *testing.T) {
	p := newTestPKI(t)
	cfg := serveInProcess(t, map[string]string{"UseSSL": "true", "SSLCertFile": p.certFile, "SSLPrivateKeyFile": p.keyFile,
		"SSLCAFile": p.caFile, "UseMutualTLS": "true", "SSLValidOUs": `["dba"]`})
	withCert := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: p.clientTLS(t, true)}}
	noCert := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: p.clientTLS(t, false)}}
	t.Cleanup(withCert.CloseIdleConnections)
	t.Cleanup(noCert.CloseIdleConnections)
	base := "https://" + cfg.ListenAddress
	waitURL(t, withCert, base+"/api/raft-health", 200)
	waitURL(t, noCert, base+"/api/status", 200)
	waitURL(t, noCert, base+"/api/raft-health", 401)
	code, body, err := httpGet("http://" + cfg.ListenAddress + "/api/status")
	if err == nil && code == 200 {
		t.Errorf("plain HTTP on the HTTPS port answered 200: %s", body)
	}
}

// TestServeRefusesUnreadableCertificate: UseSSL with a missing key file is
// a config error naming the key, before anything starts.
func TestServeRefusesUnreadableCertificate(t *testing.T) {
	p := newTestPKI(t)
	missing := filepath.Join(t.TempDir(), "missing.key")
	_, _, err := config.Load(config.LoadOptions{SearchPaths: []string{}, Flags: map[string]string{
		"UseSSL": "true", "SSLCertFile": p.certFile, "SSLPrivateKeyFile": missing}})
	if err == nil || !strings.Contains(err.Error(), `key "SSLPrivateKeyFile": cannot read `+missing) {
		t.Fatalf("err = %v, want one naming SSLPrivateKeyFile", err)
	}
}

// TestServeNATSClientAuthAndTLS: the embedded node's client port enforces
// NATSUser/NATSPassword (the admin identity) and NATSTLS* (client
// certificates verified against NATSTLSCAFile) besides the derived roles,
// while the node itself runs.
func TestServeNATSClientAuthAndTLS(t *testing.T) {
	p := newTestPKI(t)
	tests := []struct {
		name   string
		keys   map[string]string
		scheme string
		good   []nats.Option
		bad    [][]nats.Option
	}{
		{"user and password", map[string]string{"NATSUser": "regent", "NATSPassword": "s3cret"}, "nats",
			[]nats.Option{nats.UserInfo("regent", "s3cret")},
			[][]nats.Option{nil, {nats.UserInfo("regent", "wrong")}, {nats.Token("s3cret")}}},
		{"tls with client certificates", map[string]string{"NATSTLSCertFile": p.certFile, "NATSTLSKeyFile": p.keyFile, "NATSTLSCAFile": p.caFile,
			"NATSClusterSecret": testSecret}, "tls",
			[]nats.Option{nats.Secure(p.clientTLS(t, true)), testAuth(t, natsnode.RoleReader)},
			[][]nats.Option{nil, {nats.Secure(p.clientTLS(t, true))}, {nats.Secure(p.clientTLS(t, false)), testAuth(t, natsnode.RoleReader)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := serveInProcess(t, tt.keys)
			waitURL(t, &http.Client{Timeout: 2 * time.Second}, "http://"+cfg.ListenAddress+"/api/raft-health", 200)
			t.Cleanup(http.DefaultClient.CloseIdleConnections)
			url := tt.scheme + "://" + cfg.NATSListenAddress
			for i, opts := range tt.bad {
				if nc, err := nats.Connect(url, append(opts, nats.Timeout(2*time.Second), nats.NoReconnect())...); err == nil {
					nc.Close()
					t.Errorf("connection %d without the right credentials was accepted", i)
				}
			}
			nc, err := nats.Connect(url, append(tt.good, nats.Timeout(2*time.Second), nats.NoReconnect())...)
			if err != nil {
				t.Fatalf("connect with the right credentials: %v", err)
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := js.Stream(ctx, events.EventsName); err != nil {
				t.Errorf("stream %s through the authenticated connection: %v", events.EventsName, err)
			}
		})
	}
}

// TestServeExternalNATSStreamReplicas: on an external 3-node JetStream
// cluster the streams get NATSStreamReplicas replicas.
func TestServeExternalNATSStreamReplicas(t *testing.T) {
	nodes, _ := natstest.Cluster(t, 3)
	urls := make([]string, len(nodes))
	for i, n := range nodes {
		urls[i] = `"` + n.ClientURL() + `"`
	}
	// natstest's nodes take any client credentials; Regent refuses to
	// connect to an external NATS without any.
	cfg := serveInProcess(t, map[string]string{"NATSServers": "[" + strings.Join(urls, ",") + "]",
		"NATSStreamReplicas": "3", "NATSMaxStoreMB": "200", "NATSUser": "regent", "NATSPassword": "pw"})
	waitURL(t, &http.Client{Timeout: 2 * time.Second}, "http://"+cfg.ListenAddress+"/api/raft-health", 200)
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	nc := natstest.Conn(t, nodes[1])
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{events.EventsName, events.ObservationsName} {
		natstest.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			s, err := js.Stream(ctx, name)
			if err != nil {
				return err
			}
			info := s.CachedInfo()
			if info.Config.Replicas != 3 {
				return fmt.Errorf("%s: %d replicas configured, want 3", name, info.Config.Replicas)
			}
			if info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
				return fmt.Errorf("%s: cluster info %+v, want a leader and 2 replicas", name, info.Cluster)
			}
			return nil
		})
	}
}
