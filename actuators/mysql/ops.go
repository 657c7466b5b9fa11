package mysql

import (
	"context"
	"fmt"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/mysqlconn"
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
	return d.fail(op, key, d.exec(ctx, s, key, dl.StopReplica))
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
	return d.fail(op, key, d.exec(ctx, s, key, dl.StopReplicaIO))
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
	return d.fail(op, key, d.exec(ctx, s, key, dl.StartReplica))
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
		if err := d.exec(ctx, s, key, dl.StopReplica); err != nil {
			return d.fail(op, key, err)
		}
	}
	return d.fail(op, key, d.exec(ctx, s, key, dl.ResetReplicaAll))
}

// SetReadOnly sets or clears read-only unless it already has the wanted
// value. Setting sets read_only, and super_read_only too (which implies
// read_only) when Options.UseSuperReadOnly is set and the server has it;
// clearing clears both.
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
	if err := s.db.QueryRowContext(ctx, dl.ReadOnlyQuery()).Scan(&ro, &sro); err != nil {
		return d.fail(op, key, err)
	}
	stmt := readOnlyChange(dl.Statements, d.opts.UseSuperReadOnly, readOnly, ro, sro)
	if stmt == "" {
		d.skipped(key, op)
		return nil
	}
	return d.fail(op, key, d.exec(ctx, s, key, stmt))
}

// readOnlyChange is the statement that takes a server from read_only=ro,
// super_read_only=sro to the wanted state; "" when it is there already.
func readOnlyChange(st mysqlconn.Statements, useSuper, readOnly, ro, sro bool) string {
	super := useSuper && st.SuperReadOnly
	if (readOnly && ro && (sro || !super)) || (!readOnly && !ro && !sro) {
		return ""
	}
	return st.ReadOnlySQL(readOnly, useSuper)
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
	stmt, err := dl.ChangeSourceSQL(creds != nil, mysqlconn.SourceMode(mode), d.opts.HeartbeatPeriod)
	args := []any{source.Hostname, source.Port}
	if creds != nil {
		args = append(args, creds.User, creds.Password)
	}
	if err != nil {
		return &actuators.Error{Kind: actuators.Permanent, Op: op, Key: key, Err: err}
	}
	if r.ioStarted() || r.sqlStarted() {
		if err := d.exec(ctx, s, key, dl.StopReplica); err != nil {
			return d.fail(op, key, err)
		}
	}
	if err := d.exec(ctx, s, key, stmt, args...); err != nil {
		return d.fail(op, key, fmt.Errorf("point at %s: %w", source, err))
	}
	return d.fail(op, key, d.exec(ctx, s, key, dl.StartReplica))
}
