package mysql

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/gtid"
)

// Server-side waits (MASTER_GTID_WAIT, WAIT_FOR_EXECUTED_GTID_SET) run in
// chunks of at most waitChunk, ending waitMargin before the context's
// deadline so that the server, not a killed connection, ends the last one.
const (
	waitChunk  = 250 * time.Millisecond
	waitMargin = 20 * time.Millisecond
)

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// chunk returns the next server-side wait in seconds (at most limit), or 0
// when the deadline leaves no room.
func chunk(ctx context.Context, limit time.Duration) float64 {
	c := limit
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl) - waitMargin; left < c {
			c = left
		}
	}
	if c < time.Millisecond {
		return 0
	}
	return c.Seconds()
}

// timedOut builds the error of a wait that ran out of time. A cancelled
// context (the caller gave up) is Transient; a deadline is Precondition:
// the server did not get there in time.
func timedOut(op string, key events.InstanceKey, err error, format string, args ...any) error {
	kind := actuators.Precondition
	if errors.Is(err, context.Canceled) {
		kind = actuators.Transient
	}
	pe := precondition(op, key, format, args...).(*actuators.Error)
	pe.Kind, pe.Err = kind, errors.Join(pe.Err, err)
	return pe
}

// WaitRelayApplied waits until the SQL thread has applied everything the IO
// thread fetched: on MariaDB gtid_slave_pos covers Gtid_IO_Pos in every
// domain, on MySQL gtid_executed contains Retrieved_Gtid_Set. An SQL thread
// that stopped first is a Precondition error naming Last_SQL_Error.
func (d *DB) WaitRelayApplied(ctx context.Context, key events.InstanceKey) error {
	const op = "wait relay log applied"
	s, dl, err := d.dialect(ctx, key)
	if err != nil {
		return d.fail(op, key, err)
	}
	for {
		r, err := readReplica(ctx, s, dl)
		if err != nil {
			if ctx.Err() != nil {
				return timedOut(op, key, ctx.Err(), "relay log not applied")
			}
			return d.fail(op, key, err)
		}
		if !r.present {
			return nil
		}
		done, applied, err := relayApplied(ctx, s, dl, r)
		if err != nil {
			if ctx.Err() != nil {
				return timedOut(op, key, ctx.Err(), "relay log not applied")
			}
			return d.fail(op, key, err)
		}
		if done {
			return nil
		}
		if !r.sqlStarted() {
			if r.lastSQLError != "" {
				return precondition(op, key, "SQL thread stopped with error %d: %s", r.lastSQLErrno, r.lastSQLError)
			}
			return precondition(op, key, "SQL thread stopped with the relay log not applied (applied %s, fetched %s)",
				applied, r.ioPos+r.retrieved)
		}
		if err := sleep(ctx, d.opts.PollInterval); err != nil {
			return timedOut(op, key, err, "relay log not applied (applied %s, fetched %s)", applied, r.ioPos+r.retrieved)
		}
	}
}

// relayApplied compares what the SQL thread applied with what r fetched.
func relayApplied(ctx context.Context, s *server, dl dialect, r replica) (done bool, applied string, err error) {
	if !dl.mariaDB {
		if r.retrieved == "" {
			return true, "", nil
		}
		var sub bool
		err := s.db.QueryRowContext(ctx, "SELECT GTID_SUBSET(?, @@gtid_executed), @@gtid_executed", r.retrieved).Scan(&sub, &applied)
		return sub, oneLine(applied), err
	}
	// What the server has: gtid_slave_pos (applied as a replica) merged with
	// gtid_binlog_pos, because a former primary re-attached with
	// current_pos keeps its own last GTIDs only in the binary log until it
	// applies something new.
	var binlog string
	if err := s.db.QueryRowContext(ctx, "SELECT @@gtid_slave_pos, @@gtid_binlog_pos").Scan(&applied, &binlog); err != nil {
		return false, "", err
	}
	have, err := gtid.ParseList(applied)
	if err != nil {
		return false, applied, err
	}
	own, err := gtid.ParseList(binlog)
	if err != nil {
		return false, applied, err
	}
	have = have.Union(own)
	want, err := gtid.ParseList(r.ioPos)
	if err != nil {
		return false, applied, err
	}
	return have.AtLeast(want), applied, nil
}

// WaitGTID waits until key has executed pos: on MariaDB gtid_current_pos
// covers the GTID list pos (MASTER_GTID_WAIT wakes on the replica's
// applier), on MySQL gtid_executed contains the set pos
// (WAIT_FOR_EXECUTED_GTID_SET).
func (d *DB) WaitGTID(ctx context.Context, key events.InstanceKey, pos string) error {
	const op = "wait gtid"
	s, dl, err := d.dialect(ctx, key)
	if err != nil {
		return d.fail(op, key, err)
	}
	var want gtid.List
	if dl.mariaDB {
		if want, err = gtid.ParseList(pos); err != nil {
			return &actuators.Error{Kind: actuators.Permanent, Op: op, Key: key, Err: err}
		}
	}
	var at string
	for {
		done, now, err := d.reached(ctx, s, dl, pos, want)
		if err != nil {
			if ctx.Err() != nil {
				return timedOut(op, key, ctx.Err(), "position %s not reached (at %s)", pos, at)
			}
			return d.fail(op, key, err)
		}
		if done {
			return nil
		}
		at = now
		c := chunk(ctx, waitChunk)
		if !dl.mariaDB {
			c = chunk(ctx, time.Second)
		}
		if c == 0 {
			err := ctx.Err()
			if err == nil {
				err = context.DeadlineExceeded
			}
			return timedOut(op, key, err, "position %s not reached (at %s)", pos, at)
		}
		if err := d.serverWait(ctx, s, dl, pos, c); err != nil {
			if ctx.Err() != nil {
				return timedOut(op, key, ctx.Err(), "position %s not reached (at %s)", pos, at)
			}
			return d.fail(op, key, err)
		}
	}
}

// reached checks whether key has executed pos and returns its position.
func (d *DB) reached(ctx context.Context, s *server, dl dialect, pos string, want gtid.List) (bool, string, error) {
	var now string
	if !dl.mariaDB {
		var sub bool
		err := s.db.QueryRowContext(ctx, "SELECT GTID_SUBSET(?, @@gtid_executed), @@gtid_executed", pos).Scan(&sub, &now)
		return sub, oneLine(now), err
	}
	if err := s.db.QueryRowContext(ctx, "SELECT @@gtid_current_pos").Scan(&now); err != nil {
		return false, "", err
	}
	have, err := gtid.ParseList(now)
	if err != nil {
		return false, now, err
	}
	return have.AtLeast(want), now, nil
}

// serverWait blocks on the server for at most c seconds until pos is
// executed. MySQL's WAIT_FOR_EXECUTED_GTID_SET takes whole seconds (0 means
// forever on 5.7), so shorter waits poll.
func (d *DB) serverWait(ctx context.Context, s *server, dl dialect, pos string, c float64) error {
	var res sql.NullInt64
	if dl.mariaDB {
		return s.db.QueryRowContext(ctx, "SELECT MASTER_GTID_WAIT(?, ?)", pos, c).Scan(&res)
	}
	if c < 1 {
		return sleep(ctx, min(d.opts.PollInterval, time.Duration(c*float64(time.Second))))
	}
	return s.db.QueryRowContext(ctx, "SELECT WAIT_FOR_EXECUTED_GTID_SET(?, 1)", pos).Scan(&res)
}
