package mysql

import (
	"context"
	"fmt"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
)

// exec runs stmt on s and logs the change.
func (d *DB) exec(ctx context.Context, s *server, key events.InstanceKey, stmt string, args ...any) error {
	if _, err := s.db.ExecContext(ctx, stmt, args...); err != nil {
		return err
	}
	d.log.Info().Str(events.LogInstance, key.String()).Str("statement", stmt).Msg("changed server")
	return nil
}

// skipped logs an operation that found the server already as wanted.
func (d *DB) skipped(key events.InstanceKey, op string) {
	d.log.Debug().Str(events.LogInstance, key.String()).Str("op", op).Msg("already done")
}

// StopReplica stops both replication threads. A stopped replica or a server
// without a source is left alone.
func (d *DB) StopReplica(ctx context.Context, key events.InstanceKey) error {
	const op = "stop replica"
	s, dl, r, err := d.replicaOf(ctx, op, key)
	if err != nil {
		return err
	}
	if !r.ioStarted() && !r.sqlStarted() {
		d.skipped(key, op)
		return nil
	}
	return d.fail(op, key, d.exec(ctx, s, key, dl.stopReplica))
}

// StopReplicaIO stops the IO thread only, so that the SQL thread drains the
// relay log.
func (d *DB) StopReplicaIO(ctx context.Context, key events.InstanceKey) error {
	const op = "stop replica io thread"
	s, dl, r, err := d.replicaOf(ctx, op, key)
	if err != nil {
		return err
	}
	if !r.ioStarted() {
		d.skipped(key, op)
		return nil
	}
	return d.fail(op, key, d.exec(ctx, s, key, dl.stopIO))
}

// StartReplica starts the threads that are not running. A server without a
// source is a Precondition error.
func (d *DB) StartReplica(ctx context.Context, key events.InstanceKey) error {
	const op = "start replica"
	s, dl, r, err := d.replicaOf(ctx, op, key)
	if err != nil {
		return err
	}
	if !r.present {
		return precondition(op, key, "no source configured")
	}
	if r.ioStarted() && r.sqlStarted() {
		d.skipped(key, op)
		return nil
	}
	return d.fail(op, key, d.exec(ctx, s, key, dl.startReplica))
}

// ResetReplica stops replication if it runs and forgets the source (RESET
// SLAVE ALL). A server without a source is left alone.
func (d *DB) ResetReplica(ctx context.Context, key events.InstanceKey) error {
	const op = "reset replica"
	s, dl, r, err := d.replicaOf(ctx, op, key)
	if err != nil {
		return err
	}
	if !r.present {
		d.skipped(key, op)
		return nil
	}
	if r.ioStarted() || r.sqlStarted() {
		if err := d.exec(ctx, s, key, dl.stopReplica); err != nil {
			return d.fail(op, key, err)
		}
	}
	return d.fail(op, key, d.exec(ctx, s, key, dl.resetAll))
}

// SetReadOnly sets read_only (and on MySQL super_read_only: set with it,
// cleared with it) unless it already has the wanted value.
func (d *DB) SetReadOnly(ctx context.Context, key events.InstanceKey, readOnly bool) error {
	op := "set read_only"
	if !readOnly {
		op = "clear read_only"
	}
	s, dl, err := d.dialect(ctx, key)
	if err != nil {
		return d.fail(op, key, err)
	}
	var ro, sro bool
	q := "SELECT @@read_only, 0"
	if dl.superReadOnly {
		q = "SELECT @@read_only, @@super_read_only"
	}
	if err := s.db.QueryRowContext(ctx, q).Scan(&ro, &sro); err != nil {
		return d.fail(op, key, err)
	}
	var stmt string
	switch {
	case readOnly && dl.superReadOnly && !sro:
		stmt = "SET GLOBAL super_read_only=1" // implies read_only=1
	case readOnly && !dl.superReadOnly && !ro:
		stmt = "SET GLOBAL read_only=1"
	case !readOnly && (ro || sro) && dl.superReadOnly:
		stmt = "SET GLOBAL super_read_only=0, read_only=0"
	case !readOnly && ro:
		stmt = "SET GLOBAL read_only=0"
	default:
		d.skipped(key, op)
		return nil
	}
	return d.fail(op, key, d.exec(ctx, s, key, stmt))
}

// ChangeSource points key at source with GTID positioning and starts
// replication. A replica already replicating from source with GTID (both
// threads running, same user when creds are given) is left alone. Without
// creds the configured user and password are kept; a server with no source
// configured then has none, which is a Precondition error.
func (d *DB) ChangeSource(ctx context.Context, key, source events.InstanceKey, mode actuators.SourceMode, creds *actuators.Credentials) error {
	const op = "change source"
	s, dl, r, err := d.replicaOf(ctx, op, key)
	if err != nil {
		return err
	}
	same := r.present && r.host == source.Hostname && r.port == source.Port && r.usingGTID
	if same && r.ioStarted() && r.sqlStarted() && (creds == nil || creds.User == r.user) {
		d.skipped(key, op)
		return nil
	}
	if creds == nil && (!r.present || r.user == "") {
		return precondition(op, key, "no replication credentials configured and none given")
	}
	stmt, args, err := dl.changeSourceSQL(source.Hostname, source.Port, mode, creds, d.opts.HeartbeatPeriod)
	if err != nil {
		return &actuators.Error{Kind: actuators.Permanent, Op: op, Key: key, Err: err}
	}
	if r.ioStarted() || r.sqlStarted() {
		if err := d.exec(ctx, s, key, dl.stopReplica); err != nil {
			return d.fail(op, key, err)
		}
	}
	if err := d.exec(ctx, s, key, stmt, args...); err != nil {
		return d.fail(op, key, fmt.Errorf("point at %s: %w", source, err))
	}
	return d.fail(op, key, d.exec(ctx, s, key, dl.startReplica))
}
