package projections

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

var threeNodes = []string{"n1", "n2", "n3"}

func key(host string) events.InstanceKey { return events.InstanceKey{Hostname: host, Port: 3306} }

func i64(n int64) *int64 { return &n }

const (
	u1 = "00000000-0000-0000-0000-000000000001"
	u2 = "00000000-0000-0000-0000-000000000002"
	u3 = "00000000-0000-0000-0000-000000000003"
)

const (
	mariaVersion = "10.11.6-MariaDB-log"
	mysqlVersion = "5.7.28-log"
)

// mariaPrimary is a writable MariaDB primary with binary logs.
func mariaPrimary(host string, serverID uint32) *events.InstanceObserved {
	return &events.InstanceObserved{
		Key: key(host), ServerID: serverID, Version: mariaVersion, Flavor: "MariaDB",
		LogBin: true, LogReplicaUpdates: true, BinlogFormat: "ROW", BinlogRowImage: "FULL",
		SelfCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 4000},
		GTID:            events.GTIDState{CurrentPos: "0-1-100", BinlogPos: "0-1-100", DomainID: 0},
		Digest:          "d-" + host,
	}
}

// mariaReplica is a read-only MariaDB replica of source using GTID.
func mariaReplica(host string, serverID uint32, source string) *events.InstanceObserved {
	o := mariaPrimary(host, serverID)
	o.ReadOnly = true
	o.GTID = events.GTIDState{CurrentPos: "0-1-100", SlavePos: "0-1-100", BinlogPos: "0-1-100"}
	o.LagSeconds = i64(0)
	o.Replication = &events.Replication{
		SourceKey: key(source), IOThread: events.ThreadRunning, SQLThread: events.ThreadRunning,
		SecondsBehind:    i64(0),
		ReadCoordinates:  events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 4000},
		ExecCoordinates:  events.BinlogCoordinates{LogFile: "mysql-bin.000002", LogPos: 4000},
		RelayCoordinates: events.BinlogCoordinates{LogFile: "relay-bin.000003", LogPos: 700},
		UsingMariaDBGTID: true, MariaDBGTIDMode: "Slave_Pos", HasCredentials: true,
	}
	return o
}

// mysqlPrimary is a MySQL 5.7 primary with gtid_mode ON.
func mysqlPrimary(host, uuid string, serverID uint32) *events.InstanceObserved {
	return &events.InstanceObserved{
		Key: key(host), ServerID: serverID, ServerUUID: uuid, Version: mysqlVersion, Flavor: "MySQL",
		LogBin: true, LogReplicaUpdates: true, BinlogFormat: "ROW",
		SelfCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000001", LogPos: 999},
		GTID:            events.GTIDState{Mode: "ON", Executed: uuid + ":1-100"},
		Digest:          "d-" + host,
	}
}

func mysqlReplica(host, uuid string, serverID uint32, source, sourceUUID string) *events.InstanceObserved {
	o := mysqlPrimary(host, uuid, serverID)
	o.ReadOnly = true
	o.GTID.Executed = sourceUUID + ":1-100"
	o.LagSeconds = i64(0)
	o.Replication = &events.Replication{
		SourceKey: key(source), SourceUUID: sourceUUID,
		IOThread: events.ThreadRunning, SQLThread: events.ThreadRunning, SecondsBehind: i64(0),
		ReadCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000001", LogPos: 999},
		ExecCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000001", LogPos: 999},
		AutoPosition:    true, ExecutedGTIDSet: sourceUUID + ":1-100",
	}
	return o
}

// script builds an event log and folds it as it goes.
type script struct {
	tb     testing.TB
	topo   *Topology
	log    []seqEnvelope
	obsSeq uint64
	evtSeq uint64
	now    time.Time
}

type seqEnvelope struct {
	seq uint64
	env events.Envelope
}

func newScript(tb testing.TB, s Settings) *script {
	tb.Helper()
	topo, err := NewTopology(s)
	if err != nil {
		tb.Fatalf("NewTopology: %v", err)
	}
	return &script{tb: tb, topo: topo, now: t0}
}

// at moves the clock to t0+d.
func (s *script) at(d time.Duration) *script { s.now = t0.Add(d); return s }

func (s *script) emit(kind events.Kind, origin string, p any) {
	s.tb.Helper()
	env, err := events.New(kind, s.now, origin, p)
	if err != nil {
		s.tb.Fatalf("build %s: %v", kind, err)
	}
	var seq uint64
	if kind.IsObservation() {
		s.obsSeq++
		seq = s.obsSeq
	} else {
		s.evtSeq++
		seq = s.evtSeq
	}
	s.log = append(s.log, seqEnvelope{seq, env})
	if err := s.topo.Apply(seq, env); err != nil {
		s.tb.Fatalf("apply %s: %v", kind, err)
	}
}

// observe has every origin report a full observation of each instance.
func (s *script) observe(origins []string, obs ...*events.InstanceObserved) *script {
	s.tb.Helper()
	for _, o := range obs {
		for _, origin := range origins {
			s.emit(events.KindInstanceObserved, origin, o)
		}
	}
	return s
}

func (s *script) unreachable(origins []string, host, msg string) *script {
	s.tb.Helper()
	for _, origin := range origins {
		s.emit(events.KindInstanceUnreachable, origin, events.InstanceUnreachable{Key: key(host), Error: msg})
	}
	return s
}

func (s *script) discover(hosts ...string) *script {
	s.tb.Helper()
	for _, h := range hosts {
		s.emit(events.KindInstanceDiscovered, "n1", events.InstanceDiscovered{Key: key(h), Via: "api"})
	}
	return s
}

func (s *script) view() *View { return s.topo.View(s.now) }

func (s *script) instance(host string) *Instance {
	s.tb.Helper()
	i, ok := s.view().Instance(key(host))
	if !ok {
		s.tb.Fatalf("instance %s not in view", host)
	}
	return i
}

func render(tb testing.TB, v *View, cluster string, tabulated bool) string {
	tb.Helper()
	out, err := RenderTopology(v, cluster, tabulated)
	if err != nil {
		tb.Fatalf("RenderTopology(%q): %v", cluster, err)
	}
	return out
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(tb testing.TB, name, got string) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read golden %s (run go test ./projections -update to create): %v", path, err)
	}
	if string(want) != got {
		tb.Errorf("%s mismatch\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
