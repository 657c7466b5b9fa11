package timelinetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
	"github.com/regent-ha/regent/projections/timeline"
)

// T0 is the transcript's first instant.
var T0 = time.Date(2026, 11, 24, 3, 10, 0, 0, time.UTC)

// Nodes are the Regent nodes that observe.
var Nodes = []string{"c1", "c2", "c3"}

// Primary, Good and Banned are the hosts: Good is promoted, Banned has
// promotion rule must_not.
const (
	Primary = "198.18.0.1"
	Good    = "198.18.0.2"
	Banned  = "198.18.0.3"
	Cluster = "198.18.0.1:3306"
	VIP     = "198.18.0.200"
)

// Key is host:3306.
func Key(host string) events.InstanceKey { return events.InstanceKey{Hostname: host, Port: 3306} }

// Settings are the projection settings the transcript was decided with.
func Settings() projections.Settings {
	s := projections.DefaultSettings()
	s.Nodes = 3
	return s
}

// Params are the analysis parameters: every cluster recovers.
func Params() analysis.Params {
	p := analysis.DefaultParams()
	all, err := projections.CompileClusterFilters([]string{"*"})
	if err != nil {
		panic(fmt.Sprintf("compile filter: %v", err))
	}
	p.RecoverMasterClusterFilters, p.RecoverIntermediateMasterClusterFilters = all, all
	return p
}

// Transcript is a failover log.
type Transcript struct {
	Items      []timeline.Item // merged, in stream order per stream
	Events     []timeline.Item // REGENT_EVENTS only
	Obs        []timeline.Item // REGENT_OBS only
	RecoveryID string
	Killed     time.Time // the primary stopped answering
}

type builder struct {
	tb     testing.TB
	t0     time.Time
	t      Transcript
	now    time.Time
	obsSeq uint64
	evtSeq uint64
}

func (b *builder) at(d time.Duration) { b.now = b.t0.Add(d) }

func (b *builder) emit(kind events.Kind, origin, cluster, instance, corr string, p any) {
	b.tb.Helper()
	env, err := events.New(kind, b.now, origin, p)
	if err != nil {
		b.tb.Fatal(err)
	}
	env.Cluster, env.Instance, env.CorrelationID = cluster, instance, corr
	it := timeline.Item{Stored: b.now.Add(time.Millisecond), Env: env}
	if kind.IsObservation() {
		b.obsSeq++
		it.Stream, it.Seq = events.ObservationsName, b.obsSeq
		b.t.Obs = append(b.t.Obs, it)
	} else {
		b.evtSeq++
		it.Stream, it.Seq = events.EventsName, b.evtSeq
		b.t.Events = append(b.t.Events, it)
	}
	b.t.Items = append(b.t.Items, it)
	b.now = b.now.Add(time.Microsecond) // keep stored times strictly increasing
}

func (b *builder) observe(o *events.InstanceObserved) {
	for _, n := range Nodes {
		b.emit(events.KindInstanceObserved, n, Cluster, o.Key.String(), "", o)
	}
}

// Failover builds the transcript from T0: five seconds of a healthy
// cluster, the primary dead at T0+6s, and at T0+7s the recovery the
// analysis decides.
func Failover(tb testing.TB) Transcript {
	tb.Helper()
	return FailoverFrom(tb, T0)
}

// FailoverFrom is Failover starting at t0.
func FailoverFrom(tb testing.TB, t0 time.Time) Transcript {
	tb.Helper()
	b := &builder{tb: tb, t0: t0.UTC()}
	b.at(0)
	for _, h := range []string{Primary, Good, Banned} {
		b.emit(events.KindInstanceDiscovered, "c1", "", Key(h).String(), "", events.InstanceDiscovered{Key: Key(h), Via: "seed"})
	}
	for s := range 6 {
		b.at(time.Duration(s) * time.Second)
		b.observe(primary(Primary))
		b.observe(replica(Good, Primary, ""))
		b.observe(replica(Banned, Primary, projections.PromotionMustNot))
	}
	b.at(6 * time.Second)
	b.t.Killed = b.now
	for _, n := range Nodes {
		b.emit(events.KindInstanceUnreachable, n, Cluster, Cluster, "", events.InstanceUnreachable{Key: Key(Primary),
			Error: "dial tcp 198.18.0.1:3306: connect: connection refused", Kind: "refused"})
	}
	b.at(6200 * time.Millisecond)
	b.observe(connecting(replica(Good, Primary, "")))
	b.observe(connecting(replica(Banned, Primary, projections.PromotionMustNot)))
	b.at(7 * time.Second)
	b.recover()
	return b.t
}

// recover decides as the engine does and records the recovery.
func (b *builder) recover() {
	b.tb.Helper()
	st, err := timeline.Fold(b.t.Items, Settings(), time.Time{})
	if err != nil {
		b.tb.Fatal(err)
	}
	v := st.Topology.View(b.now)
	var d *analysis.Decision
	for _, x := range analysis.Decide(v, st.Recoveries, b.now, Params()) {
		if x.Action == analysis.ActionStart {
			d = &x
		}
	}
	if d == nil {
		b.tb.Fatalf("timelinetest: the analysis decides no recovery: %+v", analysis.Decide(v, st.Recoveries, b.now, Params()))
	}
	succ, cands, err := analysis.ChooseCandidate(v, Key(Primary), Params())
	if err != nil {
		b.tb.Fatalf("timelinetest: choose candidate: %v", err)
	}
	id := "r-" + d.Failure.DetectionID[2:] + "-1"
	b.t.RecoveryID = id
	b.emit(events.KindFailureDetected, "c1", Cluster, Cluster, id, d.Failure)
	b.emit(events.KindHookRan, "c1", Cluster, "", id, events.HookRan{RecoveryID: id, Hook: "OnFailureDetectionProcesses", Command: "echo detected", Took: 2 * time.Millisecond})
	b.emit(events.KindRecoveryStarted, "c1", Cluster, Cluster, id, events.RecoveryStarted{RecoveryID: id, DetectionID: d.Failure.DetectionID,
		Type: d.RecoveryType, Analysis: d.Failure.Analysis, Failed: Key(Primary), ClusterName: Cluster, Candidates: cands, Successor: succ, Node: "c1"})
	b.emit(events.KindHookRan, "c1", Cluster, "", id, events.HookRan{RecoveryID: id, Hook: "PreFailoverProcesses", Command: "echo pre {failedHost}", Output: "pre 198.18.0.1\n", Took: 4 * time.Millisecond})
	for _, s := range []events.RecoveryStep{
		{Step: "stop-io", Target: Key(Good), Outcome: events.StepOK, Took: 3 * time.Millisecond},
		{Step: "promote", Target: succ, Outcome: events.StepOK, Took: 11 * time.Millisecond},
		{Step: "repoint " + Key(Banned).String(), Target: Key(Banned), Outcome: events.StepOK, Took: 9 * time.Millisecond},
	} {
		s.RecoveryID = id
		b.emit(events.KindRecoveryStep, "c1", Cluster, s.Target.String(), id, s)
	}
	b.emit(events.KindVIPMoved, "c1", Cluster, "", id, events.VIPMoved{RecoveryID: id, VIP: VIP, From: Key(Primary), To: succ})
	b.emit(events.KindRecoveryCompleted, "c1", Cluster, Cluster, id, events.RecoveryCompleted{RecoveryID: id, Successor: succ, Took: 90 * time.Millisecond})
	b.emit(events.KindHookRan, "c1", Cluster, "", id, events.HookRan{RecoveryID: id, Hook: "PostFailoverProcesses", Command: "echo post {successorHost}", Output: "post 198.18.0.2\n", Took: 5 * time.Millisecond})
	b.at(8 * time.Second)
	p := primary(Good)
	b.observe(p)
	b.observe(replica(Banned, Good, projections.PromotionMustNot))
}

func i64(n int64) *int64 { return &n }

func primary(host string) *events.InstanceObserved {
	return &events.InstanceObserved{
		Key: Key(host), ServerID: uint32(host[len(host)-1]), Version: "10.11.6-MariaDB-log", Flavor: "MariaDB",
		LogBin: true, LogReplicaUpdates: true, BinlogFormat: "ROW",
		SelfCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 4000},
		GTID:            events.GTIDState{CurrentPos: "0-1-100", BinlogPos: "0-1-100"},
		Digest:          "d-" + host,
	}
}

func replica(host, source, rule string) *events.InstanceObserved {
	o := primary(host)
	o.ReadOnly, o.PromotionRule = true, rule
	o.GTID = events.GTIDState{CurrentPos: "0-1-100", SlavePos: "0-1-100", BinlogPos: "0-1-100"}
	o.LagSeconds = i64(0)
	o.Digest = "d-" + host + "-of-" + source
	o.Replication = &events.Replication{
		SourceKey: Key(source), IOThread: events.ThreadRunning, SQLThread: events.ThreadRunning, SecondsBehind: i64(0),
		ReadCoordinates:  events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 4000},
		ExecCoordinates:  events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 4000},
		UsingMariaDBGTID: true, MariaDBGTIDMode: "Slave_Pos", GTIDIOPos: "0-1-100", HasCredentials: true,
	}
	return o
}

func connecting(o *events.InstanceObserved) *events.InstanceObserved {
	o.Replication.IOThread = events.ThreadOther
	o.Replication.LastIOError = "error reconnecting to master: Can't connect to server (111)"
	o.Replication.SecondsBehind, o.LagSeconds = nil, nil
	o.Digest += "-connecting"
	return o
}
