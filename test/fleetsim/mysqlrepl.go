package fleetsim

import (
	"strconv"
	"strings"
)

// MySQL error numbers the simulator answers with (mysqld_error.h).
const (
	erBadSlave              = 1200
	erSlaveMustStop         = 1198
	erIOThreadMustStop      = 3021
	erSQLThreadMustStop     = 3085
	erWrongValueForVar      = 1231
	erLocalVariable         = 1228
	erGlobalVariable        = 1229
	erMalformedGTIDSet      = 1772
	erMalformedGTID         = 1774
	erGTIDNextInTx          = 1790
	erGTIDNextUndefined     = 1837
	erPurgedNotEmpty        = 1840
	erSkipCounterGTID       = 1858
	erPurgedSetsConstraints = 3546
	erSPDoesNotExist        = 1305
	sqlStateGeneral         = "HY000"
	sqlStateNoSuchFunction  = "42000"
)

// terms are the words a version's messages use.
func (f *Fleet) slaveWord() string {
	if f.my.replicaKeyword() {
		return "replica"
	}
	return "slave"
}

func (f *Fleet) stopWord() string {
	if f.my.replicaKeyword() {
		return "REPLICA"
	}
	return "SLAVE"
}

// myStartStop runs START/STOP SLAVE|REPLICA [IO_THREAD|SQL_THREAD].
func (f *Fleet) myStartStop(in *instance, ws words) *sqlError {
	switch {
	case ws.is(1, "SLAVE"):
		if f.my.legacyRemoved() {
			return ws.near(1)
		}
	case ws.is(1, "REPLICA"):
		if !f.my.replicaKeyword() {
			return ws.near(1)
		}
	default:
		return ws.near(1)
	}
	io, sql := true, true
	switch {
	case len(ws.w) == 2:
	case len(ws.w) == 3 && ws.w[2] == "IO_THREAD":
		sql = false
	case len(ws.w) == 3 && ws.w[2] == "SQL_THREAD":
		io = false
	default:
		return unsupported(ws.stmt)
	}
	r := in.my.src
	if ws.w[0] == "STOP" {
		if r != nil {
			if io {
				r.io, r.connected = false, false
			}
			if sql {
				r.sql = false
			}
		}
		return nil
	}
	if r == nil || r.host == "" {
		with := "CHANGE MASTER TO"
		if f.my.sourceKeyword() {
			with = "CHANGE REPLICATION SOURCE TO"
		}
		return stateError(erBadSlave, sqlStateGeneral, "The server is not configured as "+f.slaveWord()+"; fix in config file or with "+with)
	}
	if io && !r.io {
		r.io = true
	}
	if sql && !r.sql {
		r.sql = true
		in.my.sqlErrno, in.my.sqlError = 0, "" // START clears the SQL thread's last error
	}
	return nil
}

// myReset runs RESET SLAVE|REPLICA [ALL], RESET MASTER and RESET BINARY
// LOGS AND GTIDS.
func (f *Fleet) myReset(in *instance, ws words) *sqlError {
	m := in.my
	switch {
	case ws.is(1, "SLAVE"), ws.is(1, "REPLICA"):
		if ws.w[1] == "SLAVE" && f.my.legacyRemoved() || ws.w[1] == "REPLICA" && !f.my.replicaKeyword() {
			return ws.near(1)
		}
		all := ws.is(2, "ALL")
		if len(ws.w) > 3 || len(ws.w) == 3 && !all {
			return unsupported(ws.stmt)
		}
		if r := m.src; r != nil && (r.io || r.sql) {
			return stateError(erSlaveMustStop, sqlStateGeneral, "This operation cannot be performed with a running "+
				f.slaveWord()+"; run STOP "+f.stopWord()+" first")
		}
		if all {
			m.src = nil
		} else if m.src != nil {
			m.src.retrieved, m.src.relay = gset{}, nil // the relay logs are deleted
		}
		m.ioErrno, m.ioError, m.sqlErrno, m.sqlError = 0, "", 0, ""
		return nil
	case ws.is(1, "MASTER") && len(ws.w) == 2:
		if f.my.legacyRemoved() {
			return ws.near(1)
		}
	case ws.is(1, "BINARY", "LOGS", "AND", "GTIDS") && len(ws.w) == 5:
		if !f.my.binaryLogNames() {
			return ws.near(1)
		}
	default:
		return unsupported(ws.stmt)
	}
	f.connectedReplicas(in) // connected replicas have received everything, as they stream
	m.executed, m.purged = gset{}, gset{}
	m.binlogIndex, m.firstBinlog, m.binlogStarts, m.binlogTx = 1, 1, map[int]gset{1: {}}, 0
	return nil
}

// rotate starts a new binary log (FLUSH BINARY LOGS).
func (m *myServer) rotate() {
	m.binlogIndex++
	m.binlogStarts[m.binlogIndex] = m.executed.clone()
}

// myPurge runs PURGE BINARY LOGS TO 'file' (PURGE MASTER LOGS before 8.4):
// the transactions of the purged files join gtid_purged.
func (f *Fleet) myPurge(in *instance, ws words) *sqlError {
	switch {
	case ws.is(1, "MASTER", "LOGS", "TO") && len(ws.w) == 5:
		if f.my.legacyRemoved() {
			return ws.near(1)
		}
	case ws.is(1, "BINARY", "LOGS", "TO") && len(ws.w) == 5:
	default:
		return unsupported(ws.stmt)
	}
	m := in.my
	f.connectedReplicas(in) // connected replicas have received everything, as they stream
	name := unquote(ws.stmt[ws.at[4]:])
	k := m.firstBinlog
	for k <= m.binlogIndex && binlogName(k) != name {
		k++
	}
	if k > m.binlogIndex {
		return stateError(1373, sqlStateGeneral, "Target log not found in binlog index")
	}
	for i := m.firstBinlog; i < k; i++ {
		delete(m.binlogStarts, i)
	}
	m.firstBinlog = k
	m.purged.union(m.binlogStarts[k])
	return nil
}

// changeOption is one "NAME = value" of CHANGE MASTER / REPLICATION SOURCE.
type changeOption struct {
	name, value string // name without its MASTER_/SOURCE_ prefix
	at          int    // offset of the option in the statement
}

// changeOptionNames are the options the simulator models.
var changeOptionNames = map[string]bool{"HOST": true, "PORT": true, "USER": true, "PASSWORD": true,
	"AUTO_POSITION": true, "CONNECT_RETRY": true, "HEARTBEAT_PERIOD": true, "RETRY_COUNT": true, "DELAY": true,
	"SSL": true, "SSL_CA": true, "SSL_CERT": true, "SSL_KEY": true, "SSL_VERIFY_SERVER_CERT": true}

// parseChange reads the head and options of a CHANGE statement, refusing
// what the version does not accept.
func (f *Fleet) parseChange(ws words) ([]changeOption, *sqlError) {
	v := *f.my
	var optsAt int
	switch {
	case ws.is(1, "MASTER", "TO"):
		if v.legacyRemoved() {
			return nil, ws.near(1)
		}
		optsAt = ws.at[2] + 2
	case ws.is(1, "REPLICATION", "SOURCE", "TO"):
		if !v.sourceKeyword() {
			return nil, ws.near(1)
		}
		optsAt = ws.at[3] + 2
	default:
		return nil, ws.near(1)
	}
	var opts []changeOption
	for _, item := range splitTopLevel(ws.stmt[optsAt:]) {
		at := optsAt + strings.Index(ws.stmt[optsAt:], item)
		name, value, ok := strings.Cut(item, "=")
		name = strings.ToUpper(strings.TrimSpace(name))
		bare, okMaster := strings.CutPrefix(name, "MASTER_")
		if !okMaster {
			bare, _ = strings.CutPrefix(name, "SOURCE_")
		}
		valid := ok && changeOptionNames[bare] && (okMaster && !v.legacyRemoved() || !okMaster && strings.HasPrefix(name, "SOURCE_") && v.sourceKeyword())
		if !valid {
			return nil, parseError(ws.stmt[at:])
		}
		opts = append(opts, changeOption{name: bare, value: unquote(strings.TrimSpace(value)), at: at})
	}
	if len(opts) == 0 {
		return nil, parseError("")
	}
	return opts, nil
}

// unquote strips SQL quotes (doubled or backslash-escaped inside).
func unquote(s string) string {
	if len(s) < 2 || (s[0] != '\'' && s[0] != '"') || s[len(s)-1] != s[0] {
		return s
	}
	q := s[0]
	s = s[1 : len(s)-1]
	s = strings.ReplaceAll(s, string([]byte{q, q}), string(q))
	return strings.ReplaceAll(s, `\`+string(q), string(q))
}

// changeAllowed applies the threads' rules of CHANGE MASTER (5.7.4 on):
// the delay needs the SQL thread stopped, auto-positioning both threads,
// every other option the IO thread.
func (f *Fleet) changeAllowed(r *replConf, opts []changeOption) *sqlError {
	if r == nil {
		return nil
	}
	ioMustStop, sqlMustStop := false, false
	for _, o := range opts {
		switch o.name {
		case "DELAY":
			sqlMustStop = true
		case "AUTO_POSITION":
			ioMustStop, sqlMustStop = true, true
		default:
			ioMustStop = true
		}
	}
	switch {
	case ioMustStop && r.io:
		return stateError(erIOThreadMustStop, sqlStateGeneral, "This operation cannot be performed with a running "+
			f.slaveWord()+" io thread; run STOP "+f.stopWord()+" IO_THREAD FOR CHANNEL '' first.")
	case sqlMustStop && r.sql:
		return stateError(erSQLThreadMustStop, sqlStateGeneral, "This operation cannot be performed with a running "+
			f.slaveWord()+" sql thread; run STOP "+f.stopWord()+" SQL_THREAD FOR CHANNEL '' first.")
	}
	return nil
}

// myChange runs CHANGE MASTER TO / CHANGE REPLICATION SOURCE TO.
func (f *Fleet) myChange(in *instance, ws words) *sqlError {
	opts, err := f.parseChange(ws)
	if err != nil {
		return err
	}
	m := in.my
	if err := f.changeAllowed(m.src, opts); err != nil {
		return err
	}
	r := m.src
	if r == nil {
		r = &replConf{connectRetry: 60, heartbeat: 30, retrieved: gset{}, port: 3306}
	}
	next := *r
	for _, o := range opts {
		switch o.name {
		case "HOST":
			next.host = o.value
		case "USER":
			next.user = o.value
		case "PASSWORD":
			next.password = o.value
		case "PORT", "CONNECT_RETRY", "AUTO_POSITION", "HEARTBEAT_PERIOD", "DELAY":
			n, perr := strconv.ParseFloat(o.value, 64)
			if perr != nil || n < 0 {
				return parseError(ws.stmt[o.at:])
			}
			switch o.name {
			case "PORT":
				next.port = int(n)
			case "CONNECT_RETRY":
				next.connectRetry = int(n)
			case "AUTO_POSITION":
				next.autoPosition = n == 1
			case "HEARTBEAT_PERIOD":
				next.heartbeat = n
			case "DELAY":
				next.delay = int(n)
			}
		}
	}
	if next.host != r.host || next.port != r.port {
		// A new source: the relay logs are purged.
		next.retrieved, next.relay, next.connected, next.sourceUUID, next.sourceID, next.beats = gset{}, nil, false, "", 0, 0
	}
	m.src = &next
	return nil
}
