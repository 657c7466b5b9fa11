package fleetsim

import (
	"path"
	"strconv"
	"strings"
	"time"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func onOff(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// myVar reads one system variable of in (ok false: the version has no
// such variable).
func (f *Fleet) myVar(in *instance, sess *session, name string) (any, bool) {
	m, v := in.my, *f.my
	switch name {
	case "version":
		return f.opts.Version, true
	case "version_comment":
		if v.atLeast(8, 0, 0) {
			return "MySQL Community Server - GPL", true
		}
		return "MySQL Community Server (GPL)", true
	case "server_id":
		return int64(in.serverID), true
	case "server_uuid":
		return m.uuid, true
	case "hostname", "report_host":
		return in.ip, true
	case "port", "report_port":
		return int64(f.opts.Port), true
	case "read_only":
		return onOff(m.readOnly), true
	case "super_read_only":
		return onOff(m.superReadOnly), true
	case "log_bin", "log_slave_updates":
		return int64(1), true
	case "log_replica_updates":
		return int64(1), v.replicaVars()
	case "binlog_format":
		return "ROW", true
	case "binlog_row_image":
		return "FULL", true
	case "gtid_mode":
		return "ON", true
	case "enforce_gtid_consistency":
		return "ON", true
	case "gtid_executed":
		return m.executed.String(), true
	case "gtid_purged":
		return m.purged.String(), true
	case "gtid_next":
		if sess.gtidNext == "" {
			return "AUTOMATIC", true
		}
		return sess.gtidNext, true
	case "max_allowed_packet":
		return int64(67108864), true
	case "sql_slave_skip_counter", "slave_net_timeout":
		return map[string]int64{"sql_slave_skip_counter": 0, "slave_net_timeout": 60}[name], true
	case "sql_replica_skip_counter", "replica_net_timeout":
		return map[string]int64{"sql_replica_skip_counter": 0, "replica_net_timeout": 60}[name], v.replicaVars()
	}
	return f.semiSyncVar(in, name)
}

// variableNames are the variables SHOW VARIABLES lists.
var variableNames = []string{"binlog_format", "binlog_row_image", "enforce_gtid_consistency", "gtid_executed", "gtid_mode",
	"gtid_next", "gtid_purged", "hostname", "log_bin", "log_replica_updates", "log_slave_updates", "max_allowed_packet",
	"port", "read_only", "replica_net_timeout", "report_host", "report_port", "server_id", "server_uuid",
	"slave_net_timeout", "sql_replica_skip_counter", "sql_slave_skip_counter", "super_read_only", "version", "version_comment"}

// showVariables answers SHOW [GLOBAL] VARIABLES [LIKE 'p' | WHERE
// Variable_name LIKE 'p'] (the semi-sync variables with Options.SemiSync).
func (f *Fleet) showVariables(in *instance, ws words) (*myResult, *sqlError) {
	pattern := "%"
	if i := strings.Index(strings.ToUpper(ws.stmt), " LIKE "); i >= 0 {
		pattern = unquote(strings.TrimSpace(ws.stmt[i+6:]))
	}
	// LIKE's % and _ as path.Match's * and ? (names hold no other metacharacters).
	glob := strings.NewReplacer("%", "*", "_", "?").Replace(strings.ToLower(pattern))
	res := &myResult{cols: []string{"Variable_name", "Value"}}
	for _, n := range append(variableNames, semiSyncNames...) {
		if ok, _ := path.Match(glob, n); !ok {
			continue
		}
		if v, ok := f.myVar(in, &session{}, n); ok {
			if i, isInt := v.(int64); isInt && (n == "read_only" || n == "super_read_only" || n == "log_bin" || strings.HasPrefix(n, "log_") || strings.HasSuffix(n, "_enabled")) {
				v = map[int64]string{0: "OFF", 1: "ON"}[i]
			}
			res.rows = append(res.rows, []any{n, v})
		}
	}
	return res, nil
}

// mySelect answers SELECT of expressions, and the two FROM queries of the
// probe (the processlist's dump threads, the heartbeat tables).
func (f *Fleet) mySelect(in *instance, sess *session, stmt string, ws words) (*myResult, *sqlError) {
	up := strings.ToUpper(stmt)
	switch {
	case strings.Contains(up, "FROM INFORMATION_SCHEMA.PROCESSLIST"):
		res := &myResult{cols: []string{"Host"}}
		for i, r := range f.connectedReplicas(in) {
			res.rows = append(res.rows, []any{r.ip + ":" + strconv.Itoa(40000+i)})
		}
		return res, nil
	case strings.Contains(up, "FROM PERFORMANCE_SCHEMA.REPLICATION_CONNECTION_STATUS"):
		return f.heartbeatRow(in), nil
	case strings.Contains(up, " FROM "):
		return nil, unsupported(stmt)
	}
	list := strings.TrimSpace(stmt[ws.at[0]+len("SELECT"):])
	if list == "" {
		return nil, parseError("")
	}
	items := splitTopLevel(list)
	res := &myResult{cols: make([]string, len(items)), rows: [][]any{make([]any, len(items))}}
	for i, item := range items {
		expr, alias := item, item
		if j := strings.LastIndex(strings.ToUpper(item), " AS "); j >= 0 {
			expr, alias = strings.TrimSpace(item[:j]), strings.Trim(strings.TrimSpace(item[j+4:]), "`")
		}
		v, err := f.myEval(in, sess, expr)
		if err != nil {
			return nil, err
		}
		res.cols[i], res.rows[0][i] = alias, v
	}
	return res, nil
}

// myEval evaluates one SELECT expression.
func (f *Fleet) myEval(in *instance, sess *session, expr string) (any, *sqlError) {
	u := strings.ToUpper(expr)
	switch {
	case u == "NULL":
		return nil, nil
	case strings.HasPrefix(u, "TIMESTAMPDIFF("):
		return int64(0), nil // the server's clock is UTC
	case strings.HasPrefix(expr, "@@"):
		name := strings.ToLower(expr[2:])
		name = strings.TrimPrefix(strings.TrimPrefix(name, "global."), "session.")
		v, ok := f.myVar(in, sess, name)
		if !ok {
			return nil, unknownVar(name)
		}
		return v, nil
	case len(expr) >= 2 && expr[0] == '\'' && expr[len(expr)-1] == '\'':
		return unquote(expr), nil
	case isNumber(expr):
		return expr, nil
	case strings.HasPrefix(u, "GTID_SUBSET("), strings.HasPrefix(u, "GTID_SUBTRACT("):
		return f.gtidFunc(in, sess, expr)
	case strings.HasPrefix(u, "MASTER_GTID_WAIT("): // MariaDB's
		fn := u[:strings.IndexByte(u, '(')]
		return nil, &sqlError{code: erSPDoesNotExist, state: sqlStateNoSuchFunction, invalid: true, msg: "FUNCTION " + fn + " does not exist"}
	}
	return nil, unsupported("SELECT " + expr)
}

// gtidFunc evaluates GTID_SUBSET(a, b) and GTID_SUBTRACT(a, b).
func (f *Fleet) gtidFunc(in *instance, sess *session, expr string) (any, *sqlError) {
	open := strings.IndexByte(expr, '(')
	if !strings.HasSuffix(expr, ")") {
		return nil, parseError(expr)
	}
	args := splitTopLevel(expr[open+1 : len(expr)-1])
	if len(args) != 2 {
		return nil, stateError(1582, "42000", "Incorrect parameter count in the call to native function '"+strings.ToLower(expr[:open])+"'")
	}
	var sets [2]gset
	for i, a := range args {
		v, err := f.myEval(in, sess, a)
		if err != nil {
			return nil, err
		}
		s, _ := v.(string)
		g, perr := parseGset(s)
		if perr != nil {
			return nil, stateError(erMalformedGTIDSet, sqlStateGeneral, "Malformed GTID set specification '"+s+"'.")
		}
		sets[i] = g
	}
	if strings.EqualFold(expr[:open], "GTID_SUBSET") {
		return onOff(sets[0].subsetOf(sets[1])), nil
	}
	return sets[0].minus(sets[1]).String(), nil
}

// waitForGTIDs answers SELECT WAIT_FOR_EXECUTED_GTID_SET('set', timeout):
// 0 once in has executed set, 1 after timeout seconds (polled; the
// connection blocks as on a real server).
func (f *Fleet) waitForGTIDs(in *instance, stmt string) (*myResult, *sqlError) {
	u := strings.ToUpper(stmt)
	i := strings.Index(u, "WAIT_FOR_EXECUTED_GTID_SET(")
	j := strings.LastIndexByte(stmt, ')')
	if j < i+len("WAIT_FOR_EXECUTED_GTID_SET(") {
		return nil, parseError(stmt[i:])
	}
	args := splitTopLevel(stmt[i+len("WAIT_FOR_EXECUTED_GTID_SET(") : j])
	want, err := parseGset(unquote(args[0]))
	if err != nil {
		return nil, stateError(erMalformedGTIDSet, sqlStateGeneral, "Malformed GTID set specification '"+args[0]+"'.")
	}
	timeout := 365 * 24 * time.Hour
	if len(args) > 1 {
		s, perr := strconv.ParseFloat(strings.TrimSpace(args[1]), 64)
		if perr != nil || s < 0 {
			return nil, parseError(args[1])
		}
		if s > 0 {
			timeout = time.Duration(s * float64(time.Second))
		}
	}
	deadline := time.Now().Add(min(timeout, time.Minute)) // bounded: a test server
	res := &myResult{cols: []string{strings.TrimSpace(stmt[len("SELECT"):])}, rows: [][]any{{int64(1)}}}
	for {
		f.myMu.Lock()
		f.tick(in, time.Now(), 0)
		done := want.subsetOf(in.my.executed)
		f.myMu.Unlock()
		if done {
			res.rows[0][0] = int64(0)
			return res, nil
		}
		if time.Now().After(deadline) || in.down.Load() {
			return res, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// heartbeatRow answers the probe's performance_schema heartbeat query.
func (f *Fleet) heartbeatRow(in *instance) *myResult {
	res := &myResult{cols: []string{"heartbeats", "last_heartbeat", "heartbeat_period"}}
	r := in.my.src
	if r == nil {
		return res
	}
	last := any("0000-00-00 00:00:00.000000")
	if r.beats > 0 {
		last = timeText(r.lastBeat)
	}
	res.rows = append(res.rows, []any{r.beats, last, strconv.FormatFloat(r.heartbeat, 'f', 3, 64)})
	return res
}
