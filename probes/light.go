package probes

import (
	"context"
	"database/sql"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/mysqlconn"
)

// lastFull is what the last full probe of an instance read that the light
// probe does not, and what a light probe compares against to notice a
// change of role or structure (which makes it read everything at once).
type lastFull struct {
	at        time.Time // zero: none yet
	globals   row
	variables []row
	replicas  []row

	serverID, readOnly, superReadOnly string
	uptime                            int64
	replica                           replicaShape
}

// replicaShape is what makes an instance a replica of a given source.
type replicaShape struct {
	present    bool
	host, port string
}

func shapeOf(rows []row) replicaShape {
	r, ok := pickChannel(rows)
	if !ok {
		return replicaShape{}
	}
	return replicaShape{present: true, host: r.str("Source_Host", "Master_Host"), port: r.str("Source_Port", "Master_Port")}
}

func (in *instance) rememberFull(res batchResult, at time.Time) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.last = lastFull{at: at, globals: res.globals, variables: res.variables, replicas: res.replicas,
		serverID: res.globals.str("server_id"), readOnly: res.globals.str("read_only"),
		superReadOnly: res.globals.str("super_read_only"), uptime: uptimeOf(res.status), replica: shapeOf(res.replica)}
}

// lastFullWithin returns the last full probe's answers when they are
// younger than maxAge.
func (in *instance) lastFullWithin(now time.Time, maxAge time.Duration) (lastFull, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	l := in.last
	return l, !l.at.IsZero() && maxAge > 0 && now.Sub(l.at) < maxAge
}

func uptimeOf(status []row) int64 {
	for _, r := range status {
		if equalFoldASCII(r.str("Variable_name", "VARIABLE_NAME"), "uptime") {
			return r.int64("Value", "VARIABLE_VALUE")
		}
	}
	return 0
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// changedSince reports a change a light probe cannot describe alone: a
// restart, another server behind the address, read_only flipped, or the
// replication source appearing, going or moving.
func (l *lastFull) changedSince(res batchResult) bool {
	g := res.globals
	return g.str("server_id") != l.serverID || g.str("read_only") != l.readOnly ||
		g.str("super_read_only") != l.superReadOnly || uptimeOf(res.status) < l.uptime ||
		shapeOf(res.replica) != l.replica
}

// merge completes a light probe's answers with the last full probe's.
func (l *lastFull) merge(res batchResult) batchResult {
	base := l.globals
	res.globals.base = &base
	res.variables = l.variables
	res.replicas = l.replicas
	return res
}

// readState reads the instance's state: a light batch when a full one was
// read within FullProbeInterval and nothing structural changed since, the
// full batch otherwise (also right after a light batch that saw a change).
func (p *Prober) readState(ctx context.Context, key events.InstanceKey, conn *sql.Conn, in *instance, d dialectPlan) (batchResult, bool, error) {
	now := p.clock.Now()
	if last, ok := in.lastFullWithin(now, p.opts.FullProbeInterval); ok {
		res, answered, err := p.runStatements(ctx, key, conn, in, d.info, d.light, d.lightSQL)
		if err != nil {
			return res, answered, err
		}
		if !last.changedSince(res) {
			return last.merge(res), true, nil
		}
	}
	res, answered, err := p.runStatements(ctx, key, conn, in, d.info, d.full, d.fullSQL)
	if err == nil {
		in.rememberFull(res, now)
	}
	return res, answered, err
}

// runStatements runs one batch; a failed optional statement is logged and
// ignored, any other failure explained.
func (p *Prober) runStatements(ctx context.Context, key events.InstanceKey, conn *sql.Conn, in *instance, info mysqlconn.Server, stmts []statement, sqlText string) (batchResult, bool, error) {
	res, failed, err := runBatch(ctx, conn, in, stmts, sqlText)
	if err != nil && failed >= 0 && stmts[failed].optional {
		p.sampled.Debug().Str(events.LogInstance, key.String()).Err(err).Str("statement", stmts[failed].name).Msg("optional probe statement failed")
		err = nil
	}
	if err != nil {
		return res, failed > 0, p.statementError(in, info, stmts, failed, err)
	}
	return res, true, nil
}
