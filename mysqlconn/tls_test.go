package mysqlconn

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/regent-ha/regent/test/tlstest"
)

// tlsFiles writes a throw-away CA and a client certificate and key signed
// by it; it returns their paths.
func tlsFiles(t *testing.T) (ca, cert, key string) {
	t.Helper()
	dir := t.TempDir()
	c := tlstest.NewCA(t, "regent test CA")
	certPEM, keyPEM := c.Issue(t, "regent", nil, false, true)
	return tlstest.WriteFile(t, dir, "ca.pem", c.PEM), tlstest.WriteFile(t, dir, "client.pem", certPEM),
		tlstest.WriteFile(t, dir, "client.key", keyPEM)
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
			cfg, mixed, err := c.o.Build()
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
	cfg, mixed, err := TLSOptions{Config: given, CAFile: notPEM, UseMixedTLS: true}.Build()
	if err != nil || cfg != given || !mixed {
		t.Errorf("a given Config is used as is, files ignored: %v %v %v", cfg, mixed, err)
	}
}
