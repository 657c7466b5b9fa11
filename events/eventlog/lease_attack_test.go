package eventlog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/test/natstest"
)

// leaseRig is one node's log with a lease campaigning on it.
type leaseRig struct {
	l    *eventlog.Log
	kv   jetstream.KeyValue
	ctx  context.Context
	stop func()
}

func newLeaseRig(t *testing.T) *leaseRig {
	t.Helper()
	n := natstest.Node(t)
	l, err := eventlog.New(natstest.Conn(t, n), zerolog.New(zerolog.NewTestWriter(t)), testStreams)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	if err := l.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	kv, err := l.JetStream().KeyValue(ctx, eventlog.LeaseBucket)
	if err != nil {
		t.Fatal(err)
	}
	return &leaseRig{l: l, kv: kv, ctx: ctx}
}

// run starts le until the test ends.
func (r *leaseRig) run(t *testing.T, le *eventlog.Lease) {
	rctx, stop := context.WithCancel(r.ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = le.Run(rctx) }()
	t.Cleanup(func() { stop(); <-done })
}

// heldAbove waits until le holds the lease with an epoch above old and the
// record is stored; it returns the epoch.
func heldAbove(t *testing.T, r *leaseRig, le *eventlog.Lease, old uint64, what string) uint64 {
	t.Helper()
	return heldAboveSince(t, r, le, old, what, time.Now())
}

// heldAboveSince is heldAbove timed from start.
func heldAboveSince(t *testing.T, r *leaseRig, le *eventlog.Lease, old uint64, what string, start time.Time) uint64 {
	t.Helper()
	var epoch uint64
	natstest.Eventually(t, 15*time.Second, 20*time.Millisecond, func() error {
		info, _, held := le.Current()
		if !held || info.Epoch <= old {
			return fmt.Errorf("%s: not held with an epoch above %d: %+v held=%v", what, old, info, held)
		}
		if _, err := r.kv.Get(r.ctx, "leader"); err != nil {
			return err
		}
		epoch = info.Epoch
		return nil
	})
	t.Logf("%s: held again after %s with epoch %d", what, time.Since(start).Round(time.Millisecond), epoch)
	return epoch
}

// TestLeaseRecreatedAfterDeletion: the lease key deleted or purged, or the
// whole bucket deleted, leaves the cluster without a leader for at most a
// few renewals: the node re-creates the record (and the bucket) by
// compare-and-set with an epoch above every epoch before.
func TestLeaseRecreatedAfterDeletion(t *testing.T) {
	r := newLeaseRig(t)
	la := r.l.NewLease("a", "127.0.0.1:2")
	r.run(t, la)
	epoch := heldAbove(t, r, la, 0, "start")
	for _, op := range []string{"delete key", "purge key", "delete bucket"} {
		var err error
		start := time.Now()
		switch op {
		case "delete key":
			err = r.kv.Delete(r.ctx, "leader")
		case "purge key":
			err = r.kv.Purge(r.ctx, "leader")
		case "delete bucket":
			err = r.l.JetStream().DeleteKeyValue(r.ctx, eventlog.LeaseBucket)
		}
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		if op == "delete bucket" {
			natstest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
				r.kv, err = r.l.JetStream().KeyValue(r.ctx, eventlog.LeaseBucket)
				return err
			})
		}
		epoch = heldAboveSince(t, r, la, epoch, op, start)
	}
}

// TestLeaseRecordsNotFollowed: a record naming a holder the check refuses,
// and a malformed one, are never followed (no leader is known), each is
// logged and counted once; the malformed one is replaced at once with a
// higher epoch, the foreign one once it expires.
func TestLeaseRecordsNotFollowed(t *testing.T) {
	r := newLeaseRig(t)
	peers := map[string]bool{"a": true, "b": true}
	la := r.l.NewLease("a", "127.0.0.1:2")
	la.SetCheck(func(info eventlog.LeaseInfo) error {
		if !peers[info.Holder] {
			return fmt.Errorf("holder %q is not a configured peer", info.Holder)
		}
		return nil
	})
	// A foreign holder's record, stored before the node starts.
	b, _ := json.Marshal(eventlog.LeaseInfo{Holder: "evil", Addr: "203.0.113.9:3000", Epoch: 99, Since: time.Now()})
	rev, err := r.kv.Put(r.ctx, "leader", b)
	if err != nil {
		t.Fatal(err)
	}
	r.run(t, la)
	deadline := time.Now().Add(eventlog.LeaseTTL / 2)
	for time.Now().Before(deadline) {
		if info, known, held := la.Current(); known || held || info.Holder == "evil" {
			t.Fatalf("followed a foreign record: %+v known=%v held=%v", info, known, held)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := la.Rejected(); n != 1 {
		t.Fatalf("rejected %d records, want 1 (counted once however often read)", n)
	}
	epoch := heldAbove(t, r, la, rev, "foreign record expired")
	if epoch <= 99 {
		t.Logf("epoch %d (the foreign record's own epoch field is not trusted)", epoch)
	}
	// A malformed record written over the holder's: replaced at once.
	for _, body := range []string{"not json", `{"addr":"203.0.113.9:3000"}`} {
		if _, err := r.kv.Put(r.ctx, "leader", []byte(body)); err != nil {
			t.Fatal(err)
		}
		before := la.Rejected()
		epoch = heldAbove(t, r, la, epoch, fmt.Sprintf("malformed %q", body))
		if la.Rejected() != before+1 {
			t.Errorf("malformed %q: rejected %d, want %d", body, la.Rejected(), before+1)
		}
		if info, _, _ := la.Current(); info.Holder != "a" {
			t.Errorf("holder %q after a malformed record, want a", info.Holder)
		}
	}
}

// TestLeaseNewBucketStartsAboveTheLogsEpochs: a node that finds the lease
// bucket missing at start (deleted while every node was down, so no node
// remembers its revisions) creates it above the highest epoch the event log
// recorded (its floor), not at epoch 1 below the recoveries in the log; a
// floor it cannot read leaves the bucket as it is.
func TestLeaseNewBucketStartsAboveTheLogsEpochs(t *testing.T) {
	r := newLeaseRig(t)
	if err := r.l.JetStream().DeleteKeyValue(r.ctx, eventlog.LeaseBucket); err != nil {
		t.Fatal(err)
	}
	la := r.l.NewLease("a", "127.0.0.1:2")
	la.SetFloor(func(context.Context) (uint64, error) { return 41, nil })
	r.run(t, la)
	natstest.Eventually(t, 10*time.Second, 50*time.Millisecond, func() error {
		var err error
		r.kv, err = r.l.JetStream().KeyValue(r.ctx, eventlog.LeaseBucket)
		return err
	})
	if epoch := heldAbove(t, r, la, 41, "new bucket"); epoch != 42 {
		t.Errorf("epoch %d, want 42 (the first revision above the log's 41)", epoch)
	}
}
