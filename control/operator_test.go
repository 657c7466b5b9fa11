package control

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

func key(host string) events.InstanceKey { return events.InstanceKey{Hostname: host, Port: 3306} }

var (
	opPrimary = key("198.18.0.1")
	opErrant  = key("198.18.0.2") // replica of the primary with errant GTIDs, no replicas
	opSibling = key("198.18.0.3") // replica of the primary
	opLeaf    = key("198.18.0.4") // replica of opSibling
)

const (
	uuidA = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	uuidB = "4e11fa47-71ca-11e1-9e33-c80aa9429562"
)

// stubDB is every database interface the operator uses; it records the
// calls and fails the method named in fail.
type stubDB struct {
	mu    sync.Mutex
	calls []string
	fail  string
}

func (d *stubDB) call(method string, key events.InstanceKey) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, method+" "+key.String())
	if method == d.fail {
		return &actuators.Error{Kind: actuators.Permanent, Op: method, Key: key, Err: errors.New("injected failure")}
	}
	return nil
}

func (d *stubDB) Status(_ context.Context, k events.InstanceKey) (actuators.Status, error) {
	return actuators.Status{Key: k, GTIDExecuted: uuidA + ":1-10"}, d.call("Status", k)
}
func (d *stubDB) StopReplica(_ context.Context, k events.InstanceKey) error {
	return d.call("StopReplica", k)
}
func (d *stubDB) StartReplica(_ context.Context, k events.InstanceKey) error {
	return d.call("StartReplica", k)
}
func (d *stubDB) StopReplicaIO(_ context.Context, k events.InstanceKey) error {
	return d.call("StopReplicaIO", k)
}
func (d *stubDB) ResetReplica(_ context.Context, k events.InstanceKey) error {
	return d.call("ResetReplica", k)
}
func (d *stubDB) SetReadOnly(_ context.Context, k events.InstanceKey, ro bool) error {
	return d.call(fmt.Sprintf("SetReadOnly(%v)", ro), k)
}
func (d *stubDB) ChangeSource(_ context.Context, k, src events.InstanceKey, _ actuators.SourceMode, _ *actuators.Credentials) error {
	return d.call("ChangeSource("+src.String()+")", k)
}
func (d *stubDB) WaitRelayApplied(_ context.Context, k events.InstanceKey) error {
	return d.call("WaitRelayApplied", k)
}
func (d *stubDB) DetachSource(_ context.Context, k events.InstanceKey) error {
	return d.call("DetachSource", k)
}
func (d *stubDB) WaitGTID(_ context.Context, k events.InstanceKey, _ string) error {
	return d.call("WaitGTID", k)
}
func (d *stubDB) Close() error { return nil }
func (d *stubDB) ReattachSource(_ context.Context, k events.InstanceKey) error {
	return d.call("ReattachSource", k)
}
func (d *stubDB) InjectErrant(_ context.Context, k events.InstanceKey, _ string) (string, error) {
	return "2 transactions", d.call("InjectErrant", k)
}
func (d *stubDB) ResetErrant(_ context.Context, k events.InstanceKey, _, _ string) (string, error) {
	return "gtid_purged=", d.call("ResetErrant", k)
}
func (d *stubDB) LocateErrant(_ context.Context, k events.InstanceKey, _ string) ([]string, error) {
	return []string{"binlog.000001"}, d.call("LocateErrant", k)
}
func (d *stubDB) SetSemiSync(_ context.Context, k events.InstanceKey, master, enabled bool) error {
	return d.call(fmt.Sprintf("SetSemiSync(%v,%v)", master, enabled), k)
}
func (d *stubDB) SkipQuery(_ context.Context, k events.InstanceKey) error {
	return d.call("SkipQuery", k)
}
func (d *stubDB) FlushBinaryLogs(_ context.Context, k events.InstanceKey) error {
	return d.call("FlushBinaryLogs", k)
}
func (d *stubDB) BinaryLogs(_ context.Context, k events.InstanceKey) ([]string, error) {
	return []string{"mysql-bin.000001", "mysql-bin.000002", "mysql-bin.000003"}, d.call("BinaryLogs", k)
}
func (d *stubDB) PurgeBinaryLogs(_ context.Context, k events.InstanceKey, _ string) error {
	return d.call("PurgeBinaryLogs", k)
}
func (d *stubDB) DelayReplication(_ context.Context, k events.InstanceKey, _ int) error {
	return d.call("DelayReplication", k)
}

// memLog records the appended events.
type memLog struct {
	mu   sync.Mutex
	envs []events.Envelope
}

func (l *memLog) AppendCluster(_ context.Context, env events.Envelope, _ uint64) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.envs = append(l.envs, env)
	return uint64(len(l.envs)), nil
}
func (l *memLog) LastClusterSeq(context.Context, string) (uint64, error) { return 0, nil }
func (l *memLog) all() []events.Envelope {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.envs)
}

// lease holds epoch 3 until lost.
type lease struct{ lost atomic.Bool }

func (l *lease) Holds(epoch uint64) bool       { return epoch == 3 && !l.lost.Load() }
func (l *lease) Leading() (uint64, bool)       { return 3, !l.lost.Load() }
func (opClock) Now() time.Time                 { return time.Unix(1_700_000_000, 0) }
func (v views) FreshView() *projections.View   { return v.v }
func (views) Recoveries() *analysis.Recoveries { return analysis.NewRecoveries() }
func (views) Barrier(context.Context) error    { return nil }

type opClock struct{}

type views struct{ v *projections.View }

// probe answers with the view's instance.
type probe struct{ v *projections.View }

func (p probe) Discover(_ context.Context, k events.InstanceKey, _ string) (*projections.Instance, error) {
	inst, ok := p.v.Instance(k)
	if !ok {
		return nil, fmt.Errorf("unknown instance %s", k)
	}
	return inst, nil
}

// opView folds the topology of the operator tests: MySQL with GTID, a
// primary, two replicas (one with errant GTIDs) and a replica of a replica;
// each mod changes every observation before it is folded.
func opView(t *testing.T, mods ...func(*events.InstanceObserved)) *projections.View {
	t.Helper()
	topo, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	now := opClock{}.Now()
	coords := events.BinlogCoordinates{LogFile: "mysql-bin.000003", LogPos: 4}
	replica := func(k, src events.InstanceKey, executed string, replicas ...events.InstanceKey) events.InstanceObserved {
		return events.InstanceObserved{Key: k, Flavor: "MySQL", Version: "8.0.36", ReadOnly: true, LogBin: true, LogReplicaUpdates: true, Replicas: replicas,
			GTID: events.GTIDState{Mode: "ON", Executed: executed},
			Replication: &events.Replication{SourceKey: src, IOThread: events.ThreadRunning, SQLThread: events.ThreadRunning,
				AutoPosition: true, ReadCoordinates: coords, ExecCoordinates: coords}}
	}
	for i, o := range []events.InstanceObserved{
		{Key: opPrimary, Flavor: "MySQL", Version: "8.0.36", LogBin: true, Replicas: []events.InstanceKey{opErrant, opSibling},
			GTID: events.GTIDState{Mode: "ON", Executed: uuidA + ":1-10"}},
		replica(opErrant, opPrimary, uuidA+":1-10,"+uuidB+":1-2"),
		replica(opSibling, opPrimary, uuidA+":1-10", opLeaf),
		replica(opLeaf, opSibling, uuidA+":1-10"),
	} {
		o.ServerID = uint32(i + 1)
		for _, mod := range mods {
			mod(&o)
		}
		env, err := events.New(events.KindInstanceObserved, now, "n1", o)
		if err != nil {
			t.Fatal(err)
		}
		if err := topo.Apply(uint64(i+1), env); err != nil {
			t.Fatal(err)
		}
	}
	v := topo.View(now)
	if inst, _ := v.Instance(opErrant); inst == nil || inst.GtidErrant == "" || !inst.UsingOracleGTID {
		t.Fatalf("the test topology has no errant GTID replica: %+v", inst)
	}
	return v
}

type opWorld struct {
	o      *Operator
	engine *actuators.Engine
	db     *stubDB
	log    *memLog
	lease  *lease
}

func newOpWorld(t *testing.T) *opWorld {
	t.Helper()
	v := opView(t)
	w := &opWorld{db: &stubDB{}, log: &memLog{}, lease: &lease{}}
	r := &actuators.Runner{Node: "n1", DB: w.db, Log: w.log, Lease: w.lease, Clock: opClock{}, Logger: zerolog.Nop()}
	e, err := actuators.NewEngine(actuators.EngineConfig{Runner: r, Params: analysis.DefaultParams(), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	w.engine = e
	o, err := NewOperator(Deps{Runner: r, Engine: e, Leader: w.lease, Views: views{v}, Probe: probe{v}, Logger: zerolog.Nop()},
		Options{Params: analysis.DefaultParams, Replication: &actuators.Credentials{User: "repl", Password: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	w.o = o
	return w
}

// manualOps are the operator's manual operations: how to run each, the
// operation name and target in the log, its steps, and the database call
// to fail (its step then fails).
var manualOps = []struct {
	op       string
	target   events.InstanceKey
	run      func(ctx context.Context, o *Operator) (*projections.Instance, error)
	steps    []string
	failCall string
	failStep string
}{
	{"start-replica", opSibling, replicaOp(OpStartReplica, opSibling), []string{"start-replica"}, "StartReplica", "start-replica"},
	{"stop-replica", opSibling, replicaOp(OpStopReplica, opSibling), []string{"stop-replica"}, "StopReplica", "stop-replica"},
	{"restart-replica", opSibling, replicaOp(OpRestartReplica, opSibling), []string{"stop-replica", "start-replica"}, "StartReplica", "start-replica"},
	{"reset-replica", opLeaf, replicaOp(OpResetReplica, opLeaf), []string{"reset-replica"}, "ResetReplica", "reset-replica"},
	{"detach-replica", opLeaf, replicaOp(OpDetachReplica, opLeaf), []string{"detach-source"}, "DetachSource", "detach-source"},
	{"reattach-replica", opLeaf, replicaOp(OpReattachReplica, opLeaf), []string{"reattach-source"}, "ReattachSource", "reattach-source"},
	{"set-read-only", opPrimary, replicaOp(OpSetReadOnly, opPrimary), []string{"set-read-only"}, "SetReadOnly(true)", "set-read-only"},
	{"set-writeable", opLeaf, replicaOp(OpSetWriteable, opLeaf), []string{"set-writeable"}, "SetReadOnly(false)", "set-writeable"},
	{"gtid-errant-inject-empty", opErrant, replicaOp(OpErrantInject, opErrant), []string{"inject-errant-gtids"}, "InjectErrant", "inject-errant-gtids"},
	{"gtid-errant-reset-master", opErrant, replicaOp(OpErrantReset, opErrant), []string{"reset-errant-gtids"}, "ResetErrant", "reset-errant-gtids"},
	{"stop-replica-nice", opLeaf, replicaOp(OpStopReplicaNice, opLeaf), []string{"stop-replica-io", "wait-relay-applied", "stop-replica"}, "StopReplica", "stop-replica"},
	{"skip-query", opLeaf, replicaOp(OpSkipQuery, opLeaf), []string{"skip-query"}, "SkipQuery", "skip-query"},
	{"enable-semi-sync-master", opPrimary, replicaOp(OpEnableSemiSyncMaster, opPrimary), []string{"enable-semi-sync-master"}, "SetSemiSync(true,true)", "enable-semi-sync-master"},
	{"disable-semi-sync-master", opPrimary, replicaOp(OpDisableSemiSyncMaster, opPrimary), []string{"disable-semi-sync-master"}, "SetSemiSync(true,false)", "disable-semi-sync-master"},
	{"enable-semi-sync-replica", opLeaf, replicaOp(OpEnableSemiSyncReplica, opLeaf), []string{"enable-semi-sync-replica"}, "SetSemiSync(false,true)", "enable-semi-sync-replica"},
	{"disable-semi-sync-replica", opLeaf, replicaOp(OpDisableSemiSyncReplica, opLeaf), []string{"disable-semi-sync-replica"}, "SetSemiSync(false,false)", "disable-semi-sync-replica"},
	{"flush-binary-logs", opPrimary, replicaOp(OpFlushBinaryLogs, opPrimary), []string{"flush-binary-logs"}, "FlushBinaryLogs", "flush-binary-logs"},
	{"relocate", opLeaf, func(ctx context.Context, o *Operator) (*projections.Instance, error) {
		return o.Relocate(ctx, opLeaf, opPrimary, "dba")
	}, []string{"change-source"}, "ChangeSource(198.18.0.1:3306)", "change-source"},
	{"move-up", opLeaf, moveOp(OpMoveUp, opLeaf, events.InstanceKey{}), []string{"change-source"}, "ChangeSource(198.18.0.1:3306)", "change-source"},
	{"move-below", opErrant, moveOp(OpMoveBelow, opErrant, opSibling), []string{"change-source"}, "ChangeSource(198.18.0.3:3306)", "change-source"},
	{"repoint", opLeaf, moveOp(OpRepoint, opLeaf, opErrant), []string{"change-source"}, "ChangeSource(198.18.0.2:3306)", "change-source"},
	{"purge-binary-logs", opPrimary, func(ctx context.Context, o *Operator) (*projections.Instance, error) {
		return o.PurgeBinaryLogs(ctx, opPrimary, "mysql-bin.000002", false, "dba")
	}, []string{"purge-binary-logs"}, "PurgeBinaryLogs", "purge-binary-logs"},
	{"delay-replication", opLeaf, func(ctx context.Context, o *Operator) (*projections.Instance, error) {
		return o.DelayReplication(ctx, opLeaf, 30, "dba")
	}, []string{"delay-replication"}, "DelayReplication", "delay-replication"},
}

func replicaOp(op ReplicaOp, k events.InstanceKey) func(context.Context, *Operator) (*projections.Instance, error) {
	return func(ctx context.Context, o *Operator) (*projections.Instance, error) {
		return o.Replica(ctx, op, k, "dba")
	}
}

func moveOp(op ReplicaOp, k, dest events.InstanceKey) func(context.Context, *Operator) (*projections.Instance, error) {
	return func(ctx context.Context, o *Operator) (*projections.Instance, error) {
		return o.Move(ctx, op, k, dest, "dba")
	}
}

// opEvents returns the operation's started event and its outcome (kind and
// payload); every one correlated by the operation id, on no cluster's
// subject, with the lease epoch.
func opEvents(t *testing.T, log *memLog) (events.ManualOperation, events.Kind, events.ManualOperationCompleted, events.ManualOperationFailed) {
	t.Helper()
	envs := log.all()
	// gtid-errant-reset-master holds the maintenance lock around its step:
	// begun and ended inside the operation, checked here and set aside.
	if len(envs) == 4 && envs[1].Kind == events.KindMaintenanceBegun && envs[2].Kind == events.KindMaintenanceEnded {
		envs = []events.Envelope{envs[0], envs[3]}
	}
	if len(envs) != 2 || envs[0].Kind != events.KindManualOperationStarted {
		kinds := make([]string, len(envs))
		for i, e := range envs {
			kinds[i] = e.Kind.String()
		}
		t.Fatalf("appended %v, want manual-operation-started and its outcome", kinds)
	}
	var s events.ManualOperation
	var c events.ManualOperationCompleted
	var f events.ManualOperationFailed
	if err := envs[0].Decode(&s); err != nil {
		t.Fatal(err)
	}
	out := envs[1]
	var err error
	if out.Kind == events.KindManualOperationCompleted {
		err = out.Decode(&c)
	} else {
		err = out.Decode(&f)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range envs {
		if e.Cluster != "" || e.Epoch != 3 || e.CorrelationID != s.OperationID || s.OperationID == "" || e.Origin != "n1" {
			t.Fatalf("%s: cluster %q epoch %d correlation %q (operation %q) origin %q", e.Kind, e.Cluster, e.Epoch, e.CorrelationID, s.OperationID, e.Origin)
		}
	}
	return s, out.Kind, c, f
}

// TestManualOperationOutcomes: every manual operation appends
// manual-operation-started naming its steps, then, when they all ran,
// manual-operation-completed; when its database call fails,
// manual-operation-failed with the step and the error, and the operator
// returns that error.
func TestManualOperationOutcomes(t *testing.T) {
	for _, tc := range manualOps {
		t.Run(tc.op+"/success", func(t *testing.T) {
			w := newOpWorld(t)
			inst, err := tc.run(t.Context(), w.o)
			if err != nil || inst == nil || inst.Key != tc.target {
				t.Fatalf("%s = %v, %v", tc.op, inst, err)
			}
			s, kind, c, _ := opEvents(t, w.log)
			if s.Operation != tc.op || s.Target != tc.target || s.Who != "dba" || !slices.Equal(s.Steps, tc.steps) {
				t.Fatalf("started %+v, want %s on %s by dba with steps %v", s, tc.op, tc.target, tc.steps)
			}
			if kind != events.KindManualOperationCompleted || c.Operation != tc.op || c.Target != tc.target || c.OperationID != s.OperationID {
				t.Fatalf("outcome %s %+v", kind, c)
			}
		})
		t.Run(tc.op+"/failure", func(t *testing.T) {
			w := newOpWorld(t)
			w.db.fail = tc.failCall
			inst, err := tc.run(t.Context(), w.o)
			if err == nil || !strings.Contains(err.Error(), "injected failure") || inst != nil {
				t.Fatalf("%s with %s failing = %v, %v; want the failure", tc.op, tc.failCall, inst, err)
			}
			_, kind, _, f := opEvents(t, w.log)
			if kind != events.KindManualOperationFailed || f.Operation != tc.op || f.Step != tc.failStep ||
				!strings.Contains(f.Error, "injected failure") || f.Fenced {
				t.Fatalf("outcome %s %+v, want failed at %s with the error", kind, f, tc.failStep)
			}
			if want := tc.steps[:slices.Index(tc.steps, tc.failStep)]; !slices.Equal(f.Done, want) {
				t.Fatalf("done %v, want %v", f.Done, want)
			}
		})
	}
}

// TestManualOperationStopsWhenTheLeaseIsLost: a node that loses the lease
// between restart-replica's two steps does not start replication again,
// records that it stopped before start-replica, and tells the operator.
func TestManualOperationStopsWhenTheLeaseIsLost(t *testing.T) {
	w := newOpWorld(t)
	w.db.fail = "none"
	stop := func(context.Context) error { w.lease.lost.Store(true); return nil }
	steps, err := w.o.replicaSteps(OpRestartReplica, opSibling)
	if err != nil {
		t.Fatal(err)
	}
	// The first step loses the lease after stopping replication.
	first := steps[0].Do
	steps[0].Do = func(ctx context.Context) (string, error) {
		d, err := first(ctx)
		return d, errors.Join(err, stop(ctx))
	}
	_, err = w.o.operate(t.Context(), string(OpRestartReplica), opSibling, "", "dba", steps...)
	if !errors.Is(err, actuators.ErrFenced) {
		t.Fatalf("operate = %v, want ErrFenced", err)
	}
	if got := strings.Join(w.db.calls, ", "); got != "StopReplica 198.18.0.3:3306" {
		t.Fatalf("database calls %s: the step after the lease was lost ran", got)
	}
	_, kind, _, f := opEvents(t, w.log)
	if kind != events.KindManualOperationFailed || !f.Fenced || f.Step != "start-replica" || !slices.Equal(f.Done, []string{"stop-replica"}) {
		t.Fatalf("outcome %s %+v, want stopped before start-replica", kind, f)
	}
}

// TestManualOperationRefusedAppendsNothing: an operation refused before it
// acts (a check on the view, or this node not leading) records nothing.
func TestManualOperationRefusedAppendsNothing(t *testing.T) {
	w := newOpWorld(t)
	if _, err := w.o.Replica(t.Context(), OpErrantInject, opSibling, "dba"); err == nil || !strings.Contains(err.Error(), "no errant GTIDs") {
		t.Fatalf("errant inject on a clean replica: %v", err)
	}
	w.lease.lost.Store(true)
	if _, err := w.o.Replica(t.Context(), OpStopReplica, opSibling, "dba"); err == nil || !strings.Contains(err.Error(), "does not lead") {
		t.Fatalf("stop-replica on a follower: %v", err)
	}
	if n := len(w.log.all()); n != 0 || len(w.db.calls) != 0 {
		t.Fatalf("refused operations appended %d events and called %v", n, w.db.calls)
	}
}

// TestManualOperationWaitsForNoOtherActor: while something else runs on
// the target's cluster (here another operation; a recovery claims the
// cluster the same way), an operation is refused with ErrBusy before it
// records or calls anything: the operator names the target's cluster to
// the engine.
func TestManualOperationWaitsForNoOtherActor(t *testing.T) {
	w := newOpWorld(t)
	inst, ok := w.o.views.FreshView().Instance(opSibling)
	if !ok || inst.ClusterName == "" {
		t.Fatalf("no cluster for %s in the test view", opSibling)
	}
	inStep, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := w.engine.RunOperation(t.Context(), inst.ClusterName, actuators.NewOperation("op-busy", "relocate", opPrimary, "", "x", 3,
			actuators.OperationStep{Name: "hold", Do: func(ctx context.Context) (string, error) {
				close(inStep)
				<-release
				return "", nil
			}}))
		done <- err
	}()
	select {
	case <-inStep:
	case err := <-done:
		t.Fatalf("the holding operation ended before its step: %v", err)
	}
	before := len(w.log.all())
	_, err := w.o.Replica(t.Context(), OpStopReplica, opSibling, "dba")
	close(release)
	if !errors.Is(err, actuators.ErrBusy) || !strings.Contains(err.Error(), inst.ClusterName) {
		t.Fatalf("stop-replica while the cluster is busy: %v, want ErrBusy naming %s", err, inst.ClusterName)
	}
	if n := len(w.log.all()) - before; n != 0 || len(w.db.calls) != 0 {
		t.Fatalf("the refused operation appended %d events and called %v", n, w.db.calls)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := w.o.Replica(t.Context(), OpStopReplica, opSibling, "dba"); err != nil {
		t.Fatalf("stop-replica once the cluster is free: %v", err)
	}
}

// TestStartReplicaSetsSemiSyncFirst: start-replica and restart-replica on
// a replica with a semi-sync priority whose source side is on turn that
// side off and the replica side on before START SLAVE, as orchestrator's
// StartReplication, in one "semi-sync" step; without a priority they run
// no such step (TestManualOperationOutcomes).
func TestStartReplicaSetsSemiSyncFirst(t *testing.T) {
	for _, tc := range []struct {
		op    ReplicaOp
		steps []string
		calls string
	}{
		{OpStartReplica, []string{"semi-sync", "start-replica"},
			"SetSemiSync(true,false) 198.18.0.3:3306, SetSemiSync(false,true) 198.18.0.3:3306, StartReplica 198.18.0.3:3306"},
		{OpRestartReplica, []string{"stop-replica", "semi-sync", "start-replica"},
			"StopReplica 198.18.0.3:3306, SetSemiSync(true,false) 198.18.0.3:3306, SetSemiSync(false,true) 198.18.0.3:3306, StartReplica 198.18.0.3:3306"},
	} {
		t.Run(string(tc.op), func(t *testing.T) {
			w := newOpWorld(t)
			w.o.views = views{opView(t, func(o *events.InstanceObserved) {
				if o.Key == opSibling {
					o.SemiSync = events.SemiSync{Available: true, Enforced: true, MasterEnabled: true}
				}
			})}
			if _, err := w.o.Replica(t.Context(), tc.op, opSibling, "dba"); err != nil {
				t.Fatal(err)
			}
			s, kind, c, _ := opEvents(t, w.log)
			if kind != events.KindManualOperationCompleted || !slices.Equal(s.Steps, tc.steps) {
				t.Fatalf("outcome %s, steps %v; want completed, %v", kind, s.Steps, tc.steps)
			}
			if got := strings.Join(w.db.calls, ", "); got != tc.calls {
				t.Fatalf("database calls %s, want %s", got, tc.calls)
			}
			if !strings.Contains(c.Detail, "semi-sync source side off, replica side on") || strings.Count(c.Detail, "semi-sync") != 1 {
				t.Fatalf("detail %q does not say what was set", c.Detail)
			}
		})
	}
}
