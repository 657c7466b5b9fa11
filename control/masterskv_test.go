package control

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
	"github.com/regent-ha/regent/test/natstest"
)

// kvTestSecret is the cluster secret of the test NATS.
const kvTestSecret = "regent-test-shared-nats-secret-01"

// foldedViews folds observations into a topology as the applier does.
type foldedViews struct {
	mu   sync.Mutex
	topo *projections.Topology
	recs *analysis.Recoveries
	seq  uint64
	now  time.Time
	// noAlias leaves the clusters unaliased (their alias is their name).
	noAlias bool
}

func (f *foldedViews) Recoveries() *analysis.Recoveries {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.recs == nil {
		return analysis.NewRecoveries()
	}
	return f.recs.Clone()
}

// recovered folds a completed recovery of failed by successor.
func (f *foldedViews) recovered(t *testing.T, id string, typ events.RecoveryType, failed, successor, alias string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.recs == nil {
		f.recs = analysis.NewRecoveries()
	}
	for _, ev := range []struct {
		kind events.Kind
		p    any
	}{
		{events.KindRecoveryStarted, events.RecoveryStarted{RecoveryID: id, Type: typ, Analysis: "DeadMaster", Failed: kvTestKey(failed),
			ClusterName: failed + ":3306", ClusterAlias: alias, Successor: kvTestKey(successor), Node: "n1"}},
		{events.KindRecoveryCompleted, events.RecoveryCompleted{RecoveryID: id, Successor: kvTestKey(successor)}},
	} {
		f.now = f.now.Add(100 * time.Millisecond)
		e, err := events.New(ev.kind, f.now, "n1", ev.p)
		if err != nil {
			t.Fatal(err)
		}
		e.Cluster = failed + ":3306"
		f.seq++
		if err := f.recs.Apply(f.seq, e); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *foldedViews) View() *projections.View {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.topo.Clone().View(f.now)
}

// observe folds one observation of each instance: a writable primary
// (source "") or a read-only replica of source, all with the cluster alias
// "main" (DetectClusterAliasQuery) unless noAlias.
func (f *foldedViews) observe(t *testing.T, inst ...[2]string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(200 * time.Millisecond)
	for i, hs := range inst {
		o := events.InstanceObserved{Key: kvTestKey(hs[0]), ServerID: uint32(i + 1), Version: "10.11.19-MariaDB-log",
			Flavor: "MariaDB", LogBin: true, LogReplicaUpdates: true, BinlogFormat: "ROW", ClusterAlias: "main",
			Digest: "d" + hs[0] + hs[1]}
		if f.noAlias {
			o.ClusterAlias = ""
		}
		if hs[1] != "" {
			zero := int64(0)
			o.ReadOnly, o.LagSeconds = true, &zero
			o.Replication = &events.Replication{SourceKey: kvTestKey(hs[1]), IOThread: events.ThreadRunning,
				SQLThread: events.ThreadRunning, SecondsBehind: &zero, UsingMariaDBGTID: true}
		}
		e, err := events.New(events.KindInstanceObserved, f.now, "n1", o)
		if err != nil {
			t.Fatal(err)
		}
		e.Instance = o.Key.String()
		f.seq++
		if err := f.topo.Apply(f.seq, e); err != nil {
			t.Fatal(err)
		}
	}
}

func kvTestKey(h string) events.InstanceKey { return events.InstanceKey{Hostname: h, Port: 3306} }

// kvTestNATS starts an embedded NATS node with Regent's users and returns
// the event log (admin) and the reader role's URL.
func kvTestNATS(t *testing.T) (*eventlog.Log, string) {
	t.Helper()
	o := natstest.Options(t, "masterskv")
	creds, err := natsnode.NewCredentials(kvTestSecret)
	if err != nil {
		t.Fatal(err)
	}
	o.Users = creds.Users([]string{"n1"}, natsnode.UserPass{})
	o.Self = natsnode.UserPass{User: natsnode.RoleAdmin, Password: creds.Password(natsnode.RoleAdmin)}
	n, err := natsnode.Start(o, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Shutdown)
	l, err := eventlog.New(natstest.Conn(t, n), zerolog.Nop(), events.StreamOptions{EventBytes: 64 << 20, ObservationBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	user, err := natsnode.RoleUser(natsnode.RoleReader, "n1")
	if err != nil {
		t.Fatal(err)
	}
	u, err := natsnode.RoleURL(strings.TrimPrefix(n.ClientURL(), "nats://"), false, natsnode.UserPass{User: user, Password: creds.Password(user)})
	if err != nil {
		t.Fatal(err)
	}
	return l, u
}

// TestMastersKVFollowsFailover: with real embedded NATS, the leader
// publishes the primary as orchestrator's pairs (mysql/master/main = host:port,
// /hostname, /port, /ipv4, /ipv6), a follower writes nothing, and after a
// failover the bucket names the new primary; the reader role reads the
// values (direct get) and sees the change live on $KV.REGENT_MASTERS.>; a
// value written there by anything else is rewritten.
func TestMastersKVFollowsFailover(t *testing.T) {
	l, readerURL := kvTestNATS(t)
	topo, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	views := &foldedViews{topo: topo, now: time.Now()}
	views.observe(t, [2]string{"198.18.0.1", ""}, [2]string{"198.18.0.2", "198.18.0.1"}, [2]string{"198.18.0.3", "198.18.0.1"})
	var leading atomic.Bool
	m := NewMastersKV("mysql/master/", views, l, leading.Load, zerolog.Nop())

	rc, err := nats.Connect(readerURL, nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatalf("connect as reader: %v", err)
	}
	defer rc.Close()
	live := make(chan *nats.Msg, 64)
	sub, err := rc.ChanSubscribe("$KV."+events.MastersBucket+".>", live)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := rc.Flush(); err != nil {
		t.Fatalf("reader subscription refused: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(runCtx) }()
	defer func() { stop(); <-done }()

	time.Sleep(3 * mastersPublishEvery)
	if _, found, err := l.NewMasters().Get(ctx, "mysql/master/main"); err != nil || found {
		t.Fatalf("a follower published (found %v, err %v)", found, err)
	}
	leading.Store(true)
	wantBucket(ctx, t, readerURL, map[string]string{"mysql/master/main": "198.18.0.1:3306",
		"mysql/master/main/hostname": "198.18.0.1", "mysql/master/main/port": "3306",
		"mysql/master/main/ipv4": "198.18.0.1", "mysql/master/main/ipv6": ""})

	// Failover: 198.18.0.2 is promoted, 198.18.0.3 moves under it, the old primary is gone.
	views.observe(t, [2]string{"198.18.0.2", ""}, [2]string{"198.18.0.3", "198.18.0.2"}, [2]string{"198.18.0.1", "198.18.0.2"})
	start := time.Now()
	wantBucket(ctx, t, readerURL, map[string]string{"mysql/master/main": "198.18.0.2:3306",
		"mysql/master/main/hostname": "198.18.0.2", "mysql/master/main/ipv4": "198.18.0.2"})
	t.Logf("KV names the new primary %v after the view does", time.Since(start).Round(time.Millisecond))
	var sawNew bool
	for len(live) > 0 {
		msg := <-live
		if msg.Subject == "$KV."+events.MastersBucket+".mysql/master/main" && string(msg.Data) == "198.18.0.2:3306" {
			sawNew = true
		}
	}
	if !sawNew {
		t.Error("the reader's subscription did not see the new primary published")
	}
	// Nothing changes: nothing is written again.
	before := len(live)
	time.Sleep(3 * mastersPublishEvery)
	if len(live) != before {
		t.Errorf("%d writes without a change", len(live)-before)
	}
	// A value stored by anything else is put right within a verification period.
	if _, err := l.NewMasters().Put(ctx, "mysql/master/main", "198.18.0.66:3306", true); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	wantBucket(ctx, t, readerURL, map[string]string{"mysql/master/main": "198.18.0.2:3306"})
	if d := time.Since(start); d > (mastersVerifyRounds+2)*mastersPublishEvery {
		t.Errorf("a foreign value stood %v, want at most %v", d, mastersVerifyRounds*mastersPublishEvery)
	}
}

// wantBucket waits until the reader role reads want from the bucket.
func wantBucket(ctx context.Context, t *testing.T, readerURL string, want map[string]string) {
	t.Helper()
	nc, err := nats.Connect(readerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	var last string
	for ctx.Err() == nil {
		last = ""
		kv, err := js.KeyValue(ctx, events.MastersBucket)
		if err != nil {
			last = err.Error()
		}
		for k, v := range want {
			if kv == nil {
				break
			}
			e, err := kv.Get(ctx, k)
			if err != nil {
				last = k + ": " + err.Error()
				break
			}
			if string(e.Value()) != v {
				last = k + " = " + string(e.Value())
				break
			}
		}
		if last == "" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("bucket never held %v: %s", want, last)
}

// TestMastersKVSubmitAndKeys: SubmitMasters writes every pair even when
// unchanged, in orchestrator's order; an unaliased cluster's name is
// escaped into NATS key characters, injectively.
func TestMastersKVSubmitAndKeys(t *testing.T) {
	l, _ := kvTestNATS(t)
	topo, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	views := &foldedViews{topo: topo, now: time.Now()}
	views.observe(t, [2]string{"198.18.0.1", ""}, [2]string{"198.18.0.2", "198.18.0.1"})
	m := NewMastersKV("/", views, l, func() bool { return true }, zerolog.Nop())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for range 2 {
		pairs, err := m.SubmitMasters(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range pairs {
			got = append(got, p.Key+":"+p.Value)
		}
		want := "/main:198.18.0.1:3306 /main/hostname:198.18.0.1 /main/port:3306 /main/ipv4:198.18.0.1 /main/ipv6:"
		if strings.Join(got, " ") != want {
			t.Fatalf("submitted %q, want %q", got, want)
		}
	}
	if pairs, err := m.SubmitMasters(ctx, "198.18.0.9:3306"); err != nil || len(pairs) != 0 {
		t.Fatalf("another cluster: %v %v", pairs, err)
	}
	for in, want := range map[string]string{"main": "main", "198.18.0.1:3306": "198.18.0.1=3A3306",
		"a=b": "a=3Db", "a b": "a=20b", ".x..y.": "=2Ex.=2Ey=2E", "db/eu-1_x": "db/eu-1_x"} {
		if got := KVKeyPart(in); got != want {
			t.Errorf("KVKeyPart(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPrimariesFollowRecoveries: as orchestrator moves a failed cluster's
// alias to the promoted replica, the key of the alias a primary recovery
// replaced names the successor's primary, through a second recovery too,
// although the dead primary is still its own (writable) cluster in the
// view; an intermediate recovery moves no key.
func TestPrimariesFollowRecoveries(t *testing.T) {
	topo, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	f := &foldedViews{topo: topo, now: time.Now(), noAlias: true}
	// a's cluster failed over to b, then b's to c; a and b still show as
	// writable masters of their own one-instance clusters.
	f.observe(t, [2]string{"198.18.0.1", ""}, [2]string{"198.18.0.2", ""}, [2]string{"198.18.0.3", ""}, [2]string{"198.18.0.4", "198.18.0.3"})
	f.recovered(t, "r-1", events.RecoveryMaster, "198.18.0.1", "198.18.0.2", "main")
	f.recovered(t, "r-2", "GracefulMasterTakeover", "198.18.0.2", "198.18.0.3", "198.18.0.2:3306")
	f.recovered(t, "r-3", events.RecoveryIntermediateMaster, "198.18.0.3", "198.18.0.4", "198.18.0.3:3306")
	got := map[string]string{}
	for _, p := range primaries(f.View(), f.Recoveries(), "") {
		got[p.alias] = p.key.String()
	}
	want := map[string]string{"main": "198.18.0.3:3306", "198.18.0.2:3306": "198.18.0.3:3306", "198.18.0.3:3306": "198.18.0.3:3306"}
	for alias, w := range want {
		if got[alias] != w {
			t.Errorf("alias %s names %q, want %s (all: %v)", alias, got[alias], w, got)
		}
	}
}
