package events

import "time"

// progressSlots hold the values of an InstanceProgress's pointer fields
// for a decoder that keeps them (predecoded): the fields then point into it
// instead of into an allocation each.
type progressSlots struct {
	secondsBehind, lag int64
	lastHeartbeat      time.Time
}

// progress reads an InstanceProgress payload with the scanner (see
// fastdecode.go): every key known, each at most once. The pointer fields
// point into slots, or to new values when slots is nil.
func (sc *scanner) progress(p *InstanceProgress, slots *progressSlots) bool {
	var seen uint32
	return sc.object(func(key string) bool {
		bit, ok := sc.progressField(p, slots, key)
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
}

func (sc *scanner) progressField(p *InstanceProgress, slots *progressSlots, key string) (uint32, bool) {
	var sbm, lag *int64
	var hb *time.Time
	if slots != nil {
		sbm, lag, hb = &slots.secondsBehind, &slots.lag, &slots.lastHeartbeat
	}
	switch key {
	case "key":
		return 1 << 0, sc.instanceKey(&p.Key)
	case "digest":
		return 1 << 1, sc.strTo(&p.Digest)
	case "self_coordinates":
		return 1 << 2, sc.coordinates(&p.SelfCoordinates)
	case "gtid_executed":
		return 1 << 3, sc.strTo(&p.GTIDExecuted)
	case "gtid_current_pos":
		return 1 << 4, sc.strTo(&p.GTIDCurrentPos)
	case "gtid_slave_pos":
		return 1 << 5, sc.strTo(&p.GTIDSlavePos)
	case "gtid_binlog_pos":
		return 1 << 6, sc.strTo(&p.GTIDBinlogPos)
	case "read_coordinates":
		return 1 << 7, sc.coordinates(&p.ReadCoordinates)
	case "exec_coordinates":
		return 1 << 8, sc.coordinates(&p.ExecCoordinates)
	case "relay_coordinates":
		return 1 << 9, sc.coordinates(&p.RelayCoordinates)
	case "retrieved_gtid_set":
		return 1 << 10, sc.strTo(&p.RetrievedGTIDSet)
	case "gtid_io_pos":
		return 1 << 11, sc.strTo(&p.GTIDIOPos)
	case "seconds_behind":
		return 1 << 12, sc.intPtr(&p.SecondsBehind, sbm)
	case "lag_seconds":
		return 1 << 13, sc.intPtr(&p.LagSeconds, lag)
	case "heartbeats_received":
		return 1 << 14, sc.intTo(&p.HeartbeatsReceived)
	case "last_heartbeat":
		return 1 << 15, sc.timePtr(&p.LastHeartbeat, hb)
	case "uptime":
		return 1 << 16, sc.intTo(&p.Uptime)
	case "gtid_binlog_state":
		return 1 << 18, sc.strTo(&p.GTIDBinlogState)
	case "probe_duration_ns":
		var n int64
		ok := sc.intTo(&n)
		p.ProbeDuration = time.Duration(n)
		return 1 << 17, ok
	}
	return 0, sc.fail()
}

func (sc *scanner) instanceKey(k *InstanceKey) bool {
	var seen uint32
	return sc.object(func(key string) bool {
		var bit uint32
		var ok bool
		switch key {
		case "Hostname":
			bit, ok = 1, sc.strTo(&k.Hostname)
		case "Port":
			var n int64
			ok = sc.intTo(&n) && n == int64(int(n))
			bit, k.Port = 2, int(n)
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
}

func (sc *scanner) coordinates(c *BinlogCoordinates) bool {
	var seen uint32
	return sc.object(func(key string) bool {
		var bit uint32
		var ok bool
		switch key {
		case "LogFile":
			bit, ok = 1, sc.strTo(&c.LogFile)
		case "LogPos":
			bit, ok = 2, sc.intTo(&c.LogPos)
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
}

func (sc *scanner) strTo(dst *string) bool {
	s, ok := sc.str()
	*dst = s
	return ok
}

func (sc *scanner) intTo(dst *int64) bool {
	n, ok := sc.int()
	*dst = n
	return ok
}

// intPtr reads an integer into *slot, or a new int64 when slot is nil, and
// points *dst to it (null is left to encoding/json).
func (sc *scanner) intPtr(dst **int64, slot *int64) bool {
	n, ok := sc.int()
	if ok {
		if slot == nil {
			slot = new(int64)
		}
		*slot, *dst = n, slot
	}
	return ok
}

// timePtr is intPtr for a time.
func (sc *scanner) timePtr(dst **time.Time, slot *time.Time) bool {
	t, ok := sc.time()
	if ok {
		if slot == nil {
			slot = new(time.Time)
		}
		*slot, *dst = t, slot
	}
	return ok
}
