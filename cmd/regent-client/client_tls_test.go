package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHTTPSAPIWithTLSEnvironment: an https API whose certificate the system
// does not trust is refused, and reached with REGENT_TLS_CA_FILE or
// REGENT_TLS_SKIP_VERIFY=1; a server that requires a client certificate is
// reached with REGENT_TLS_CERT_FILE/REGENT_TLS_KEY_FILE.
func TestHTTPSAPIWithTLSEnvironment(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"ClusterName": "c1:3306"}]`))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		env      map[string]string
		wantCode int
		wantErr  string
	}{
		{"untrusted", nil, 1, "Cannot access"},
		{"CA file", map[string]string{"REGENT_TLS_CA_FILE": caFile}, 0, ""},
		{"skip verify", map[string]string{"REGENT_TLS_SKIP_VERIFY": "1"}, 0, ""},
		{"missing CA file", map[string]string{"REGENT_TLS_CA_FILE": filepath.Join(dir, "nope.pem")}, 1, "REGENT_TLS_CA_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"ORCHESTRATOR_API": srv.URL}
			for k, v := range tt.env {
				env[k] = v
			}
			res := runCLI(t, env, "-c", "clusters")
			if res.code != tt.wantCode || !strings.Contains(res.stderr, tt.wantErr) {
				t.Fatalf("code %d stdout %q stderr %q, want code %d and stderr with %q", res.code, res.stdout, res.stderr, tt.wantCode, tt.wantErr)
			}
			if tt.wantCode == 0 && strings.TrimSpace(res.stdout) != "c1:3306" {
				t.Errorf("stdout %q, want c1:3306", res.stdout)
			}
		})
	}
}

// TestHTTPSAPIWithClientCertificate: mutual TLS needs the client pair.
func TestHTTPSAPIWithClientCertificate(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"ClusterName": "c1:3306"}]`))
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	// The test server's own pair doubles as the client's certificate.
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	cert := srv.TLS.Certificates[0]
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"ORCHESTRATOR_API": srv.URL, "REGENT_TLS_SKIP_VERIFY": "true"}
	if res := runCLI(t, base, "-c", "clusters"); res.code != 1 {
		t.Errorf("without a client certificate: code %d stdout %q, want 1", res.code, res.stdout)
	}
	base["REGENT_TLS_CERT_FILE"], base["REGENT_TLS_KEY_FILE"] = certFile, keyFile
	if res := runCLI(t, base, "-c", "clusters"); res.code != 0 || strings.TrimSpace(res.stdout) != "c1:3306" {
		t.Errorf("with a client certificate: code %d stdout %q stderr %q", res.code, res.stdout, res.stderr)
	}
}
