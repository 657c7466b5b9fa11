package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/test/natstest"
)

// TestServeWritesTheAuditLog: a node with AuditLogFile writes an event
// appended through its API (disable-global-recoveries) as one line of the
// file, and stops cleanly.
func TestServeWritesTheAuditLog(t *testing.T) {
	dir := t.TempDir()
	auditFile := filepath.Join(dir, "audit.log")
	cfg, _, err := config.Load(config.LoadOptions{SearchPaths: []string{}, Flags: map[string]string{
		"ListenAddress": addr(natstest.FreePort(t)), "NATSListenAddress": addr(natstest.FreePort(t)),
		"RaftDataDir": filepath.Join(dir, "data"), "LogLevel": "warn", "LogFormat": "json",
		"AuditLogFile": auditFile,
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errOut bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, env{stdout: io.Discard, stderr: &errOut}) }()
	base := "http://" + cfg.ListenAddress
	waitHTTP(t, nil, base+"/api/status", 200, 10*time.Second)
	time.Sleep(300 * time.Millisecond) // the writer finds the end of the log first
	resp, err := http.Post(base+"/api/disable-global-recoveries", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("disable-global-recoveries: %d", resp.StatusCode)
	}
	natstest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		b, _ := os.ReadFile(auditFile)
		if !strings.Contains(string(b), "global-recoveries-set") {
			return &auditWait{string(b)}
		}
		return nil
	})
	b, _ := os.ReadFile(auditFile)
	for _, ln := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if f := strings.Fields(ln); len(f) < 4 {
			t.Errorf("audit line %q: want time, sequence, cluster, kind, summary", ln)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v\n%s", err, errOut.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return within 5 s of cancel")
	}
}

type auditWait struct{ have string }

func (e *auditWait) Error() string { return "audit file has " + e.have }
