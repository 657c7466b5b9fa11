package main

import (
	"slices"
	"testing"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/events/eventlog"
)

func loadFlags(t *testing.T, flags map[string]string) config.Config {
	t.Helper()
	cfg, _, err := config.Load(config.LoadOptions{SearchPaths: []string{}, Flags: flags})
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
		"RaftNodes": "198.18.0.101,198.18.0.102,198.18.0.103", "NATSClusterSecret": testSecret})
	got := cfg.PeerAPIAddresses()
	want := []string{"198.18.0.101:3000", "198.18.0.102:3000", "198.18.0.103:3000"}
	if !slices.Equal(got, want) {
		t.Errorf("peer addresses %v, want %v", got, want)
	}
	check := leaseCheck(cfg)
	for _, c := range []struct {
		info eventlog.LeaseInfo
		ok   bool
	}{
		{eventlog.LeaseInfo{Holder: "198.18.0.102:10008", Addr: "198.18.0.102:3000"}, true},
		{eventlog.LeaseInfo{Holder: "regent-b", Addr: "198.18.0.102:3000"}, true},        // a peer with NodeName
		{eventlog.LeaseInfo{Holder: "198.18.0.102:10008", Addr: "203.0.113.9:80"}, true}, // followed; the API refuses to forward there
		{eventlog.LeaseInfo{Holder: "evil", Addr: "203.0.113.9:80"}, false},
		{eventlog.LeaseInfo{Holder: "evil", Addr: "198.18.0.102:3001"}, false},
	} {
		if err := check(c.info); (err == nil) != c.ok {
			t.Errorf("lease %+v: %v, want ok=%v", c.info, err, c.ok)
		}
	}
}
