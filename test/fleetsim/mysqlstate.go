package fleetsim

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/regent-ha/regent/events"
)

// myVersion is a MySQL server version; it decides which statements the
// simulated server accepts.
type myVersion struct{ major, minor, patch int }

func parseMyVersion(s string) (myVersion, error) {
	num := s
	if i := strings.IndexFunc(num, func(r rune) bool { return r != '.' && (r < '0' || r > '9') }); i >= 0 {
		num = num[:i]
	}
	parts := strings.Split(num, ".")
	if len(parts) != 3 {
		return myVersion{}, fmt.Errorf("mysql version %q: want major.minor.patch", s)
	}
	var v myVersion
	for i, p := range []*int{&v.major, &v.minor, &v.patch} {
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return myVersion{}, fmt.Errorf("mysql version %q: %w", s, err)
		}
		*p = n
	}
	if v.major < 5 || v.major == 5 && v.minor < 7 || v.major > 8 {
		return myVersion{}, fmt.Errorf("mysql version %q: the simulator answers as 5.7, 8.0 … 8.4 only", s)
	}
	return v, nil
}

func (v myVersion) atLeast(major, minor, patch int) bool {
	if v.major != major {
		return v.major > major
	}
	if v.minor != minor {
		return v.minor > minor
	}
	return v.patch >= patch
}

// Features by version (MySQL release notes).
func (v myVersion) replicaKeyword() bool { return v.atLeast(8, 0, 22) } // START/STOP/RESET/SHOW REPLICA, SHOW REPLICAS
func (v myVersion) sourceKeyword() bool  { return v.atLeast(8, 0, 23) } // CHANGE REPLICATION SOURCE TO, SOURCE_* options
func (v myVersion) replicaVars() bool    { return v.atLeast(8, 0, 26) } // log_replica_updates, sql_replica_skip_counter
func (v myVersion) binaryLogNames() bool { return v.atLeast(8, 2, 0) }  // SHOW BINARY LOG STATUS, RESET BINARY LOGS AND GTIDS
func (v myVersion) legacyRemoved() bool  { return v.atLeast(8, 4, 0) }  // SLAVE/MASTER statements and MASTER_* options gone

// deprecated reports whether v accepts the statement with warning 1287:
// the SLAVE statements from 8.0.22, CHANGE MASTER and its MASTER_ options
// from 8.0.23, the slave/master variable names from 8.0.26, SHOW MASTER
// STATUS and RESET MASTER from 8.2 (8.4 removes the statements).
func (v myVersion) deprecated(ws words) bool {
	if len(ws.w) == 0 || v.legacyRemoved() {
		return v.replicaVars() && mentionsOldVariable(ws.stmt)
	}
	switch {
	case v.replicaKeyword() && (ws.is(0, "SHOW", "SLAVE") || ws.is(0, "START", "SLAVE") || ws.is(0, "STOP", "SLAVE") || ws.is(0, "RESET", "SLAVE")):
		return true
	case v.sourceKeyword() && ws.is(0, "CHANGE") && strings.Contains(strings.ToUpper(ws.stmt), "MASTER"):
		return true
	case v.binaryLogNames() && (ws.is(0, "SHOW", "MASTER", "STATUS") || ws.is(0, "RESET", "MASTER")):
		return true
	}
	return v.replicaVars() && mentionsOldVariable(ws.stmt)
}

// mentionsOldVariable: the variables 8.0.26 renamed (those the simulator
// knows).
func mentionsOldVariable(stmt string) bool {
	l := strings.ToLower(stmt)
	return strings.Contains(l, "log_slave_updates") || strings.Contains(l, "sql_slave_skip_counter") ||
		strings.Contains(l, "slave_net_timeout")
}

// myServer is one simulated MySQL server's state, guarded by Fleet.myMu.
type myServer struct {
	uuid          string
	executed      gset
	purged        gset
	readOnly      bool
	superReadOnly bool
	semiSource    bool         // rpl_semi_sync_master/source_enabled (Options.SemiSync)
	semiReplica   bool         // rpl_semi_sync_slave/replica_enabled
	binlogIndex   int          // the current binary log file
	firstBinlog   int          // the oldest not purged
	binlogStarts  map[int]gset // each file's Previous_gtids: what was executed before it
	binlogTx      int64        // transactions in the binary logs since RESET
	lastWrite     time.Time
	src           *replConf // nil: no source configured
	// data are the transactions whose changes are in the server's data:
	// RESET MASTER empties gtid_executed, not the data. A transaction the
	// SQL thread applies while data holds it is applied twice.
	data         gset
	appliedTwice int64
	// poison are transactions the SQL thread fails on (FailApply): it
	// stops with error 1062 while one is to be applied.
	poison         gset
	failNext       bool
	ioErrno        int
	ioError        string
	sqlErrno       int
	sqlError       string
	skipCounterSet bool
}

// replConf is a replica's source configuration and thread state.
type replConf struct {
	host, user, password string
	port                 int
	autoPosition         bool
	connectRetry         int
	delay                int // SQL_Delay, seconds (not applied: shown only)
	heartbeat            float64
	io, sql              bool // threads started
	connected            bool // the IO thread reached the source
	sourceUUID           string
	sourceID             uint32
	sourceFile           string // the source's binary log the IO thread reads
	sourcePos            int64
	retrieved            gset
	relay                []relayChunk // received, not yet applied (Options.ApplyLag)
	beats                int64
	lastBeat             time.Time
}

// relayChunk is what the IO thread received at one instant.
type relayChunk struct {
	set gset
	at  time.Time
}

// Statement is one statement a simulated server received, with its
// outcome.
type Statement struct {
	Instance events.InstanceKey
	Version  string
	SQL      string
	// Code and Error are the error answered (0, "": success).
	Code  uint16
	Error string
	// Invalid marks a statement the version does not accept at all (a
	// syntax error, an unknown variable or function), as opposed to a valid
	// statement refused in the server's current state.
	Invalid bool
	// Unsupported marks a statement the simulator does not model (no real
	// server verdict is claimed).
	Unsupported bool
	// Deprecated marks an accepted statement the version deprecates (the
	// server adds warning 1287): a later version removes it.
	Deprecated bool
}

// statementLog records every statement, bounded.
type statementLog struct {
	mu   sync.Mutex
	list []Statement
	lost int
}

const maxLoggedStatements = 200000

func (l *statementLog) add(s Statement) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.list) >= maxLoggedStatements {
		l.lost++
		return
	}
	l.list = append(l.list, s)
}

// Statements lists every statement the simulated MySQL servers received,
// in arrival order. It fails when more than the log's bound arrived (none
// are dropped silently).
func (f *Fleet) Statements() ([]Statement, error) {
	f.stmts.mu.Lock()
	defer f.stmts.mu.Unlock()
	if f.stmts.lost > 0 {
		return nil, fmt.Errorf("statements: %d not recorded past the bound of %d", f.stmts.lost, maxLoggedStatements)
	}
	return append([]Statement(nil), f.stmts.list...), nil
}

// MySQLVersion is the @@version the fleet answers as ("" for MariaDB).
func (f *Fleet) MySQLVersion() string {
	if f.my == nil {
		return ""
	}
	return f.opts.Version
}

// serverUUID is a stable UUID for server id.
func serverUUID(id uint32) string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", 0x5e4e0000+id, id)
}

// initMySQL gives every instance its MySQL state: the first of a cluster
// writable with history, the others replicating from it with
// auto-positioning, caught up.
func (f *Fleet) initMySQL() {
	for _, c := range f.clusters {
		p := c.members[0]
		hist := gset{}
		hist.addRange(serverUUID(p.serverID), 1, 100)
		for _, in := range c.members {
			in.my = &myServer{uuid: serverUUID(in.serverID), executed: hist.clone(), purged: gset{}, data: hist.clone(), poison: gset{},
				binlogIndex: 1, firstBinlog: 1, binlogStarts: map[int]gset{1: {}}, binlogTx: 100, lastWrite: f.start}
			if in != p {
				in.my.readOnly, in.my.superReadOnly = true, true
				in.my.src = &replConf{host: p.ip, port: f.opts.Port, user: "repl", password: "repl", autoPosition: true,
					connectRetry: 60, heartbeat: f.opts.HeartbeatPeriod.Seconds(), io: true, sql: true,
					retrieved: gset{}, lastBeat: f.start}
			}
		}
	}
}

// maxChain bounds how far tick follows sources (a ring of replicas ends).
const maxChain = 8

// tick brings in's state to now: a writable live server takes writes; a
// replica whose threads run fetches from its live source and applies.
func (f *Fleet) tick(in *instance, now time.Time, depth int) {
	m := in.my
	if in.down.Load() {
		m.lastWrite = now
		return
	}
	if !m.readOnly && m.src == nil && f.opts.WritesPerSecond > 0 { // the application writes to the primary
		n := int64(now.Sub(m.lastWrite).Seconds() * f.opts.WritesPerSecond)
		if n > 0 {
			last := m.executed.last(m.uuid)
			m.executed.addRange(m.uuid, last+1, last+n)
			m.data.addRange(m.uuid, last+1, last+n)
			m.binlogTx += n
			m.lastWrite = m.lastWrite.Add(time.Duration(float64(n) / f.opts.WritesPerSecond * float64(time.Second)))
		}
	} else {
		m.lastWrite = now
	}
	r := m.src
	if r == nil {
		return
	}
	if r.io {
		f.fetch(in, r, now, depth)
	}
	if r.sql {
		ready := gset{}
		for len(r.relay) > 0 && !r.relay[0].at.Add(f.opts.ApplyLag).After(now) {
			ready.union(r.relay[0].set)
			r.relay = r.relay[1:]
		}
		apply := ready.minus(m.executed)
		if f.applyFails(in, r, apply) {
			r.relay = append([]relayChunk{{set: ready, at: now.Add(-f.opts.ApplyLag)}}, r.relay...)
			return
		}
		m.appliedTwice += apply.count() - apply.minus(m.data).count()
		m.data.union(apply)
		m.binlogTx += m.executed.union(apply)
	}
}

// applyFails stops the SQL thread with a duplicate-key error when apply
// holds a poisoned transaction (FailApply armed: its first one becomes
// poisoned).
func (f *Fleet) applyFails(in *instance, r *replConf, apply gset) bool {
	m := in.my
	if apply.count() == 0 {
		return false
	}
	if m.failNext {
		uuid, n := apply.first()
		m.poison.addRange(uuid, n, n)
		m.failNext = false
	}
	bad := apply.minus(apply.minus(m.poison))
	if bad.count() == 0 {
		return false
	}
	uuid, n := bad.first()
	gtid := uuid + ":" + itoa(n)
	r.sql = false
	m.sqlErrno = 1062
	where := fmt.Sprintf("master log %s, end_log_pos %d", r.sourceFile, r.sourcePos)
	if f.my.atLeast(8, 0, 27) { // a multi-threaded applier by default: the coordinator reports the worker's failure
		m.sqlError = "Coordinator stopped because there were error(s) in the worker(s). The most recent failure being: Worker 1 " +
			"failed executing transaction '" + gtid + "' at " + where + ". See error log and/or " +
			"performance_schema.replication_applier_status_by_worker table for more details about this failure or others, if any."
	} else {
		m.sqlError = "Could not execute Write_rows event on table test.t; Duplicate entry '" + itoa(n) + "' for key 'PRIMARY', " +
			"Error_code: 1062; handler error HA_ERR_FOUND_DUPP_KEY; the event's " + where
	}
	return true
}

// FailApply makes the next transaction key's SQL thread applies fail with
// a duplicate-key error (1062): the thread stops, and fails again on that
// transaction at every START until it is skipped (an empty transaction
// committed with its GTID).
func (f *Fleet) FailApply(key events.InstanceKey) error {
	in, ok := f.byIP[key.Hostname]
	if !ok || key.Port != f.opts.Port || in.my == nil || in.my.src == nil {
		return fmt.Errorf("fail apply on %s: no such simulated MySQL replica", key)
	}
	f.myMu.Lock()
	defer f.myMu.Unlock()
	in.my.failNext = true
	return nil
}

// behind is Seconds_Behind_Master: the age of the oldest received
// transaction not applied.
func (r *replConf) behind(now time.Time) int64 {
	if len(r.relay) == 0 {
		return 0
	}
	return int64(now.Sub(r.relay[0].at).Seconds())
}

// fetch runs the IO thread: connect to the source, receive what it has
// that the replica lacks.
func (f *Fleet) fetch(in *instance, r *replConf, now time.Time, depth int) {
	m := in.my
	src, ok := f.byIP[r.host]
	if !ok || r.port != f.opts.Port || src.my == nil || src.down.Load() || depth >= maxChain {
		if r.connected || m.ioErrno == 0 {
			m.ioErrno = 2003
			m.ioError = fmt.Sprintf("error reconnecting to master '%s@%s:%d' - retry-time: %d retries: 1 message: "+
				"Can't connect to MySQL server on '%s:%d' (111)", r.user, r.host, r.port, r.connectRetry, r.host, r.port)
		}
		r.connected = false
		return
	}
	if src == in {
		m.ioErrno, m.ioError = 13117, "Fatal error: The replica I/O thread stops because source and replica have equal MySQL server ids"
		r.connected = false
		return
	}
	f.tick(src, now, depth+1)
	if !r.connected { // a new connection: heartbeats count from now
		r.lastBeat = now
	}
	r.connected, m.ioErrno, m.ioError = true, 0, ""
	r.sourceUUID, r.sourceID = src.my.uuid, src.serverID
	if period := time.Duration(r.heartbeat * float64(time.Second)); period > 0 {
		if k := int64(now.Sub(r.lastBeat) / period); k > 0 {
			r.beats += k
			r.lastBeat = r.lastBeat.Add(time.Duration(k) * period)
		}
	}
	have := m.executed.clone()
	have.union(r.retrieved)
	missing := src.my.executed.minus(have)
	if gone := missing.count() - missing.minus(src.my.purged).count(); gone > 0 && r.autoPosition {
		// The source purged binary logs holding transactions the replica
		// lacks: the IO thread stops (ER_MASTER_FATAL_ERROR_READING_BINLOG).
		r.io, r.connected = false, false
		m.ioErrno = 1236
		m.ioError = "Got fatal error 1236 from master when reading data from binary log: 'Cannot replicate because the master " +
			"purged required binary logs. Replicate the missing transactions from elsewhere, or provision a new slave from backup. " +
			"Consider increasing the master's binary log expiration period. The GTID set sent by the slave is '" +
			strings.ReplaceAll(have.String(), "\n", "") + "', and the missing transactions are '" +
			strings.ReplaceAll(missing.String(), "\n", "") + "'.'"
		return
	}
	r.sourceFile, r.sourcePos = binlogName(src.my.binlogIndex), 4+src.my.binlogTx*bytesPerWrite
	if missing.count() > 0 {
		r.retrieved.union(missing)
		r.relay = append(r.relay, relayChunk{set: missing, at: now})
	}
}

// MySQLState is a simulated MySQL server's state, for tests' assertions.
type MySQLState struct {
	UUID                    string
	ReadOnly, SuperReadOnly bool
	// SemiSyncSource and SemiSyncReplica are the semi-sync switches
	// (Options.SemiSync).
	SemiSyncSource, SemiSyncReplica bool
	Executed, Purged                string // GTID sets, on one line
	Source                          events.InstanceKey
	IORunning, SQLRunning           bool // threads started
	Connected                       bool // the IO thread reached its source
	AutoPosition                    bool
	Delay                           int    // SQL_Delay
	LastSQLErrno                    int    // the SQL thread's last error (FailApply: 1062)
	BinaryLog                       string // the current binary log file
	FirstBinaryLog                  string // the oldest not purged
	// AppliedTwice counts transactions the SQL thread applied although
	// their changes were already in the data (gtid_executed had lost them,
	// e.g. to RESET MASTER with a stale gtid_purged).
	AppliedTwice int64
}

// MySQLState reads key's state (MySQL dialect only).
func (f *Fleet) MySQLState(key events.InstanceKey) (MySQLState, error) {
	in, ok := f.byIP[key.Hostname]
	if !ok || key.Port != f.opts.Port || in.my == nil {
		return MySQLState{}, fmt.Errorf("mysql state of %s: no such simulated MySQL server", key)
	}
	f.myMu.Lock()
	defer f.myMu.Unlock()
	f.tick(in, time.Now(), 0)
	m := in.my
	st := MySQLState{UUID: m.uuid, ReadOnly: m.readOnly, SuperReadOnly: m.superReadOnly, SemiSyncSource: m.semiSource, SemiSyncReplica: m.semiReplica,
		Executed: strings.ReplaceAll(m.executed.String(), "\n", ""), Purged: strings.ReplaceAll(m.purged.String(), "\n", ""),
		AppliedTwice: m.appliedTwice, BinaryLog: binlogName(m.binlogIndex), FirstBinaryLog: binlogName(m.firstBinlog)}
	if r := m.src; r != nil {
		st.Source = events.InstanceKey{Hostname: r.host, Port: r.port}
		st.IORunning, st.SQLRunning, st.Connected, st.AutoPosition = r.io, r.sql, r.connected, r.autoPosition
		st.Delay, st.LastSQLErrno = r.delay, m.sqlErrno
	}
	return st, nil
}

// Transact commits n transactions on key under its own server UUID, as a
// client with the privilege to write past read_only would (on a replica:
// errant transactions). It returns the GTIDs as a set.
func (f *Fleet) Transact(key events.InstanceKey, n int) (string, error) {
	in, ok := f.byIP[key.Hostname]
	if !ok || key.Port != f.opts.Port || in.my == nil || n < 1 {
		return "", fmt.Errorf("transact on %s: no such simulated MySQL server, or n %d < 1", key, n)
	}
	if in.down.Load() {
		return "", fmt.Errorf("transact on %s: the server is killed", key)
	}
	f.myMu.Lock()
	defer f.myMu.Unlock()
	f.tick(in, time.Now(), 0)
	m := in.my
	last := m.executed.last(m.uuid)
	m.executed.addRange(m.uuid, last+1, last+int64(n))
	m.data.addRange(m.uuid, last+1, last+int64(n))
	m.binlogTx += int64(n)
	g := gset{}
	g.addRange(m.uuid, last+1, last+int64(n))
	return g.String(), nil
}
