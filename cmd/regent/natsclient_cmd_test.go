package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/test/natstest"
)

// TestLogCommandsConnectOverTLSWithAuth: replay and hooks consume reach a
// node whose NATS requires TLS with client certificates and a password,
// with explicit flags (--user/--password, --tls-*) and with the identity
// derived from the local node's config (--set), through the one client
// builder serve uses; without the client certificate they are refused.
func TestLogCommandsConnectOverTLSWithAuth(t *testing.T) {
	p := newTestPKI(t)
	tlsKeys := map[string]string{"NATSTLSCertFile": p.certFile, "NATSTLSKeyFile": p.keyFile, "NATSTLSCAFile": p.caFile, "NATSClusterSecret": testSecret}
	cfg := serveInProcess(t, tlsKeys)
	waitURL(t, &http.Client{Timeout: 2 * time.Second}, "http://"+cfg.ListenAddress+"/api/raft-health", 200)
	t.Cleanup(http.DefaultClient.CloseIdleConnections)
	server := "tls://" + cfg.NATSListenAddress

	nc, err := nats.Connect(server, nats.Secure(p.clientTLS(t, true)), testAuth(t, natsnode.RoleAdmin), nats.Timeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	l, err := eventlog.New(nc, zerolog.Nop(), events.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	note := noteEnv(t, "over tls")
	note.Cluster = "198.18.0.2:3306"
	if _, err := l.Append(context.Background(), note, eventlog.NoExpect); err != nil {
		t.Fatal(err)
	}
	creds, err := natsnode.NewCredentials(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	cert := []string{"--tls-cert", p.clientCert, "--tls-key", p.clientKey}
	explicit := append([]string{"--server", server, "--user", natsnode.RoleReader, "--password", creds.Password(natsnode.RoleReader), "--tls-ca", p.caFile}, cert...)
	var local []string // the local node's config: derived identity, its CA
	for k, v := range tlsKeys {
		local = append(local, "--set", k+"="+v)
	}
	local = append([]string{"--server", server}, local...)

	for name, args := range map[string][]string{"explicit": explicit, "local config": append(local, cert...)} {
		code, out, errs := runCmd(t, runReplay, append(args, "--kind", "note")...)
		if code != 0 || !strings.Contains(out, "over tls") {
			t.Errorf("replay (%s): %d\n%s\n%s", name, code, out, errs)
		}
	}
	if code, out, errs := runCmd(t, runReplay, append(local, "--kind", "note")...); code == 0 {
		t.Errorf("replay without a client certificate succeeded:\n%s", out)
	} else if !strings.Contains(errs, "connect to "+server) {
		t.Errorf("replay without a client certificate: %q, want a connection error naming the server", errs)
	}

	handled := filepath.Join(t.TempDir(), "handled")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan int, 1)
	hooksArgs := append(append([]string{"consume"}, local...), cert...)
	hooksArgs = append(hooksArgs, "--durable", "tls", "--deliver", "all", "--", "bash", "-c", `echo "$REGENT_EVENT_ID" >> `+handled)
	var mu sync.Mutex
	var hooksOut bytes.Buffer
	go func() {
		w := lockedBuf{&mu, &hooksOut}
		done <- runHooks(ctx, env{args: hooksArgs, stdout: w, stderr: w, getenv: func(string) string { return "" }})
	}()
	defer func() {
		if t.Failed() {
			mu.Lock()
			t.Logf("hooks consume:\n%s", hooksOut.String())
			mu.Unlock()
		}
	}()
	natstest.Eventually(t, 20*time.Second, 20*time.Millisecond, func() error {
		if lines := fileLines(t, handled); len(lines) != 1 || lines[0] != note.ID {
			return fmt.Errorf("handled %v, want [%s]", lines, note.ID)
		}
		return nil
	})
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("hooks consume exited %d", code)
	}
}
