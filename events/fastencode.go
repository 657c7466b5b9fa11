package events

import (
	"encoding/json"
	"strconv"
	"time"
)

// The encoders below write the envelope and the InstanceProgress payload
// (one of each per probe and poll, the bulk of the observation stream)
// without reflection. Their output is byte for byte what encoding/json
// writes; whenever a value would need more than the plain cases they handle
// (a string to escape, a time out of RFC 3339's range or not in UTC, a
// payload this package did not encode), they report false and the caller
// uses encoding/json. fastencode_test.go compares both on every field.

// safeJSONString reports whether encoding/json writes s as is between
// quotes: printable ASCII without '"', '\\' and the HTML characters it
// escapes.
func safeJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// jsonEncoder appends JSON to b; ok turns false on the first value it
// cannot write as encoding/json would.
type jsonEncoder struct {
	b  []byte
	ok bool
}

func (e *jsonEncoder) raw(s string) { e.b = append(e.b, s...) }

func (e *jsonEncoder) str(s string) {
	if !safeJSONString(s) {
		e.ok = false
		return
	}
	e.b = append(e.b, '"')
	e.b = append(e.b, s...)
	e.b = append(e.b, '"')
}

func (e *jsonEncoder) int(n int64) { e.b = strconv.AppendInt(e.b, n, 10) }

// time writes t as Time.MarshalJSON does, for UTC times of years 0–9999
// (where it writes RFC 3339 with "Z").
func (e *jsonEncoder) time(t time.Time) {
	if _, off := t.Zone(); off != 0 || t.Year() < 0 || t.Year() > 9999 {
		e.ok = false
		return
	}
	e.b = append(e.b, '"')
	e.b = t.AppendFormat(e.b, time.RFC3339Nano)
	e.b = append(e.b, '"')
}

func (e *jsonEncoder) key(k InstanceKey) {
	e.raw(`{"Hostname":`)
	e.str(k.Hostname)
	e.raw(`,"Port":`)
	e.int(int64(k.Port))
	e.b = append(e.b, '}')
}

func (e *jsonEncoder) coordinates(c BinlogCoordinates) {
	e.raw(`{"LogFile":`)
	e.str(c.LogFile)
	e.raw(`,"LogPos":`)
	e.int(c.LogPos)
	e.b = append(e.b, '}')
}

// optStr writes `,"name":s` unless s is empty (omitempty).
func (e *jsonEncoder) optStr(name, s string) {
	if s != "" {
		e.raw(name)
		e.str(s)
	}
}

// optInt writes `,"name":n` unless n is zero (omitempty).
func (e *jsonEncoder) optInt(name string, n int64) {
	if n != 0 {
		e.raw(name)
		e.int(n)
	}
}

// optIntPtr writes `,"name":*n` unless n is nil (omitempty).
func (e *jsonEncoder) optIntPtr(name string, n *int64) {
	if n != nil {
		e.raw(name)
		e.int(*n)
	}
}

// appendProgress appends p as encoding/json encodes it.
func appendProgress(b []byte, p *InstanceProgress) ([]byte, bool) {
	e := jsonEncoder{b: b, ok: true}
	e.raw(`{"key":`)
	e.key(p.Key)
	e.raw(`,"digest":`)
	e.str(p.Digest)
	e.raw(`,"self_coordinates":`)
	e.coordinates(p.SelfCoordinates)
	e.optStr(`,"gtid_executed":`, p.GTIDExecuted)
	e.optStr(`,"gtid_current_pos":`, p.GTIDCurrentPos)
	e.optStr(`,"gtid_slave_pos":`, p.GTIDSlavePos)
	e.optStr(`,"gtid_binlog_pos":`, p.GTIDBinlogPos)
	e.optStr(`,"gtid_binlog_state":`, p.GTIDBinlogState)
	e.raw(`,"read_coordinates":`)
	e.coordinates(p.ReadCoordinates)
	e.raw(`,"exec_coordinates":`)
	e.coordinates(p.ExecCoordinates)
	e.raw(`,"relay_coordinates":`)
	e.coordinates(p.RelayCoordinates)
	e.optStr(`,"retrieved_gtid_set":`, p.RetrievedGTIDSet)
	e.optStr(`,"gtid_io_pos":`, p.GTIDIOPos)
	e.optIntPtr(`,"seconds_behind":`, p.SecondsBehind)
	e.optIntPtr(`,"lag_seconds":`, p.LagSeconds)
	e.optInt(`,"heartbeats_received":`, p.HeartbeatsReceived)
	if p.LastHeartbeat != nil {
		e.raw(`,"last_heartbeat":`)
		e.time(*p.LastHeartbeat)
	}
	e.optInt(`,"uptime":`, p.Uptime)
	e.raw(`,"probe_duration_ns":`)
	e.int(int64(p.ProbeDuration))
	e.b = append(e.b, '}')
	return e.b, e.ok
}

// encodePayload encodes an event payload: the hot kinds by hand, anything
// else (or a value the hand encoder declines) with encoding/json.
func encodePayload(p any) ([]byte, error) {
	if v, ok := p.(*InstanceProgress); ok && v != nil {
		if b, ok := appendProgress(make([]byte, 0, 640), v); ok {
			return b, nil
		}
	}
	return json.Marshal(p)
}

// appendEnvelope appends e as encoding/json encodes it, when its Payload is
// one New encoded (compact and escaped as encoding/json would leave it) or
// empty. The caller has validated e.
func appendEnvelope(b []byte, e *Envelope) ([]byte, bool) {
	if len(e.Payload) > 0 && !sameBytes(e.Payload, e.compact) {
		return b, false
	}
	name, ok := kindNames[e.Kind]
	if !ok {
		return b, false
	}
	enc := jsonEncoder{b: b, ok: true}
	enc.raw(`{"id":`)
	enc.str(e.ID)
	enc.raw(`,"kind":`)
	enc.str(name)
	enc.raw(`,"v":`)
	enc.int(int64(e.Version))
	enc.raw(`,"time":`)
	enc.time(e.Time)
	enc.optStr(`,"cluster":`, e.Cluster)
	enc.optStr(`,"instance":`, e.Instance)
	enc.raw(`,"origin":`)
	enc.str(e.Origin)
	enc.optStr(`,"causation":`, e.CausationID)
	enc.optStr(`,"correlation":`, e.CorrelationID)
	if e.Epoch != 0 {
		enc.raw(`,"epoch":`)
		enc.b = strconv.AppendUint(enc.b, e.Epoch, 10)
	}
	if len(e.Payload) > 0 {
		enc.raw(`,"payload":`)
		enc.b = append(enc.b, e.Payload...)
	}
	enc.b = append(enc.b, '}')
	return enc.b, enc.ok
}

// sameBytes reports whether a and b are the very same bytes (not a copy).
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0]
}
