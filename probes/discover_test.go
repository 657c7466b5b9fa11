package probes

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
)

// topology is a fake Inventory: each key answers with a scripted
// observation (source and replicas) or an error.
type topology struct {
	mu      sync.Mutex // guards the fields below
	nodes   map[events.InstanceKey]events.InstanceObserved
	errs    map[events.InstanceKey]error
	probed  map[events.InstanceKey]int
	added   map[events.InstanceKey]bool
	maxConc int
	running int
}

func newTopology() *topology {
	return &topology{nodes: map[events.InstanceKey]events.InstanceObserved{}, errs: map[events.InstanceKey]error{},
		probed: map[events.InstanceKey]int{}, added: map[events.InstanceKey]bool{}}
}

// node adds an instance named name (reached as name) with a source and
// replicas.
func (tp *topology) node(name events.InstanceKey, source *events.InstanceKey, replicas ...events.InstanceKey) {
	o := events.InstanceObserved{Key: name, Replicas: replicas}
	if source != nil {
		o.Replication = &events.Replication{SourceKey: *source}
	}
	tp.nodes[name] = o
}

func (tp *topology) ProbeNow(_ context.Context, k events.InstanceKey) (events.InstanceObserved, error) {
	tp.mu.Lock()
	tp.probed[k]++
	tp.running++
	tp.maxConc = max(tp.maxConc, tp.running)
	o, ok := tp.nodes[k]
	err := tp.errs[k]
	tp.mu.Unlock()
	time.Sleep(time.Millisecond) // overlap concurrent probes
	tp.mu.Lock()
	tp.running--
	tp.mu.Unlock()
	if err != nil {
		return events.InstanceObserved{}, err
	}
	if !ok {
		return events.InstanceObserved{}, &ProbeError{Key: k, Kind: ErrRefused, Err: errors.New("connection refused")}
	}
	return o, nil
}

func (tp *topology) Add(k events.InstanceKey) bool {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	n := !tp.added[k]
	tp.added[k] = true
	return n
}

func (tp *topology) Has(k events.InstanceKey) bool {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.added[k]
}

func kp(k events.InstanceKey) *events.InstanceKey { return &k }

func TestDiscoverCrawlsUpAndDown(t *testing.T) {
	// db0 ← db1 ← db3, db0 ← db2; db4 is db1's replica but dead.
	tp := newTopology()
	tp.node(key(0), nil, key(1), key(2))
	tp.node(key(1), kp(key(0)), key(3), key(4))
	tp.node(key(2), kp(key(0)))
	tp.node(key(3), kp(key(1)))
	rec := &recorder{}
	d := NewDiscoverer(tp, rec, nil, Options{NodeID: "n1"}, nil, zerolog.Nop())
	obs, err := d.DiscoverVia(context.Background(), key(3), ViaSeed)
	if err != nil || obs.Key != key(3) {
		t.Fatalf("discover: %v %v", obs.Key, err)
	}
	want := map[string]string{
		"db3:3306": ViaSeed, "db1:3306": ViaCrawlUp, "db0:3306": ViaCrawlUp,
		"db2:3306": ViaCrawlDown, "db4:3306": ViaCrawlDown, // db4 fails its probe but a live server named it
	}
	if got := rec.discovered(t); !reflect.DeepEqual(got, want) {
		t.Errorf("discovered %v\nwant       %v", got, want)
	}
	for k, n := range tp.probed {
		if n != 1 {
			t.Errorf("%v probed %d times", k, n)
		}
	}
	if len(tp.added) != 5 {
		t.Errorf("scheduled %v", tp.added)
	}
}

func TestDiscoverFromBounds(t *testing.T) {
	// A chain db0 ← db1 ← … ← db19 plus a co-primary ring db20 ⇄ db21.
	tp := newTopology()
	for i := range 20 {
		var src *events.InstanceKey
		if i > 0 {
			src = kp(key(i - 1))
		}
		var reps []events.InstanceKey
		if i < 19 {
			reps = []events.InstanceKey{key(i + 1)}
		}
		tp.node(key(i), src, reps...)
	}
	tp.node(key(20), kp(key(21)), key(21))
	tp.node(key(21), kp(key(20)), key(20))

	rec := &recorder{}
	d := NewDiscoverer(tp, rec, nil, Options{NodeID: "n", DiscoveryMaxDepth: 5}, nil, zerolog.Nop())
	if _, err := d.Discover(context.Background(), key(0)); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.discovered(t)); n != 6 {
		t.Errorf("depth 5: discovered %d, want 6 (root + 5 hops)", n)
	}

	rec = &recorder{}
	d = NewDiscoverer(newTopologyFrom(tp), rec, nil, Options{NodeID: "n", DiscoveryMaxInstances: 4}, nil, zerolog.Nop())
	if _, err := d.Discover(context.Background(), key(0)); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.discovered(t)); n != 4 {
		t.Errorf("max 4 instances: discovered %d", n)
	}

	rec = &recorder{}
	ring := newTopologyFrom(tp)
	d = NewDiscoverer(ring, rec, nil, Options{NodeID: "n"}, nil, zerolog.Nop())
	if _, err := d.Discover(context.Background(), key(20)); err != nil {
		t.Fatal(err)
	}
	if got := rec.discovered(t); len(got) != 2 || ring.probed[key(20)] != 1 || ring.probed[key(21)] != 1 {
		t.Errorf("co-primary ring: discovered %v, probes %v", got, ring.probed)
	}
}

func newTopologyFrom(tp *topology) *topology {
	n := newTopology()
	for k, v := range tp.nodes {
		n.nodes[k] = v
	}
	return n
}

func TestDiscoverConcurrencyBound(t *testing.T) {
	tp := newTopology()
	var reps []events.InstanceKey
	for i := 1; i <= 40; i++ {
		reps = append(reps, key(i))
		tp.node(key(i), kp(key(0)))
	}
	tp.node(key(0), nil, reps...)
	d := NewDiscoverer(tp, &recorder{}, nil, Options{NodeID: "n", DiscoveryConcurrency: 3}, nil, zerolog.Nop())
	if _, err := d.Discover(context.Background(), key(0)); err != nil {
		t.Fatal(err)
	}
	if tp.maxConc > 3 || tp.maxConc < 2 {
		t.Errorf("max concurrent crawl probes = %d, want ≤ 3 (and some overlap)", tp.maxConc)
	}
}

func TestDiscoverResolvedNamesAndFailures(t *testing.T) {
	tp := newTopology()
	alias := events.InstanceKey{Hostname: "10.9.9.1", Port: 3306} // dialled; the server calls itself db0
	tp.node(key(0), nil, key(1))
	tp.nodes[alias] = tp.nodes[key(0)]
	tp.node(key(1), kp(alias)) // the replica names its source by IP
	reportHost := &ReportHostError{Key: key(5)}
	tp.errs[key(5)] = &ProbeError{Key: key(5), Kind: ErrPartial, Partial: true, Err: reportHost}

	rec := &recorder{}
	d := NewDiscoverer(tp, rec, nil, Options{NodeID: "n"}, nil, zerolog.Nop())
	if _, err := d.Discover(context.Background(), alias); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"db0:3306": ViaAPI, "db1:3306": ViaCrawlDown}
	if got := rec.discovered(t); !reflect.DeepEqual(got, want) {
		t.Errorf("discovered %v, want %v (recorded under the server's name, once)", got, want)
	}

	// The instance given to Discover fails: its error as is, nothing recorded.
	rec = &recorder{}
	d = NewDiscoverer(tp, rec, nil, Options{NodeID: "n"}, nil, zerolog.Nop())
	_, err := d.Discover(context.Background(), key(5))
	if err == nil || err.Error() != reportHost.Error() {
		t.Fatalf("err = %v, want %q", err, reportHost.Error())
	}
	if len(rec.all()) != 0 {
		t.Errorf("recorded %v", rec.kinds())
	}

	// Filtered out entirely.
	d = NewDiscoverer(tp, rec, nil, Options{NodeID: "n", DiscoveryIgnoreHostnameFilters: []*regexp.Regexp{regexp.MustCompile(`^db0:`)}}, nil, zerolog.Nop())
	if _, err := d.Discover(context.Background(), key(0)); !IsIgnored(err) {
		t.Errorf("ignored host: %v", err)
	}
}

func TestDiscovererRunFindsNewReplicas(t *testing.T) {
	tp := newTopology()
	tp.node(key(0), nil, key(1), key(2))
	tp.node(key(1), kp(key(0)))
	tp.node(key(2), kp(key(0)), key(3))
	tp.node(key(3), kp(key(2)))
	tp.Add(key(0))
	tp.Add(key(1))
	rec := &recorder{}
	d := NewDiscoverer(tp, rec, nil, Options{NodeID: "n"}, nil, zerolog.Nop())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	d.Notice(tp.nodes[key(1)]) // nothing new: dropped before the queue
	d.Notice(tp.nodes[key(0)]) // db2 is new, and db3 behind it
	waitUntil(t, "db2 and db3 discovered", func() bool { return tp.Has(key(2)) && tp.Has(key(3)) })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	want := map[string]string{"db2:3306": ViaCrawlDown, "db3:3306": ViaCrawlDown}
	if got := rec.discovered(t); !reflect.DeepEqual(got, want) {
		t.Errorf("discovered %v, want %v", got, want)
	}
	if tp.probed[key(1)] != 0 || tp.probed[key(0)] != 0 {
		t.Errorf("known instances probed again: %v", tp.probed)
	}
}

// TestDiscoverSkipsDetachedSource: detach-replica leaves "//db0" as the
// source host; it names no server, so it is neither probed nor recorded,
// and a notice of the replica is not new territory.
func TestDiscoverSkipsDetachedSource(t *testing.T) {
	tp := newTopology()
	detached := events.InstanceKey{Hostname: "//" + key(0).Hostname, Port: 3306}
	tp.node(key(1), kp(detached))
	rec := &recorder{}
	d := NewDiscoverer(tp, rec, nil, Options{NodeID: "n"}, nil, zerolog.Nop())
	if _, err := d.DiscoverVia(context.Background(), key(1), ViaSeed); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.discovered(t), map[string]string{"db1:3306": ViaSeed}; !reflect.DeepEqual(got, want) {
		t.Errorf("discovered %v, want %v", got, want)
	}
	if tp.probed[detached] != 0 || tp.Has(detached) {
		t.Errorf("detached source probed %d times, scheduled %v", tp.probed[detached], tp.Has(detached))
	}
	if d.hasUnknownNeighbour(tp.nodes[key(1)]) {
		t.Error("a replica whose only neighbour is its detached source noticed as having an unknown neighbour")
	}
}
