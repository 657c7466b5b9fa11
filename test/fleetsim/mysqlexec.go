package fleetsim

import (
	"fmt"
	"strings"
	"time"
)

// session is one connection's state on a simulated MySQL server.
type session struct {
	gtidNext string // "AUTOMATIC" or a GTID
	gtidUsed bool   // the GTID of gtid_next was committed; it must be set again
	inTx     bool
}

// myResult is a result set (cols nil: an OK packet).
type myResult struct {
	cols []string
	rows [][]any // string, int64 or nil (NULL)
}

// words are a statement's blank-separated words, upper-cased, with their
// byte offsets in the statement (for the parse error's "near" text).
type words struct {
	stmt string
	w    []string
	at   []int
}

func splitWords(stmt string) words {
	ws := words{stmt: stmt}
	start := -1
	for i := 0; i <= len(stmt); i++ {
		blank := i == len(stmt) || stmt[i] == ' ' || stmt[i] == '\t' || stmt[i] == '\n' || stmt[i] == '\r'
		if blank && start >= 0 {
			ws.w = append(ws.w, strings.ToUpper(stmt[start:i]))
			ws.at = append(ws.at, start)
			start = -1
		} else if !blank && start < 0 {
			start = i
		}
	}
	return ws
}

// is reports whether the words from i on start with want.
func (ws words) is(i int, want ...string) bool {
	if len(ws.w) < i+len(want) {
		return false
	}
	for k, x := range want {
		if ws.w[i+k] != x {
			return false
		}
	}
	return true
}

// near is a parse error at word i (the end of the statement when past it).
func (ws words) near(i int) *sqlError {
	if i >= len(ws.at) {
		return parseError("")
	}
	return parseError(ws.stmt[ws.at[i]:])
}

// parseError is MySQL's ER_PARSE_ERROR, quoting up to 80 bytes from where
// the parser stopped, as the server does.
func parseError(near string) *sqlError {
	if len(near) > 80 {
		near = near[:80]
	}
	return &sqlError{code: erParse, state: sqlStateSyntax, invalid: true,
		msg: "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version " +
			"for the right syntax to use near '" + near + "' at line 1"}
}

func unsupported(stmt string) *sqlError {
	return &sqlError{code: erParse, state: sqlStateSyntax, unsupported: true,
		msg: "fleetsim does not model this statement: " + stmt}
}

func stateError(code uint16, state, msg string) *sqlError {
	return &sqlError{code: code, state: state, msg: msg}
}

// answerMySQL answers a (multi-)statement query as the fleet's MySQL
// version, recording every statement.
func (f *Fleet) answerMySQL(w *writer, in *instance, sess *session, query string) {
	stmts := splitStatements(query)
	if len(stmts) == 0 {
		w.err(&sqlError{code: 1065, state: sqlStateSyntax, msg: "Query was empty"})
		return
	}
	for i, s := range stmts {
		f.queries.Add(1)
		res, err := f.safeExec(in, sess, s)
		rec := Statement{Instance: f.key(in), Version: f.opts.Version, SQL: s}
		if err != nil {
			rec.Code, rec.Error, rec.Invalid, rec.Unsupported = err.code, err.msg, err.invalid, err.unsupported
		} else {
			rec.Deprecated = f.my.deprecated(splitWords(s))
		}
		f.stmts.add(rec)
		if err != nil {
			w.err(err)
			return
		}
		more := i < len(stmts)-1
		if res == nil {
			st := uint16(statusAutocommit)
			if more {
				st |= statusMoreResults
			}
			w.begin()
			w.buf = append(w.buf, 0x00, 0, 0, byte(st), byte(st>>8), 0, 0)
			w.end()
			continue
		}
		w.columns(columnDefs(res.cols))
		for _, row := range res.rows {
			w.begin()
			for _, v := range row {
				switch v := v.(type) {
				case nil:
					w.null()
				case int64:
					w.int(v)
				case string:
					w.str(v)
				}
			}
			w.end()
		}
		w.endRows(more)
	}
}

// splitStatements splits at semicolons outside quotes.
func splitStatements(q string) []string {
	var out []string
	quote, start := byte(0), 0
	for i := 0; i <= len(q); i++ {
		if i < len(q) {
			c := q[i]
			switch {
			case quote != 0:
				if c == '\\' {
					i++
				} else if c == quote {
					quote = 0
				}
				continue
			case c == '\'' || c == '"' || c == '`':
				quote = c
				continue
			case c != ';':
				continue
			}
		}
		if s := strings.TrimSpace(q[start:i]); s != "" {
			out = append(out, s)
		}
		start = i + 1
	}
	return out
}

// safeExec runs one statement; a bug of the simulator answers an error
// marked unsupported (the test that sent it fails) instead of ending the
// test process.
func (f *Fleet) safeExec(in *instance, sess *session, stmt string) (res *myResult, err *sqlError) {
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, &sqlError{code: erParse, state: sqlStateSyntax, unsupported: true,
				msg: fmt.Sprintf("fleetsim failed on this statement: %v", p)}
		}
	}()
	return f.execMySQL(in, sess, stmt)
}

// execMySQL runs one statement.
func (f *Fleet) execMySQL(in *instance, sess *session, stmt string) (*myResult, *sqlError) {
	ws := splitWords(stmt)
	if ws.is(0, "SELECT") && strings.Contains(strings.ToUpper(stmt), "WAIT_FOR_EXECUTED_GTID_SET(") {
		return f.waitForGTIDs(in, stmt)
	}
	f.myMu.Lock()
	defer f.myMu.Unlock()
	f.tick(in, time.Now(), 0)
	switch ws.w[0] {
	case "SELECT":
		return f.mySelect(in, sess, stmt, ws)
	case "SHOW":
		return f.myShow(in, ws)
	case "SET":
		return nil, f.mySet(in, sess, stmt[ws.at[0]+3:])
	case "BEGIN", "START", "STOP":
		if ws.is(0, "BEGIN") || ws.is(0, "START", "TRANSACTION") {
			return nil, f.myBegin(sess)
		}
		return nil, f.myStartStop(in, ws)
	case "COMMIT", "ROLLBACK":
		return nil, f.myCommit(in, sess, ws.w[0] == "COMMIT")
	case "RESET":
		return nil, f.myReset(in, ws)
	case "CHANGE":
		return nil, f.myChange(in, ws)
	case "FLUSH":
		if ws.is(1, "BINARY", "LOGS") || ws.is(1, "LOGS") {
			in.my.rotate()
			return nil, nil
		}
	case "PURGE":
		return nil, f.myPurge(in, ws)
	}
	return nil, unsupported(stmt)
}

// myShow answers the SHOW statements Regent uses.
func (f *Fleet) myShow(in *instance, ws words) (*myResult, *sqlError) {
	v := *f.my
	switch {
	case ws.is(1, "GLOBAL", "STATUS"), ws.is(1, "STATUS"):
		return &myResult{cols: []string{"Variable_name", "Value"},
			rows: [][]any{{"Uptime", int64(time.Since(f.start).Seconds())}}}, nil
	case ws.is(1, "GLOBAL", "VARIABLES"), ws.is(1, "VARIABLES"):
		return f.showVariables(in, ws)
	case ws.is(1, "MASTER", "STATUS"):
		if v.legacyRemoved() {
			return nil, ws.near(1)
		}
		return f.binlogStatus(in), nil
	case ws.is(1, "BINARY", "LOG", "STATUS"):
		if !v.binaryLogNames() {
			return nil, ws.near(2)
		}
		return f.binlogStatus(in), nil
	case ws.is(1, "BINARY", "LOGS"), ws.is(1, "MASTER", "LOGS"):
		if ws.w[1] == "MASTER" && v.legacyRemoved() {
			return nil, ws.near(1)
		}
		return f.binaryLogs(in), nil
	case ws.is(1, "SLAVE", "STATUS"):
		if v.legacyRemoved() {
			return nil, ws.near(1)
		}
		return f.replicaStatus(in, false), nil
	case ws.is(1, "REPLICA", "STATUS"):
		if !v.replicaKeyword() {
			return nil, ws.near(1)
		}
		return f.replicaStatus(in, true), nil
	case ws.is(1, "SLAVE", "HOSTS"):
		if v.legacyRemoved() {
			return nil, ws.near(1)
		}
		return f.replicaHosts(in, false), nil
	case ws.is(1, "REPLICAS"):
		if !v.replicaKeyword() {
			return nil, ws.near(1)
		}
		return f.replicaHosts(in, true), nil
	case ws.is(1, "BINLOG", "EVENTS"):
		return f.showBinlogEvents(in, ws)
	case ws.is(1, "WARNINGS"):
		return &myResult{cols: []string{"Level", "Code", "Message"}}, nil
	}
	return nil, unsupported(ws.stmt)
}

func (f *Fleet) binlogStatus(in *instance) *myResult {
	m := in.my
	return &myResult{cols: []string{"File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB", "Executed_Gtid_Set"},
		rows: [][]any{{binlogName(m.binlogIndex), 4 + m.binlogTx*bytesPerWrite, "", "", m.executed.String()}}}
}

func binlogName(i int) string {
	s := "00000" + itoa(int64(i))
	return "mysql-bin." + s[len(s)-6:]
}

func (f *Fleet) binaryLogs(in *instance) *myResult {
	res := &myResult{cols: []string{"Log_name", "File_size"}}
	if f.my.atLeast(8, 0, 14) {
		res.cols = append(res.cols, "Encrypted")
	}
	for i := in.my.firstBinlog; i <= in.my.binlogIndex; i++ {
		row := []any{binlogName(i), int64(4)}
		if i == in.my.binlogIndex {
			row[1] = 4 + in.my.binlogTx*bytesPerWrite
		}
		if len(res.cols) == 3 {
			row = append(row, "No")
		}
		res.rows = append(res.rows, row)
	}
	return res
}

// replicaHosts lists the replicas connected to in (SHOW SLAVE HOSTS, or
// SHOW REPLICAS with its 8.0.22 column names).
func (f *Fleet) replicaHosts(in *instance, newNames bool) *myResult {
	res := &myResult{cols: []string{"Server_id", "Host", "Port", "Master_id", "Slave_UUID"}}
	if newNames {
		res.cols = []string{"Server_Id", "Host", "Port", "Source_Id", "Replica_UUID"}
	}
	for _, r := range f.connectedReplicas(in) {
		res.rows = append(res.rows, []any{int64(r.serverID), r.ip, int64(f.opts.Port), int64(in.serverID), r.my.uuid})
	}
	return res
}

// connectedReplicas are the live instances whose IO thread is connected
// to in (brought up to date first).
func (f *Fleet) connectedReplicas(in *instance) []*instance {
	var out []*instance
	now := time.Now()
	for _, c := range f.clusters {
		for _, r := range c.members {
			if r == in || r.my == nil || r.my.src == nil || r.my.src.host != in.ip || r.down.Load() {
				continue
			}
			f.tick(r, now, 0)
			if r.my.src.io && r.my.src.connected {
				out = append(out, r)
			}
		}
	}
	return out
}
