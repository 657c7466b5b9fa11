package test

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestApplicationLayer: cmd/ is the composition root, imported by nothing;
// the application layer (control) sits between the API and the actuators:
// it imports neither the API, nor the config (the caller maps it onto plain
// options), nor cmd/, nor nats-server; events/natsclient, which every NATS
// client connection goes through, imports no nats-server either.
func TestApplicationLayer(t *testing.T) {
	pkgs := repoPackages(t)
	if _, ok := pkgs["control"]; !ok {
		t.Fatal("package control not found")
	}
	for dir, p := range pkgs {
		for im := range p.imports {
			if strings.HasPrefix(im, module+"/cmd/") || im == module+"/cmd" {
				t.Errorf("%s imports %s: nothing imports cmd/", dir, im)
			}
		}
		first := strings.Split(filepath.ToSlash(dir), "/")[0]
		if first == "control" {
			for _, bad := range []string{module + "/api", module + "/config", "github.com/nats-io/nats-server/v2/server"} {
				if p.imports[bad] {
					t.Errorf("%s imports %s: the application layer takes plain options and talks to the API's callers only through its types", dir, bad)
				}
			}
		}
		if filepath.ToSlash(dir) == "events/natsclient" && p.imports["github.com/nats-io/nats-server/v2/server"] {
			t.Errorf("%s imports nats-server: a client builder needs nats.go only", dir)
		}
	}
}
