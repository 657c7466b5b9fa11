package fleetsim

import (
	"strconv"
	"time"
)

// snapshot is an instance's state at one instant, computed from the clock:
// nothing runs in the background to move positions.
type snapshot struct {
	f            *Fleet
	in           *instance
	now          time.Time
	primaryAlive bool
	seq          int64 // GTID sequence (the primary's, replicas are in step)
	heartbeats   int64
	lastBeat     time.Time
}

// bytesPerWrite is how far the binary log moves per transaction.
const bytesPerWrite = 431

func (f *Fleet) state(in *instance, now time.Time) snapshot {
	st := snapshot{f: f, in: in, now: now, primaryAlive: true}
	until := now
	if k := in.c.killedAt.Load(); k != 0 {
		st.primaryAlive = false
		until = time.Unix(0, k)
	}
	up := until.Sub(f.start)
	st.seq = 1000 + int64(up.Seconds()*f.opts.WritesPerSecond)
	if !in.primary {
		st.heartbeats = int64(up / f.opts.HeartbeatPeriod)
		st.lastBeat = f.start.Add(time.Duration(st.heartbeats) * f.opts.HeartbeatPeriod)
	}
	return st
}

func (st *snapshot) gtid() string {
	return "0-" + strconv.FormatUint(uint64(st.in.c.primary.serverID), 10) + "-" + strconv.FormatInt(st.seq, 10)
}

func (st *snapshot) binlogPos() int64 { return 4 + st.seq*bytesPerWrite }

func (st *snapshot) ioRunning() bool { return st.in.primary || st.primaryAlive }

// timeText formats like a DATETIME(6) in the server's time zone (UTC).
func timeText(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000000") }

const binlogFile = "mysql-bin.000001"

func str(s string) valueFunc { return func(w *writer, _ *snapshot) { w.str(s) } }

func boolVal(b func(st *snapshot) bool) valueFunc {
	return func(w *writer, st *snapshot) {
		if b(st) {
			w.str("1")
		} else {
			w.str("0")
		}
	}
}

// variables are the @@variables a SELECT may read.
var variables = map[string]valueFunc{
	"version":           func(w *writer, st *snapshot) { w.str(st.f.opts.Version) },
	"version_comment":   str("MariaDB Server"),
	"server_id":         func(w *writer, st *snapshot) { w.int(int64(st.in.serverID)) },
	"hostname":          func(w *writer, st *snapshot) { w.str(st.in.ip) },
	"report_host":       func(w *writer, st *snapshot) { w.str(st.in.ip) },
	"report_port":       func(w *writer, st *snapshot) { w.int(int64(st.f.opts.Port)) },
	"port":              func(w *writer, st *snapshot) { w.int(int64(st.f.opts.Port)) },
	"read_only":         boolVal(func(st *snapshot) bool { return !st.in.primary }),
	"super_read_only":   boolVal(func(*snapshot) bool { return false }),
	"log_bin":           str("1"),
	"log_slave_updates": str("1"),
	"binlog_format":     str("ROW"),
	"binlog_row_image":  str("FULL"),
	"gtid_current_pos":  func(w *writer, st *snapshot) { w.str(st.gtid()) },
	"gtid_binlog_pos":   func(w *writer, st *snapshot) { w.str(st.gtid()) },
	"gtid_binlog_state": func(w *writer, st *snapshot) { w.str(st.gtid()) },
	"gtid_slave_pos": func(w *writer, st *snapshot) {
		if st.in.primary {
			w.str("")
		} else {
			w.str(st.gtid())
		}
	},
	"gtid_strict_mode":   str("1"),
	"gtid_domain_id":     str("0"),
	"max_allowed_packet": str("16777216"),
}

func nameValue(w *writer, name, value string) {
	w.begin()
	w.str(name)
	w.str(value)
	w.end()
}

// statusRows answers SHOW GLOBAL STATUS with the rows the probe asks for
// (the WHERE clause is not evaluated).
func statusRows(w *writer, st *snapshot) {
	w.begin()
	w.str("Rpl_semi_sync_master_clients")
	w.str("0")
	w.end()
	nameValue(w, "Rpl_semi_sync_master_status", "OFF")
	nameValue(w, "Rpl_semi_sync_slave_status", "OFF")
	w.begin()
	w.str("Slave_heartbeat_period")
	if st.in.primary {
		w.str("0.000")
	} else {
		w.str(strconv.FormatFloat(st.f.opts.HeartbeatPeriod.Seconds(), 'f', 3, 64))
	}
	w.end()
	w.begin()
	w.str("Slave_last_heartbeat")
	if st.in.primary {
		w.str("")
	} else {
		w.str(timeText(st.lastBeat))
	}
	w.end()
	w.begin()
	w.str("Slave_received_heartbeats")
	w.int(st.heartbeats)
	w.end()
	w.begin()
	w.str("Uptime")
	w.int(int64(st.now.Sub(st.f.start).Seconds()))
	w.end()
}

// semiSyncVariableRows answers SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync%'
// (semi-sync built in and off, as in MariaDB 10.11's defaults).
func semiSyncVariableRows(w *writer, _ *snapshot) {
	nameValue(w, "rpl_semi_sync_master_enabled", "OFF")
	nameValue(w, "rpl_semi_sync_master_timeout", "10000")
	nameValue(w, "rpl_semi_sync_master_trace_level", "32")
	nameValue(w, "rpl_semi_sync_master_wait_no_slave", "ON")
	nameValue(w, "rpl_semi_sync_master_wait_point", "AFTER_COMMIT")
	nameValue(w, "rpl_semi_sync_slave_delay_master", "OFF")
	nameValue(w, "rpl_semi_sync_slave_enabled", "OFF")
	nameValue(w, "rpl_semi_sync_slave_kill_conn_timeout", "5")
	nameValue(w, "rpl_semi_sync_slave_trace_level", "32")
}

func masterStatusRows(w *writer, st *snapshot) {
	w.begin()
	w.str(binlogFile)
	w.int(st.binlogPos())
	w.str("")
	w.str("")
	w.end()
}

// slaveHostsRows lists a primary's live replicas (none on a replica).
func slaveHostsRows(w *writer, st *snapshot) {
	if !st.in.primary {
		return
	}
	for _, r := range st.in.c.members[1:] {
		w.begin()
		w.int(int64(r.serverID))
		w.str(r.ip)
		w.int(int64(st.f.opts.Port))
		w.int(int64(st.in.serverID))
		w.end()
	}
}

// binlogDumpRows lists a primary's replicas as Binlog Dump threads.
func binlogDumpRows(w *writer, st *snapshot) {
	if !st.in.primary {
		return
	}
	for i, r := range st.in.c.members[1:] {
		w.begin()
		w.str(r.ip + ":" + strconv.Itoa(40000+i))
		w.end()
	}
}
