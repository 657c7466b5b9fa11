package probes

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

func sampleObservation() events.InstanceObserved {
	hb := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	return events.InstanceObserved{
		Key: events.InstanceKey{Hostname: "198.18.0.2", Port: 3306}, ServerID: 2, Version: "10.11.6-MariaDB-log",
		Flavor: FlavorMariaDB, Uptime: 100, ReadOnly: true, LogBin: true, LogReplicaUpdates: true, BinlogFormat: "ROW",
		BinlogRowImage: "FULL", SelfCoordinates: events.BinlogCoordinates{LogFile: "binlog.000001", LogPos: 400},
		GTID: events.GTIDState{CurrentPos: "0-1-10", SlavePos: "0-1-10", BinlogPos: "0-1-10", StrictMode: true},
		Replication: &events.Replication{
			SourceKey: events.InstanceKey{Hostname: "198.18.0.1", Port: 3306}, IOThread: events.ThreadRunning, SQLThread: events.ThreadRunning,
			IOState: "Waiting for master to send event", SecondsBehind: i64(0), UsingMariaDBGTID: true, MariaDBGTIDMode: "Slave_Pos",
			ReadCoordinates: events.BinlogCoordinates{LogFile: "binlog.000001", LogPos: 400}, GTIDIOPos: "0-1-10",
			HeartbeatsReceived: 3, LastHeartbeat: &hb, HeartbeatPeriod: 2,
		},
		SemiSync: events.SemiSync{Available: true}, LagSeconds: i64(0), ProbeDuration: time.Millisecond,
		Replicas: []events.InstanceKey{{Hostname: "198.18.0.3", Port: 3306}},
	}
}

func TestDigestIgnoresMovingParts(t *testing.T) {
	base := sampleObservation()
	d0 := Digest(&base)
	moved := sampleObservation()
	hb := time.Date(2026, 3, 1, 10, 0, 9, 0, time.UTC)
	moved.Uptime, moved.ProbeDuration, moved.LagSeconds = 200, 5*time.Millisecond, i64(4)
	moved.SelfCoordinates.LogPos = 9000
	moved.GTID.CurrentPos, moved.GTID.SlavePos, moved.GTID.BinlogPos = "0-1-99", "0-1-99", "0-1-99"
	r := moved.Replication
	r.ReadCoordinates.LogPos, r.ExecCoordinates.LogPos, r.RelayCoordinates.LogPos = 9000, 8000, 7000
	r.GTIDIOPos, r.SecondsBehind, r.HeartbeatsReceived, r.LastHeartbeat = "0-1-99", i64(4), 9, &hb
	r.IOState = "Queueing master event to the relay log"
	moved.Digest = "whatever"
	if d1 := Digest(&moved); d1 != d0 {
		t.Fatalf("digest changed with positions only: %s → %s", d0, d1)
	}
	if base.Replication.ReadCoordinates.LogPos != 400 {
		t.Fatal("Digest modified its argument")
	}
}

func TestDigestSeesState(t *testing.T) {
	d0 := func() string { o := sampleObservation(); return Digest(&o) }()
	changes := map[string]func(*events.InstanceObserved){
		"read_only":        func(o *events.InstanceObserved) { o.ReadOnly = false },
		"io thread":        func(o *events.InstanceObserved) { o.Replication.IOThread = events.ThreadOther },
		"source":           func(o *events.InstanceObserved) { o.Replication.SourceKey.Hostname = "198.18.0.3" },
		"not a replica":    func(o *events.InstanceObserved) { o.Replication = nil },
		"replicas":         func(o *events.InstanceObserved) { o.Replicas = nil },
		"sql error":        func(o *events.InstanceObserved) { o.Replication.LastSQLError = "Duplicate entry" },
		"gtid strict mode": func(o *events.InstanceObserved) { o.GTID.StrictMode = false },
		"semi-sync":        func(o *events.InstanceObserved) { o.SemiSync.MasterEnabled = true },
		"promotion rule":   func(o *events.InstanceObserved) { o.PromotionRule = "must_not" },
		"version":          func(o *events.InstanceObserved) { o.Version = "10.11.7-MariaDB-log" },
	}
	for name, change := range changes {
		o := sampleObservation()
		change(&o)
		if Digest(&o) == d0 {
			t.Errorf("%s: digest did not change", name)
		}
	}
}

func TestProgressCarriesMovingParts(t *testing.T) {
	o := sampleObservation()
	o.Digest = Digest(&o)
	p := Progress(&o)
	if p.Digest != o.Digest || p.Key != o.Key || p.SelfCoordinates != o.SelfCoordinates || p.GTIDCurrentPos != "0-1-10" ||
		p.ReadCoordinates != o.Replication.ReadCoordinates || p.GTIDIOPos != "0-1-10" || p.HeartbeatsReceived != 3 ||
		p.Uptime != 100 || *p.SecondsBehind != 0 {
		t.Errorf("progress = %+v", p)
	}
	full, _ := json.Marshal(&o)
	small, _ := json.Marshal(&p)
	if len(small)*10 > len(full)*6 {
		t.Errorf("progress is %d bytes, full %d: progress should be under 60%%", len(small), len(full))
	}
}
