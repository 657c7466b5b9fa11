package probes

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/fleetsim"
)

// runSim runs a simulated fleet of n instances until the test or
// benchmark ends.
func runSim(tb testing.TB, n int) *fleetsim.Fleet {
	return fleetsim.Start(tb, fleetsim.Options{Instances: n}, zerolog.Nop())
}

// TestLightProbeSameObservation: between full probes a light batch of 4
// statements (not 6) is sent, and the observation it yields is the full
// probe's: same digest (every state field), same replicas, version and
// names; the moving parts are fresh.
func TestLightProbeSameObservation(t *testing.T) {
	f := runSim(t, 4)
	cl := f.Clusters()[0]
	for _, key := range []events.InstanceKey{cl[0], cl[2]} {
		fullOpts := labOptions()
		fullOpts.FullProbeInterval = -1
		full := newLabProber(t, fullOpts)
		light := newLabProber(t, labOptions())
		first := mustProbe(t, light, key) // a full probe: nothing known yet
		q0 := f.Queries()
		l := mustProbe(t, light, key)
		if n := f.Queries() - q0; n != 4 {
			t.Errorf("%v: light probe sent %d statements, want 4", key, n)
		}
		q0 = f.Queries()
		fo := mustProbe(t, full, key)
		if n := f.Queries() - q0 - 1; n != 6 { // after identify: the first probe of a new prober
			t.Errorf("%v: full probe sent %d statements after identify, want 6", key, n)
		}
		if l.Digest != fo.Digest || l.Digest != first.Digest {
			t.Errorf("%v: digests light %s, full %s, first %s", key, l.Digest, fo.Digest, first.Digest)
		}
		if l.Version != fo.Version || l.BinlogFormat != fo.BinlogFormat || l.Key != fo.Key || len(l.Replicas) != len(fo.Replicas) ||
			l.SemiSync != fo.SemiSync || l.ServerID != fo.ServerID || l.ReadOnly != fo.ReadOnly {
			t.Errorf("%v: light %+v\nfull %+v", key, l, fo)
		}
		if l.Uptime < first.Uptime || l.GTID.CurrentPos == "" {
			t.Errorf("%v: light probe's moving parts: uptime %d gtid %q", key, l.Uptime, l.GTID.CurrentPos)
		}
	}
}

// TestLightProbeSeesFailure: a replica whose primary died changes nothing
// a light probe compares (same source), so the light batch answers, and
// shows the IO thread Connecting at once.
func TestLightProbeSeesFailure(t *testing.T) {
	f := runSim(t, 3)
	cl := f.Clusters()[0]
	p := newLabProber(t, labOptions())
	mustProbe(t, p, cl[1])
	if err := f.Kill(cl[0]); err != nil {
		t.Fatal(err)
	}
	q0 := f.Queries()
	r := mustProbe(t, p, cl[1]).Replication
	if n := f.Queries() - q0; n != 4 {
		t.Errorf("probe after the kill sent %d statements, want 4 (light)", n)
	}
	if r == nil || r.IOThread != events.ThreadOther || r.LastIOErrno != 2003 {
		t.Fatalf("replication after the primary's death: %+v", r)
	}
}

// TestLightChangedSince: what makes a light probe read everything at once.
func TestLightChangedSince(t *testing.T) {
	globals := func(id, ro string) row { return mkRow("server_id", id, "read_only", ro) }
	status := func(up string) []row { return []row{mkRow("Variable_name", "Uptime", "Value", up)} }
	replica := func(host, port string) []row {
		return []row{mkRow("Master_Host", host, "Master_Port", port, "Slave_IO_Running", "Yes")}
	}
	var in instance
	in.rememberFull(batchResult{globals: globals("2", "1"), status: status("100"), replica: replica("db1", "3306")}, time.Unix(1, 0))
	last := in.last
	for _, tc := range []struct {
		name string
		res  batchResult
		want bool
	}{
		{"nothing", batchResult{globals: globals("2", "1"), status: status("101"), replica: replica("db1", "3306")}, false},
		{"read_only off", batchResult{globals: globals("2", "0"), status: status("101"), replica: replica("db1", "3306")}, true},
		{"another server", batchResult{globals: globals("3", "1"), status: status("101"), replica: replica("db1", "3306")}, true},
		{"restarted", batchResult{globals: globals("2", "1"), status: status("5"), replica: replica("db1", "3306")}, true},
		{"new source", batchResult{globals: globals("2", "1"), status: status("101"), replica: replica("db3", "3306")}, true},
		{"no longer a replica", batchResult{globals: globals("2", "1"), status: status("101")}, true},
	} {
		if got := last.changedSince(tc.res); got != tc.want {
			t.Errorf("%s: changedSince = %v, want %v", tc.name, got, tc.want)
		}
	}
	// The merge answers the light row first, then the full one.
	merged := last.merge(batchResult{globals: mkRow("server_id", "2", "read_only", "NULL")})
	if merged.globals.str("server_id") != "2" || merged.globals.str("read_only") != "" {
		t.Errorf("merged globals: server_id %q read_only %q", merged.globals.str("server_id"), merged.globals.str("read_only"))
	}
	if _, ok := (&in).lastFullWithin(time.Unix(5, 0), 10*time.Second); !ok {
		t.Error("a full probe 4 s old not used with FullProbeInterval 10 s")
	}
	if _, ok := (&in).lastFullWithin(time.Unix(12, 0), 10*time.Second); ok {
		t.Error("a full probe 11 s old used with FullProbeInterval 10 s")
	}
	if _, ok := (&in).lastFullWithin(time.Unix(2, 0), -1); ok {
		t.Error("negative FullProbeInterval must make every probe full")
	}
}
