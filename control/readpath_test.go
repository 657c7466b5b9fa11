package control

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/probes"
)

func TestSeedKeys(t *testing.T) {
	keys, bad := seedKeys([]string{"db1:3306", " db2 ", "db1:3306", "db3:notaport", "", "db4:3307"}, 3306)
	want := []events.InstanceKey{{Hostname: "db1", Port: 3306}, {Hostname: "db2", Port: 3306}, {Hostname: "db4", Port: 3307}}
	if !slices.Equal(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
	if len(bad) != 2 || !strings.Contains(bad[0].Error(), `DiscoverySeeds "db3:notaport"`) || !strings.Contains(bad[1].Error(), `DiscoverySeeds ""`) {
		t.Errorf("bad %v", bad)
	}
	if keys, bad := seedKeys(nil, 3306); keys != nil || bad != nil {
		t.Errorf("no seeds: %v %v", keys, bad)
	}
}

// TestSeedLogsFailures: a seed that cannot be reached or parsed is logged
// and the node goes on: the failed probe is published as evidence, the
// seed is not recorded as discovered.
func TestSeedLogsFailures(t *testing.T) {
	o := ReadPathOptions{Probe: probes.Options{NodeID: "n1", ConnectTimeout: time.Second, ProbeTimeout: time.Second},
		Seeds: []string{"127.0.0.1:1", "127.0.0.1:x"}, DefaultPort: 3306}
	var buf bytes.Buffer
	l := testLog(t)
	rp, err := NewReadPath(o, l, nil, zerolog.New(&buf))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rp.seed(ctx)
	out := buf.String()
	if !strings.Contains(out, `"message":"bad DiscoverySeeds entry"`) || !strings.Contains(out, `DiscoverySeeds \"127.0.0.1:x\"`) ||
		!strings.Contains(out, `"instance":"127.0.0.1:1","message":"discover seed"`) {
		t.Errorf("log:\n%s", out)
	}
	if rp.sched.Has(events.InstanceKey{Hostname: "127.0.0.1", Port: 1}) {
		t.Error("an unreachable seed was scheduled")
	}
	if seq, err := l.StreamLastSeq(ctx, events.EventsName); err != nil || seq != 0 {
		t.Errorf("events stream at %d (%v): an unreachable seed was recorded", seq, err)
	}
}
