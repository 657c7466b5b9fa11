package config

import (
	"slices"
	"strings"
	"testing"
)

const peersSecret = "regent-test-shared-nats-secret-01"

func loadFlags(t *testing.T, flags map[string]string) Config {
	t.Helper()
	cfg, _, err := Load(LoadOptions{SearchPaths: []string{}, Flags: flags})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestPeerAddressesAndLeaseCheck: writes are forwarded only to the peers'
// API addresses (none on a single node), and a lease record is followed
// only when its holder is a configured peer (by name, or by address for
// peers named by NodeName).
func TestPeerAddressesAndLeaseCheck(t *testing.T) {
	if got := (loadFlags(t, map[string]string{"ListenAddress": ":3000"})).PeerAPIAddresses(); len(got) != 0 {
		t.Errorf("single node forwards to %v, want nowhere", got)
	}
	cfg := loadFlags(t, map[string]string{"ListenAddress": "198.18.0.101:3000", "RaftEnabled": "true", "RaftBind": "198.18.0.101",
		"RaftNodes": "198.18.0.101,198.18.0.102,198.18.0.103", "NATSClusterSecret": peersSecret})
	got := cfg.PeerAPIAddresses()
	want := []string{"198.18.0.101:3000", "198.18.0.102:3000", "198.18.0.103:3000"}
	if !slices.Equal(got, want) {
		t.Errorf("peer addresses %v, want %v", got, want)
	}
	for _, c := range []struct {
		holder, addr string
		ok           bool
	}{
		{"198.18.0.102:10008", "198.18.0.102:3000", true},
		{"regent-b", "198.18.0.102:3000", true},        // a peer with NodeName
		{"198.18.0.102:10008", "203.0.113.9:80", true}, // followed; the API refuses to forward there
		{"evil", "203.0.113.9:80", false},
		{"evil", "198.18.0.102:3001", false},
		{"evil", "", false},
	} {
		err := cfg.CheckPeer(c.holder, c.addr)
		if (err == nil) != c.ok {
			t.Errorf("lease held by %q at %q: %v, want ok=%v", c.holder, c.addr, err, c.ok)
		}
		if err != nil && !strings.Contains(err.Error(), `"`+c.holder+`"`) {
			t.Errorf("refusal %q does not name the holder %q", err, c.holder)
		}
	}
	single := loadFlags(t, map[string]string{"ListenAddress": ":3000", "NodeName": "solo"})
	if err := single.CheckPeer("solo", ""); err != nil {
		t.Errorf("a single node refuses its own lease: %v", err)
	}
	if err := single.CheckPeer("regent-1", ""); err == nil {
		t.Error("a single node named solo follows a lease held by regent-1")
	}
}

// TestPeerNamesAndStreamReplicas: the nodes the fold weighs are the
// RaftNodes entries, or this node alone; the streams are replicated three
// times on an embedded cluster, NATSStreamReplicas times (at least once)
// on an external NATS, else once.
func TestPeerNamesAndStreamReplicas(t *testing.T) {
	single := loadFlags(t, map[string]string{"NodeName": "solo"})
	if got := single.PeerNames(); !slices.Equal(got, []string{"solo"}) {
		t.Errorf("single node's peers %v, want [solo]", got)
	}
	if got := single.StreamReplicas(); got != 1 {
		t.Errorf("single node's stream replicas %d, want 1", got)
	}
	cluster := loadFlags(t, map[string]string{"RaftEnabled": "true", "RaftBind": "198.18.0.101",
		"RaftNodes": "198.18.0.101,198.18.0.102:10010,198.18.0.103", "NATSClusterSecret": peersSecret})
	want := []string{"198.18.0.101:10008", "198.18.0.102:10010", "198.18.0.103:10008"}
	if got := cluster.PeerNames(); !slices.Equal(got, want) {
		t.Errorf("cluster peers %v, want %v", got, want)
	}
	if got := cluster.StreamReplicas(); got != 3 {
		t.Errorf("embedded cluster's stream replicas %d, want 3", got)
	}
	for _, c := range []struct {
		set  string
		want int
	}{{"", 1}, {"2", 2}, {"5", 5}} {
		flags := map[string]string{"NATSServers": "nats://198.18.0.50:4222", "NATSToken": "t0ken-of-the-test"}
		if c.set != "" {
			flags["NATSStreamReplicas"] = c.set
		}
		if got := loadFlags(t, flags).StreamReplicas(); got != c.want {
			t.Errorf("external NATS with NATSStreamReplicas %q: %d replicas, want %d", c.set, got, c.want)
		}
	}
}

// TestNATSClientListener: "" and "-" turn the embedded NATS's client
// listener off; an address turns it on.
func TestNATSClientListener(t *testing.T) {
	for addr, want := range map[string]bool{"": false, "-": false, "127.0.0.1:4222": true, ":4222": true} {
		if got := (Config{Cluster: Cluster{NATSListenAddress: addr}}).NATSClientListener(); got != want {
			t.Errorf("NATSListenAddress %q: listener %v, want %v", addr, got, want)
		}
	}
}
