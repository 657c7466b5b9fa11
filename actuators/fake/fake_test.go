package fake_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/actuators/contract"
	"github.com/regent-ha/regent/actuators/fake"
	"github.com/regent-ha/regent/events"
)

func flatEnv(t *fake.Topology, keys []events.InstanceKey) contract.Env {
	k := func(i int) events.InstanceKey { return keys[i-1] }
	return contract.Env{
		DB: t.DB(), NoReadOnlyAdmin: t.DBAs(fake.Privileges{NoReadOnlyAdmin: true}),
		Keys:        [3]events.InstanceKey{keys[0], keys[1], keys[2]},
		Repl:        actuators.Credentials{User: "repl", Password: "repl"},
		Write:       func(i int, id int64) error { return t.Write(k(i), id) },
		WriteLocal:  func(i int, id int64) error { return t.WriteLocal(k(i), id) },
		DeleteLocal: func(i int, id int64) error { return t.DeleteLocal(k(i), id) },
		Has:         func(i int, id int64) (bool, error) { return t.Has(k(i), id) },
		ReplicaSession: func(i int) (string, error) {
			return t.Session(k(i))
		},
		KillHost: func(i int) { t.Down(k(i)) },
		Timeout:  2 * time.Second,
	}
}

// TestContract runs the actuator contract against the fake.
func TestContract(t *testing.T) {
	topo, keys := fake.NewFlat(3)
	contract.RunDBContract(t, flatEnv(topo, keys))
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestManualLagAndDrain: with replication held, a replica's relay log grows;
// the promote flow's WaitRelayApplied drains it.
func TestManualLagAndDrain(t *testing.T) {
	topo, keys := fake.NewFlat(3)
	db := topo.DB()
	topo.SetManual(true)
	topo.HoldSQL(keys[1], true)
	for id := int64(1); id <= 5; id++ {
		if err := topo.Write(keys[0], id); err != nil {
			t.Fatal(err)
		}
	}
	topo.Tick()
	st, err := db.Status(ctx(t), keys[1])
	if err != nil {
		t.Fatal(err)
	}
	if st.GTIDIOPos != "0-1-5" || st.GTIDSlavePos != "" || st.RelayLogSpace == 0 {
		t.Fatalf("held replica: io pos %q slave pos %q relay %d", st.GTIDIOPos, st.GTIDSlavePos, st.RelayLogSpace)
	}
	if ok, _ := topo.Has(keys[1], 5); ok {
		t.Fatal("held replica applied row 5")
	}
	if err := db.StopReplicaIO(ctx(t), keys[1]); err != nil {
		t.Fatal(err)
	}
	if err := db.WaitRelayApplied(ctx(t), keys[1]); err != nil {
		t.Fatal(err)
	}
	if ok, _ := topo.Has(keys[1], 5); !ok {
		t.Fatal("relay log not applied by WaitRelayApplied")
	}
	if ok, _ := topo.Has(keys[2], 5); !ok {
		t.Fatal("the other replica did not catch up on Tick")
	}
}

// TestWaitGTIDFollowsTick: WaitGTID returns once another goroutine's Tick
// brings the replica there.
func TestWaitGTIDFollowsTick(t *testing.T) {
	topo, keys := fake.NewFlat(2)
	topo.SetManual(true)
	if err := topo.Write(keys[0], 1); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- topo.DB().WaitGTID(ctx(t), keys[1], "0-1-1") }()
	select {
	case err := <-done:
		t.Fatalf("WaitGTID returned before the replica applied: %v", err)
	case <-time.After(30 * time.Millisecond):
	}
	topo.Tick()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestDivergedOldPrimary: a former primary with a write the new primary
// never got cannot replicate from it: its IO thread stops (error 1236), as
// on MariaDB (TestLabDivergedOldPrimary in actuators/mysql shows the same).
func TestDivergedOldPrimary(t *testing.T) {
	topo, keys := fake.NewFlat(2)
	db := topo.DB()
	repl := &actuators.Credentials{User: "repl", Password: "repl"}
	lost := diverge(t, topo, db, keys[0], keys[1])
	if err := db.ChangeSource(ctx(t), keys[0], keys[1], actuators.CurrentPos, repl); err != nil {
		t.Fatal(err)
	}
	st, err := db.Status(ctx(t), keys[0])
	if err != nil || st.IORunning || st.Source != keys[1] {
		t.Fatalf("diverged old primary: io %v source %v err %v", st.IORunning, st.Source, err)
	}
	if ok, _ := topo.Has(keys[0], lost+1); ok {
		t.Fatal("diverged old primary applied the new primary's write")
	}
}

// diverge writes one row on p that replica r never gets, promotes r and
// writes on it; it returns the lost row's id.
func diverge(t *testing.T, topo *fake.Topology, db actuators.DB, p, r events.InstanceKey) int64 {
	t.Helper()
	if err := topo.Write(p, 1); err != nil {
		t.Fatal(err)
	}
	if err := db.StopReplica(ctx(t), r); err != nil {
		t.Fatal(err)
	}
	if err := topo.Write(p, 2); err != nil {
		t.Fatal(err)
	}
	promote(t, db, r)
	if err := topo.Write(r, 3); err != nil {
		t.Fatal(err)
	}
	return 2
}

// TestOldPrimaryOwnEventsSkipped: a former primary re-attached with
// slave_pos gets its own transactions back and skips them (same server_id),
// as MariaDB does.
func TestOldPrimaryOwnEventsSkipped(t *testing.T) {
	topo, keys := fake.NewFlat(2)
	db := topo.DB()
	for id := int64(1); id <= 3; id++ {
		if err := topo.Write(keys[0], id); err != nil {
			t.Fatal(err)
		}
	}
	promote(t, db, keys[1])
	repl := &actuators.Credentials{User: "repl", Password: "repl"}
	if err := db.ChangeSource(ctx(t), keys[0], keys[1], actuators.SlavePos, repl); err != nil {
		t.Fatal(err)
	}
	if err := topo.Write(keys[1], 10); err != nil {
		t.Fatal(err)
	}
	if err := db.WaitRelayApplied(ctx(t), keys[0]); err != nil {
		t.Fatal(err)
	}
	if ok, _ := topo.Has(keys[0], 10); !ok {
		t.Fatal("former primary does not replicate")
	}
}

func promote(t *testing.T, db actuators.DB, k events.InstanceKey) {
	t.Helper()
	for _, step := range []func(context.Context, events.InstanceKey) error{
		db.StopReplicaIO, db.WaitRelayApplied, db.StopReplica, db.ResetReplica,
		func(c context.Context, k events.InstanceKey) error { return db.SetReadOnly(c, k, false) },
	} {
		if err := step(ctx(t), k); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUnreachableSourceAndRecovery: a replica of a down source keeps its IO
// thread stopped and catches up when the source returns.
func TestUnreachableSourceAndRecovery(t *testing.T) {
	topo, keys := fake.NewFlat(2)
	db := topo.DB()
	topo.Down(keys[0])
	st, err := db.Status(ctx(t), keys[1])
	if err != nil || st.IORunning || !st.SQLRunning {
		t.Fatalf("replica of a down source: io %v sql %v err %v", st.IORunning, st.SQLRunning, err)
	}
	if _, err := db.Status(ctx(t), keys[0]); actuators.KindOf(err) != actuators.Transient {
		t.Fatalf("status of a down host: %v, want Transient", err)
	}
	if err := topo.Write(keys[0], 1); err == nil {
		t.Fatal("write on a down host succeeded")
	}
	topo.Up(keys[0])
	if err := topo.Write(keys[0], 1); err != nil {
		t.Fatal(err)
	}
	if ok, _ := topo.Has(keys[1], 1); !ok {
		t.Fatal("replica did not catch up after its source came back")
	}
}

// TestWrongCredentials: the IO thread does not run with a bad password.
func TestWrongCredentials(t *testing.T) {
	topo, keys := fake.NewFlat(3)
	db := topo.DB()
	err := db.ChangeSource(ctx(t), keys[2], keys[1], actuators.SlavePos, &actuators.Credentials{User: "repl", Password: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := db.Status(ctx(t), keys[2]); st.IORunning || st.Source != keys[1] {
		t.Fatalf("IO thread with a wrong password: running %v source %v", st.IORunning, st.Source)
	}
}

// TestCallsAndFaults: calls are counted per method and FailNth fails
// exactly the Nth one, before it acts.
func TestCallsAndFaults(t *testing.T) {
	topo, keys := fake.NewFlat(2)
	db := topo.DB()
	topo.FailNth("SetReadOnly", 2, actuators.Transient)
	if err := db.SetReadOnly(ctx(t), keys[1], false); err != nil {
		t.Fatal(err)
	}
	err := db.SetReadOnly(ctx(t), keys[1], true)
	var ae *actuators.Error
	if !errors.As(err, &ae) || ae.Kind != actuators.Transient || ae.Key != keys[1] || ae.Op != "set read_only" {
		t.Fatalf("second call: %v, want the injected Transient error", err)
	}
	if st, _ := db.Status(ctx(t), keys[1]); st.ReadOnly {
		t.Fatal("the failed call acted")
	}
	if err := db.SetReadOnly(ctx(t), keys[1], true); err != nil {
		t.Fatalf("third call: %v", err)
	}
	if n := topo.Calls("SetReadOnly"); n != 3 {
		t.Errorf("SetReadOnly calls = %d, want 3", n)
	}
	if n := topo.Calls("Status"); n != 1 {
		t.Errorf("Status calls = %d, want 1", n)
	}
}

// TestNoReplicationSlaveAdmin: a user without REPLICATION SLAVE ADMIN cannot
// stop replication, but a no-op needs no privilege.
func TestNoReplicationSlaveAdmin(t *testing.T) {
	topo, keys := fake.NewFlat(2)
	db := topo.DBAs(fake.Privileges{NoReplicationSlaveAdmin: true})
	err := db.StopReplica(ctx(t), keys[1])
	if actuators.KindOf(err) != actuators.Permanent || !strings.Contains(err.Error(), "REPLICATION SLAVE ADMIN") {
		t.Fatalf("stop replica without REPLICATION SLAVE ADMIN: %v", err)
	}
	if err := db.StopReplica(ctx(t), keys[0]); err != nil {
		t.Fatalf("stop replica on a primary (no-op): %v", err)
	}
}

// TestDetachSource: a detached replica's source host is //host, it stops
// replicating and receives no more writes; detaching again changes
// nothing; a host without a source is a Precondition error.
func TestDetachSource(t *testing.T) {
	topo, keys := fake.NewFlat(2)
	db := topo.DB()
	if err := db.DetachSource(ctx(t), keys[1]); err != nil {
		t.Fatalf("detach: %v", err)
	}
	if err := db.DetachSource(ctx(t), keys[1]); err != nil {
		t.Fatalf("detach again: %v", err)
	}
	st, err := db.Status(ctx(t), keys[1])
	if err != nil {
		t.Fatal(err)
	}
	if st.Source.Hostname != "//"+keys[0].Hostname || st.IORunning || st.SQLRunning {
		t.Fatalf("detached replica: source %s io %v sql %v", st.Source, st.IORunning, st.SQLRunning)
	}
	if err := topo.Write(keys[0], 7); err != nil {
		t.Fatal(err)
	}
	if has, err := topo.Has(keys[1], 7); err != nil || has {
		t.Fatalf("detached replica received a write: %v %v", has, err)
	}
	if err := db.DetachSource(ctx(t), keys[0]); actuators.KindOf(err) != actuators.Precondition {
		t.Fatalf("detach a primary: %v, want a Precondition error", err)
	}
}
