package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/natstest"
)

// TestServeOnExternalNATS: with NATSServers, Regent embeds nothing and uses
// a separately started NATS JetStream server: same streams, same API.
func TestServeOnExternalNATS(t *testing.T) {
	natsPort := natstest.FreePort(t)
	ext := exec.Command(os.Args[0])
	ext.Env = append(os.Environ(), fmt.Sprintf("RGTTEST_NATS=%d:%s", natsPort, t.TempDir()))
	if err := ext.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ext.Process.Kill(); _ = ext.Wait() })
	url := fmt.Sprintf("nats://%s:%s@127.0.0.1:%d", externalUser, externalPassword, natsPort)
	natstest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		names := streamNamesErr(url)
		if names == nil {
			return fmt.Errorf("external server not answering yet")
		}
		return nil
	})
	dir := t.TempDir()
	httpPort := natstest.FreePort(t)
	// Without any credentials Regent refuses the external NATS.
	anon := fmt.Sprintf("nats://127.0.0.1:%d", natsPort)
	anonConf := filepath.Join(t.TempDir(), "regent.conf.json")
	if err := os.WriteFile(anonConf, []byte(`{"NATSServers": ["`+anon+`"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runCmd(t, runConfig, "check", anonConf); code == 0 || !strings.Contains(out+errs, "NATSCredentialsFile") {
		t.Errorf("config check with an anonymous NATSServers: %d %s%s, want a refusal naming the keys", code, out, errs)
	}
	p := startRegent(t, dir, "--listen", addr(httpPort), "--set", "NATSServers=nats://127.0.0.1:"+fmt.Sprint(natsPort),
		"--set", "NATSUser="+externalUser, "--set", "NATSPassword="+externalPassword, "--set", "NATSMaxStoreMB=512")
	waitHTTP(t, p, "http://"+addr(httpPort)+"/api/raft-health", 200, 15*time.Second)
	names := streamNames(t, url)
	for _, want := range []string{events.EventsName, events.ObservationsName} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Fatalf("external server's streams %v lack %s", names, want)
		}
	}
	if _, err := os.Stat(dir + "/regent-data/jetstream"); err == nil {
		t.Fatal("an embedded store was created although NATSServers is set")
	}
	if code, body, _ := httpGet("http://" + addr(httpPort) + "/api/leader-check"); code != 200 {
		t.Fatalf("single Regent on external NATS should lead: %d %s", code, body)
	}
}
