package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/gtid"
)

// This file holds the operator-only replication controls of
// orchestrator-client (semi-sync switches, skip-query, binary log flush and
// purge, replication delay). Like manual.go they are not part of
// actuators.DB: recoveries never use them.

// maxReplicationDelay bounds delay-replication (MariaDB and MySQL accept up
// to 2^31-1 seconds; a day is far beyond any sane delayed replica).
const maxReplicationDelay = 7 * 24 * 3600

// SetSemiSync sets the source side (master) or the replica side of
// semi-synchronous replication on key, under the variable name the server
// has. On the replica side a running IO thread is restarted, as
// orchestrator does, because the replica only negotiates semi-sync when it
// connects. A server without the variable (no semi-sync plugin loaded) is a
// Precondition error. A value already as wanted is left alone.
func (d *DB) SetSemiSync(ctx context.Context, key events.InstanceKey, master, enabled bool) error {
	op := "set semi-sync"
	s, dl, r, err := d.replicaOf(ctx, op, key)
	if err != nil {
		return err
	}
	names := dl.SemiSyncReplicaEnabled
	if master {
		names = dl.SemiSyncSourceEnabled
	}
	name, cur, err := readFirstVar(ctx, s, names)
	if err != nil {
		return d.fail(op, key, err)
	}
	if name == "" {
		return precondition(op, key, "none of %s exists: the semi-sync plugin is not loaded", strings.Join(names, ", "))
	}
	want := "OFF"
	if enabled {
		want = "ON"
	}
	if strings.EqualFold(cur, want) || (cur == "1" && enabled) || (cur == "0" && !enabled) {
		d.skipped(key, op+" "+name)
		return nil
	}
	if err := d.exec(ctx, s, key, fmt.Sprintf("SET GLOBAL %s=%s", name, want)); err != nil {
		return d.fail(op, key, err)
	}
	if master || !r.ioStarted() {
		return nil
	}
	if err := d.exec(ctx, s, key, dl.StopReplicaIO); err != nil {
		return d.fail(op, key, fmt.Errorf("restart io thread: %w", err))
	}
	return d.fail(op, key, d.exec(ctx, s, key, dl.StartReplicaIO))
}

// readFirstVar returns the first of names the server has, and its value;
// "" when it has none.
func readFirstVar(ctx context.Context, s *server, names []string) (string, string, error) {
	for _, n := range names {
		var name, value string
		err := s.db.QueryRowContext(ctx, "SHOW GLOBAL VARIABLES LIKE ?", n).Scan(&name, &value)
		switch {
		case err == sql.ErrNoRows:
			continue
		case err != nil:
			return "", "", fmt.Errorf("read %s: %w", n, err)
		}
		return name, value, nil
	}
	return "", "", nil
}

// SkipQuery skips the event group the stopped SQL thread failed on and
// starts replication, as orchestrator's skip-query. It needs the SQL thread
// stopped with an error. A MariaDB replica using GTID has gtid_slave_pos
// moved past the failed group (its GTID read from the relay log at the SQL
// thread's position), MariaDB's documented skip that needs no SUPER; a
// MySQL replica with GTID auto-positioning commits the next GTID of its
// source empty (orchestrator's skip: the source's UUID, one past the last
// executed sequence of it); without GTID it is SET GLOBAL
// sql_slave_skip_counter=1 (sql_replica_skip_counter from MySQL 8.0.26).
func (d *DB) SkipQuery(ctx context.Context, key events.InstanceKey) error {
	const op = "skip query"
	s, dl, r, err := d.replicaOf(ctx, op, key)
	if err != nil {
		return err
	}
	switch {
	case !r.present:
		return precondition(op, key, "no source configured")
	case r.sqlStarted():
		return precondition(op, key, "the SQL thread is running: skip-query skips the statement a stopped SQL thread failed on")
	case r.lastSQLErrno == 0:
		return precondition(op, key, "the SQL thread stopped without an error: nothing to skip")
	}
	skip, err := d.skipStatements(ctx, op, key, s, dl, r)
	if err != nil {
		return err
	}
	conn, err := s.db.Conn(ctx) // gtid_next is a session variable
	if err != nil {
		return d.fail(op, key, err)
	}
	defer conn.Close()
	if r.ioStarted() {
		skip = append([]string{dl.StopReplica}, skip...)
	}
	for _, stmt := range append(skip, dl.StartReplica) {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return d.fail(op, key, fmt.Errorf("%s: %w", stmt, err))
		}
		d.log.Info().Str(events.LogInstance, key.String()).Str("statement", stmt).Msg("changed server")
	}
	d.log.Info().Str(events.LogInstance, key.String()).Int("errno", r.lastSQLErrno).Str("error", r.lastSQLError).Msg("skipped the failed event")
	return nil
}

// skipStatements are the statements that skip r's failed event group.
func (d *DB) skipStatements(ctx context.Context, op string, key events.InstanceKey, s *server, dl dialect, r replica) ([]string, error) {
	switch {
	case !r.usingGTID:
		return []string{dl.SkipCounterSQL()}, nil
	case dl.mariaDB:
		failed, pos, err := d.failedGTID(ctx, s, dl)
		if err != nil {
			return nil, d.fail(op, key, err)
		}
		d.log.Info().Str(events.LogInstance, key.String()).Str("gtid", failed).Msg("skipping the failed event group")
		return []string{"SET GLOBAL gtid_slave_pos='" + pos + "'"}, nil
	}
	var executed string
	if err := s.db.QueryRowContext(ctx, "SELECT @@global.gtid_executed").Scan(&executed); err != nil {
		return nil, d.fail(op, key, err)
	}
	next, err := nextGTID(oneLine(executed), r.sourceUUID)
	if err != nil {
		return nil, precondition(op, key, "%v", err)
	}
	d.log.Info().Str(events.LogInstance, key.String()).Str("gtid", next).Msg("skipping the failed transaction with an empty one")
	return dl.InjectEmptySQL(next), nil
}

// nextGTID is the GTID after the last one of uuid in the executed set, the
// transaction a MySQL replica of the source with that UUID fails on.
func nextGTID(executed, uuid string) (string, error) {
	if uuid == "" {
		return "", fmt.Errorf("the replica reports no source UUID: cannot name the failed transaction")
	}
	set, err := gtid.ParseSet(executed)
	if err != nil {
		return "", fmt.Errorf("parse gtid_executed: %w", err)
	}
	var last uint64
	for _, src := range set.Sources() {
		if !strings.EqualFold(src.SID, uuid) {
			continue
		}
		for _, iv := range src.Intervals {
			last = max(last, iv.End)
		}
	}
	return strings.ToLower(uuid) + ":" + strconv.FormatUint(last+1, 10), nil
}

// gtidEventRE finds the GTID in a relay log Gtid event's Info ("BEGIN GTID
// 0-1-15", "GTID 0-1-16").
var gtidEventRE = regexp.MustCompile(`GTID (\d+-\d+-\d+)`)

// relayScan bounds the relay log events read to find the failed group's
// GTID (a new relay log starts with a few non-GTID events).
const relayScan = 20

// failedGTID reads, at the SQL thread's relay log position, the GTID of
// the event group it failed on, and returns it with gtid_slave_pos moved
// to it in its domain.
func (d *DB) failedGTID(ctx context.Context, s *server, dl dialect) (string, string, error) {
	st, err := statusRow(ctx, s, dl)
	if err != nil {
		return "", "", err
	}
	file, pos := st["Relay_Log_File"], st["Relay_Log_Pos"]
	if _, err := strconv.ParseUint(pos, 10, 64); err != nil || file == "" {
		return "", "", fmt.Errorf("relay log position %q %q unreadable", file, pos)
	}
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf("SHOW RELAYLOG EVENTS IN ? FROM %s LIMIT %d", pos, relayScan), file)
	if err != nil {
		return "", "", fmt.Errorf("read relay log %s at %s: %w", file, pos, err)
	}
	defer rows.Close()
	failed := ""
	for rows.Next() && failed == "" {
		var name, typ, info sql.NullString
		var at, serverID, end sql.NullInt64
		if err := rows.Scan(&name, &at, &typ, &serverID, &end, &info); err != nil {
			return "", "", fmt.Errorf("read relay log %s at %s: %w", file, pos, err)
		}
		if m := gtidEventRE.FindStringSubmatch(info.String); typ.String == "Gtid" && m != nil {
			failed = m[1]
		}
	}
	if err := rows.Err(); err != nil {
		return "", "", fmt.Errorf("read relay log %s at %s: %w", file, pos, err)
	}
	if failed == "" {
		return "", "", fmt.Errorf("no GTID event in the %d relay log events at %s:%s", relayScan, file, pos)
	}
	var slavePos string
	if err := s.db.QueryRowContext(ctx, "SELECT @@gtid_slave_pos").Scan(&slavePos); err != nil {
		return "", "", err
	}
	next, err := withGTID(slavePos, failed)
	return failed, next, err
}

// withGTID returns the MariaDB GTID list pos with one's domain set to one.
func withGTID(pos, one string) (string, error) {
	g, err := gtid.ParseList(one)
	if err == nil && len(g) != 1 {
		err = fmt.Errorf("want one domain-server-sequence, got %d", len(g))
	}
	if err != nil {
		return "", fmt.Errorf("parse gtid %q: %w", one, err)
	}
	l, err := gtid.ParseList(pos)
	if err != nil {
		return "", fmt.Errorf("parse gtid_slave_pos %q: %w", pos, err)
	}
	out := make(gtid.List, 0, len(l)+1)
	for _, x := range l {
		if x.Domain != g[0].Domain {
			out = append(out, x)
		}
	}
	return append(out, g[0]).String(), nil
}

// FlushBinaryLogs closes key's current binary log and opens the next.
func (d *DB) FlushBinaryLogs(ctx context.Context, key events.InstanceKey) error {
	const op = "flush binary logs"
	s, _, err := d.dialect(ctx, key)
	if err != nil {
		return d.fail(op, key, err)
	}
	return d.fail(op, key, d.exec(ctx, s, key, "FLUSH BINARY LOGS"))
}

// BinaryLogs lists key's binary logs, oldest first (SHOW BINARY LOGS).
func (d *DB) BinaryLogs(ctx context.Context, key events.InstanceKey) ([]string, error) {
	const op = "list binary logs"
	s, _, err := d.dialect(ctx, key)
	if err != nil {
		return nil, d.fail(op, key, err)
	}
	logs, err := binaryLogs(ctx, s)
	return logs, d.fail(op, key, err)
}

func binaryLogs(ctx context.Context, s *server) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		vals, err := scanRaw(rows, len(cols))
		if err != nil {
			return nil, err
		}
		out = append(out, string(vals[0]))
	}
	return out, rows.Err()
}

// scanRaw scans the current row of rows, n columns, as raw bytes (valid
// until the next Next).
func scanRaw(rows *sql.Rows, n int) ([]sql.RawBytes, error) {
	vals := make([]sql.RawBytes, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	return vals, rows.Scan(ptrs...)
}

// PurgeBinaryLogs deletes key's binary logs before binlog (PURGE BINARY
// LOGS TO). binlog must be one of the server's binary logs; whether
// replicas still need the purged ones is the caller's check. Logs the
// server kept (in use, or needed for crash recovery) make a Precondition
// error with its warnings.
func (d *DB) PurgeBinaryLogs(ctx context.Context, key events.InstanceKey, binlog string) error {
	const op = "purge binary logs"
	s, _, err := d.dialect(ctx, key)
	if err != nil {
		return d.fail(op, key, err)
	}
	logs, err := binaryLogs(ctx, s)
	if err != nil {
		return d.fail(op, key, err)
	}
	found := false
	for _, l := range logs {
		found = found || l == binlog
	}
	if !found {
		return precondition(op, key, "no binary log %q (has %s)", binlog, strings.Join(logs, ", "))
	}
	kept, err := d.purgeTo(ctx, s, key, binlog)
	if err != nil {
		return d.fail(op, key, err)
	}
	if kept != "" {
		return precondition(op, key, "the server kept binary logs before %s: %s", binlog, kept)
	}
	return nil
}

// purgeTo runs PURGE BINARY LOGS TO binlog on one connection and returns,
// when logs before binlog remain (the server skips logs a dump thread or
// crash recovery still needs, with only a warning), the first of them and
// the server's warnings.
func (d *DB) purgeTo(ctx context.Context, s *server, key events.InstanceKey, binlog string) (string, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PURGE BINARY LOGS TO ?", binlog); err != nil {
		return "", err
	}
	d.log.Info().Str(events.LogInstance, key.String()).Str("statement", "PURGE BINARY LOGS TO '"+binlog+"'").Msg("changed server")
	var warnings []string
	rows, err := conn.QueryContext(ctx, "SHOW WARNINGS")
	if err != nil {
		return "", err
	}
	for rows.Next() {
		var level, msg string
		var code int
		if err := rows.Scan(&level, &code, &msg); err != nil {
			rows.Close()
			return "", err
		}
		warnings = append(warnings, msg)
	}
	rows.Close()
	logs, err := binaryLogs(ctx, s)
	if err != nil || len(logs) == 0 || logs[0] == binlog {
		return "", err
	}
	if len(warnings) == 0 {
		warnings = []string{"no warning given"}
	}
	return logs[0] + " (" + strings.Join(warnings, "; ") + ")", nil
}

// DelayReplication sets the SQL thread's delay (CHANGE MASTER TO
// MASTER_DELAY, SOURCE_DELAY on MySQL 8.0.23+) preserving the threads'
// state, as orchestrator: replication is stopped for the change and the
// threads that ran are started again.
func (d *DB) DelayReplication(ctx context.Context, key events.InstanceKey, seconds int) error {
	const op = "delay replication"
	if seconds < 0 || seconds > maxReplicationDelay {
		return &actuators.Error{Kind: actuators.Permanent, Op: op, Key: key,
			Err: fmt.Errorf("delay %d s out of range 0..%d", seconds, maxReplicationDelay)}
	}
	s, dl, r, err := d.replicaOf(ctx, op, key)
	if err != nil {
		return err
	}
	if !r.present {
		return precondition(op, key, "no source configured")
	}
	restart := dl.RestartSQL(r.ioStarted(), r.sqlStarted())
	if restart != "" {
		if err := d.exec(ctx, s, key, dl.StopReplica); err != nil {
			return d.fail(op, key, err)
		}
	}
	stmt := dl.DelaySQL(seconds)
	if err := d.exec(ctx, s, key, stmt); err != nil {
		return d.fail(op, key, err)
	}
	if restart == "" {
		return nil
	}
	return d.fail(op, key, d.exec(ctx, s, key, restart))
}
