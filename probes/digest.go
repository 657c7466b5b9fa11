package probes

import (
	"encoding/hex"
	"encoding/json"
	"hash/fnv"

	"github.com/regent-ha/regent/events"
)

// Digest identifies the state part of an observation: everything except the
// moving parts a progress event carries (positions, GTID positions, lag,
// heartbeats, IO state text, uptime, probe duration). Two observations with
// the same digest differ only in what a progress event says, and in the
// replica's IO state text (Slave_IO_State flickers under load; it is
// cosmetic and refreshed by every full observation).
func Digest(obs *events.InstanceObserved) string {
	s := *obs
	s.SelfCoordinates = events.BinlogCoordinates{}
	s.GTID.Executed, s.GTID.CurrentPos, s.GTID.SlavePos, s.GTID.BinlogPos, s.GTID.BinlogState = "", "", "", "", ""
	s.LagSeconds = nil
	s.Uptime = 0
	s.ProbeDuration = 0
	s.Digest = ""
	if obs.Replication != nil {
		r := *obs.Replication
		r.ReadCoordinates, r.ExecCoordinates, r.RelayCoordinates = events.BinlogCoordinates{}, events.BinlogCoordinates{}, events.BinlogCoordinates{}
		r.RetrievedGTIDSet, r.ExecutedGTIDSet, r.GTIDIOPos = "", "", ""
		r.SecondsBehind = nil
		r.HeartbeatsReceived, r.LastHeartbeat = 0, nil
		r.IOState = ""
		s.Replication = &r
	}
	b, err := json.Marshal(&s)
	if err != nil {
		// InstanceObserved has no type json cannot encode.
		panic("probes: encode observation for digest: " + err.Error())
	}
	h := fnv.New64a()
	_, _ = h.Write(b) // hash writes never fail
	return hex.EncodeToString(h.Sum(nil))
}

// Progress is the compact form of obs: the moving parts, and the digest of
// the state they move in.
func Progress(obs *events.InstanceObserved) events.InstanceProgress {
	p := events.InstanceProgress{
		Key:             obs.Key,
		Digest:          obs.Digest,
		SelfCoordinates: obs.SelfCoordinates,
		GTIDExecuted:    obs.GTID.Executed,
		GTIDCurrentPos:  obs.GTID.CurrentPos,
		GTIDSlavePos:    obs.GTID.SlavePos,
		GTIDBinlogPos:   obs.GTID.BinlogPos,
		GTIDBinlogState: obs.GTID.BinlogState,
		LagSeconds:      obs.LagSeconds,
		Uptime:          obs.Uptime,
		ProbeDuration:   obs.ProbeDuration,
	}
	if r := obs.Replication; r != nil {
		p.ReadCoordinates, p.ExecCoordinates, p.RelayCoordinates = r.ReadCoordinates, r.ExecCoordinates, r.RelayCoordinates
		p.RetrievedGTIDSet, p.GTIDIOPos = r.RetrievedGTIDSet, r.GTIDIOPos
		p.SecondsBehind = r.SecondsBehind
		p.HeartbeatsReceived, p.LastHeartbeat = r.HeartbeatsReceived, r.LastHeartbeat
	}
	return p
}
