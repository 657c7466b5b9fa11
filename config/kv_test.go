package config

import (
	"strings"
	"testing"
)

// KVClusterMasterPrefix is normalised as orchestrator normalises it, and a
// prefix NATS cannot use as a key is refused with the key named.
func TestKVClusterMasterPrefix(t *testing.T) {
	for in, want := range map[string]string{"mysql/master": "mysql/master/", "mysql/master//": "mysql/master/",
		"/": "/", "": "/", "regent/primary/": "regent/primary/"} {
		c := Default()
		c.KVClusterMasterPrefix = in
		if got := c.MastersKVPrefix(); got != want {
			t.Errorf("MastersKVPrefix(%q) = %q, want %q", in, got, want)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("prefix %q refused: %v", in, err)
		}
	}
	if got := Default().MastersKVPrefix(); got != "mysql/master/" {
		t.Errorf("default prefix %q, want orchestrator's mysql/master/", got)
	}
	for _, bad := range []string{"mysql master", "mysql:master", ".mysql/master", "mysql/*", "mysql/>"} {
		c := Default()
		c.KVClusterMasterPrefix = bad
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), `key "KVClusterMasterPrefix"`) {
			t.Errorf("prefix %q: %v, want an error naming KVClusterMasterPrefix", bad, err)
		}
	}
}
