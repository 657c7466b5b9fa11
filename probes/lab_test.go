package probes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/lab"
)

// Integration tests against the MariaDB lab (scripts/lab). They need root
// and MariaDB; lab.Up fails the test with a clear message otherwise, and
// holds the lab lock so no other package's lab test runs at the same time.

func labOptions() Options {
	return Options{
		NodeID: "test", User: "regent", Password: "regent",
		ConnectTimeout: time.Second, ReadTimeout: 2 * time.Second, ProbeTimeout: 2 * time.Second,
		MySQLHostnameResolveMethod: "@@report_host", HostnameResolveMethod: "none",
		DiscoverByShowSlaveHosts: true,
	}
}

func newLabProber(t testing.TB, o Options) *Prober {
	t.Helper()
	p, err := NewProber(o, zerolog.New(zerolog.NewTestWriter(t)))
	if err != nil {
		t.Fatalf("new prober: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func labKey(l *lab.Lab, i int) events.InstanceKey {
	return events.InstanceKey{Hostname: l.Host(i).IP, Port: 3306}
}

func mustProbe(t *testing.T, p *Prober, key events.InstanceKey) events.InstanceObserved {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	obs, err := p.Probe(ctx, key)
	if err != nil {
		t.Fatalf("probe %s: %v", key, err)
	}
	return obs
}

func TestLabProbePrimaryAndReplica(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3})
	p := newLabProber(t, labOptions())

	primary := mustProbe(t, p, labKey(l, 1))
	if primary.Key != labKey(l, 1) {
		t.Errorf("primary named %v, want %v (by @@report_host)", primary.Key, labKey(l, 1))
	}
	if primary.Flavor != FlavorMariaDB || primary.ServerID != 1 || primary.ReadOnly || !primary.LogBin || !primary.LogReplicaUpdates ||
		primary.BinlogFormat != "ROW" || primary.Replication != nil || primary.ServerUUID != "" {
		t.Errorf("primary = %+v", primary)
	}
	if !primary.GTID.StrictMode || primary.GTID.BinlogPos == "" || primary.SelfCoordinates.LogFile == "" || primary.SelfCoordinates.LogPos == 0 {
		t.Errorf("primary GTID/binlog = %+v %+v", primary.GTID, primary.SelfCoordinates)
	}
	// MariaDB has no rpl_semi_sync_master_wait_for_slave_count: it waits for one ACK.
	if !primary.SemiSync.Available || primary.SemiSync.MasterTimeout != 10000 || primary.SemiSync.MasterWaitForCount != 1 || primary.Digest == "" {
		t.Errorf("primary semi-sync %+v digest %q", primary.SemiSync, primary.Digest)
	}
	wantReplicas := []events.InstanceKey{labKey(l, 2), labKey(l, 3)}
	if !reflect.DeepEqual(primary.Replicas, wantReplicas) {
		t.Errorf("primary replicas (SHOW SLAVE HOSTS) = %v, want %v", primary.Replicas, wantReplicas)
	}

	replica := mustProbe(t, p, labKey(l, 2))
	r := replica.Replication
	if r == nil {
		t.Fatalf("replica has no replication: %+v", replica)
	}
	if !replica.ReadOnly || r.SourceKey != labKey(l, 1) || r.IOThread != events.ThreadRunning || r.SQLThread != events.ThreadRunning ||
		!r.UsingMariaDBGTID || r.MariaDBGTIDMode != "Slave_Pos" || r.SourceServerID != 1 || !r.HasCredentials {
		t.Errorf("replica = %+v / %+v", replica, *r)
	}
	if replica.LagSeconds == nil || *replica.LagSeconds != 0 || r.HeartbeatPeriod <= 0 {
		t.Errorf("replica lag %v heartbeat period %v", replica.LagSeconds, r.HeartbeatPeriod)
	}

	// A write moves positions: the replica follows, its digest does not move.
	l.MustSQL(1, "CREATE DATABASE IF NOT EXISTS probes_t; CREATE TABLE IF NOT EXISTS probes_t.x (id INT PRIMARY KEY); INSERT INTO probes_t.x VALUES (1)")
	after := mustProbe(t, p, labKey(l, 1))
	if after.GTID.BinlogPos == primary.GTID.BinlogPos || after.Digest != primary.Digest {
		t.Errorf("after a write: binlog pos %q → %q, digest %s → %s", primary.GTID.BinlogPos, after.GTID.BinlogPos, primary.Digest, after.Digest)
	}
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error {
		got := mustProbe(t, p, labKey(l, 2))
		if got.GTID.SlavePos != after.GTID.BinlogPos || got.Replication.GTIDIOPos != after.GTID.BinlogPos {
			return fmt.Errorf("replica slave pos %q io pos %q, primary %q", got.GTID.SlavePos, got.Replication.GTIDIOPos, after.GTID.BinlogPos)
		}
		if got.Digest != replica.Digest {
			return fmt.Errorf("replica digest moved with positions: %s → %s", replica.Digest, got.Digest)
		}
		if got.Uptime <= 0 {
			return fmt.Errorf("uptime %d", got.Uptime)
		}
		if got.Replication.HeartbeatsReceived <= r.HeartbeatsReceived {
			return fmt.Errorf("heartbeats %d → %d", r.HeartbeatsReceived, got.Replication.HeartbeatsReceived)
		}
		return nil
	})

	// read_only is state: the digest changes.
	l.MustSQL(3, "SET GLOBAL read_only = OFF")
	if got := mustProbe(t, p, labKey(l, 3)); got.ReadOnly || got.Digest == replica.Digest {
		t.Errorf("replica 3 with read_only OFF: read_only %v digest %s", got.ReadOnly, got.Digest)
	}
	l.MustSQL(3, "SET GLOBAL read_only = ON")
}

func TestLabReplicasByProcesslistAndHostname(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3})
	o := labOptions()
	o.DiscoverByShowSlaveHosts = false
	o.MySQLHostnameResolveMethod = "@@hostname"
	p := newLabProber(t, o)
	hostname := l.MustSQL(1, "SELECT @@hostname")[0][0]

	primary := mustProbe(t, p, labKey(l, 1))
	if want := (events.InstanceKey{Hostname: hostname, Port: 3306}); primary.Key != want {
		t.Errorf("primary named %v, want %v (by @@hostname)", primary.Key, want)
	}
	want := []events.InstanceKey{labKey(l, 2), labKey(l, 3)}
	if !reflect.DeepEqual(primary.Replicas, want) {
		t.Errorf("replicas from Binlog Dump threads = %v, want %v", primary.Replicas, want)
	}

	o.MySQLHostnameResolveMethod = "none"
	if got := mustProbe(t, newLabProber(t, o), labKey(l, 2)); got.Key != labKey(l, 2) {
		t.Errorf("none: named %v, want the dialled key", got.Key)
	}
}

func TestLabPrivilegeError(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 2})
	l.MustSQL(1, "CREATE USER 'probe_nopriv'@'%' IDENTIFIED BY 'x'; "+
		"GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO 'probe_nopriv'@'%'")
	o := labOptions()
	o.User, o.Password = "probe_nopriv", "x"
	p := newLabProber(t, o)
	_, err := p.Probe(context.Background(), labKey(l, 1))
	want := "SHOW SLAVE HOSTS needs REPLICATION MASTER ADMIN on MariaDB 10.11"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("probe without REPLICATION MASTER ADMIN: err = %v, want it to say %q", err, want)
	}
	var pe *ProbeError
	if !errors.As(err, &pe) || pe.Kind != ErrPrivilege || !pe.Partial {
		t.Errorf("error = %#v, want privilege, partial", err)
	}

	o.Password = "wrong"
	_, err = newLabProber(t, o).Probe(context.Background(), labKey(l, 1))
	if KindOf(err) != ErrAuth {
		t.Errorf("bad password: kind %v (%v), want auth", KindOf(err), err)
	}
}

func TestLabFailureClassification(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 2})
	p := newLabProber(t, labOptions())
	key := labKey(l, 2)
	mustProbe(t, p, key)

	// A pooled connection killed on a live server is replaced silently.
	for _, r := range l.MustSQL(2, "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'regent'") {
		l.MustSQL(2, "KILL CONNECTION "+r[0])
	}
	mustProbe(t, p, key)

	// Paused (SIGSTOP): the probe's deadline cuts it off.
	l.Pause(2)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	start := time.Now()
	_, err := p.Probe(ctx, key)
	took := time.Since(start)
	cancel()
	if KindOf(err) != ErrTimeout || took < 900*time.Millisecond || took > 2500*time.Millisecond {
		t.Errorf("paused host: kind %v after %v (%v), want timeout after ~1s", KindOf(err), took, err)
	}
	l.Resume(2)
	mustProbe(t, p, key)

	// A probe in flight on a pooled connection when the server dies: lost.
	l.Pause(2)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := p.Probe(ctx, key)
		done <- err
	}()
	time.Sleep(300 * time.Millisecond) // let the probe send its batch and block
	killed := time.Now()
	l.Kill(2)
	select {
	case err := <-done:
		var pe *ProbeError
		if !errors.As(err, &pe) || pe.Kind != ErrConnectionLost || !Unreachable(key, err, 0).ConnectionLost {
			t.Errorf("server killed under a probe: %#v, want connection lost", err)
		}
		if d := time.Since(killed); d > time.Second {
			t.Errorf("connection loss took %v to see", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("probe did not return within 5s of the kill")
	}

	// Dead: refused, fast (a fresh prober: no pooled connection to find dead).
	// lab.Kill can return while the dying server still holds its listening
	// socket for a moment; wait until the port refuses.
	waitRefused(t, l.Host(2).Addr)
	start = time.Now()
	_, err = newLabProber(t, labOptions()).Probe(context.Background(), key)
	if KindOf(err) != ErrRefused || time.Since(start) > 500*time.Millisecond {
		t.Errorf("killed host: kind %v after %v (%v), want refused at once", KindOf(err), time.Since(start), err)
	}

	// Back, then killed while idle: the pooled connection is found dead.
	l.Start(2)
	lab.Eventually(t, 10*time.Second, 100*time.Millisecond, func() error { _, err := p.Probe(context.Background(), key); return err })
	l.Kill(2)
	_, err = p.Probe(context.Background(), key)
	var pe *ProbeError
	// Found dead when taken from the pool (refused on redial) or when used
	// (connection lost): either way evidence at once, flagged as a lost
	// connection.
	if !errors.As(err, &pe) || (pe.Kind != ErrRefused && pe.Kind != ErrConnectionLost) || !pe.ConnectionLost {
		t.Errorf("idle pooled connection of a killed server: %#v, want refused or lost, with connection lost", err)
	}
}

// waitRefused waits until a TCP connection to addr is refused.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	lab.Eventually(t, 5*time.Second, 10*time.Millisecond, func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return fmt.Errorf("%s still accepts connections", addr)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return err
		}
		return nil
	})
}

func TestLabReportHostEmpty(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3})
	h := l.Host(3)
	l.Stop(3)
	cnf := filepath.Join(h.Dir, "my.cnf")
	b, err := os.ReadFile(cnf)
	if err != nil {
		t.Fatalf("read my.cnf: %v", err)
	}
	stripped := regexp.MustCompile(`(?m)^report_(host|port)=.*\n`).ReplaceAll(b, nil)
	if len(stripped) == len(b) {
		t.Fatalf("my.cnf of host 3 has no report_host line:\n%s", b)
	}
	if err := os.WriteFile(cnf, stripped, 0o644); err != nil {
		t.Fatalf("write my.cnf: %v", err)
	}
	l.Start(3)

	p := newLabProber(t, labOptions())
	want := "MySQLHostnameResolveMethod configured to use @@report_host but 198.18.0.3:3306 has NULL/empty @@report_host"
	_, err = p.Probe(context.Background(), labKey(l, 3))
	if err == nil || err.Error() != want {
		t.Fatalf("probe: %v\nwant: %s", err, want)
	}
	if u := Unreachable(labKey(l, 3), err, 0); !u.Partial || u.Timeout || u.Error != want {
		t.Errorf("unreachable = %+v", u)
	}

	// Discover returns the same error and records nothing.
	rec := &recorder{}
	s := NewScheduler(p.Probe, labOptions(), nil, zerolog.Nop())
	d := NewDiscoverer(s, rec, nil, labOptions(), nil, zerolog.Nop())
	if _, err := d.Discover(context.Background(), labKey(l, 3)); err == nil || err.Error() != want {
		t.Errorf("discover: %v", err)
	}
	if len(rec.all()) != 0 || len(s.Keys()) != 0 {
		t.Errorf("failed discover recorded %v, scheduled %v", rec.kinds(), s.Keys())
	}
	// The other hosts, with report_host, are still named by it.
	if got := mustProbe(t, p, labKey(l, 2)); got.Key != labKey(l, 2) {
		t.Errorf("host 2 named %v", got.Key)
	}
}

func TestLabDiscovery(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3})
	ready := newLabProber(t, labOptions())
	lab.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		for i := 1; i <= 3; i++ {
			if _, err := ready.Probe(context.Background(), labKey(l, i)); err != nil {
				return err
			}
		}
		return nil
	})
	for _, tc := range []struct {
		from    int
		filters func(*Options)
		want    map[string]string
	}{
		{from: 1, want: map[string]string{"198.18.0.1:3306": ViaAPI, "198.18.0.2:3306": ViaCrawlDown, "198.18.0.3:3306": ViaCrawlDown}},
		{from: 3, want: map[string]string{"198.18.0.3:3306": ViaAPI, "198.18.0.1:3306": ViaCrawlUp, "198.18.0.2:3306": ViaCrawlDown}},
		{from: 1, filters: func(o *Options) {
			o.DiscoveryIgnoreReplicaHostnameFilters = []*regexp.Regexp{regexp.MustCompile(`^198\.18\.0\.3:`)}
		},
			want: map[string]string{"198.18.0.1:3306": ViaAPI, "198.18.0.2:3306": ViaCrawlDown}},
		{from: 3, filters: func(o *Options) {
			o.DiscoveryIgnoreMasterHostnameFilters = []*regexp.Regexp{regexp.MustCompile(`198\.18\.0\.1`)}
		},
			want: map[string]string{"198.18.0.3:3306": ViaAPI}},
	} {
		o := labOptions()
		if tc.filters != nil {
			tc.filters(&o)
		}
		p := newLabProber(t, o)
		pub, app := &recorder{}, &recorder{}
		obs := NewObserver(p.Probe, pub, nil, o, nil, zerolog.Nop())
		s := NewScheduler(obs.Observe, o, nil, zerolog.Nop())
		d := NewDiscoverer(s, app, nil, o, nil, zerolog.New(zerolog.NewTestWriter(t)))
		got, err := d.Discover(context.Background(), labKey(l, tc.from))
		if err != nil || got.Key != labKey(l, tc.from) {
			t.Fatalf("discover %d: %v, %v", tc.from, got.Key, err)
		}
		if disc := app.discovered(t); !reflect.DeepEqual(disc, tc.want) {
			t.Errorf("discover from %d: discovered %v, want %v", tc.from, disc, tc.want)
		}
		if n := len(s.Keys()); n != len(tc.want) {
			t.Errorf("discover from %d: scheduled %v", tc.from, s.Keys())
		}
		if n := len(pub.all()); n != len(tc.want) {
			t.Errorf("discover from %d: published %v, want one observation per instance", tc.from, pub.kinds())
		}
	}
}

// TestLabSchedulerSeesDeathAndRecovery runs the whole observation path on
// the lab: a killed replica is reported unreachable within two intervals,
// and observed again soon after it is back.
func TestLabSchedulerSeesDeathAndRecovery(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3})
	o := labOptions()
	o.PollInterval, o.DeadProbeInterval, o.MaxConcurrency = 200*time.Millisecond, time.Second, 4
	p := newLabProber(t, o)
	pub := &recorder{}
	obs := NewObserver(p.Probe, pub, func(events.InstanceKey) string { return "198.18.0.1:3306" }, o, nil, zerolog.Nop())
	s := NewScheduler(obs.Observe, o, nil, zerolog.New(zerolog.NewTestWriter(t)))
	for i := 1; i <= 3; i++ {
		s.Add(labKey(l, i))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()

	seen := func(kind events.Kind, inst string, after time.Time) bool {
		for _, e := range pub.all() {
			if e.Kind == kind && e.Instance == inst && !e.Time.Before(after) {
				return true
			}
		}
		return false
	}
	lab.Eventually(t, 5*time.Second, 50*time.Millisecond, func() error {
		for i := 1; i <= 3; i++ {
			if !seen(events.KindInstanceProgress, labKey(l, i).String(), time.Time{}) {
				return fmt.Errorf("no progress for host %d yet: %v", i, len(pub.all()))
			}
		}
		return nil
	})
	killed := time.Now()
	l.Kill(3)
	lab.Eventually(t, 2*o.PollInterval+time.Second, 20*time.Millisecond, func() error {
		if !seen(events.KindInstanceUnreachable, "198.18.0.3:3306", killed) {
			return errors.New("no unreachable for host 3")
		}
		return nil
	})
	t.Logf("unreachable seen %v after the kill", time.Since(killed).Round(time.Millisecond))
	l.Start(3)
	// The first success after failures is a full observation (it may land
	// before Start returns).
	lab.Eventually(t, o.DeadProbeInterval+3*time.Second, 50*time.Millisecond, func() error {
		if !seen(events.KindInstanceObserved, "198.18.0.3:3306", killed) {
			var since []string
			for _, e := range pub.all() {
				if e.Instance == "198.18.0.3:3306" && !e.Time.Before(killed) {
					since = append(since, e.Kind.String()+" "+string(e.Payload))
				}
			}
			return fmt.Errorf("host 3 not observed again; since the kill: %v", since)
		}
		return nil
	})
	for _, e := range pub.all() {
		if e.Cluster != "198.18.0.1:3306" || e.Origin != "test" {
			t.Fatalf("envelope cluster %q origin %q", e.Cluster, e.Origin)
		}
	}
	if st := obs.Stats(); st.Full == 0 || st.Progress <= st.Full || st.PublishErrors != 0 {
		t.Errorf("stats = %+v: want mostly progress events", st)
	}
}

// TestLabLightProbeEqualsFull: on real MariaDB 10.11, a light probe (the
// second of a prober) yields what a full probe does: the same digest, names,
// replicas, versions and semi-sync settings.
func TestLabLightProbeEqualsFull(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3})
	fullOpts := labOptions()
	fullOpts.FullProbeInterval = -1
	light, full := newLabProber(t, labOptions()), newLabProber(t, fullOpts)
	for h := 1; h <= 3; h++ {
		key := labKey(l, h)
		mustProbe(t, light, key)
		lo, fo := mustProbe(t, light, key), mustProbe(t, full, key)
		if lo.Digest != fo.Digest || lo.Key != fo.Key || !reflect.DeepEqual(lo.Replicas, fo.Replicas) || lo.Version != fo.Version ||
			lo.SemiSync != fo.SemiSync || lo.BinlogFormat != fo.BinlogFormat || lo.LogReplicaUpdates != fo.LogReplicaUpdates {
			t.Errorf("host %d: light %+v\nfull %+v", h, lo, fo)
		}
		if (lo.Replication == nil) != (fo.Replication == nil) {
			t.Fatalf("host %d: replication light %v full %v", h, lo.Replication, fo.Replication)
		}
		if lo.Replication != nil && (lo.Replication.SourceKey != fo.Replication.SourceKey || lo.Replication.IOThread != fo.Replication.IOThread) {
			t.Errorf("host %d: replication light %+v full %+v", h, *lo.Replication, *fo.Replication)
		}
	}
}
