package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/control"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
	"github.com/regent-ha/regent/projections/timeline"
	"github.com/regent-ha/regent/projections/timeline/timelinetest"
)

// replay is a Source and History over a transcript: the first applied
// items are folded; advance folds more (as the applier folds the log).
type replay struct {
	mu      sync.Mutex
	items   []timeline.Item
	applied int
	st      *timeline.State
	changed chan struct{}
	now     time.Time
	s       projections.Settings
}

func newReplay(t testing.TB, items []timeline.Item, upto int) *replay {
	t.Helper()
	s := timelinetest.Settings()
	st, err := timeline.Fold(nil, s, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	r := &replay{items: items, st: st, changed: make(chan struct{}), s: s}
	r.advance(upto)
	return r
}

// advance folds the items up to index n (exclusive) and signals a change.
func (r *replay) advance(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ; r.applied < n && r.applied < len(r.items); r.applied++ {
		it := r.items[r.applied]
		_ = r.st.Topology.Apply(it.Seq, it.Env)
		if !it.IsObservation() {
			_ = r.st.Recoveries.Apply(it.Seq, it.Env)
		}
		r.now = it.Stored
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// append adds an item to the log, a second after the last folded one,
// and folds it; the transcript's items not folded yet are dropped (the
// scripted future no longer holds).
func (r *replay) append(tb testing.TB, kind events.Kind, instance string, p any) {
	tb.Helper()
	r.mu.Lock()
	r.items = r.items[:r.applied]
	at := r.now.Add(time.Second)
	env, err := events.New(kind, at, "c1", p)
	if err != nil {
		r.mu.Unlock()
		tb.Fatal(err)
	}
	env.Instance = instance
	stream := events.EventsName
	if kind.IsObservation() {
		stream = events.ObservationsName
	}
	var seq uint64
	for _, it := range r.items {
		if it.Stream == stream {
			seq = max(seq, it.Seq)
		}
	}
	r.items = append(r.items, timeline.Item{Stream: stream, Seq: seq + 1, Stored: at, Env: env})
	n := len(r.items)
	r.mu.Unlock()
	r.advance(n)
}

func (r *replay) View() *projections.View {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st.Topology.Clone().View(r.now)
}

func (r *replay) Recoveries() *analysis.Recoveries {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st.Recoveries.Clone()
}

func (r *replay) Changed() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.changed
}

func (r *replay) ViewAt(_ context.Context, at time.Time) (*projections.View, error) {
	r.mu.Lock()
	items := append([]timeline.Item(nil), r.items[:r.applied]...)
	r.mu.Unlock()
	st, err := timeline.Fold(items, r.s, at)
	if err != nil {
		return nil, err
	}
	return st.Topology.View(at), nil
}

func (r *replay) AnalysisParams() analysis.Params { return timelinetest.Params() }

// leader is an api.Cluster of one node that leads.
type leader struct{}

func (leader) Self() string                 { return "c1:10008" }
func (leader) Peers() []string              { return []string{"c1:10008", "c2:10008", "c3:10008"} }
func (leader) Health(context.Context) error { return nil }
func (leader) Leadership() api.Leadership {
	return api.Leadership{Known: true, Leader: "c1:10008", LeaderAddr: "127.0.0.1:3000", IsLeader: true, Epoch: 1}
}

// ops records the writes it was asked for; Relocate re-observes the
// replica below its destination in the replay.
type ops struct {
	tb    testing.TB
	r     *replay
	mu    sync.Mutex
	calls []string
}

func (o *ops) record(s string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, s)
}

func (o *ops) Calls() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.calls...)
}

func (o *ops) Recover(_ context.Context, k events.InstanceKey, _ string) (events.InstanceKey, error) {
	o.record("recover " + k.String())
	return events.InstanceKey{}, fmt.Errorf("no actionable failure on %s", k)
}
func (o *ops) Takeover(_ context.Context, t control.Takeover, _ string) (analysis.TopologyRecovery, error) {
	o.record("takeover " + t.Cluster)
	return analysis.TopologyRecovery{}, fmt.Errorf("takeover of %s: not in this test", t.Cluster)
}
func (o *ops) Acknowledge(_ context.Context, a control.Ack, _ string) (int, error) {
	o.record("ack " + a.RecoveryID + " " + a.Comment)
	return 1, nil
}
func (o *ops) SetGlobalRecoveries(_ context.Context, enabled bool, _ string) error {
	o.record(fmt.Sprintf("global %v", enabled))
	return nil
}
func (o *ops) Replica(_ context.Context, op control.ReplicaOp, k events.InstanceKey, _ string) (*projections.Instance, error) {
	o.record(string(op) + " " + k.String())
	inst, _ := o.r.View().Instance(k)
	return inst, nil
}
func (o *ops) Relocate(_ context.Context, k, dest events.InstanceKey, _ string) (*projections.Instance, error) {
	o.record("relocate " + k.String() + " " + dest.String())
	o.r.append(o.tb, events.KindInstanceObserved, k.String(), replicaOf(k, dest))
	inst, _ := o.r.View().Instance(k)
	return inst, nil
}
func (o *ops) RegisterCandidate(_ context.Context, k events.InstanceKey, rule, _ string) error {
	o.record("candidate " + k.String() + " " + rule)
	return nil
}
func (o *ops) BeginDowntime(_ context.Context, d control.Downtime, _ string) error {
	o.record("downtime " + d.Key.String() + " " + d.Reason + " " + d.Duration.String())
	return nil
}
func (o *ops) EndDowntime(_ context.Context, k events.InstanceKey, _ string) error {
	o.record("end-downtime " + k.String())
	return nil
}
func (o *ops) BeginMaintenance(_ context.Context, m control.Maintenance, _ string) error {
	o.record("maintenance " + m.Key.String())
	return nil
}
func (o *ops) EndMaintenance(_ context.Context, k events.InstanceKey, _ string) error {
	o.record("end-maintenance " + k.String())
	return nil
}
func (o *ops) LocateErrant(context.Context, events.InstanceKey) ([]string, error) { return nil, nil }

// inventory discovers nothing new.
type inventory struct{ r *replay }

func (i inventory) Discover(_ context.Context, k events.InstanceKey, _ string) (*projections.Instance, error) {
	if inst, ok := i.r.View().Instance(k); ok {
		return inst, nil
	}
	return nil, fmt.Errorf("cannot connect to %s", k)
}
func (inventory) AsyncDiscover(context.Context, events.InstanceKey, string) error { return nil }
func (inventory) Forget(context.Context, events.InstanceKey, string) error        { return nil }
func (inventory) ForgetCluster(context.Context, string, string) error             { return nil }

// replicaOf is a MariaDB GTID replica observation of k below source.
func replicaOf(k, source events.InstanceKey) *events.InstanceObserved {
	zero := int64(0)
	return &events.InstanceObserved{
		Key: k, ServerID: uint32(k.Hostname[len(k.Hostname)-1]), Version: "10.11.6-MariaDB-log", Flavor: "MariaDB",
		LogBin: true, LogReplicaUpdates: true, BinlogFormat: "ROW", ReadOnly: true, LagSeconds: &zero,
		SelfCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 4000},
		GTID:            events.GTIDState{CurrentPos: "0-1-100", SlavePos: "0-1-100", BinlogPos: "0-1-100"},
		Digest:          "d-" + k.Hostname + "-below-" + source.Hostname,
		Replication: &events.Replication{SourceKey: source, IOThread: events.ThreadRunning, SQLThread: events.ThreadRunning,
			SecondsBehind:    &zero,
			ReadCoordinates:  events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 4000},
			ExecCoordinates:  events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 4000},
			UsingMariaDBGTID: true, MariaDBGTIDMode: "Slave_Pos", GTIDIOPos: "0-1-100", HasCredentials: true},
	}
}

// site is a running API with the web interface over a replay.
type site struct {
	r   *replay
	ops *ops
	srv *httptest.Server
	api *api.Server
}

// killIndex is the index of the first item at or after the transcript's
// kill (the items before it are a healthy cluster).
func killIndex(tr timelinetest.Transcript) int {
	for i, it := range tr.Items {
		if !it.Env.Time.Before(tr.Killed) {
			return i
		}
	}
	return len(tr.Items)
}

// newSite serves a failover transcript that starts at t0, folded up to the
// primary's death, with the given authentication.
func newSite(t testing.TB, t0 time.Time, auth api.AuthOptions) (*site, timelinetest.Transcript) {
	t.Helper()
	tr := timelinetest.FailoverFrom(t, t0)
	return serveReplay(t, newReplay(t, tr.Items, killIndex(tr)), auth, nil), tr
}

// serveReplay serves r through the API and the web interface; wrap (if
// not nil) wraps the handler.
func serveReplay(t testing.TB, r *replay, auth api.AuthOptions, wrap func(http.Handler) http.Handler) *site {
	t.Helper()
	o := &ops{tb: t, r: r}
	s := api.New(api.Options{Auth: auth}, leader{}, prometheus.NewRegistry(), zerolog.Nop())
	s.RegisterRead(r, inventory{r}, 3306)
	s.RegisterRecovery(r, r, o)
	if _, err := Register(s, r, Options{History: r, Heartbeat: time.Second}); err != nil {
		t.Fatal(err)
	}
	h := s.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &site{r: r, ops: o, srv: srv, api: s}
}
