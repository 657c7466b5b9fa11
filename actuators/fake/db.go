package fake

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
)

// Privileges switch off privileges of a DB's topology user.
type Privileges struct {
	// NoReadOnlyAdmin: SET GLOBAL read_only fails with error 1227 as on
	// MariaDB 10.11.
	NoReadOnlyAdmin bool
	// NoReplicationSlaveAdmin: STOP/START SLAVE, CHANGE MASTER and RESET
	// SLAVE fail with error 1227.
	NoReplicationSlaveAdmin bool
}

// DB is a topology user's view of a Topology; it implements actuators.DB.
type DB struct {
	t    *Topology
	priv Privileges
}

var _ actuators.DB = (*DB)(nil)

// DB returns a view with every privilege.
func (t *Topology) DB() *DB { return &DB{t: t} }

// DBAs returns a view whose user lacks the privileges p switches off.
func (t *Topology) DBAs(p Privileges) *DB { return &DB{t: t, priv: p} }

// Calls returns how many times op (a method name such as "SetReadOnly")
// was called, through every view.
func (t *Topology) Calls(op string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.calls[op]
}

// FailNth makes the nth call (1-based, counted since the topology was
// built) of op fail with an *actuators.Error of kind, before it acts.
func (t *Topology) FailNth(op string, n int, kind actuators.ErrorKind) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.faults[op] == nil {
		t.faults[op] = map[int]actuators.ErrorKind{}
	}
	t.faults[op][n] = kind
}

// begin counts the call, injects a fault, lets replication catch up and
// returns the reachable host. The caller must call t.mu.Unlock.
func (d *DB) begin(method, op string, key events.InstanceKey) (*host, error) {
	t := d.t
	t.mu.Lock()
	t.calls[method]++
	if kind, ok := t.faults[method][t.calls[method]]; ok {
		return nil, &actuators.Error{Kind: kind, Op: op, Key: key, Err: errInjected}
	}
	t.autoSettle()
	h, err := t.reachable(key)
	if err != nil {
		return nil, &actuators.Error{Kind: actuators.Transient, Op: op, Key: key, Err: err}
	}
	return h, nil
}

// denied builds MariaDB's error 1227 for a missing privilege.
func denied(op string, key events.InstanceKey, privs string) error {
	return &actuators.Error{Kind: actuators.Permanent, Op: op, Key: key,
		Err: fmt.Errorf("missing privilege %s: Error 1227 (42000): Access denied; you need (at least one of) the %s privilege(s) for this operation", privs, privs)}
}

func (d *DB) replAdmin(op string, key events.InstanceKey) error {
	if d.priv.NoReplicationSlaveAdmin {
		return denied(op, key, "SUPER, REPLICATION SLAVE ADMIN")
	}
	return nil
}

func precondition(op string, key events.InstanceKey, format string, args ...any) error {
	return &actuators.Error{Kind: actuators.Precondition, Op: op, Key: key, Err: fmt.Errorf(format, args...)}
}

// Status reports key's modelled state.
func (d *DB) Status(_ context.Context, key events.InstanceKey) (actuators.Status, error) {
	h, err := d.begin("Status", "read status", key)
	defer d.t.mu.Unlock()
	if err != nil {
		return actuators.Status{}, err
	}
	st := actuators.Status{
		Key: key, Flavor: "MariaDB", Version: Version, ServerID: h.serverID, ReadOnly: h.readOnly,
		LogBin: true, LogReplicaUpdates: true,
		GTIDCurrentPos: h.currentPos().String(), GTIDSlavePos: h.slavePos.String(), GTIDBinlogPos: h.binlogPos().String(),
	}
	if h.hasSource {
		st.IsReplica, st.Source, st.UsingGTID = true, h.source, true
		st.IORunning, st.SQLRunning = d.t.connected(h), h.sqlOn
		st.GTIDIOPos = h.ioPos.String()
		st.RelayLogSpace = int64(len(h.relay)) * 256
	}
	return st, nil
}

// StopReplica stops both threads; nothing to do on a stopped replica or a
// host without a source.
func (d *DB) StopReplica(_ context.Context, key events.InstanceKey) error {
	const op = "stop replica"
	h, err := d.begin("StopReplica", op, key)
	defer d.t.mu.Unlock()
	if err != nil || !h.ioOn && !h.sqlOn {
		return err
	}
	if err := d.replAdmin(op, key); err != nil {
		return err
	}
	h.ioOn, h.sqlOn = false, false
	return nil
}

// StopReplicaIO stops the IO thread only.
func (d *DB) StopReplicaIO(_ context.Context, key events.InstanceKey) error {
	const op = "stop replica io thread"
	h, err := d.begin("StopReplicaIO", op, key)
	defer d.t.mu.Unlock()
	if err != nil || !h.ioOn {
		return err
	}
	if err := d.replAdmin(op, key); err != nil {
		return err
	}
	h.ioOn = false
	return nil
}

// StartReplica starts the threads that are stopped.
func (d *DB) StartReplica(_ context.Context, key events.InstanceKey) error {
	const op = "start replica"
	h, err := d.begin("StartReplica", op, key)
	defer d.t.mu.Unlock()
	if err != nil {
		return err
	}
	if !h.hasSource {
		return precondition(op, key, "no source configured")
	}
	if h.ioOn && h.sqlOn {
		return nil
	}
	if err := d.replAdmin(op, key); err != nil {
		return err
	}
	d.t.startThreads(h, true, true)
	d.t.autoSettle()
	return nil
}

// ResetReplica stops replication and forgets the source.
func (d *DB) ResetReplica(_ context.Context, key events.InstanceKey) error {
	const op = "reset replica"
	h, err := d.begin("ResetReplica", op, key)
	defer d.t.mu.Unlock()
	if err != nil || !h.hasSource {
		return err
	}
	if err := d.replAdmin(op, key); err != nil {
		return err
	}
	h.ioOn, h.sqlOn, h.hasSource = false, false, false
	h.source, h.user, h.password, h.mode = events.InstanceKey{}, "", "", ""
	h.relay, h.ioPos, h.ioErr, h.sqlErr, h.sqlErrno = nil, position{}, "", "", 0
	return nil
}

// SetReadOnly sets read_only unless it already has the value.
func (d *DB) SetReadOnly(_ context.Context, key events.InstanceKey, readOnly bool) error {
	op := "set read_only"
	if !readOnly {
		op = "clear read_only"
	}
	h, err := d.begin("SetReadOnly", op, key)
	defer d.t.mu.Unlock()
	if err != nil || h.readOnly == readOnly {
		return err
	}
	if d.priv.NoReadOnlyAdmin {
		return denied(op, key, "READ_ONLY ADMIN")
	}
	h.readOnly = readOnly
	return nil
}

// ChangeSource points key at source with MariaDB GTID and starts
// replication, unless it already replicates from source.
func (d *DB) ChangeSource(_ context.Context, key, source events.InstanceKey, mode actuators.SourceMode, creds *actuators.Credentials) error {
	const op = "change source"
	h, err := d.begin("ChangeSource", op, key)
	defer d.t.mu.Unlock()
	if err != nil {
		return err
	}
	if mode == "" {
		mode = actuators.SlavePos
	}
	if mode != actuators.SlavePos && mode != actuators.CurrentPos {
		return &actuators.Error{Kind: actuators.Permanent, Op: op, Key: key,
			Err: fmt.Errorf("unknown source mode %q (want slave_pos or current_pos)", mode)}
	}
	if h.hasSource && h.source == source && h.ioOn && h.sqlOn && (creds == nil || creds.User == h.user) {
		return nil
	}
	if creds == nil && (!h.hasSource || h.user == "") {
		return precondition(op, key, "no replication credentials configured and none given")
	}
	if err := d.replAdmin(op, key); err != nil {
		return err
	}
	h.ioOn, h.sqlOn = false, false
	h.hasSource, h.source, h.mode = true, source, mode
	if creds != nil {
		h.user, h.password = creds.User, creds.Password
	}
	h.relay, h.ioErr = nil, "" // CHANGE MASTER purges the relay log
	d.t.startThreads(h, true, true)
	d.t.autoSettle()
	return nil
}

// DetachSource stops replication and turns the source host into "//host"
// (nothing connects to it) unless it is already detached.
func (d *DB) DetachSource(_ context.Context, key events.InstanceKey) error {
	const op = "detach source"
	h, err := d.begin("DetachSource", op, key)
	defer d.t.mu.Unlock()
	if err != nil {
		return err
	}
	if !h.hasSource {
		return precondition(op, key, "no source configured")
	}
	if strings.HasPrefix(h.source.Hostname, detachedPrefix) {
		return nil
	}
	if err := d.replAdmin(op, key); err != nil {
		return err
	}
	h.ioOn, h.sqlOn = false, false
	h.source.Hostname = detachedPrefix + h.source.Hostname
	return nil
}

// detachedPrefix marks a detached source host, as MySQL's detach does.
const detachedPrefix = "//"

// WaitRelayApplied applies key's relay log (as its SQL thread would) and
// fails like the real one when the SQL thread is stopped.
func (d *DB) WaitRelayApplied(ctx context.Context, key events.InstanceKey) error {
	const op = "wait relay log applied"
	h, err := d.begin("WaitRelayApplied", op, key)
	defer d.t.mu.Unlock()
	if err != nil || !h.hasSource {
		return err
	}
	d.t.apply(h, true)
	if len(h.relay) == 0 {
		return nil
	}
	if h.sqlErr != "" {
		return precondition(op, key, "SQL thread stopped with error %d: %s", h.sqlErrno, h.sqlErr)
	}
	return precondition(op, key, "SQL thread stopped with the relay log not applied (applied %s, fetched %s)", h.slavePos, h.ioPos)
}

// WaitGTID waits until key's gtid_current_pos covers pos, polling while
// other goroutines Tick or write.
func (d *DB) WaitGTID(ctx context.Context, key events.InstanceKey, pos string) error {
	const op = "wait gtid"
	want, err := parsePosition(pos)
	if err != nil {
		return &actuators.Error{Kind: actuators.Permanent, Op: op, Key: key, Err: err}
	}
	h, err := d.begin("WaitGTID", op, key)
	d.t.mu.Unlock()
	if err != nil {
		return err
	}
	for {
		d.t.mu.Lock()
		d.t.autoSettle()
		at := h.currentPos()
		up := h.up
		d.t.mu.Unlock()
		if !up {
			return &actuators.Error{Kind: actuators.Transient, Op: op, Key: key, Err: errRefused}
		}
		if at.covers(want) {
			return nil
		}
		select {
		case <-ctx.Done():
			kind := actuators.Precondition
			if errors.Is(ctx.Err(), context.Canceled) {
				kind = actuators.Transient
			}
			return &actuators.Error{Kind: kind, Op: op, Key: key,
				Err: fmt.Errorf("position %s not reached (at %s): %w", pos, at, ctx.Err())}
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Close does nothing: the fake holds no connections.
func (d *DB) Close() error { return nil }
