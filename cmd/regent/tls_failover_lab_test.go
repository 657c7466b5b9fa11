package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/mysqlconn"
	"github.com/regent-ha/regent/test/lab"
	"github.com/regent-ha/regent/test/tlstest"
)

// requireTLS gives each lab host a certificate for its address signed by
// ca, restarts it with require_secure_transport=ON, and makes the replicas
// replicate over verified TLS (MASTER_SSL, which a later CHANGE MASTER
// keeps). It returns the CA file for Regent.
func requireTLS(t *testing.T, l *lab.Lab) string {
	t.Helper()
	ca := tlstest.NewCA(t, "regent lab CA")
	caFile := tlstest.WriteFile(t, t.TempDir(), "ca.pem", ca.PEM)
	for i := 1; i <= l.Hosts(); i++ {
		h := l.Host(i)
		certPEM, keyPEM := ca.Issue(t, h.IP, nil, true, false)
		cnf := fmt.Sprintf("ssl_ca=%s\nssl_cert=%s\nssl_key=%s\nrequire_secure_transport=ON\n",
			tlstest.WriteFile(t, h.Dir, "ca.pem", ca.PEM), tlstest.WriteFile(t, h.Dir, "server.pem", certPEM),
			tlstest.WriteFile(t, h.Dir, "server.key", keyPEM))
		f, err := os.OpenFile(filepath.Join(h.Dir, "my.cnf"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.WriteString(cnf)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		l.Stop(i)
		l.Start(i)
	}
	for i := 2; i <= l.Hosts(); i++ {
		l.MustSQL(i, "STOP SLAVE")
		l.MustSQL(i, fmt.Sprintf("CHANGE MASTER TO MASTER_SSL=1, MASTER_SSL_CA='%s', MASTER_SSL_VERIFY_SERVER_CERT=1", filepath.Join(l.Host(i).Dir, "ca.pem")))
		l.MustSQL(i, "START SLAVE")
	}
	lab.Eventually(t, 15*time.Second, 100*time.Millisecond, func() error {
		for _, h := range l.Status() {
			if h.Index != 1 && !h.Replicating() {
				return fmt.Errorf("not replicating over TLS yet: %s", h)
			}
		}
		return nil
	})
	return caFile
}

// checkTLSRequired shows, from controller 1, that host 2 refuses the
// topology user over plain TCP (MariaDB 10.11 answers "Access denied" to a
// login without TLS under require_secure_transport) and accepts it over TLS
// verified with caFile — the connection mysqlconn builds for Regent.
func checkTLSRequired(t *testing.T, l *lab.Lab, caFile string) {
	t.Helper()
	ns, _ := l.Controller(1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	plain, err := lab.OpenFrom(ns, l.Host(2).Addr, "regent", "regent")
	if err != nil {
		t.Fatal(err)
	}
	err = plain.PingContext(ctx)
	_ = plain.Close()
	if n, ok := mysqlconn.ErrorNumber(err); !ok || n != mysqlconn.ErAccessDenied {
		t.Fatalf("a plain connection to host 2: %v, want it refused", err)
	}
	d, err := mysqlconn.New(mysqlconn.Options{User: "regent", Password: "regent", ConnectTimeout: 2 * time.Second,
		ReadTimeout: 5 * time.Second, TLS: mysqlconn.TLSOptions{CAFile: caFile}})
	if err != nil {
		t.Fatal(err)
	}
	pools := d.NewPools(mysqlconn.PoolOptions{Adjust: func(c *mysqlconn.Config) {
		c.DialFunc = func(ctx context.Context, _, addr string) (net.Conn, error) { return lab.DialFrom(ctx, ns, addr) }
	}})
	defer pools.Close()
	p, err := pools.Get(l.Host(2).IP, 3306)
	if err != nil {
		t.Fatal(err)
	}
	var name, cipher string
	if err := p.DB.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil || cipher == "" {
		t.Fatalf("over TLS: cipher %q, %v", cipher, err)
	}
	t.Logf("host 2 refuses plain TCP and accepts verified TLS (%s)", cipher)
}

// TestLabFailoverWithRequiredTLS: every server requires secure transport
// (require_secure_transport=ON); Regent, given the CA in
// MySQLTopologySSLCAFile and mixed TLS off, observes the topology and,
// when the primary is SIGKILLed, fails over: the recovery's statements on
// the replicas (stop, reset, read_only, CHANGE MASTER) went over verified
// TLS, since a plain connection is refused.
func TestLabFailoverWithRequiredTLS(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3, Controllers: 3})
	start := time.Now() // after the lab lock and the lab's own start
	caFile := requireTLS(t, l)
	t.Logf("TLS required on every host after %s", time.Since(start).Round(time.Millisecond))
	checkTLSRequired(t, l, caFile)
	l.VIPAdd(1)
	hookLog := filepath.Join(t.TempDir(), "hooks.log")
	t.Logf("TLS checked after %s", time.Since(start).Round(time.Millisecond))
	c := startLabCluster(t, l, 3, recoveryConf(t, l, hookLog,
		fmt.Sprintf(`"MySQLTopologySSLCAFile": %q, "MySQLTopologyUseMixedTLS": false`, caFile)))
	discoverLab(t, c)
	t.Logf("discovered after %s", time.Since(start).Round(time.Millisecond))
	l.Kill(1)
	killed := time.Now()
	var primary int
	lab.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
		var err error
		primary, err = converged(l, 1)
		return err
	})
	t.Logf("converged on host %d %s after SIGKILL, every server requiring TLS", primary, time.Since(killed).Round(time.Millisecond))
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		counts, _ := eventKinds(t, "198.18.0.101:4222")
		if counts[events.KindRecoveryStarted] != 1 || counts[events.KindRecoveryCompleted] != 1 || counts[events.KindRecoveryFailed] != 0 {
			return fmt.Errorf("recoveries in the log: %v", counts)
		}
		return nil
	})
}
