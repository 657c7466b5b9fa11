package fleetsim

import (
	"strings"
	"sync"
)

// plan is how to answer one query text: a statement after another.
type plan struct{ stmts []stmtPlan }

// stmtPlan answers one statement: an error, a result set (defs and rows),
// or OK (rows nil).
type stmtPlan struct {
	err  *sqlError
	defs [][]byte
	rows func(w *writer, st *snapshot)
}

// planCache remembers plans by query text; Regent sends a handful of
// distinct texts, so it stays small.
type planCache struct {
	mu sync.RWMutex
	m  map[string]*plan
}

// maxPlans bounds the cache; past it, plans are built per query.
const maxPlans = 1024

func (c *planCache) get(query string) *plan {
	c.mu.RLock()
	p, ok := c.m[query]
	c.mu.RUnlock()
	if ok {
		return p
	}
	p = buildPlan(query)
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[string]*plan)
	}
	if len(c.m) < maxPlans {
		c.m[query] = p
	}
	c.mu.Unlock()
	return p
}

// buildPlan splits a (multi-)statement query at semicolons (the probe's
// statements hold none inside literals) and plans each statement.
func buildPlan(query string) *plan {
	p := &plan{}
	for _, s := range strings.Split(query, ";") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p.stmts = append(p.stmts, planStatement(s))
	}
	if len(p.stmts) == 0 {
		p.stmts = []stmtPlan{{err: &sqlError{code: 1065, state: sqlStateSyntax, msg: "Query was empty"}}}
	}
	return p
}

// planStatement recognises each statement the probe, discovery and the
// Detect* defaults send.
func planStatement(s string) stmtPlan {
	u := strings.ToUpper(strings.Join(strings.Fields(s), " "))
	switch {
	case strings.Contains(u, "INFORMATION_SCHEMA.PROCESSLIST"):
		return stmtPlan{defs: columnDefs([]string{"Host"}), rows: binlogDumpRows}
	case strings.HasPrefix(u, "SHOW GLOBAL STATUS"), strings.HasPrefix(u, "SHOW STATUS"):
		return stmtPlan{defs: columnDefs([]string{"Variable_name", "Value"}), rows: statusRows}
	case strings.HasPrefix(u, "SHOW GLOBAL VARIABLES"), strings.HasPrefix(u, "SHOW VARIABLES"):
		return stmtPlan{defs: columnDefs([]string{"Variable_name", "Value"}), rows: semiSyncVariableRows}
	case u == "SHOW MASTER STATUS", u == "SHOW BINLOG STATUS":
		return stmtPlan{defs: columnDefs([]string{"File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB"}), rows: masterStatusRows}
	case u == "SHOW SLAVE STATUS", u == "SHOW REPLICA STATUS":
		return stmtPlan{defs: slaveStatusDefs, rows: slaveStatusRows}
	case u == "SHOW SLAVE HOSTS", u == "SHOW REPLICA HOSTS":
		return stmtPlan{defs: columnDefs([]string{"Server_id", "Host", "Port", "Master_id"}), rows: slaveHostsRows}
	case strings.HasPrefix(u, "SET "):
		return stmtPlan{}
	case strings.HasPrefix(u, "SELECT "):
		return planSelect(s[len("SELECT "):])
	}
	return syntaxError(s)
}

func syntaxError(s string) stmtPlan {
	return stmtPlan{err: &sqlError{code: erParse, state: sqlStateSyntax,
		msg: "You have an error in your SQL syntax (fleetsim does not answer: " + s + ")"}}
}

// planSelect plans "SELECT expr [AS alias], …" without FROM: @@variables,
// NULL, literals and TIMESTAMPDIFF (the server's UTC offset, 0).
func planSelect(list string) stmtPlan {
	items := splitTopLevel(list)
	names := make([]string, len(items))
	vals := make([]valueFunc, len(items))
	for i, item := range items {
		expr, alias := item, item
		if j := strings.LastIndex(strings.ToUpper(item), " AS "); j >= 0 {
			expr, alias = strings.TrimSpace(item[:j]), strings.Trim(strings.TrimSpace(item[j+4:]), "`")
		}
		if strings.Contains(strings.ToUpper(expr), " FROM ") {
			return syntaxError("SELECT " + list)
		}
		v, err := planValue(expr)
		if err != nil {
			return stmtPlan{err: err}
		}
		names[i], vals[i] = alias, v
	}
	return stmtPlan{defs: columnDefs(names), rows: func(w *writer, st *snapshot) {
		w.begin()
		for _, v := range vals {
			v(w, st)
		}
		w.end()
	}}
}

// splitTopLevel splits at commas outside parentheses and quotes.
func splitTopLevel(s string) []string {
	var out []string
	depth, quote, start := 0, byte(0), 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// valueFunc writes one column value of the instance's state.
type valueFunc func(w *writer, st *snapshot)

func planValue(expr string) (valueFunc, *sqlError) {
	u := strings.ToUpper(expr)
	switch {
	case u == "NULL":
		return func(w *writer, _ *snapshot) { w.null() }, nil
	case strings.HasPrefix(u, "TIMESTAMPDIFF("):
		return func(w *writer, _ *snapshot) { w.int(0) }, nil
	case strings.HasPrefix(expr, "@@"):
		name := strings.ToLower(expr[2:])
		name = strings.TrimPrefix(strings.TrimPrefix(name, "global."), "session.")
		v, ok := variables[name]
		if !ok {
			return nil, &sqlError{code: erUnknownSystemVar, state: sqlStateUnknownVar, msg: "Unknown system variable '" + name + "'"}
		}
		return v, nil
	case len(expr) >= 2 && expr[0] == '\'' && expr[len(expr)-1] == '\'':
		lit := expr[1 : len(expr)-1]
		return func(w *writer, _ *snapshot) { w.str(lit) }, nil
	case isNumber(expr):
		return func(w *writer, _ *snapshot) { w.str(expr) }, nil
	}
	return nil, &sqlError{code: erParse, state: sqlStateSyntax, msg: "fleetsim does not evaluate " + expr}
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '.' && !(i == 0 && s[i] == '-') {
			return false
		}
	}
	return true
}
