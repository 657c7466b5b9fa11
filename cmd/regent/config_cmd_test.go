package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/config"
)

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.conf.json")
	bad := filepath.Join(dir, "bad.conf.json")
	if err := os.WriteFile(good, []byte("{\n // comment\n \"HTTPAuthPassword\": \"hunter2\",\n \"InstancePolSeconds\": 1,\n \"BackendDB\": \"mysql\",\n}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("{\n\"ReadOnly\": \"yes\"\n}"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if rc := configCheck(config.LoadOptions{Files: []string{good}}, false, &out, &errOut); rc != 0 {
		t.Fatalf("rc = %d, stderr:\n%s", rc, errOut.String())
	}
	var printed map[string]any
	if err := json.Unmarshal(out.Bytes(), &printed); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out.String())
	}
	if printed["HTTPAuthPassword"] != config.MaskedValue || strings.Contains(out.String(), "hunter2") {
		t.Errorf("secret not masked: %v", printed["HTTPAuthPassword"])
	}
	for _, want := range []string{`warning: unknown key "InstancePolSeconds"`, `did you mean "InstancePollSeconds"?`, `info: key "BackendDB"`} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
	out.Reset()
	errOut.Reset()
	if rc := configCheck(config.LoadOptions{Files: []string{good}}, true, &out, &errOut); rc != 0 || errOut.Len() != 0 {
		t.Errorf("--json-only: rc=%d stderr=%q", rc, errOut.String())
	}
	errOut.Reset()
	if rc := configCheck(config.LoadOptions{Files: []string{bad}}, false, &out, &errOut); rc != 1 ||
		!strings.Contains(errOut.String(), bad+`:2: key "ReadOnly": want a boolean`) {
		t.Errorf("bad file: rc=%d stderr:\n%s", rc, errOut.String())
	}
	errOut.Reset()
	if rc := runConfig(t.Context(), env{args: []string{"frobnicate"}, stdout: &out, stderr: &errOut}); rc != 2 ||
		!strings.Contains(errOut.String(), "usage: regent config check") {
		t.Errorf("unknown subcommand: rc=%d stderr=%q", rc, errOut.String())
	}
}

// TestUnauthenticatedAPIWarning: `regent config check` and `regent serve`
// warn when the API listens beyond loopback with no AuthenticationMethod,
// and say nothing for 127.0.0.1 or with authentication.
func TestUnauthenticatedAPIWarning(t *testing.T) {
	cases := []struct {
		listen, auth string
		warn         bool
	}{
		{"0.0.0.0:3000", "", true},
		{"127.0.0.1:3000", "", false},
		{"0.0.0.0:3000", "multi", false},
	}
	for _, c := range cases {
		flags := map[string]string{"ListenAddress": c.listen}
		if c.auth != "" {
			flags["AuthenticationMethod"], flags["HTTPAuthUser"], flags["HTTPAuthPassword"] = c.auth, "dba", "secret"
		}
		var out, errOut bytes.Buffer
		if rc := configCheck(config.LoadOptions{SearchPaths: []string{}, Flags: flags}, false, &out, &errOut); rc != 0 {
			t.Fatalf("%v: rc = %d\n%s", c, rc, errOut.String())
		}
		line := `warning: ListenAddress "` + c.listen + `" serves the HTTP API beyond this machine with no AuthenticationMethod`
		if got := strings.Contains(errOut.String(), line); got != c.warn {
			t.Errorf("config check %v: warning printed %v, want %v:\n%s", c, got, c.warn, errOut.String())
		}
		cfg, _, err := config.Load(config.LoadOptions{SearchPaths: []string{}, Flags: flags})
		if err != nil {
			t.Fatal(err)
		}
		var logged bytes.Buffer
		warnExposure(zerolog.New(&logged), cfg)
		if got := strings.Contains(logged.String(), `"level":"warn","message":"UNAUTHENTICATED API: ListenAddress \"`+c.listen); got != c.warn {
			t.Errorf("serve %v: warning logged %v, want %v: %s", c, got, c.warn, logged.String())
		}
	}
}
