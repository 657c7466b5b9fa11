package fleetsim

import (
	"strings"
)

// sessionVars are session variables a client may set that the simulator
// accepts without modelling them.
var sessionVars = map[string]bool{"autocommit": true, "names": true, "time_zone": true, "sql_mode": true,
	"transaction_isolation": true, "wait_timeout": true, "net_read_timeout": true, "net_write_timeout": true,
	"character_set_results": true, "sql_log_bin": true}

// mySet runs SET with one or more assignments; the scope keyword (GLOBAL,
// SESSION, @@global.) applies to the assignments after it, as in MySQL.
func (f *Fleet) mySet(in *instance, sess *session, list string) *sqlError {
	global := false
	for _, item := range splitTopLevel(list) {
		lhs, rhs, ok := strings.Cut(item, "=")
		lhs = strings.TrimSpace(lhs)
		up := strings.ToUpper(lhs)
		switch {
		case strings.HasPrefix(up, "GLOBAL "):
			global, lhs = true, strings.TrimSpace(lhs[7:])
		case strings.HasPrefix(up, "SESSION "):
			global, lhs = false, strings.TrimSpace(lhs[8:])
		case strings.HasPrefix(up, "NAMES "):
			continue
		}
		name := strings.ToLower(lhs)
		g := global
		switch {
		case strings.HasPrefix(name, "@@global."):
			name, g = name[9:], true
		case strings.HasPrefix(name, "@@session."):
			name, g = name[10:], false
		case strings.HasPrefix(name, "@@"):
			name = name[2:]
		}
		if !ok {
			return parseError(item)
		}
		if err := f.setVar(in, sess, name, unquote(strings.TrimSpace(rhs)), g); err != nil {
			return err
		}
	}
	return nil
}

func globalOnly(name string) *sqlError {
	return stateError(erGlobalVariable, sqlStateGeneral, "Variable '"+name+"' is a GLOBAL variable and should be set with SET GLOBAL")
}

func boolValue(name, v string) (bool, *sqlError) {
	switch strings.ToUpper(v) {
	case "1", "ON", "TRUE":
		return true, nil
	case "0", "OFF", "FALSE":
		return false, nil
	}
	return false, stateError(erWrongValueForVar, "42000", "Variable '"+name+"' can't be set to the value of '"+v+"'")
}

// setVar sets one variable.
func (f *Fleet) setVar(in *instance, sess *session, name, value string, global bool) *sqlError {
	m := in.my
	switch name {
	case "read_only", "super_read_only":
		if !global {
			return globalOnly(name)
		}
		b, err := boolValue(name, value)
		if err != nil {
			return err
		}
		if name == "read_only" {
			m.readOnly = b
			if !b {
				m.superReadOnly = false
			}
		} else {
			m.superReadOnly = b
			if b {
				m.readOnly = true
			}
		}
	case "gtid_next":
		if global {
			return stateError(erLocalVariable, sqlStateGeneral, "Variable 'gtid_next' is a SESSION variable and can't be used with SET GLOBAL")
		}
		return f.setGTIDNext(sess, value)
	case "gtid_purged":
		if !global {
			return globalOnly(name)
		}
		return f.setGTIDPurged(in, value)
	case "sql_slave_skip_counter", "sql_replica_skip_counter":
		if name == "sql_replica_skip_counter" && !f.my.replicaVars() {
			return unknownVar(name)
		}
		if !global {
			return globalOnly(name)
		}
		return stateError(erSkipCounterGTID, sqlStateGeneral, name+" can not be set when the server is running "+
			"with @@GLOBAL.GTID_MODE = ON. Instead, for each transaction that you want to skip, generate an empty transaction "+
			"with the same GTID as the transaction")
	default:
		if handled, err := f.setSemiSync(in, name, value, global); handled {
			return err
		}
		if !sessionVars[name] {
			return unknownVar(name)
		}
	}
	return nil
}

func unknownVar(name string) *sqlError {
	return &sqlError{code: erUnknownSystemVar, state: sqlStateUnknownVar, invalid: true, msg: "Unknown system variable '" + name + "'"}
}

func (f *Fleet) setGTIDNext(sess *session, value string) *sqlError {
	if sess.inTx && sess.gtidNext != "AUTOMATIC" {
		return stateError(erGTIDNextInTx, sqlStateGeneral, "@@SESSION.GTID_NEXT cannot be changed by a client that owns a GTID. "+
			"The client owns "+sess.gtidNext+". Ownership is released on COMMIT or ROLLBACK.")
	}
	switch strings.ToUpper(value) {
	case "AUTOMATIC":
		sess.gtidNext, sess.gtidUsed = "AUTOMATIC", false
		return nil
	case "ANONYMOUS":
		return stateError(1782, sqlStateGeneral, "@@SESSION.GTID_NEXT cannot be set to ANONYMOUS when @@GLOBAL.GTID_MODE = ON.")
	}
	uuid, n, err := parseGTID(value)
	if err != nil {
		return stateError(erMalformedGTID, sqlStateGeneral, "Malformed GTID specification '"+value+"'.")
	}
	sess.gtidNext, sess.gtidUsed = uuid+":"+itoa(n), false
	return nil
}

// setGTIDPurged: 5.7 only on an empty gtid_executed (after RESET MASTER);
// 8.0 also a superset of the old value not overlapping the transactions
// executed and not purged, or "+set" disjoint from gtid_executed.
func (f *Fleet) setGTIDPurged(in *instance, value string) *sqlError {
	m := in.my
	add := strings.HasPrefix(strings.TrimSpace(value), "+")
	set, err := parseGset(strings.TrimPrefix(strings.TrimSpace(value), "+"))
	if err != nil {
		return stateError(erMalformedGTIDSet, sqlStateGeneral, "Malformed GTID set specification '"+value+"'.")
	}
	if !f.my.atLeast(8, 0, 0) {
		if add {
			return stateError(erMalformedGTIDSet, sqlStateGeneral, "Malformed GTID set specification '"+value+"'.")
		}
		if m.executed.count() > 0 {
			return stateError(erPurgedNotEmpty, sqlStateGeneral, "@@GLOBAL.GTID_PURGED can only be set when @@GLOBAL.GTID_EXECUTED is empty.")
		}
	} else {
		if !add {
			if !m.purged.subsetOf(set) {
				return stateError(erPurgedSetsConstraints, sqlStateGeneral, "@@GLOBAL.GTID_PURGED cannot be changed: the new value must be a superset of the old value")
			}
			set = set.minus(m.purged)
		}
		if set.minus(m.executed).count() != set.count() {
			return stateError(erPurgedSetsConstraints, sqlStateGeneral, "@@GLOBAL.GTID_PURGED cannot be changed: the added gtid set must not overlap with @@GLOBAL.GTID_EXECUTED")
		}
	}
	m.purged.union(set)
	m.executed.union(set)
	m.binlogStarts[m.binlogIndex].union(set) // the server rotates; the new file's Previous_gtids hold them
	return nil
}

// myBegin starts a transaction.
func (f *Fleet) myBegin(sess *session) *sqlError {
	if sess.gtidNext != "AUTOMATIC" && sess.gtidNext != "" && sess.gtidUsed {
		return stateError(erGTIDNextUndefined, sqlStateGeneral, "When @@SESSION.GTID_NEXT is set to a GTID, you must explicitly set it "+
			"to a different value after a COMMIT or ROLLBACK. Please check GTID_NEXT variable manual page for detailed explanation. "+
			"Current @@SESSION.GTID_NEXT is '"+sess.gtidNext+"'.")
	}
	sess.inTx = true
	return nil
}

// myCommit ends a transaction: under gtid_next=GTID the (empty)
// transaction is logged with that GTID unless it was executed already.
func (f *Fleet) myCommit(in *instance, sess *session, commit bool) *sqlError {
	if sess.gtidNext == "AUTOMATIC" || sess.gtidNext == "" {
		sess.inTx = false
		return nil
	}
	if sess.gtidUsed {
		return f.myBegin(sess) // the same error as a statement would get
	}
	uuid, n, _ := parseGTID(sess.gtidNext) // valid: setGTIDNext checked it
	if commit && !in.my.executed.contains(uuid, n) {
		in.my.executed.addRange(uuid, n, n)
		in.my.data.addRange(uuid, n, n)
		in.my.binlogTx++
	}
	sess.inTx, sess.gtidUsed = false, true
	return nil
}
