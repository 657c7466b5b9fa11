package contract

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/gtid"
)

// Env is a 3-host flat MariaDB topology: host 1 the writable primary, hosts
// 2 and 3 read-only replicas of it with MASTER_USE_GTID=slave_pos, running.
// Hosts are numbered 1..3 as in the lab.
type Env struct {
	// DB has the topology user's full privileges.
	DB actuators.DB
	// NoReadOnlyAdmin is a DB whose user lacks READ_ONLY ADMIN.
	NoReadOnlyAdmin actuators.DB
	// Keys are the hosts' keys: Keys[0] is host 1.
	Keys [3]events.InstanceKey
	// Repl is the replication user every host accepts.
	Repl actuators.Credentials
	// Write commits row id on host i as a privileged user (binlogged, so it
	// replicates), whether or not i is read-only.
	Write func(i int, id int64) error
	// WriteLocal and DeleteLocal add and remove row id on host i without
	// binlogging (to make a replica's SQL thread fail, and to repair it).
	WriteLocal  func(i int, id int64) error
	DeleteLocal func(i int, id int64) error
	// Has reports whether host i has row id.
	Has func(i int, id int64) (bool, error)
	// ReplicaSession is a token of host i's running replication threads;
	// it changes when replication is restarted.
	ReplicaSession func(i int) (string, error)
	// KillHost makes host i's server die (SIGKILL) for the rest of the suite.
	KillHost func(i int)
	// Timeout bounds every convergence wait (default 10 s).
	Timeout time.Duration
}

// suite carries the Env and the ids of rows written so far.
type suite struct {
	Env
	next atomic.Int64
}

// RunDBContract runs the contract as ordered subtests on one topology: each
// step starts from the state the previous one left, as a recovery does.
func RunDBContract(t *testing.T, env Env) {
	if env.Timeout == 0 {
		env.Timeout = 10 * time.Second
	}
	s := &suite{Env: env}
	s.next.Store(time.Now().UnixNano() / 1000)
	steps := []struct {
		name string
		fn   func(t *testing.T)
	}{
		{"status/primary", s.statusPrimary},
		{"status/replica", s.statusReplica},
		{"wait-gtid/reaches", s.waitGTIDReaches},
		{"wait-gtid/timeout", s.waitGTIDTimeout},
		{"stop-start/idempotent", s.stopStart},
		{"read-only/idempotent", s.readOnly},
		{"read-only/without-read-only-admin", s.readOnlyNoAdmin},
		{"relay/sql-thread-error", s.sqlThreadError},
		{"promote", s.promote},
		{"repoint/slave-pos", s.repoint},
		{"reattach-old-primary/current-pos", s.reattach},
		{"killed-host/transient", s.killed},
	}
	for _, st := range steps {
		if !t.Run(st.name, st.fn) {
			t.Fatalf("contract: step %s failed; later steps depend on it", st.name)
		}
	}
}

func (s *suite) key(i int) events.InstanceKey { return s.Keys[i-1] }

func (s *suite) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), s.Timeout)
	t.Cleanup(cancel)
	return ctx
}

// write commits a new row on host i and returns its id.
func (s *suite) write(t *testing.T, i int) int64 {
	t.Helper()
	id := s.next.Add(1)
	if err := s.Write(i, id); err != nil {
		t.Fatalf("write %d on host %d: %v", id, i, err)
	}
	return id
}

func (s *suite) status(t *testing.T, i int) actuators.Status {
	t.Helper()
	st, err := s.DB.Status(s.ctx(t), s.key(i))
	if err != nil {
		t.Fatalf("status of host %d: %v", i, err)
	}
	return st
}

// eventually polls cond every 20 ms until it returns nil, within Timeout.
func (s *suite) eventually(t *testing.T, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(s.Timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %v", what, s.Timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// arrives waits until host i has row id.
func (s *suite) arrives(t *testing.T, i int, id int64) {
	t.Helper()
	s.eventually(t, fmt.Sprintf("row %d on host %d", id, i), func() error {
		ok, err := s.Has(i, id)
		if err == nil && !ok {
			err = errors.New("row absent")
		}
		return err
	})
}

// replicating waits until host i replicates from host src with both threads.
func (s *suite) replicating(t *testing.T, i, src int) {
	t.Helper()
	s.eventually(t, fmt.Sprintf("host %d replicating from host %d", i, src), func() error {
		st, err := s.DB.Status(s.ctx(t), s.key(i))
		switch {
		case err != nil:
			return err
		case !st.IsReplica || st.Source != s.key(src):
			return fmt.Errorf("source %v (replica %v)", st.Source, st.IsReplica)
		case !st.IORunning || !st.SQLRunning:
			return fmt.Errorf("io %v sql %v", st.IORunning, st.SQLRunning)
		}
		return nil
	})
}

// wantKind fails unless err is an *actuators.Error of kind.
func wantKind(t *testing.T, what string, err error, kind actuators.ErrorKind) {
	t.Helper()
	var ae *actuators.Error
	if !errors.As(err, &ae) || ae.Kind != kind {
		t.Fatalf("%s: got %v (kind %v), want a %v *actuators.Error", what, err, actuators.KindOf(err), kind)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// beyond returns a MariaDB GTID list far ahead of pos in every domain.
func beyond(t *testing.T, pos string) string {
	t.Helper()
	l, err := gtid.ParseList(pos)
	if err != nil {
		t.Fatalf("bad gtid list %q: %v", pos, err)
	}
	for i := range l {
		l[i].Seq += 1_000_000
	}
	return l.String()
}
