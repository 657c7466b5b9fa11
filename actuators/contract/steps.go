package contract

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/actuators"
)

func (s *suite) statusPrimary(t *testing.T) {
	s.write(t, 1)
	st := s.status(t, 1)
	if st.Key != s.key(1) || st.Flavor != "MariaDB" || st.Version == "" || st.ServerID == 0 {
		t.Errorf("identity: key %v flavor %q version %q server_id %d", st.Key, st.Flavor, st.Version, st.ServerID)
	}
	if st.IsReplica || st.IORunning || st.SQLRunning || st.ReadOnly || !st.LogBin || !st.LogReplicaUpdates {
		t.Errorf("primary state: %+v", st)
	}
	if st.GTIDBinlogPos == "" || st.GTIDCurrentPos == "" {
		t.Errorf("primary after a write has no GTID position: %+v", st)
	}
}

func (s *suite) statusReplica(t *testing.T) {
	for _, i := range []int{2, 3} {
		s.replicating(t, i, 1)
		st := s.status(t, i)
		if !st.ReadOnly || !st.UsingGTID || !st.LogBin || st.GTIDSlavePos == "" {
			t.Errorf("replica %d state: %+v", i, st)
		}
	}
}

func (s *suite) waitGTIDReaches(t *testing.T) {
	id := s.write(t, 1)
	pos := s.status(t, 1).GTIDBinlogPos
	must(t, "wait gtid on the primary itself", s.DB.WaitGTID(s.ctx(t), s.key(1), pos))
	must(t, "wait gtid on replica 2", s.DB.WaitGTID(s.ctx(t), s.key(2), pos))
	if ok, err := s.Has(2, id); err != nil || !ok {
		t.Fatalf("row %d on host 2 after WaitGTID: %v %v", id, ok, err)
	}
	if st := s.status(t, 2); st.GTIDSlavePos != pos {
		t.Errorf("replica 2 gtid_slave_pos %q, want %q", st.GTIDSlavePos, pos)
	}
}

func (s *suite) waitGTIDTimeout(t *testing.T) {
	pos := beyond(t, s.status(t, 1).GTIDBinlogPos)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.DB.WaitGTID(ctx, s.key(2), pos)
	wantKind(t, "wait for an unreachable position", err, actuators.Precondition)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("wait for an unreachable position took %v with a 300 ms deadline", took)
	}
}

func (s *suite) stopStart(t *testing.T) {
	for range 2 {
		must(t, "stop replica 3", s.DB.StopReplica(s.ctx(t), s.key(3)))
	}
	st := s.status(t, 3)
	if !st.IsReplica || st.IORunning || st.SQLRunning || st.Source != s.key(1) {
		t.Fatalf("after stop: replica %v io %v sql %v source %v", st.IsReplica, st.IORunning, st.SQLRunning, st.Source)
	}
	must(t, "stop io thread of a stopped replica", s.DB.StopReplicaIO(s.ctx(t), s.key(3)))
	must(t, "stop replica on the primary (no source)", s.DB.StopReplica(s.ctx(t), s.key(1)))
	must(t, "reset replica on the primary (no source)", s.DB.ResetReplica(s.ctx(t), s.key(1)))
	wantKind(t, "start replica on the primary (no source)", s.DB.StartReplica(s.ctx(t), s.key(1)), actuators.Precondition)
	for range 2 {
		must(t, "start replica 3", s.DB.StartReplica(s.ctx(t), s.key(3)))
	}
	s.replicating(t, 3, 1)
	s.arrives(t, 3, s.write(t, 1))
}

func (s *suite) readOnly(t *testing.T) {
	steps := []bool{true, false, false, true, true}
	for _, ro := range steps {
		must(t, fmt.Sprintf("set read_only=%v on host 3", ro), s.DB.SetReadOnly(s.ctx(t), s.key(3), ro))
		if st := s.status(t, 3); st.ReadOnly != ro {
			t.Fatalf("after SetReadOnly(%v): read_only %v", ro, st.ReadOnly)
		}
	}
}

func (s *suite) readOnlyNoAdmin(t *testing.T) {
	err := s.NoReadOnlyAdmin.SetReadOnly(s.ctx(t), s.key(3), false)
	wantKind(t, "clear read_only without READ_ONLY ADMIN", err, actuators.Permanent)
	if !strings.Contains(err.Error(), "READ_ONLY ADMIN") {
		t.Errorf("error %q does not name READ_ONLY ADMIN", err)
	}
	if st := s.status(t, 3); !st.ReadOnly {
		t.Fatal("read_only cleared by a user without READ_ONLY ADMIN")
	}
	// Already as wanted: checked first, nothing to do, no privilege needed.
	must(t, "set read_only=1 (already) without READ_ONLY ADMIN", s.NoReadOnlyAdmin.SetReadOnly(s.ctx(t), s.key(3), true))
}

// sqlThreadError makes replica 3's SQL thread stop on a duplicate key,
// checks WaitRelayApplied names the error, then repairs the replica.
func (s *suite) sqlThreadError(t *testing.T) {
	id := s.next.Add(1)
	must(t, "write locally on host 3", s.WriteLocal(3, id))
	must(t, "write on host 1", s.Write(1, id))
	s.eventually(t, "SQL thread of host 3 stopped", func() error {
		if st := s.status(t, 3); st.SQLRunning {
			return errors.New("SQL thread still running")
		}
		return nil
	})
	err := s.DB.WaitRelayApplied(s.ctx(t), s.key(3))
	wantKind(t, "wait relay applied with a failed SQL thread", err, actuators.Precondition)
	if !strings.Contains(err.Error(), "Duplicate entry") {
		t.Errorf("error %q does not carry Last_SQL_Error", err)
	}
	must(t, "delete the local row on host 3", s.DeleteLocal(3, id))
	must(t, "restart the SQL thread of host 3", s.DB.StartReplica(s.ctx(t), s.key(3)))
	s.replicating(t, 3, 1)
	must(t, "wait relay applied on host 3", s.DB.WaitRelayApplied(s.ctx(t), s.key(3)))
	s.arrives(t, 3, id)
}

// promote runs the graceful promote flow of host 2 twice: the second run
// must find everything done. As a graceful takeover, it waits after the
// fence until host 2 executed the fenced primary's last transaction before
// it stops the IO thread (replication is asynchronous: the acknowledged
// write may not have reached host 2 yet).
func (s *suite) promote(t *testing.T) {
	id := s.write(t, 1)
	must(t, "fence host 1", s.DB.SetReadOnly(s.ctx(t), s.key(1), true))
	pos := s.status(t, 1).GTIDBinlogPos
	must(t, "wait for host 1's last transaction on host 2", s.DB.WaitGTID(s.ctx(t), s.key(2), pos))
	for run := range 2 {
		k := s.key(2)
		must(t, "stop io thread", s.DB.StopReplicaIO(s.ctx(t), k))
		must(t, "wait relay applied", s.DB.WaitRelayApplied(s.ctx(t), k))
		must(t, "stop replica", s.DB.StopReplica(s.ctx(t), k))
		must(t, "reset replica", s.DB.ResetReplica(s.ctx(t), k))
		must(t, "clear read_only", s.DB.SetReadOnly(s.ctx(t), k, false))
		st := s.status(t, 2)
		if st.IsReplica || st.ReadOnly || st.IORunning || st.SQLRunning {
			t.Fatalf("run %d: promoted host 2 is not a writable primary: %+v", run, st)
		}
	}
	if ok, err := s.Has(2, id); err != nil || !ok {
		t.Fatalf("row %d written before the promotion missing on host 2: %v %v", id, ok, err)
	}
	err := s.DB.ChangeSource(s.ctx(t), s.key(2), s.key(3), actuators.SlavePos, nil)
	wantKind(t, "change source without credentials on a server that has none", err, actuators.Precondition)
}

func (s *suite) repoint(t *testing.T) {
	must(t, "point host 3 at host 2", s.DB.ChangeSource(s.ctx(t), s.key(3), s.key(2), actuators.SlavePos, nil))
	s.replicating(t, 3, 2)
	s.arrives(t, 3, s.write(t, 2))
	before, err := s.ReplicaSession(3)
	must(t, "read replica session of host 3", err)
	must(t, "point host 3 at host 2 again", s.DB.ChangeSource(s.ctx(t), s.key(3), s.key(2), actuators.SlavePos, nil))
	after, err := s.ReplicaSession(3)
	must(t, "read replica session of host 3", err)
	if before != after {
		t.Errorf("ChangeSource to the current source restarted replication: session %q → %q", before, after)
	}
	if st := s.status(t, 3); !st.ReadOnly {
		t.Error("re-pointed replica is writable")
	}
}

func (s *suite) reattach(t *testing.T) {
	must(t, "re-attach host 1 under host 2", s.DB.ChangeSource(s.ctx(t), s.key(1), s.key(2), actuators.CurrentPos, &s.Repl))
	s.replicating(t, 1, 2)
	id := s.write(t, 2)
	s.arrives(t, 1, id)
	s.arrives(t, 3, id)
	pos := s.status(t, 2).GTIDBinlogPos
	for _, i := range []int{1, 3} {
		must(t, fmt.Sprintf("wait gtid on host %d", i), s.DB.WaitGTID(s.ctx(t), s.key(i), pos))
	}
}

func (s *suite) killed(t *testing.T) {
	s.KillHost(3)
	k := s.key(3)
	ops := map[string]func(context.Context) error{
		"status":        func(ctx context.Context) error { _, err := s.DB.Status(ctx, k); return err },
		"set read_only": func(ctx context.Context) error { return s.DB.SetReadOnly(ctx, k, true) },
		"stop replica":  func(ctx context.Context) error { return s.DB.StopReplica(ctx, k) },
		"change source": func(ctx context.Context) error {
			return s.DB.ChangeSource(ctx, k, s.key(2), actuators.SlavePos, nil)
		},
	}
	for name, op := range ops {
		start := time.Now()
		wantKind(t, name+" on a killed host", op(s.ctx(t)), actuators.Transient)
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s on a killed host took %v", name, took)
		}
	}
	// Pointing a live host at the dead one is a valid statement; its IO
	// thread just cannot connect.
	must(t, "point host 1 at the killed host", s.DB.ChangeSource(s.ctx(t), s.key(1), k, actuators.CurrentPos, nil))
	st := s.status(t, 1)
	if !st.IsReplica || st.Source != k || st.IORunning {
		t.Errorf("host 1 pointed at a dead source: replica %v source %v io %v", st.IsReplica, st.Source, st.IORunning)
	}
}
