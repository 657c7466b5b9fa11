package natsnode

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIdentities: Apply derives every identity from the secret (a single
// node generates and keeps one), the operator's admin and route
// identities replace the derived ones, Role answers the same passwords,
// and a cluster without a secret has none.
func TestIdentities(t *testing.T) {
	dir := t.TempDir()
	id := Identities{Secret: SecretSource{DataDir: dir}, Nodes: []string{"n1"}, Self: "n1"}
	o := Options{Cluster: &ClusterOptions{}}
	if err := id.Apply(&o); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, SecretFileName)); err != nil {
		t.Fatalf("no secret generated: %v", err)
	}
	reader, err := id.Role(RoleReader)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, u := range o.Users {
		found = found || (u.Username == RoleReader && u.Password == reader.Password)
	}
	node, err := id.Role(RoleNode)
	if err != nil || !found || o.Self != node || o.Self.User != NodeUser("n1") || o.Cluster.User != RouteUser || o.Cluster.Password == "" {
		t.Fatalf("users %d, reader found %v, self %+v vs %+v (%v), route %q", len(o.Users), found, o.Self, node, err, o.Cluster.User)
	}
	id.Admin, id.Route = UserPass{"ops", "pw"}, UserPass{"r", "rp"}
	if err := id.Apply(&o); err != nil || o.Cluster.User != "r" || o.Cluster.Password != "rp" {
		t.Fatalf("route override: %+v %v", o.Cluster, err)
	}
	if a, err := id.Role(RoleAdmin); err != nil || a != id.Admin {
		t.Errorf("admin: %+v %v", a, err)
	}
	clustered := Identities{Secret: SecretSource{Clustered: true, DataDir: dir}, Self: "n1"}
	if _, err := clustered.Role(RoleReader); !errors.Is(err, ErrNoSecret) {
		t.Errorf("cluster without a secret: %v", err)
	}
}

// RoleURL reaches a wildcard listener on the loopback, names TLS by its
// scheme and refuses an address without a port, naming it.
func TestRoleURL(t *testing.T) {
	up := UserPass{User: "reader", Password: "p/w"}
	for _, c := range []struct {
		listen string
		tls    bool
		want   string
	}{
		{"0.0.0.0:4222", false, "nats://reader:p%2Fw@127.0.0.1:4222"},
		{":4222", true, "tls://reader:p%2Fw@127.0.0.1:4222"},
		{"[::]:4333", false, "nats://reader:p%2Fw@127.0.0.1:4333"},
		{"198.18.0.10:4222", false, "nats://reader:p%2Fw@198.18.0.10:4222"},
	} {
		if got, err := RoleURL(c.listen, c.tls, up); err != nil || got != c.want {
			t.Errorf("RoleURL(%q, %v) = %q, %v; want %q", c.listen, c.tls, got, err, c.want)
		}
	}
	if _, err := RoleURL("localhost", false, up); err == nil || !strings.Contains(err.Error(), `"localhost"`) {
		t.Errorf("an address without a port: %v", err)
	}
}
