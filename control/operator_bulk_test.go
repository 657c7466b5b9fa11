package control

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/regent-ha/regent/events"
)

func (d *stubDB) SetGTIDPositioning(_ context.Context, k events.InstanceKey, enabled bool) error {
	if enabled {
		return d.call("SetGTIDPositioning(on)", k)
	}
	return d.call("SetGTIDPositioning(off)", k)
}

func changeSource(dest events.InstanceKey) string { return "ChangeSource(" + dest.String() + ")" }

// caughtUp are the calls of a move of r below dest that is not upstream
// of it: r stopped, its position read, dest waited for, r pointed at dest.
func caughtUp(r, dest events.InstanceKey) []string {
	return []string{"StopReplica " + r.String(), "Status " + r.String(), "WaitGTID " + dest.String(), changeSource(dest) + " " + r.String()}
}

// bulkOps are the refactorings in bulk and by role on the operator test
// topology (primary P with replicas E and S, L below S): the operation,
// its target, its steps, the database calls in order, where the replicas
// went and the call to fail.
var bulkOps = []struct {
	op      ReplicaOp
	target  events.InstanceKey
	dest    events.InstanceKey
	steps   []string
	calls   []string
	below   events.InstanceKey
	moved   []events.InstanceKey
	fail    string
	failAt  string
	skipped int
}{
	{OpRelocateReplicas, opSibling, opErrant, []string{"change-source 198.18.0.4:3306"},
		caughtUp(opLeaf, opErrant), opErrant, []events.InstanceKey{opLeaf}, changeSource(opErrant), "change-source 198.18.0.4:3306", 0},
	{OpMoveReplicasGTID, opSibling, opPrimary, []string{"change-source 198.18.0.4:3306"},
		[]string{changeSource(opPrimary) + " 198.18.0.4:3306"}, opPrimary, []events.InstanceKey{opLeaf}, changeSource(opPrimary), "change-source 198.18.0.4:3306", 0},
	{OpMoveUpReplicas, opSibling, events.InstanceKey{}, []string{"change-source 198.18.0.4:3306"},
		[]string{changeSource(opPrimary) + " 198.18.0.4:3306"}, opPrimary, []events.InstanceKey{opLeaf}, changeSource(opPrimary), "change-source 198.18.0.4:3306", 0},
	{OpRepointReplicas, opSibling, events.InstanceKey{}, []string{"change-source 198.18.0.4:3306"},
		[]string{changeSource(opSibling) + " 198.18.0.4:3306"}, opSibling, []events.InstanceKey{opLeaf}, changeSource(opSibling), "change-source 198.18.0.4:3306", 0},
	{OpTakeSiblings, opSibling, events.InstanceKey{}, []string{"change-source 198.18.0.2:3306"},
		caughtUp(opErrant, opSibling), opSibling, []events.InstanceKey{opErrant}, changeSource(opSibling), "change-source 198.18.0.2:3306", 0},
	// regroup: E has errant GTIDs, so S is the best; E goes below it.
	{OpRegroupReplicas, opPrimary, events.InstanceKey{}, []string{"change-source 198.18.0.2:3306"},
		caughtUp(opErrant, opSibling), opSibling, []events.InstanceKey{opErrant}, changeSource(opSibling), "change-source 198.18.0.2:3306", 0},
	// take-master: L goes below P, then S below L.
	{OpTakeMaster, opLeaf, events.InstanceKey{}, []string{"change-source 198.18.0.4:3306", "change-source 198.18.0.3:3306"},
		append([]string{changeSource(opPrimary) + " 198.18.0.4:3306"}, caughtUp(opSibling, opLeaf)...), opPrimary,
		[]events.InstanceKey{opLeaf, opSibling}, changeSource(opLeaf), "change-source 198.18.0.3:3306", 0},
	// relocate-replicas of P below S: E moves, S is the destination itself.
	{OpRelocateReplicas, opPrimary, opSibling, []string{"change-source 198.18.0.2:3306"},
		caughtUp(opErrant, opSibling), opSibling, []events.InstanceKey{opErrant}, changeSource(opSibling), "change-source 198.18.0.2:3306", 0},
}

// TestBulkMoveOutcomes: each refactoring is one manual operation whose
// steps are the per-replica moves, in order; success appends completed
// and answers the moved replicas; a failing move appends failed at its
// step with the moves done before it, and the error comes back.
func TestBulkMoveOutcomes(t *testing.T) {
	for _, tc := range bulkOps {
		t.Run(string(tc.op)+"/success", func(t *testing.T) {
			w := newOpWorld(t)
			res, err := w.o.BulkMove(t.Context(), tc.op, tc.target, tc.dest, "", "dba")
			if err != nil {
				t.Fatalf("%s = %v", tc.op, err)
			}
			if !slices.Equal(w.db.calls, tc.calls) {
				t.Fatalf("database calls %v, want %v", w.db.calls, tc.calls)
			}
			var moved []events.InstanceKey
			for _, m := range res.Moved {
				moved = append(moved, m.Key)
			}
			if res.Below != tc.below || !slices.Equal(moved, tc.moved) || len(res.Skipped) != tc.skipped {
				t.Fatalf("result below %s moved %v skipped %v, want below %s moved %v", res.Below, moved, res.Skipped, tc.below, tc.moved)
			}
			s, kind, c, _ := opEvents(t, w.log)
			if s.Operation != string(tc.op) || s.Target != tc.target || s.Who != "dba" || !slices.Equal(s.Steps, tc.steps) {
				t.Fatalf("started %+v, want %s on %s with steps %v", s, tc.op, tc.target, tc.steps)
			}
			if kind != events.KindManualOperationCompleted || c.OperationID != s.OperationID {
				t.Fatalf("outcome %s %+v", kind, c)
			}
		})
		t.Run(string(tc.op)+"/failure", func(t *testing.T) {
			w := newOpWorld(t)
			w.db.fail = tc.fail
			_, err := w.o.BulkMove(t.Context(), tc.op, tc.target, tc.dest, "", "dba")
			if err == nil || !strings.Contains(err.Error(), "injected failure") {
				t.Fatalf("%s with %s failing = %v", tc.op, tc.fail, err)
			}
			_, kind, _, f := opEvents(t, w.log)
			if kind != events.KindManualOperationFailed || f.Step != tc.failAt || !strings.Contains(f.Error, "injected failure") {
				t.Fatalf("outcome %s %+v, want failed at %s", kind, f, tc.failAt)
			}
			if want := tc.steps[:slices.Index(tc.steps, tc.failAt)]; !slices.Equal(f.Done, want) {
				t.Fatalf("done %v, want %v", f.Done, want)
			}
		})
	}
}

// TestBulkMoveRefusalsAppendNothing: a refactoring refused when planned
// (make-co-master, a role the instance does not have, a bad pattern, an
// unknown destination, nothing to move, not leading) records nothing and
// changes nothing.
func TestBulkMoveRefusalsAppendNothing(t *testing.T) {
	for _, tc := range []struct {
		name      string
		op        ReplicaOp
		key, dest events.InstanceKey
		pattern   string
		lose      bool
		want      string
	}{
		{"co-master", OpMakeCoMaster, opSibling, events.InstanceKey{}, "", false, "does not run co-master topologies"},
		{"take-master of the primary's replica", OpTakeMaster, opSibling, events.InstanceKey{}, "", false, "is a takeover"},
		{"take-master of the primary", OpTakeMaster, opPrimary, events.InstanceKey{}, "", false, "no known source"},
		{"move-up-replicas of the primary", OpMoveUpReplicas, opPrimary, events.InstanceKey{}, "", false, "not a replica"},
		{"take-siblings of the primary", OpTakeSiblings, opPrimary, events.InstanceKey{}, "", false, "not a replica"},
		{"bad pattern", OpRelocateReplicas, opPrimary, opSibling, "([", false, `invalid pattern "(["`},
		{"unknown destination", OpRelocateReplicas, opPrimary, key("198.18.0.99"), "", false, "unknown instance 198.18.0.99:3306"},
		{"unknown instance", OpRepointReplicas, key("198.18.0.98"), events.InstanceKey{}, "", false, "unknown instance 198.18.0.98:3306"},
		{"pattern matches none", OpRelocateReplicas, opPrimary, opSibling, `^10\.`, false, ""},
		{"no replicas", OpRepointReplicas, opLeaf, events.InstanceKey{}, "", false, ""},
		{"below its own replica", OpMoveReplicasGTID, opPrimary, opLeaf, "198.18.0.3", false, ""},
		{"not leading", OpRepointReplicas, opSibling, events.InstanceKey{}, "", true, "does not lead"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newOpWorld(t)
			w.lease.lost.Store(tc.lose)
			res, err := w.o.BulkMove(t.Context(), tc.op, tc.key, tc.dest, tc.pattern, "dba")
			switch {
			case tc.want == "" && (err != nil || len(res.Moved) != 0):
				t.Fatalf("%s = %+v, %v; want nothing moved", tc.op, res, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("%s = %v, want an error with %q", tc.op, err, tc.want)
			}
			if n := len(w.log.all()); n != 0 || len(w.db.calls) != 0 {
				t.Fatalf("refused %s appended %d events and called %v", tc.op, n, w.db.calls)
			}
		})
	}
}

// TestBulkMoveSkipsWhatCannotReplicate: a replica that cannot replicate
// from the destination (here: the destination is below it) is left out
// and named; the pattern selects the others.
func TestBulkMoveSkipsWhatCannotReplicate(t *testing.T) {
	w := newOpWorld(t)
	res, err := w.o.BulkMove(t.Context(), OpRelocateReplicas, opPrimary, opLeaf, "", "dba")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0], "198.18.0.4:3306 replicates from 198.18.0.3:3306") {
		t.Fatalf("skipped %v, want S (L replicates from it)", res.Skipped)
	}
	if len(res.Moved) != 1 || res.Moved[0].Key != opErrant {
		t.Fatalf("moved %v, want E only", res.Moved)
	}
	w = newOpWorld(t)
	if res, err = w.o.BulkMove(t.Context(), OpRelocateReplicas, opPrimary, opLeaf, `\.0\.2:`, "dba"); err != nil || len(res.Skipped) != 0 ||
		len(res.Moved) != 1 || res.Moved[0].Key != opErrant {
		t.Fatalf("with a pattern: %+v, %v", res, err)
	}
}

// TestSingleMovesAndGTIDSwitches: relocate-below and move-below-gtid are
// GTID moves under their own names; enable-gtid and disable-gtid switch a
// replica's positioning; each is one manual operation.
func TestSingleMovesAndGTIDSwitches(t *testing.T) {
	for _, tc := range []struct {
		op    ReplicaOp
		key   events.InstanceKey
		dest  events.InstanceKey
		calls []string
		steps []string
	}{
		{OpRelocateBelow, opLeaf, opErrant, caughtUp(opLeaf, opErrant), []string{"change-source"}},
		{OpMoveBelowGTID, opLeaf, opPrimary, []string{changeSource(opPrimary) + " 198.18.0.4:3306"}, []string{"change-source"}},
		{OpEnableGTID, opLeaf, events.InstanceKey{}, []string{"SetGTIDPositioning(on) 198.18.0.4:3306"}, []string{"enable-gtid"}},
		{OpDisableGTID, opLeaf, events.InstanceKey{}, []string{"SetGTIDPositioning(off) 198.18.0.4:3306"}, []string{"disable-gtid"}},
	} {
		t.Run(string(tc.op), func(t *testing.T) {
			w := newOpWorld(t)
			var err error
			if tc.dest.IsZero() {
				_, err = w.o.Replica(t.Context(), tc.op, tc.key, "dba")
			} else {
				_, err = w.o.Move(t.Context(), tc.op, tc.key, tc.dest, "dba")
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(w.db.calls, tc.calls) {
				t.Fatalf("calls %v, want %v", w.db.calls, tc.calls)
			}
			s, kind, _, _ := opEvents(t, w.log)
			if s.Operation != string(tc.op) || !slices.Equal(s.Steps, tc.steps) || kind != events.KindManualOperationCompleted {
				t.Fatalf("started %+v, outcome %s", s, kind)
			}
		})
	}
	w := newOpWorld(t)
	if _, err := w.o.Replica(t.Context(), OpEnableGTID, opPrimary, "dba"); err == nil || !strings.Contains(err.Error(), "not a replica") {
		t.Fatalf("enable-gtid on the primary: %v", err)
	}
	if _, err := w.o.Move(t.Context(), OpMoveBelowGTID, opSibling, opLeaf, "dba"); err == nil || !strings.Contains(err.Error(), "replicates from") {
		t.Fatalf("move-below-gtid below its own replica: %v", err)
	}
	if n := len(w.log.all()); n != 0 || len(w.db.calls) != 0 {
		t.Fatalf("refused operations appended %d events and called %v", n, w.db.calls)
	}
}

// TestDesignate: recover's designated candidate becomes the chosen one
// when a recovery could promote it; a rejected or unknown one is refused.
func TestDesignate(t *testing.T) {
	cands := []events.Candidate{{Key: opErrant, Reason: "rejected: errant GTIDs"}, {Key: opSibling, Chosen: true, Reason: "most advanced"},
		{Key: opLeaf, Reason: "behind in position"}}
	succ, out, err := designate(cands, opLeaf)
	if err != nil || succ != opLeaf || !out[2].Chosen || out[1].Chosen || !strings.Contains(out[2].Reason, "designated") {
		t.Fatalf("designate L = %s %+v %v", succ, out, err)
	}
	if !cands[1].Chosen {
		t.Fatal("designate changed its input")
	}
	if _, _, err := designate(cands, opErrant); err == nil || !strings.Contains(err.Error(), "cannot be promoted: errant GTIDs") {
		t.Fatalf("designate a rejected candidate: %v", err)
	}
	if _, _, err := designate(cands, opPrimary); err == nil || !strings.Contains(err.Error(), "not a replica of the failed instance") {
		t.Fatalf("designate a non-replica: %v", err)
	}
}

// TestMoveWaitsForTheDestination: a move below a node that is not upstream
// of the replica stops the replica and waits until the destination has
// executed its position; when the destination does not get there the
// replica replicates from its old source again and the operation fails at
// that move, with the reason.
func TestMoveWaitsForTheDestination(t *testing.T) {
	w := newOpWorld(t)
	w.db.fail = "WaitGTID"
	_, err := w.o.BulkMove(t.Context(), OpRelocateReplicas, opSibling, opErrant, "", "dba")
	if err == nil || !strings.Contains(err.Error(), "198.18.0.2:3306 has not executed 198.18.0.4:3306's position "+uuidA+":1-10") {
		t.Fatalf("relocate-replicas with the wait failing: %v", err)
	}
	want := []string{"StopReplica 198.18.0.4:3306", "Status 198.18.0.4:3306", "WaitGTID 198.18.0.2:3306", "StartReplica 198.18.0.4:3306"}
	if !slices.Equal(w.db.calls, want) {
		t.Fatalf("calls %v, want %v (no CHANGE MASTER, replication started again)", w.db.calls, want)
	}
	_, kind, _, f := opEvents(t, w.log)
	if kind != events.KindManualOperationFailed || f.Step != "change-source 198.18.0.4:3306" || !strings.Contains(f.Error, "has not executed") {
		t.Fatalf("outcome %s %+v", kind, f)
	}
}

// TestRecoverCatchUp: before a designated candidate other than the best
// replica is promoted, it is pointed at the best one and waited for until
// it executed the best one's position, as one manual operation; a candidate
// that does not get there fails it (and the recovery is not attempted).
func TestRecoverCatchUp(t *testing.T) {
	w := newOpWorld(t)
	if err := w.o.catchUp(t.Context(), opLeaf, opErrant, "dba"); err != nil {
		t.Fatal(err)
	}
	want := []string{"WaitRelayApplied 198.18.0.2:3306", "Status 198.18.0.2:3306", changeSource(opErrant) + " 198.18.0.4:3306", "WaitGTID 198.18.0.4:3306"}
	if !slices.Equal(w.db.calls, want) {
		t.Fatalf("calls %v, want %v", w.db.calls, want)
	}
	s, kind, c, _ := opEvents(t, w.log)
	if s.Operation != "recover-catch-up" || s.Target != opLeaf || !slices.Equal(s.Steps, []string{"wait-relay-applied", "change-source", "wait-gtid"}) ||
		kind != events.KindManualOperationCompleted || !strings.Contains(c.Detail, uuidA+":1-10") {
		t.Fatalf("started %+v, outcome %s %+v", s, kind, c)
	}
	w = newOpWorld(t)
	w.db.fail = "WaitGTID"
	if err := w.o.catchUp(t.Context(), opLeaf, opErrant, "dba"); err == nil || !strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("catch-up with the wait failing: %v", err)
	}
	if _, kind, _, f := opEvents(t, w.log); kind != events.KindManualOperationFailed || f.Step != "wait-gtid" {
		t.Fatalf("outcome %s %+v", kind, f)
	}
}
