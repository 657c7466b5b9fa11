package fleetsim

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/probes"
)

func TestClusterSizes(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want []int
	}{
		{3, []int{3}}, {4, []int{4}}, {5, []int{5}}, {6, []int{3, 3}}, {7, []int{3, 4}},
		{12, []int{3, 4, 5}}, {13, []int{3, 4, 3, 3}}, {30, []int{3, 4, 5, 3, 4, 5, 3, 3}},
	} {
		got := clusterSizes(tc.n)
		if !slices.Equal(got, tc.want) {
			t.Errorf("clusterSizes(%d) = %v, want %v", tc.n, got, tc.want)
		}
		sum := 0
		for _, s := range got {
			sum += s
			if s < 3 || s > 5 {
				t.Errorf("clusterSizes(%d): cluster of %d", tc.n, s)
			}
		}
		if sum != tc.n {
			t.Errorf("clusterSizes(%d) sums to %d", tc.n, sum)
		}
	}
	total := 0
	for _, s := range clusterSizes(10000) {
		total += s
	}
	if total != 10000 {
		t.Errorf("10000 instances laid out as %d", total)
	}
}

// startFleet runs a fleet of n until the test ends.
func startFleet(t *testing.T, n int) *Fleet {
	return Start(t, Options{Instances: n}, zerolog.New(zerolog.NewTestWriter(t)))
}

func newProber(t *testing.T, byHosts bool) *probes.Prober {
	t.Helper()
	p, err := probes.NewProber(probes.Options{
		NodeID: "test", User: "regent", Password: "regent",
		ConnectTimeout: time.Second, ReadTimeout: 2 * time.Second, ProbeTimeout: 2 * time.Second,
		MySQLHostnameResolveMethod: "@@report_host", HostnameResolveMethod: "none",
		DiscoverByShowSlaveHosts: byHosts,
	}, zerolog.New(zerolog.NewTestWriter(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func probe(t *testing.T, p *probes.Prober, key events.InstanceKey) events.InstanceObserved {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	obs, err := p.Probe(ctx, key)
	if err != nil {
		t.Fatalf("probe %s: %v", key, err)
	}
	return obs
}

// TestProbeSimulatedPrimaryAndReplica probes a simulated cluster with the
// real Prober and checks the observation field by field.
func TestProbeSimulatedPrimaryAndReplica(t *testing.T) {
	f := startFleet(t, 7)
	cl := f.Clusters()
	if len(cl) != 2 || len(cl[0]) != 3 || len(cl[1]) != 4 {
		t.Fatalf("clusters %v, want sizes 3 and 4", cl)
	}
	for _, byHosts := range []bool{true, false} {
		p := newProber(t, byHosts)
		primary, replica := cl[1][0], cl[1][2]
		po := probe(t, p, primary)
		if po.Key != primary || po.Flavor != probes.FlavorMariaDB || po.ReadOnly || !po.LogBin || po.Replication != nil {
			t.Errorf("primary observation: key %v flavor %q read_only %v log_bin %v replication %+v", po.Key, po.Flavor, po.ReadOnly, po.LogBin, po.Replication)
		}
		if po.ServerID != 4 || po.Version != "10.11.6-MariaDB-log" || po.GTID.DomainID != 0 || !po.GTID.StrictMode || po.SemiSync.MasterEnabled || !po.SemiSync.Available {
			t.Errorf("primary: server_id %d version %q gtid %+v semi-sync %+v", po.ServerID, po.Version, po.GTID, po.SemiSync)
		}
		if want := cl[1][1:]; !slices.Equal(po.Replicas, want) {
			t.Errorf("primary replicas (by SHOW SLAVE HOSTS %v) %v, want %v", byHosts, po.Replicas, want)
		}
		if po.SelfCoordinates.LogFile != binlogFile || po.SelfCoordinates.LogPos <= 4 {
			t.Errorf("primary binlog coordinates %+v", po.SelfCoordinates)
		}
		ro := probe(t, p, replica)
		r := ro.Replication
		if !ro.ReadOnly || r == nil {
			t.Fatalf("replica: read_only %v replication %+v", ro.ReadOnly, r)
		}
		if r.SourceKey != primary || r.IOThread != events.ThreadRunning || r.SQLThread != events.ThreadRunning ||
			!r.UsingMariaDBGTID || r.SourceServerID != 4 || r.SecondsBehind == nil || *r.SecondsBehind != 0 {
			t.Errorf("replica replication %+v", r)
		}
		if r.HeartbeatPeriod != 1 || r.LastHeartbeat == nil || time.Since(*r.LastHeartbeat) > 2*time.Second {
			t.Errorf("replica heartbeat period %v last %v", r.HeartbeatPeriod, r.LastHeartbeat)
		}
		if ro.GTID.SlavePos == "" || ro.GTID.CurrentPos != po.GTID.CurrentPos && ro.GTID.CurrentPos == "" {
			t.Errorf("replica gtid %+v, primary %+v", ro.GTID, po.GTID)
		}
	}
}

// TestPositionsAdvanceAndHeartbeatsCount: a second later the primary's GTID
// and binlog position moved and the replica counted heartbeats; the digest
// stayed (only moving parts moved).
func TestPositionsAdvanceAndHeartbeatsCount(t *testing.T) {
	f := startFleet(t, 3)
	cl := f.Clusters()[0]
	p := newProber(t, true)
	p1, r1 := probe(t, p, cl[0]), probe(t, p, cl[1])
	time.Sleep(1100 * time.Millisecond)
	p2, r2 := probe(t, p, cl[0]), probe(t, p, cl[1])
	if p2.SelfCoordinates.LogPos <= p1.SelfCoordinates.LogPos || p2.GTID.CurrentPos == p1.GTID.CurrentPos {
		t.Errorf("primary did not advance: %v %q → %v %q", p1.SelfCoordinates, p1.GTID.CurrentPos, p2.SelfCoordinates, p2.GTID.CurrentPos)
	}
	if r2.Replication.HeartbeatsReceived <= r1.Replication.HeartbeatsReceived {
		t.Errorf("heartbeats %d → %d", r1.Replication.HeartbeatsReceived, r2.Replication.HeartbeatsReceived)
	}
	if p1.Digest != p2.Digest || r1.Digest != r2.Digest {
		t.Errorf("digests changed while only positions moved")
	}
}

// TestKillPrimary: a killed primary refuses probes (connection refused, or
// the pooled connection lost) and its replicas report Connecting with
// heartbeats stopped; the other cluster is untouched.
func TestKillPrimary(t *testing.T) {
	f := startFleet(t, 6)
	cl := f.Clusters()
	p := newProber(t, true)
	probe(t, p, cl[0][0])
	before := probe(t, p, cl[0][1])
	if err := f.Kill(cl[0][0]); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := p.Probe(ctx, cl[0][0])
	var pe *probes.ProbeError
	if !errors.As(err, &pe) || (pe.Kind != probes.ErrRefused && pe.Kind != probes.ErrConnectionLost) {
		t.Fatalf("probe of killed primary: %v, want refused or connection lost", err)
	}
	time.Sleep(1100 * time.Millisecond)
	r := probe(t, p, cl[0][1]).Replication
	if r.IOThread != events.ThreadOther || r.LastIOErrno != 2003 || r.SecondsBehind != nil {
		t.Errorf("replica of killed primary: io %v errno %d behind %v", r.IOThread, r.LastIOErrno, r.SecondsBehind)
	}
	if r.HeartbeatsReceived != before.Replication.HeartbeatsReceived && r.HeartbeatsReceived != before.Replication.HeartbeatsReceived+1 {
		t.Errorf("heartbeats kept counting after the kill: %d → %d", before.Replication.HeartbeatsReceived, r.HeartbeatsReceived)
	}
	if o := probe(t, p, cl[1][1]); o.Replication.IOThread != events.ThreadRunning {
		t.Errorf("other cluster's replica: io %v", o.Replication.IOThread)
	}
	if f.Queries() == 0 {
		t.Error("no queries counted")
	}
}

// TestReviveAfterKill: a revived primary answers again and its replicas
// report their IO thread running.
func TestReviveAfterKill(t *testing.T) {
	f := startFleet(t, 3)
	cl := f.Clusters()[0]
	p := newProber(t, true)
	if err := f.Kill(cl[0]); err != nil {
		t.Fatal(err)
	}
	if r := probe(t, p, cl[1]).Replication; r.IOThread != events.ThreadOther {
		t.Fatalf("replica of the killed primary: io %v", r.IOThread)
	}
	if err := f.Revive(cl[0]); err != nil {
		t.Fatal(err)
	}
	if o := probe(t, p, cl[0]); o.ReadOnly || o.Key != cl[0] {
		t.Errorf("revived primary: %+v", o)
	}
	if r := probe(t, p, cl[1]).Replication; r.IOThread != events.ThreadRunning {
		t.Errorf("replica after the revival: io %v", r.IOThread)
	}
	if err := f.Revive(events.InstanceKey{Hostname: "127.0.0.9", Port: 3306}); err == nil {
		t.Error("revive of an unknown instance succeeded")
	}
}
