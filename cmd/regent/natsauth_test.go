package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/test/natstest"
)

// testSecret is the NATSClusterSecret of the tests' clusters.
const testSecret = "regent-test-shared-nats-secret-01"

// testAuth authenticates as role on a node whose secret is testSecret.
func testAuth(t testing.TB, role string) nats.Option {
	t.Helper()
	return secretAuth(t, testSecret, role)
}

// secretAuth authenticates as role (node roles: as node "regent-1") on a
// node whose cluster secret is secret.
func secretAuth(t testing.TB, secret, role string) nats.Option {
	t.Helper()
	creds, err := natsnode.NewCredentials(secret)
	if err != nil {
		t.Fatal(err)
	}
	user, err := natsnode.RoleUser(role, "regent-1")
	if err != nil {
		t.Fatal(err)
	}
	return nats.UserInfo(user, creds.Password(user))
}

// dataDirAuth authenticates as role on the single node whose data
// directory is dir (the secret it generated there).
func dataDirAuth(t testing.TB, dir, role string) nats.Option {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, natsnode.SecretFileName))
	if err != nil {
		t.Fatalf("the node's generated NATS secret: %v", err)
	}
	return secretAuth(t, strings.TrimSpace(string(b)), role)
}

// anonymousRefused: a client with no credentials is refused by url.
func anonymousRefused(t testing.TB, url string) {
	t.Helper()
	nc, err := nats.Connect(url, nats.Timeout(2*time.Second), nats.NoReconnect())
	if err == nil {
		nc.Close()
	}
	if !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("anonymous NATS client on %s: %v, want an authorization violation", url, err)
	}
}

// TestDefaultNodeGeneratesItsNATSSecret: a default single node (no
// credentials configured) refuses anonymous NATS clients, generates its
// secret once in RaftDataDir (mode 0600) and keeps it across restarts, and
// `regent nats-url --role reader` gives the NATS CLI a working URL.
func TestDefaultNodeGeneratesItsNATSSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	keys := map[string]string{"RaftDataDir": dir}
	cfg := serveInProcess(t, keys)
	waitURL(t, &http.Client{Timeout: 2 * time.Second}, "http://"+cfg.ListenAddress+"/api/raft-health", 200)
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	anonymousRefused(t, "nats://"+cfg.NATSListenAddress)
	fi, err := os.Stat(filepath.Join(dir, natsnode.SecretFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("generated secret: %v, mode %v, want 0600", err, fi)
	}
	first, _ := os.ReadFile(filepath.Join(dir, natsnode.SecretFileName))
	code, url, errs := runCmd(t, runNATSURL, "--role", "reader", "--data-dir", dir, "--set", "NATSListenAddress="+cfg.NATSListenAddress)
	url = strings.TrimSpace(url)
	if code != 0 || !strings.HasPrefix(url, "nats://reader:") || !strings.HasSuffix(url, "@"+cfg.NATSListenAddress) {
		t.Fatalf("nats-url --role reader: %d %q %s", code, url, errs)
	}
	names := streamNames(t, url)
	if !strings.Contains(strings.Join(names, " "), events.EventsName) {
		t.Errorf("reader lists streams %v", names)
	}
	if cli := natsCLI(t); cli != "" {
		out, err := exec.Command(cli, "-s", url, "stream", "ls", "--names").CombinedOutput()
		if err != nil || !strings.Contains(string(out), events.EventsName) || !strings.Contains(string(out), events.ObservationsName) {
			t.Errorf(`nats -s "$(regent nats-url --role reader)" stream ls: %v\n%s`, err, out)
		}
	}
	if code, _, errs := runCmd(t, runNATSURL, "--role", "root", "--data-dir", dir); code == 0 || !strings.Contains(errs, `"root"`) {
		t.Errorf("nats-url --role root: %d %s, want an error naming the role", code, errs)
	}
	// A second node on the same data directory (after this one) reuses the
	// secret: the file is unchanged.
	again, err := natsnode.ClusterSecret(natsnode.SecretSource{Secret: cfg.NATSClusterSecret, Clustered: cfg.Clustered(), DataDir: cfg.RaftDataDir}, true)
	if err != nil || again != strings.TrimSpace(string(first)) {
		t.Errorf("secret on restart: %q (%v), want the stored one", again, err)
	}
}

// TestEmbeddedNATSTokenRefused: NATSToken cannot guard the embedded node
// (nats-server takes users or a token); config check and serve say so.
func TestEmbeddedNATSTokenRefused(t *testing.T) {
	_, _, err := config.Load(config.LoadOptions{SearchPaths: []string{}, Flags: map[string]string{"NATSToken": "t0ken"}})
	if err == nil || !strings.Contains(err.Error(), `key "NATSToken"`) {
		t.Errorf("config: %v, want an error naming NATSToken", err)
	}
	cfg := config.Default()
	cfg.RaftDataDir = t.TempDir()
	cfg.NATSToken = "t0ken"
	cfg.NATSListenAddress = addr(natstest.FreePort(t))
	n, err := startNode(context.Background(), cfg, zerolog.Nop(), "test")
	if err == nil {
		n.close()
	}
	if err == nil || !strings.Contains(err.Error(), "NATSToken") {
		t.Errorf("serve with NATSToken: %v, want an error naming it", err)
	}
}

// TestForgedObservationsRejectedAndCounted: observations from an origin
// that is not a configured node, on a subject that disagrees with their
// origin, or dated beyond the clock-skew bound are not folded (their
// instances stay unknown) and are counted by reason in /metrics; the
// node's own observation is folded.
func TestForgedObservationsRejectedAndCounted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	cfg := serveInProcess(t, map[string]string{"RaftDataDir": dir})
	base := "http://" + cfg.ListenAddress
	waitURL(t, &http.Client{Timeout: 2 * time.Second}, base+"/api/raft-health", 200)
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	admin := authLog(t, cfg.NATSListenAddress, dataDirAuth(t, dir, natsnode.RoleAdmin))
	node := authLog(t, cfg.NATSListenAddress, dataDirAuth(t, dir, natsnode.RoleNode))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := time.Now()
	publish := func(l *eventlog.Log, origin, subjectOrigin, host string, at time.Time) {
		t.Helper()
		key := events.InstanceKey{Hostname: host, Port: 3306}
		env, err := events.New(events.KindInstanceUnreachable, at, origin, events.InstanceUnreachable{Key: key, Error: "refused"})
		if err != nil {
			t.Fatal(err)
		}
		env.Instance = key.String()
		body, err := env.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.JetStream().Publish(ctx, events.ObservationSubject("", env.Instance, subjectOrigin), body); err != nil {
			t.Fatalf("publish the observation of %s: %v", host, err)
		}
	}
	publish(admin, "evil-a", "evil-a", "forged-unknown", now)
	publish(admin, "evil-b", "regent-1", "forged-mismatch", now)
	publish(node, "regent-1", "regent-1", "forged-future", now.Add(time.Hour))
	publish(node, "regent-1", "regent-1", "genuine", now)
	natstest.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		code, body, err := httpGet(base + "/api/all-instances")
		if err != nil || code != 200 {
			return fmt.Errorf("all-instances: %d %v", code, err)
		}
		if !strings.Contains(string(body), "genuine") {
			return errors.New("the node's own observation is not folded yet")
		}
		for _, host := range []string{"forged-unknown", "forged-mismatch", "forged-future"} {
			if strings.Contains(string(body), host) {
				return fmt.Errorf("the observation of %s was folded", host)
			}
		}
		return nil
	})
	_, metrics, err := httpGet(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	for _, reason := range []string{"unknown-origin", "origin-mismatch", "future"} {
		want := fmt.Sprintf(`regent_observations_rejected_total{reason=%q} 1`, reason)
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// authLog opens the event log at a (host:port) with auth.
func authLog(t testing.TB, a string, auth nats.Option) *eventlog.Log {
	t.Helper()
	nc, err := nats.Connect("nats://"+a, nats.Timeout(2*time.Second), nats.MaxReconnects(-1), auth)
	if err != nil {
		t.Fatalf("connect %s: %v", a, err)
	}
	t.Cleanup(nc.Close)
	l, err := eventlog.New(nc, zerolog.New(io.Discard), events.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// secretURL is nats://user:password@hostport for role on a node whose
// cluster secret is secret.
func secretURL(t testing.TB, secret, role, hostport string) string {
	t.Helper()
	creds, err := natsnode.NewCredentials(secret)
	if err != nil {
		t.Fatal(err)
	}
	user, err := natsnode.RoleUser(role, "regent-1")
	if err != nil {
		t.Fatal(err)
	}
	u := url.URL{Scheme: "nats", User: url.UserPassword(user, creds.Password(user)), Host: hostport}
	return u.String()
}
