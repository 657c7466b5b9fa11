package config

import (
	"slices"
	"testing"
)

// TestReloadChanges: a reload that changes only reloadable keys refuses
// nothing; one that also changes a key shaping the fold, the probes, NATS
// or the listeners refuses that key, and only it. Every reloadable key is
// a key of the config.
func TestReloadChanges(t *testing.T) {
	keys := knownKeys()
	for _, k := range reloadableKeys {
		if keys.byName[k] == nil {
			t.Errorf("reloadable key %q is not a config key", k)
		}
	}
	cur := Default()
	next := cur
	next.PostFailoverProcesses = []string{"echo new"}
	next.HTTPAuthPassword = "pw-2"
	changed, refused := ReloadChanges(cur, next)
	if !slices.Equal(changed, []string{"HTTPAuthPassword", "PostFailoverProcesses"}) || len(refused) != 0 {
		t.Errorf("hooks and password: changed %v refused %v", changed, refused)
	}
	next.RaftNodes = []string{"198.18.0.101", "198.18.0.102"}
	next.InstancePollSeconds++
	changed, refused = ReloadChanges(cur, next)
	if len(changed) != 4 || !slices.Contains(refused, "RaftNodes") || !slices.Contains(refused, "InstancePollSeconds") || len(refused) != 2 {
		t.Errorf("with RaftNodes and InstancePollSeconds: changed %v refused %v", changed, refused)
	}
	if !Reloadable("RecoveryPeriodBlockSeconds") || Reloadable("ListenAddress") || Reloadable("NoSuchKey") {
		t.Error("Reloadable: RecoveryPeriodBlockSeconds must be, ListenAddress and unknown keys must not")
	}
}
