package analysis

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

var nodes = []string{"n1", "n2", "n3"}

func key(host string) events.InstanceKey { return events.InstanceKey{Hostname: host, Port: 3306} }

func i64(n int64) *int64 { return &n }

func primary(host string, serverID uint32) *events.InstanceObserved {
	return &events.InstanceObserved{
		Key: key(host), ServerID: serverID, Version: "10.11.6-MariaDB-log", Flavor: "MariaDB",
		LogBin: true, LogReplicaUpdates: true, BinlogFormat: "ROW",
		SelfCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 4000},
		GTID:            events.GTIDState{CurrentPos: "0-1-100", BinlogPos: "0-1-100"},
		Digest:          "d-" + host,
	}
}

func replica(host string, serverID uint32, source string) *events.InstanceObserved {
	o := primary(host, serverID)
	o.ReadOnly = true
	o.GTID = events.GTIDState{CurrentPos: "0-1-100", SlavePos: "0-1-100", BinlogPos: "0-1-100"}
	o.LagSeconds = i64(0)
	o.Replication = &events.Replication{
		SourceKey: key(source), IOThread: events.ThreadRunning, SQLThread: events.ThreadRunning,
		SecondsBehind:    i64(0),
		ReadCoordinates:  events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 4000},
		ExecCoordinates:  events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 4000},
		UsingMariaDBGTID: true, MariaDBGTIDMode: "Slave_Pos", GTIDIOPos: "0-1-100", HasCredentials: true,
	}
	return o
}

// connecting is a replica whose source went away: IO thread Connecting.
func connecting(o *events.InstanceObserved) *events.InstanceObserved {
	o.Replication.IOThread = events.ThreadOther
	o.Replication.LastIOError = "error reconnecting to master 'repl@p:3306' - retry-time: 1  maximum-retries: 86400  message: Can't connect to server on 'p' (111)"
	o.Replication.SecondsBehind = nil
	o.LagSeconds = nil
	o.Digest += "-connecting"
	return o
}

// script builds a log of both streams and folds it into a topology and a
// recovery fold as it goes.
type script struct {
	tb     testing.TB
	topo   *projections.Topology
	rec    *Recoveries
	log    []logged
	obsSeq uint64
	evtSeq uint64
	now    time.Time
}

type logged struct {
	seq uint64
	env events.Envelope
}

func settings() projections.Settings {
	s := projections.DefaultSettings()
	s.Nodes = 3
	return s
}

func newScript(tb testing.TB) *script {
	tb.Helper()
	topo, err := projections.NewTopology(settings())
	if err != nil {
		tb.Fatal(err)
	}
	return &script{tb: tb, topo: topo, rec: NewRecoveries(), now: t0}
}

func (s *script) at(d time.Duration) *script { s.now = t0.Add(d); return s }

func (s *script) emit(kind events.Kind, origin string, p any) events.Envelope {
	s.tb.Helper()
	env, err := events.New(kind, s.now, origin, p)
	if err != nil {
		s.tb.Fatal(err)
	}
	var seq uint64
	if kind.IsObservation() {
		s.obsSeq++
		seq = s.obsSeq
	} else {
		s.evtSeq++
		seq = s.evtSeq
	}
	s.log = append(s.log, logged{seq, env})
	if err := s.topo.Apply(seq, env); err != nil {
		s.tb.Fatalf("topology apply %s: %v", kind, err)
	}
	if err := s.rec.Apply(seq, env); err != nil {
		s.tb.Fatalf("recoveries apply %s: %v", kind, err)
	}
	return env
}

func (s *script) observe(origins []string, obs ...*events.InstanceObserved) *script {
	s.tb.Helper()
	for _, o := range obs {
		for _, origin := range origins {
			s.emit(events.KindInstanceObserved, origin, o)
		}
	}
	return s
}

func (s *script) unreachable(origins []string, host string, timeout bool) *script {
	s.tb.Helper()
	msg := "dial tcp " + host + ":3306: connect: connection refused"
	if timeout {
		msg = "dial tcp " + host + ":3306: i/o timeout"
	}
	for _, origin := range origins {
		s.emit(events.KindInstanceUnreachable, origin, events.InstanceUnreachable{Key: key(host), Error: msg, Timeout: timeout})
	}
	return s
}

// progress has every origin report a replica's moving parts.
func (s *script) progress(origins []string, host string, heartbeats, readPos int64, ioPos string) *script {
	s.tb.Helper()
	for _, origin := range origins {
		s.emit(events.KindInstanceProgress, origin, events.InstanceProgress{
			Key: key(host), Digest: "d-" + host, HeartbeatsReceived: heartbeats, GTIDIOPos: ioPos,
			GTIDCurrentPos: "0-1-100", GTIDSlavePos: "0-1-100", GTIDBinlogPos: "0-1-100",
			SelfCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 4000},
			ReadCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: readPos},
			ExecCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: readPos},
			SecondsBehind:   i64(0), LagSeconds: i64(0),
		})
	}
	return s
}

func (s *script) view() *projections.View { return s.topo.View(s.now) }

func params() Params {
	p := DefaultParams()
	all, err := projections.CompileClusterFilters([]string{"*"})
	if err != nil {
		panic(err)
	}
	p.RecoverMasterClusterFilters, p.RecoverIntermediateMasterClusterFilters = all, all
	return p
}

// analysisOf returns the analysis of host ("NoProblem" when none listed).
func (s *script) analysisOf(host string, p Params) Analysis {
	s.tb.Helper()
	p.IncludeNoProblem = true
	for _, a := range Analyze(s.view(), p) {
		if a.AnalyzedInstanceKey == key(host) {
			return a
		}
	}
	s.tb.Fatalf("no analysis of %s", host)
	return Analysis{}
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func rx(s string) *regexp.Regexp { return regexp.MustCompile(s) }

type projectionsClusterFilters = projections.ClusterFilters

func compileFilters(f []string) (projections.ClusterFilters, error) {
	return projections.CompileClusterFilters(f)
}
