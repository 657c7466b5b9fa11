package mysqlconn

import (
	"context"
	"crypto/tls"
	"database/sql"
	"database/sql/driver"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/regent-ha/regent/test/fakemysql"
	"github.com/regent-ha/regent/test/tlstest"
)

// fakeServer starts a fake MySQL server offering TLS with a certificate for
// 127.0.0.1 issued by ca.
func fakeServer(t *testing.T, ca *tlstest.CA) (*fakemysql.Server, string, int) {
	t.Helper()
	certPEM, keyPEM := ca.Issue(t, "127.0.0.1", nil, true, false)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return fakemysql.StartTLS(t, cert)
}

// login connects once with d's configuration and returns what the server
// saw.
func login(t *testing.T, d *Dialer, s *fakemysql.Server, host string, port int) fakemysql.Login {
	t.Helper()
	cfg := d.Config(host, port)
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err == nil {
		t.Fatal("the fake server accepted a login")
	}
	l, ok := s.Next(5 * time.Second)
	if !ok {
		t.Fatal("the fake server saw no login")
	}
	return l
}

// TestDialerSendsCredentialsInsideTLS: with the topology TLS settings the
// credentials go to the server inside TLS (mixed mode: whenever the server
// offers it; with a CA: verified), and without them in clear — what any
// server Regent is pointed at would see.
func TestDialerSendsCredentialsInsideTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "mysqlconn test CA")
	caFile := tlstest.WriteFile(t, t.TempDir(), "ca.pem", ca.PEM)
	s, host, port := fakeServer(t, ca)
	for _, tt := range []struct {
		name string
		tls  TLSOptions
		want bool
	}{
		{"no TLS settings", TLSOptions{}, false},
		{"mixed (orchestrator's default)", TLSOptions{UseMixedTLS: true}, true},
		{"CA verified", TLSOptions{CAFile: caFile}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(Options{User: "regent", Password: "pw", ConnectTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second, TLS: tt.tls})
			if err != nil {
				t.Fatal(err)
			}
			l := login(t, d, s, host, port)
			if l.TLS != tt.want || l.User != "regent" {
				t.Errorf("login %+v, want TLS %v as regent", l, tt.want)
			}
		})
	}
	other := tlstest.NewCA(t, "another CA")
	d, err := New(Options{User: "regent", Password: "pw", ConnectTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second,
		TLS: TLSOptions{CAFile: tlstest.WriteFile(t, t.TempDir(), "other.pem", other.PEM)}})
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(mustConnector(t, d.Config(host, port)))
	defer db.Close()
	_ = db.Ping() // fails either way: what matters is what the server saw
	if l, ok := s.Next(500 * time.Millisecond); ok {
		t.Errorf("credentials reached a server that failed verification: %+v", l)
	}
}

func mustConnector(t *testing.T, cfg *mysql.Config) driver.Connector {
	t.Helper()
	c, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDialerConfig: credentials, address and timeouts are set; each call
// returns a new config.
func TestDialerConfig(t *testing.T) {
	d, err := New(Options{User: "u", Password: "p", ConnectTimeout: time.Second, ReadTimeout: 3 * time.Second, TLS: TLSOptions{UseMixedTLS: true}})
	if err != nil {
		t.Fatal(err)
	}
	a, b := d.Config("fd00::1", 3307), d.Config("h", 3306)
	if a == b || a.Addr != "[fd00::1]:3307" || b.Addr != "h:3306" || a.Net != "tcp" {
		t.Errorf("addresses %q %q", a.Addr, b.Addr)
	}
	if a.User != "u" || a.Passwd != "p" || a.Timeout != time.Second || a.ReadTimeout != 3*time.Second || a.WriteTimeout != 3*time.Second {
		t.Errorf("config %+v", a)
	}
	if tc, mixed := d.TLS(); a.TLS != tc || tc == nil || !mixed || !a.AllowFallbackToPlaintext {
		t.Errorf("TLS %v mixed %v fallback %v", a.TLS, mixed, a.AllowFallbackToPlaintext)
	}
}
