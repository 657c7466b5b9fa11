package actuators_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/actuators/fake"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// memLog is an event log with the fencing semantics of the real one: an
// append that expects another cluster sequence than the last fails with
// ErrFenced and stores nothing.
type memLog struct {
	mu   sync.Mutex
	seq  uint64
	last map[string]uint64
	envs []events.Envelope
	ids  map[string]uint64 // event id → its sequence
}

var _ actuators.AckLog = (*memLog)(nil)

func newMemLog() *memLog { return &memLog{last: map[string]uint64{}, ids: map[string]uint64{}} }

func (l *memLog) AppendCluster(ctx context.Context, env events.Envelope, expect uint64) (uint64, error) {
	seq, _, err := l.AppendClusterAck(ctx, env, expect)
	return seq, err
}

// AppendClusterAck deduplicates by id as JetStream does (before the
// expected sequence): an id already stored answers its sequence, not
// stored.
func (l *memLog) AppendClusterAck(_ context.Context, env events.Envelope, expect uint64) (uint64, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if seq, ok := l.ids[env.ID]; ok && env.ID != "" {
		return seq, false, nil
	}
	if expect != actuators.AnyPosition && l.last[env.Cluster] != expect {
		return 0, false, fmt.Errorf("%w: expected cluster sequence %d, last is %d", actuators.ErrFenced, expect, l.last[env.Cluster])
	}
	l.seq++
	l.last[env.Cluster] = l.seq
	l.envs = append(l.envs, env)
	l.ids[env.ID] = l.seq
	return l.seq, true, nil
}

func (l *memLog) LastClusterSeq(_ context.Context, cluster string) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last[cluster], nil
}

func (l *memLog) all() []events.Envelope {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]events.Envelope(nil), l.envs...)
}

// kinds lists the kinds appended, in order.
func (l *memLog) kinds() []string {
	var out []string
	for _, e := range l.all() {
		out = append(out, e.Kind.String())
	}
	return out
}

// steps returns the recorded step outcomes by step name.
func (l *memLog) steps(t *testing.T) map[string]events.RecoveryStep {
	t.Helper()
	out := map[string]events.RecoveryStep{}
	for _, e := range l.all() {
		if e.Kind != events.KindRecoveryStep {
			continue
		}
		var s events.RecoveryStep
		if err := e.Decode(&s); err != nil {
			t.Fatal(err)
		}
		out[s.Step] = s
	}
	return out
}

// fold folds every event of the log into a recovery fold, as a node's
// applier would.
func (l *memLog) fold(t *testing.T) *analysis.Recoveries {
	t.Helper()
	recs := analysis.NewRecoveries()
	for i, env := range l.all() {
		if err := recs.Apply(uint64(i+1), env); err != nil {
			t.Fatal(err)
		}
	}
	return recs
}

func (l *memLog) has(kind events.Kind) bool {
	for _, e := range l.all() {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

// lease holds the epoch for its first n Holds calls (forever: always).
type lease struct {
	forever bool
	n       atomic.Int64
}

func leaseFor(n int64) *lease {
	l := &lease{forever: n < 0}
	l.n.Store(n)
	return l
}

func (l *lease) Holds(uint64) bool { return l.forever || l.n.Add(-1) >= 0 }

// hookCall is one list run by the hooks fake.
type hookCall struct {
	list     string
	hc       actuators.HookContext
	failFast bool
	ran      []string
}

// hooks runs nothing: a command "fail…" fails, any other succeeds.
type hooks struct {
	mu    sync.Mutex
	calls []hookCall
}

func (h *hooks) Run(_ context.Context, list string, cmds []string, hc actuators.HookContext, failFast bool, _ func(events.HookRan)) ([]events.HookRan, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	call := hookCall{list: list, hc: hc, failFast: failFast}
	defer func() { h.calls = append(h.calls, call) }()
	var out []events.HookRan
	for _, c := range cmds {
		call.ran = append(call.ran, c)
		r := events.HookRan{Hook: list, Command: c}
		if strings.HasPrefix(c, "fail") {
			r.ExitCode, r.Error = 1, "exit status 1"
			out = append(out, r)
			if failFast {
				return out, fmt.Errorf("run hook %s: command %q: %w", list, c, errHookFailed)
			}
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

var errHookFailed = errors.New("hook failed")

// lists returns the names of the lists run, in order.
func (h *hooks) lists() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, c := range h.calls {
		out = append(out, c.list)
	}
	return out
}

func (h *hooks) call(list string) (hookCall, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.calls {
		if c.list == list {
			return c, true
		}
	}
	return hookCall{}, false
}

// noVIP is an unconfigured VIP.
type noVIP struct{}

func (noVIP) Address() string { return "" }
func (noVIP) Add(context.Context, events.InstanceKey) (bool, error) {
	return false, errors.New("no VIP configured")
}
func (noVIP) Remove(context.Context, events.InstanceKey) (bool, error) {
	return false, errors.New("no VIP configured")
}
func (noVIP) Has(context.Context, events.InstanceKey) (bool, error) { return false, nil }

type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.Unix(1_700_000_000, 0) }

// world is one recovery test: a fake topology (198.18.0.1 the primary,
// the others its replicas), a log, the hooks fake and a runner.
type world struct {
	topo  *fake.Topology
	keys  []events.InstanceKey
	log   *memLog
	hooks *hooks
	r     *actuators.Runner
}

func newWorld(t *testing.T, n int) *world {
	t.Helper()
	topo, keys := fake.NewFlat(n)
	w := &world{topo: topo, keys: keys, log: newMemLog(), hooks: &hooks{}}
	pol := actuators.DefaultPolicy()
	pol.StepTimeout, pol.FenceTimeout, pol.RelayApplyTimeout = time.Second, 200*time.Millisecond, time.Second
	w.r = &actuators.Runner{Node: "n1", DB: topo.DB(), VIP: noVIP{}, Hooks: w.hooks, Log: w.log, Lease: leaseFor(-1),
		Policy: pol, Clock: fixedClock{}, Logger: zerolog.Nop()}
	return w
}

func (w *world) cluster() string { return w.keys[0].String() }

// intent is a dead-primary recovery of keys[0] promoting keys[1].
func (w *world) intent() actuators.Intent {
	return actuators.NewIntent(nil, actuators.IntentSpec{RecoveryID: "r-1", Type: "MasterRecovery", Analysis: events.AnalysisDeadMaster,
		Description: "dead", Cluster: projections.ClusterInfo{ClusterName: w.cluster(), ClusterAlias: "alias"}, Failed: w.keys[0],
		Successor: w.keys[1], Replicas: w.keys[2:], Node: "n1", Epoch: 1})
}

func (w *world) run(t *testing.T, in actuators.Intent) (actuators.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return w.r.Run(ctx, in)
}

func (w *world) status(t *testing.T, k events.InstanceKey) actuators.Status {
	t.Helper()
	st, err := w.topo.DB().Status(context.Background(), k)
	if err != nil {
		t.Fatalf("status of %s: %v", k, err)
	}
	return st
}

// dbCalls is the number of calls of every DB operation so far.
func (w *world) dbCalls() int {
	n := 0
	for _, op := range []string{"Status", "StopReplica", "StartReplica", "StopReplicaIO", "ResetReplica", "SetReadOnly",
		"ChangeSource", "WaitRelayApplied", "WaitGTID", "DetachSource"} {
		n += w.topo.Calls(op)
	}
	return n
}

// overrideDB replaces one operation on one instance of a fake DB.
type overrideDB struct {
	*fake.DB
	setReadOnly  map[events.InstanceKey]error
	changeSource map[events.InstanceKey]error
}

func (d overrideDB) SetReadOnly(ctx context.Context, key events.InstanceKey, ro bool) error {
	if err, ok := d.setReadOnly[key]; ok {
		return err
	}
	return d.DB.SetReadOnly(ctx, key, ro)
}

func (d overrideDB) ChangeSource(ctx context.Context, key, source events.InstanceKey, mode actuators.SourceMode, creds *actuators.Credentials) error {
	if err, ok := d.changeSource[key]; ok {
		return err
	}
	return d.DB.ChangeSource(ctx, key, source, mode, creds)
}

// newEngine is actuators.NewEngine for the tests.
func newEngine(t testing.TB, c actuators.EngineConfig) *actuators.Engine {
	t.Helper()
	e, err := actuators.NewEngine(c)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
