package probes

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tlsFiles writes a self-signed CA and a client certificate and key signed
// by it; it returns their paths.
func tlsFiles(t *testing.T) (ca, cert, key string) {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "regent test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	cliKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cliTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "regent"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	cliDER, err := x509.CreateCertificate(rand.Reader, cliTmpl, caTmpl, &cliKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(cliKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("client.pem", "CERTIFICATE", cliDER), write("client.key", "EC PRIVATE KEY", keyDER)
}

func TestTLSOptionsConfig(t *testing.T) {
	ca, cert, key := tlsFiles(t)
	notPEM := filepath.Join(t.TempDir(), "garbage.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	given := &tls.Config{ServerName: "given"}
	type want struct {
		plain, mixed, skipVerify, roots bool
		certs                           int
		err                             string // substring; "" means no error
	}
	for _, c := range []struct {
		name string
		o    TLSOptions
		want want
	}{
		{"nothing set: plain text", TLSOptions{}, want{plain: true}},
		{"skip-verify alone does not turn TLS on", TLSOptions{SkipVerify: true}, want{plain: true}},
		{"CA: verified TLS", TLSOptions{CAFile: ca}, want{roots: true}},
		{"CA and skip-verify", TLSOptions{CAFile: ca, SkipVerify: true}, want{roots: true, skipVerify: true}},
		{"mutual: client certificate", TLSOptions{CAFile: ca, CertFile: cert, KeyFile: key, UseMutualTLS: true}, want{roots: true, certs: 1}},
		{"mutual without a CA verifies against the system roots", TLSOptions{CertFile: cert, KeyFile: key, UseMutualTLS: true}, want{certs: 1}},
		{"mixed without a CA encrypts without verifying", TLSOptions{UseMixedTLS: true}, want{mixed: true, skipVerify: true}},
		{"mixed with a CA verifies", TLSOptions{UseMixedTLS: true, CAFile: ca}, want{mixed: true, roots: true}},
		{"mutual wins over mixed", TLSOptions{UseMixedTLS: true, UseMutualTLS: true, CAFile: ca}, want{roots: true}},
		{"missing CA file", TLSOptions{CAFile: filepath.Join(t.TempDir(), "nope.pem")}, want{err: "MySQLTopologySSLCAFile"}},
		{"CA file without PEM", TLSOptions{CAFile: notPEM}, want{err: "MySQLTopologySSLCAFile " + notPEM + ": no PEM certificates"}},
		{"missing key file", TLSOptions{CAFile: ca, CertFile: cert, KeyFile: key + ".missing", UseMutualTLS: true}, want{err: "MySQLTopologySSLPrivateKeyFile"}},
		{"cert file is not a certificate", TLSOptions{CertFile: notPEM, KeyFile: key, UseMutualTLS: true}, want{err: "MySQLTopologySSLCertFile"}},
		{"key without cert", TLSOptions{KeyFile: key, UseMutualTLS: true}, want{err: "MySQLTopologySSLCertFile"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, mixed, err := c.o.tlsConfig()
			if c.want.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.want.err) {
					t.Fatalf("err %v, want one naming %q", err, c.want.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (cfg == nil) != c.want.plain {
				t.Fatalf("config %v, want plain text %v", cfg, c.want.plain)
			}
			if mixed != c.want.mixed {
				t.Errorf("mixed %v, want %v", mixed, c.want.mixed)
			}
			if cfg == nil {
				return
			}
			if cfg.InsecureSkipVerify != c.want.skipVerify || (cfg.RootCAs != nil) != c.want.roots || len(cfg.Certificates) != c.want.certs {
				t.Errorf("skip-verify %v roots %v certs %d, want %+v", cfg.InsecureSkipVerify, cfg.RootCAs != nil, len(cfg.Certificates), c.want)
			}
			if cfg.MinVersion != tls.VersionTLS12 {
				t.Errorf("min version %x", cfg.MinVersion)
			}
		})
	}
	cfg, mixed, err := TLSOptions{Config: given, CAFile: notPEM, UseMixedTLS: true}.tlsConfig()
	if err != nil || cfg != given || !mixed {
		t.Errorf("a given Config is used as is, files ignored: %v %v %v", cfg, mixed, err)
	}
}
