package natsclient

import (
	"strings"
	"testing"

	"github.com/regent-ha/regent/test/tlstest"
)

// TestAuthNamesOneIdentity: two identities at once, or a password without
// a user, are refused before anything connects.
func TestAuthNamesOneIdentity(t *testing.T) {
	for _, a := range []Auth{{User: "u", Token: "t"}, {Token: "t", CredsFile: "/c"}, {User: "u", CredsFile: "/c"}, {Password: "p"}} {
		if _, err := Connect(Options{Servers: []string{"nats://127.0.0.1:1"}, Auth: a}); err == nil ||
			!(strings.Contains(err.Error(), "one NATS identity") || strings.Contains(err.Error(), "password without a user")) {
			t.Errorf("%+v: %v", a, err)
		}
	}
	if _, err := Connect(Options{}); err == nil || !strings.Contains(err.Error(), "no NATS server URL") {
		t.Errorf("no servers: %v", err)
	}
}

// TestTLSFilesLoad: nothing given is no TLS; a missing file is named; a
// server config requires client certificates when a CA is given.
func TestTLSFilesLoad(t *testing.T) {
	if tc, err := (TLSFiles{}).Load(true); tc != nil || err != nil {
		t.Errorf("no files: %v %v", tc, err)
	}
	if _, err := (TLSFiles{CAFile: "/nonexistent/ca.pem"}).Load(false); err == nil || !strings.Contains(err.Error(), "/nonexistent/ca.pem") {
		t.Errorf("missing CA: %v", err)
	}
	dir := t.TempDir()
	ca := tlstest.NewCA(t, "natsclient test CA")
	cert, key := ca.Issue(t, "127.0.0.1", nil, true, false)
	f := TLSFiles{CertFile: tlstest.WriteFile(t, dir, "c.pem", cert), KeyFile: tlstest.WriteFile(t, dir, "c.key", key), CAFile: tlstest.WriteFile(t, dir, "ca.pem", ca.PEM)}
	srv, err := f.Load(true)
	if err != nil || srv.ClientCAs == nil || srv.RootCAs == nil || len(srv.Certificates) != 1 {
		t.Fatalf("server shape: %+v %v", srv, err)
	}
	cl, err := f.Load(false)
	if err != nil || cl.ClientCAs != nil || cl.RootCAs == nil {
		t.Fatalf("client shape: %+v %v", cl, err)
	}
	if _, err := (TLSFiles{CAFile: f.CertFile + ".missing"}).Load(false); err == nil {
		t.Error("a missing CA loaded")
	}
}

// Defaults fills only what the flags leave open: the local identity when
// none is named (a user@ URL names one), the certificate pair when neither
// file is given, the CA when none is.
func TestOptionsDefaults(t *testing.T) {
	local := Options{Auth: Auth{User: "reader", Password: "derived"}, TLS: TLSFiles{CertFile: "n.crt", KeyFile: "n.key", CAFile: "ca.pem"}}
	got := Options{Servers: []string{"nats://127.0.0.1:4222"}}.Defaults(local)
	if got.Auth != local.Auth || got.TLS != local.TLS {
		t.Errorf("nothing given: %+v", got)
	}
	got = Options{Servers: []string{"nats://a:4222", "nats://bob:pw@b:4222"}, TLS: TLSFiles{KeyFile: "own.key"}}.Defaults(local)
	if got.Auth != (Auth{}) || got.TLS != (TLSFiles{KeyFile: "own.key", CAFile: "ca.pem"}) {
		t.Errorf("user in a URL and an own key: %+v", got)
	}
	got = Options{Servers: []string{"nats://a:4222"}, Auth: Auth{Token: "t"}, TLS: TLSFiles{CAFile: "own-ca.pem"}}.Defaults(local)
	if got.Auth != (Auth{Token: "t"}) || got.TLS != (TLSFiles{CertFile: "n.crt", KeyFile: "n.key", CAFile: "own-ca.pem"}) {
		t.Errorf("a token and an own CA: %+v", got)
	}
}
