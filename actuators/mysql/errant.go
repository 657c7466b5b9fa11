package mysql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/gtid"
	"github.com/regent-ha/regent/mysqlconn"
)

// This file repairs errant GTIDs on both flavors (operator-only, see
// manual.go): which binary logs hold them, making the primary hold them,
// and removing them from the replica's own GTID history.

// mariaDBNoop is the logged no-op a MariaDB session writes under a chosen
// domain-server-sequence: FLUSH PRIVILEGES is written to the binary log
// (as a transaction with its own GTID), needs only RELOAD, and on the
// replicas that apply it reloads grant tables they already hold.
const mariaDBNoop = "FLUSH PRIVILEGES"

// erGTIDStrictOutOfOrder is MariaDB's ER_GTID_STRICT_OUT_OF_ORDER: with
// gtid_strict_mode a domain's sequence numbers must grow.
const erGTIDStrictOutOfOrder = 1950

// InjectErrant makes primary hold a replica's errant GTIDs: on MySQL one
// empty transaction per GTID (gtid_next); on MariaDB, per errant
// domain-server GTID, a logged no-op written by a session that carries the
// errant domain, server id and sequence (gtid_domain_id, server_id,
// gtid_seq_no). The replica skips that event as its own server id's and is
// then no longer errant. A primary in gtid_strict_mode refuses a sequence
// its domain has already passed (ER_GTID_STRICT_OUT_OF_ORDER): that is a
// Precondition error, and the replica needs gtid-errant-reset-master (a
// strict replica stopped at its source's next transaction anyway). It
// returns what it logged.
func (d *DB) InjectErrant(ctx context.Context, primary events.InstanceKey, errant string) (string, error) {
	const op = "inject errant gtids"
	s, dl, err := d.dialect(ctx, primary)
	if err != nil {
		return "", d.fail(op, primary, err)
	}
	if !dl.mariaDB {
		n, err := d.InjectEmptyGTIDs(ctx, primary, errant)
		return fmt.Sprintf("%d empty transactions on %s", n, primary), err
	}
	list, err := gtid.ParseList(errant)
	if err != nil || len(list) == 0 {
		return "", &actuators.Error{Kind: actuators.Permanent, Op: op, Key: primary, Err: fmt.Errorf("errant gtids %q: %w", errant, err)}
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return "", d.fail(op, primary, err)
	}
	// The session's server_id and domain are changed: the connection never
	// goes back to the pool.
	defer func() { _ = conn.Raw(func(any) error { return driver.ErrBadConn }); _ = conn.Close() }()
	var logged []string
	for _, g := range list {
		err := injectMariaDB(ctx, conn, g)
		if n, ok := mysqlconn.ErrorNumber(err); ok && n == erGTIDStrictOutOfOrder {
			return strings.Join(logged, ","), precondition(op, primary, "%s: %v: domain %d on the primary has passed sequence %d, so a "+
				"replica in gtid_strict_mode cannot apply it either after its own %s; gtid-errant-reset-master repairs it", g, err, g.Domain, g.Seq, g)
		}
		if err != nil {
			return strings.Join(logged, ","), d.fail(op, primary, fmt.Errorf("log %s: %w", g, err))
		}
		logged = append(logged, g.String())
	}
	detail := "logged " + strings.Join(logged, ",") + " on " + primary.String()
	d.log.Info().Str(events.LogInstance, primary.String()).Str("gtids", errant).Str("logged", strings.Join(logged, ",")).Msg("injected errant gtids")
	return detail, nil
}

// injectMariaDB logs the no-op as g on conn (see InjectErrant).
func injectMariaDB(ctx context.Context, conn *sql.Conn, g gtid.MariaDB) error {
	for _, stmt := range []string{
		fmt.Sprintf("SET SESSION gtid_domain_id=%d", g.Domain),
		fmt.Sprintf("SET SESSION server_id=%d", g.ServerID),
		fmt.Sprintf("SET SESSION gtid_seq_no=%d", g.Seq),
		mariaDBNoop,
	} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}

// LocateErrant lists key's binary logs that hold any of its errant GTIDs,
// oldest first, as orchestrator's locate-gtid-errant: each log's first
// events carry the GTID state at its start (MySQL Previous_gtids, MariaDB
// Gtid_list), so log i holds what the state at the start of log i+1 (or,
// for the last, the server's current state) has and the one at its own
// start has not.
func (d *DB) LocateErrant(ctx context.Context, key events.InstanceKey, errant string) ([]string, error) {
	const op = "locate errant gtids"
	s, dl, err := d.dialect(ctx, key)
	if err != nil {
		return nil, d.fail(op, key, err)
	}
	holds, err := errantHolder(dl.mariaDB, errant)
	if err != nil {
		return nil, &actuators.Error{Kind: actuators.Permanent, Op: op, Key: key, Err: err}
	}
	logs, err := binaryLogs(ctx, s)
	if err != nil {
		return nil, d.fail(op, key, err)
	}
	states := make([]string, 0, len(logs)+1)
	for _, f := range logs {
		st, err := startState(ctx, s, dl.mariaDB, f)
		if err != nil {
			return nil, d.fail(op, key, fmt.Errorf("read the gtid state at the start of %s: %w", f, err))
		}
		states = append(states, st)
	}
	now := "SELECT @@global.gtid_executed"
	if dl.mariaDB {
		now = "SELECT @@global.gtid_binlog_state"
	}
	var cur string
	if err := s.db.QueryRowContext(ctx, now).Scan(&cur); err != nil {
		return nil, d.fail(op, key, err)
	}
	states = append(states, cur)
	out := []string{}
	for i, f := range logs {
		in, err := holds(states[i], states[i+1])
		if err != nil {
			return nil, &actuators.Error{Kind: actuators.Permanent, Op: op, Key: key, Err: fmt.Errorf("binary log %s: %w", f, err)}
		}
		if in {
			out = append(out, f)
		}
	}
	return out, nil
}

// errantHolder returns the test "does a log that starts at state start and
// ends at state end hold one of errant's GTIDs" for the flavor.
func errantHolder(mariaDB bool, errant string) (func(start, end string) (bool, error), error) {
	if mariaDB {
		bad, err := gtid.ParseList(errant)
		if err != nil {
			return nil, fmt.Errorf("errant gtids: %w", err)
		}
		return func(start, end string) (bool, error) {
			a, err1 := gtid.ParseList(start)
			b, err2 := gtid.ParseList(end)
			if err := errors.Join(err1, err2); err != nil {
				return false, err
			}
			for _, g := range bad {
				if !a.Covers(g) && b.Covers(g) {
					return true, nil
				}
			}
			return false, nil
		}, nil
	}
	bad, err := gtid.ParseSet(errant)
	if err != nil {
		return nil, fmt.Errorf("errant gtids: %w", err)
	}
	return func(start, end string) (bool, error) {
		a, err1 := gtid.ParseSet(start)
		b, err2 := gtid.ParseSet(end)
		if err := errors.Join(err1, err2); err != nil {
			return false, err
		}
		added := b.Subtract(a)
		return !bad.Subtract(added).Equal(bad), nil
	}, nil
}

// startState reads the GTID state at the start of binary log f: the Info
// of its Previous_gtids (MySQL) or Gtid_list (MariaDB) event, which comes
// right after the format description.
func startState(ctx context.Context, s *server, mariaDB bool, f string) (string, error) {
	want := "Previous_gtids"
	if mariaDB {
		want = "Gtid_list"
	}
	rows, err := s.db.QueryContext(ctx, "SHOW BINLOG EVENTS IN '"+strings.ReplaceAll(f, "'", "")+"' LIMIT 4")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", err
	}
	typ, info := -1, -1
	for i, c := range cols {
		switch strings.ToLower(c) {
		case "event_type":
			typ = i
		case "info":
			info = i
		}
	}
	if typ < 0 || info < 0 {
		return "", fmt.Errorf("SHOW BINLOG EVENTS has no Event_type or Info column (columns %v)", cols)
	}
	for rows.Next() {
		vals, err := scanRaw(rows, len(cols))
		if err != nil {
			return "", err
		}
		if string(vals[typ]) == want {
			return strings.Trim(strings.TrimSpace(string(vals[info])), "[]"), rows.Err()
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("no %s event among its first events", want)
}
