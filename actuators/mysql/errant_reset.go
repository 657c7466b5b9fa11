package mysql

import (
	"context"
	"fmt"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/gtid"
)

// ResetErrant removes key's errant GTIDs from its own GTID history, as
// orchestrator's gtid-errant-reset-master, on both flavors: replication is
// stopped first, the history read after it stopped (so nothing applied in
// between is forgotten and fetched again), the binary logs reset with the
// flavor's statement, the history set to what it was minus the errant
// GTIDs (MySQL gtid_purged; MariaDB gtid_binlog_state, where an errant
// domain-server entry takes the primary's entry for that pair, primaryState,
// or is dropped), checked, and replication started again if it ran. A
// failure after the stop leaves replication stopped and names the step.
// The caller checks that key has no replicas (their positions would point
// into the removed logs) and holds the maintenance lock.
func (d *DB) ResetErrant(ctx context.Context, key events.InstanceKey, errant, primaryState string) (string, error) {
	const op = "reset errant gtids"
	s, dl, err := d.dialect(ctx, key)
	if err != nil {
		return "", d.fail(op, key, err)
	}
	r, err := readReplica(ctx, s, dl)
	if err != nil {
		return "", d.fail(op, key, err)
	}
	running := r.ioStarted() || r.sqlStarted()
	if running {
		if err := d.exec(ctx, s, key, dl.StopReplica); err != nil {
			return "", d.fail(op, key, err)
		}
	}
	readNow, variable := "SELECT @@global.gtid_executed", "gtid_purged"
	if dl.mariaDB {
		readNow, variable = "SELECT @@global.gtid_binlog_state", "gtid_binlog_state"
	}
	var history string
	if err := s.db.QueryRowContext(ctx, readNow).Scan(&history); err != nil {
		return "", d.fail(op, key, fmt.Errorf("read the gtid history after stopping replication: %w", err))
	}
	want, err := withoutErrant(dl.mariaDB, history, errant, primaryState)
	if err != nil {
		return "", &actuators.Error{Kind: actuators.Permanent, Op: op, Key: key, Err: err}
	}
	for _, stmt := range []string{dl.ResetBinaryLogs, "SET GLOBAL " + variable + "='" + want + "'"} {
		if err := d.exec(ctx, s, key, stmt); err != nil {
			return "", d.fail(op, key, fmt.Errorf("%s (replication left stopped): %w", stmt, err))
		}
	}
	var got string
	if err := s.db.QueryRowContext(ctx, readNow).Scan(&got); err != nil {
		return "", d.fail(op, key, fmt.Errorf("read the gtid history back: %w", err))
	}
	if same, err := sameHistory(dl.mariaDB, got, want); err != nil || !same {
		return "", &actuators.Error{Kind: actuators.Permanent, Op: op, Key: key,
			Err: fmt.Errorf("gtid history is %q after the reset, want %q (replication left stopped): %v", got, want, err)}
	}
	if running {
		if err := d.exec(ctx, s, key, dl.StartReplica); err != nil {
			return "", d.fail(op, key, err)
		}
	}
	d.log.Info().Str(events.LogInstance, key.String()).Str("gtids", errant).Str(variable, want).Msg("reset errant gtids")
	return variable + "=" + want, nil
}

// withoutErrant is history minus the errant GTIDs, in the flavor's text.
func withoutErrant(mariaDB bool, history, errant, primaryState string) (string, error) {
	if !mariaDB {
		h, err1 := gtid.ParseSet(history)
		e, err2 := gtid.ParseSet(errant)
		if err1 != nil || err2 != nil {
			return "", fmt.Errorf("parse gtid_executed %q or errant %q: %v %v", history, errant, err1, err2)
		}
		return h.Subtract(e).String(), nil
	}
	h, err1 := gtid.ParseList(history)
	e, err2 := gtid.ParseList(errant)
	p, err3 := gtid.ParseList(primaryState)
	if err1 != nil || err2 != nil || err3 != nil {
		return "", fmt.Errorf("parse gtid_binlog_state %q, errant %q or the primary's state %q: %v %v %v", history, errant, primaryState, err1, err2, err3)
	}
	var out gtid.List
	for _, g := range h {
		if _, bad := e.Find(g.Domain, g.ServerID); !bad {
			out = append(out, g)
			continue
		}
		if keep, ok := p.Find(g.Domain, g.ServerID); ok {
			out = append(out, keep)
		}
	}
	return out.Union(nil).String(), nil // one entry per domain-server pair
}

// sameHistory compares two GTID histories as values.
func sameHistory(mariaDB bool, a, b string) (bool, error) {
	if mariaDB {
		x, err1 := gtid.ParseList(a)
		y, err2 := gtid.ParseList(b)
		if err1 != nil || err2 != nil {
			return false, fmt.Errorf("%v %v", err1, err2)
		}
		return x.Contains(y) && y.Contains(x), nil
	}
	x, err1 := gtid.ParseSet(a)
	y, err2 := gtid.ParseSet(b)
	if err1 != nil || err2 != nil {
		return false, fmt.Errorf("%v %v", err1, err2)
	}
	return x.Equal(y), nil
}
