package mysql_test

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/regent-ha/regent/actuators/mysql"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/mysqlconn"
	"github.com/regent-ha/regent/test/fakemysql"
	"github.com/regent-ha/regent/test/tlstest"
)

// newDB is mysql.New for tests; the DB is closed by the test's cleanup.
func newDB(t testing.TB, o mysql.Options) *mysql.DB {
	t.Helper()
	db, err := mysql.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestActuatorConnectionsUseTopologyTLS: the actuators' connections carry
// the MySQLTopologySSL* settings (before, they logged in in clear where
// the probes used TLS); New refuses TLS files that do not load.
func TestActuatorConnectionsUseTopologyTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "actuator test CA")
	certPEM, keyPEM := ca.Issue(t, "127.0.0.1", nil, true, false)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	s, host, port := fakemysql.StartTLS(t, cert)
	caFile := tlstest.WriteFile(t, t.TempDir(), "ca.pem", ca.PEM)
	for _, tt := range []struct {
		name string
		tls  mysqlconn.TLSOptions
		want bool
	}{
		{"none", mysqlconn.TLSOptions{}, false},
		{"mixed", mysqlconn.TLSOptions{UseMixedTLS: true}, true},
		{"verified", mysqlconn.TLSOptions{CAFile: caFile, UseMutualTLS: false}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := newDB(t, mysql.Options{Conn: mysqlconn.Options{User: "regent", Password: "pw", TLS: tt.tls}})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := db.SetReadOnly(ctx, events.InstanceKey{Hostname: host, Port: port}, true); err == nil {
				t.Fatal("SetReadOnly succeeded against a server that refuses every login")
			}
			l, ok := s.Next(5 * time.Second)
			if !ok || l.TLS != tt.want || l.User != "regent" {
				t.Errorf("login %+v (seen %v), want TLS %v as regent", l, ok, tt.want)
			}
		})
	}
	if _, err := mysql.New(mysql.Options{Conn: mysqlconn.Options{TLS: mysqlconn.TLSOptions{CAFile: caFile + ".missing"}}}); err == nil {
		t.Error("New accepted a missing MySQLTopologySSLCAFile")
	}
}
