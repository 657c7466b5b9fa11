package fleetsim

import (
	"slices"
	"strconv"
	"strings"
)

// binlogEvent is one row of SHOW BINLOG EVENTS.
type binlogEvent struct {
	pos, end  int64
	typ, info string
	serverID  uint32
}

// fileTransactions are the transactions written to binary log k: what was
// executed at the start of the next file (or now) and not at its own.
func (m *myServer) fileTransactions(k int) gset {
	end := m.executed
	if next, ok := m.binlogStarts[k+1]; ok {
		end = next
	}
	return end.minus(m.binlogStarts[k])
}

// binlogEvents synthesises binary log k's events: Format_desc,
// Previous_gtids, then Gtid/Query/Xid per transaction (in GTID order: the
// simulator keeps no commit order; no row events).
func (f *Fleet) binlogEvents(in *instance, k int) []binlogEvent {
	m := in.my
	prev := m.binlogStarts[k].String()
	evs := []binlogEvent{
		{pos: 4, end: 124, typ: "Format_desc", info: "Server ver: " + f.opts.Version + ", Binlog ver: 4", serverID: in.serverID},
		{pos: 124, end: 155 + int64(len(prev)), typ: "Previous_gtids", info: prev, serverID: in.serverID},
	}
	pos := evs[1].end
	txs := m.fileTransactions(k)
	uuids := make([]string, 0, len(txs))
	for u := range txs {
		uuids = append(uuids, u)
	}
	slices.Sort(uuids)
	for _, u := range uuids {
		for _, iv := range txs[u] {
			for n := iv.lo; n <= iv.hi; n++ {
				for _, e := range []struct{ typ, info string }{
					{"Gtid", "SET @@SESSION.GTID_NEXT= '" + u + ":" + itoa(n) + "'"},
					{"Query", "BEGIN"},
					{"Xid", "COMMIT /* xid=" + itoa(n) + " */"},
				} {
					evs = append(evs, binlogEvent{pos: pos, end: pos + 71, typ: e.typ, info: e.info, serverID: in.serverID})
					pos += 71
				}
			}
		}
	}
	return evs
}

// showBinlogEvents answers SHOW BINLOG EVENTS [IN 'file'] [FROM pos]
// [LIMIT [offset,] count].
func (f *Fleet) showBinlogEvents(in *instance, ws words) (*myResult, *sqlError) {
	m := in.my
	k, from, offset, count := m.firstBinlog, int64(0), 0, -1
	for i := 3; i < len(ws.w); i++ {
		switch {
		case ws.w[i] == "IN" && i+1 < len(ws.w):
			name := unquote(ws.stmt[ws.at[i+1]:])
			if j := strings.IndexAny(name, " \t"); j >= 0 {
				name = unquote(name[:j])
			}
			k = m.firstBinlog
			for k <= m.binlogIndex && binlogName(k) != name {
				k++
			}
			if k > m.binlogIndex {
				return nil, stateError(1220, sqlStateGeneral, "Error when executing command SHOW BINLOG EVENTS: Could not find target log")
			}
			i++
		case ws.w[i] == "FROM" && i+1 < len(ws.w):
			n, err := strconv.ParseInt(ws.w[i+1], 10, 64)
			if err != nil {
				return nil, ws.near(i + 1)
			}
			from = n
			i++
		case ws.w[i] == "LIMIT" && i+1 < len(ws.w):
			spec := strings.Join(ws.w[i+1:], "")
			a, b, two := strings.Cut(spec, ",")
			x, err1 := strconv.Atoi(a)
			y, err2 := strconv.Atoi(b)
			if err1 != nil || two && err2 != nil {
				return nil, ws.near(i + 1)
			}
			if two {
				offset, count = x, y
			} else {
				count = x
			}
			i = len(ws.w)
		default:
			return nil, ws.near(i)
		}
	}
	res := &myResult{cols: []string{"Log_name", "Pos", "Event_type", "Server_id", "End_log_pos", "Info"}}
	for _, e := range f.binlogEvents(in, k) {
		if e.pos < from {
			continue
		}
		if offset > 0 {
			offset--
			continue
		}
		if count == 0 {
			break
		}
		count--
		res.rows = append(res.rows, []any{binlogName(k), e.pos, e.typ, int64(e.serverID), e.end, e.info})
	}
	return res, nil
}
