package control

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// orchestrator's refactorings in bulk and by role (BulkMove), the single
// GTID moves under their other names (Move), and GTID positioning on and
// off (Replica).
const (
	OpRelocateReplicas ReplicaOp = "relocate-replicas"
	OpMoveUpReplicas   ReplicaOp = "move-up-replicas"
	OpRepointReplicas  ReplicaOp = "repoint-replicas"
	OpMoveReplicasGTID ReplicaOp = "move-replicas-gtid"
	OpRegroupReplicas  ReplicaOp = "regroup-replicas"
	OpTakeSiblings     ReplicaOp = "take-siblings"
	OpTakeMaster       ReplicaOp = "take-master"
	OpMakeCoMaster     ReplicaOp = "make-co-master"
	OpRelocateBelow    ReplicaOp = "relocate-below"
	OpMoveBelowGTID    ReplicaOp = "move-below-gtid"
	OpEnableGTID       ReplicaOp = "enable-gtid"
	OpDisableGTID      ReplicaOp = "disable-gtid"
)

// ErrCoMaster is make-co-master's answer.
var ErrCoMaster = errors.New("make-co-master: Regent does not run co-master topologies (two primaries replicating " +
	"from each other): its recoveries and its one-writable-primary invariant assume a single primary per cluster")

// BulkResult is what a refactoring in bulk did.
type BulkResult struct {
	// Moved are the replicas moved, probed afterwards.
	Moved []*projections.Instance
	// Below is where they went.
	Below events.InstanceKey
	// Skipped are the replicas left where they were, each with the reason
	// (orchestrator's errors: the others still move).
	Skipped []string
	// Instance is the instance named (take-siblings, take-master) or the
	// promoted replica (regroup-replicas), probed afterwards.
	Instance *projections.Instance
}

// gtidDB switches a replica's GTID positioning; the MySQL actuator
// implements it.
type gtidDB interface {
	SetGTIDPositioning(ctx context.Context, key events.InstanceKey, enabled bool) error
}

// bulkMove is one replica's move of a bulk operation.
type bulkMove struct {
	replica *projections.Instance
	dest    events.InstanceKey
}

// BulkMove implements api.BulkControl: op on key (dest for
// relocate-replicas and move-replicas-gtid; pattern, a regular expression
// on host:port, selects the replicas moved, "" all). It is one manual
// operation whose steps are the replicas' moves, each checked again with
// the can-replicate-from rules right before it runs; replicas that fail
// the check when planned are skipped and named. Nothing to move appends
// nothing.
func (o *Operator) BulkMove(ctx context.Context, op ReplicaOp, key, dest events.InstanceKey, pattern, who string) (BulkResult, error) {
	if op == OpMakeCoMaster {
		return BulkResult{}, ErrCoMaster
	}
	var re *regexp.Regexp
	if pattern != "" {
		var err error
		if re, err = regexp.Compile(pattern); err != nil {
			return BulkResult{}, fmt.Errorf("invalid pattern %q: %w", pattern, err)
		}
	}
	v := o.views.FreshView()
	inst, ok := v.Instance(key)
	if !ok {
		return BulkResult{}, fmt.Errorf("unknown instance %s", key)
	}
	moves, res, err := o.planBulk(v, op, inst, dest, re)
	if err != nil {
		return BulkResult{}, err
	}
	if len(moves) == 0 {
		return res, nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.opBound*time.Duration(len(moves)))
	defer cancel()
	epoch, err := o.epoch()
	if err != nil {
		return BulkResult{}, err
	}
	steps := make([]actuators.OperationStep, len(moves))
	done := map[events.InstanceKey]events.InstanceKey{} // the moves made so far, which the view may not show yet
	for i, m := range moves {
		steps[i] = o.checkedMove(m, done)
	}
	detail := fmt.Sprintf("%d replicas below %s", len(moves), res.Below)
	if op == OpTakeMaster || op == OpRegroupReplicas {
		detail = fmt.Sprintf("%d moves", len(moves))
	}
	if _, err := o.runOperation(ctx, actuators.NewOperation(newID("op"), string(op), key, detail, who, epoch, steps...)); err != nil {
		return BulkResult{}, err
	}
	if err := o.views.Barrier(ctx); err != nil {
		return BulkResult{}, err
	}
	return o.probeBulk(ctx, op, key, moves, res, who)
}

// probeBulk reads the moved replicas and the named instance afresh.
func (o *Operator) probeBulk(ctx context.Context, op ReplicaOp, key events.InstanceKey, moves []bulkMove, res BulkResult, who string) (BulkResult, error) {
	res.Moved = make([]*projections.Instance, 0, len(moves))
	for _, m := range moves {
		inst, err := o.probe.Discover(ctx, m.replica.Key, who)
		if err != nil {
			return res, err
		}
		res.Moved = append(res.Moved, inst)
	}
	named := key
	if op == OpRegroupReplicas {
		named = res.Below
	}
	if op == OpTakeSiblings || op == OpTakeMaster || op == OpRegroupReplicas {
		inst, err := o.probe.Discover(ctx, named, who)
		if err != nil {
			return res, err
		}
		res.Instance = inst
	}
	return res, nil
}

// checkedMove is the step of one move: the replica and its destination are
// read from a view computed now and checked (can-replicate-from by GTID, not
// in maintenance, no cycle) before the CHANGE MASTER.
func (o *Operator) checkedMove(m bulkMove, done map[events.InstanceKey]events.InstanceKey) actuators.OperationStep {
	r, dest := m.replica.Key, m.dest
	return actuators.OperationStep{Name: stepChangeSource + r.String(), Do: func(ctx context.Context) (string, error) {
		v := o.views.FreshView()
		ri, ok1 := v.Instance(r)
		di, ok2 := v.Instance(dest)
		if !ok1 || !ok2 {
			return "", fmt.Errorf("cannot move %s below %s: one of them is no longer in the topology", r, dest)
		}
		mode, err := o.checkMove(v, ri, di, done, "move")
		if err != nil {
			return "", err
		}
		catchUp := !ri.MasterKey.IsZero() && !below(v, ri.Key, dest, done)
		if err := o.moveTo(ctx, ri, dest, mode, nil, catchUp); err != nil {
			return "", err
		}
		done[r] = dest
		return "", nil
	}}
}

// checkMove checks a GTID move of r below dest against v: r not in
// maintenance and replicating with GTID, dest not below r, and the
// can-replicate-from rules. It returns how r continues.
// done are moves made before in the same operation.
func (o *Operator) checkMove(v *projections.View, r, dest *projections.Instance, done map[events.InstanceKey]events.InstanceKey, op string) (actuators.SourceMode, error) {
	if r.IsInMaintenance {
		return "", fmt.Errorf("Cannot begin maintenance for instance: %s; %s", r.Key, analysis.MaintenanceReason(r))
	}
	m, err := projections.RelocateMode(r, op)
	if err != nil {
		return "", err
	}
	mode := actuators.SourceMode(m)
	if below(v, dest.Key, r.Key, done) {
		return "", fmt.Errorf("cannot relocate %s below %s: %s replicates from %s", r.Key, dest.Key, dest.Key, r.Key)
	}
	lim := v.Settings().ReasonableMaintenanceReplicationLagSeconds
	if r.MasterKey.IsZero() {
		return mode, analysis.CanReplicateFrom(r, dest, lim)
	}
	return mode, analysis.CanReplicateFromGTID(r, dest, lim)
}

// below reports whether d replicates, directly or not, from k (or is k),
// with the moves in done made.
func below(v *projections.View, d, k events.InstanceKey, done map[events.InstanceKey]events.InstanceKey) bool {
	for hops := 0; !d.IsZero() && hops < 64; hops++ {
		if d == k {
			return true
		}
		if next, ok := done[d]; ok {
			d = next
			continue
		}
		di, ok := v.Instance(d)
		if !ok {
			return false
		}
		d = di.MasterKey
	}
	return false
}

// planBulk works out the moves of op and the result's skeleton.
func (o *Operator) planBulk(v *projections.View, op ReplicaOp, inst *projections.Instance, dest events.InstanceKey, re *regexp.Regexp) ([]bulkMove, BulkResult, error) {
	key := inst.Key
	var candidates []*projections.Instance
	switch op {
	case OpRelocateReplicas, OpMoveReplicasGTID:
		if _, ok := v.Instance(dest); !ok {
			return nil, BulkResult{}, fmt.Errorf("unknown instance %s", dest)
		}
		candidates = v.Replicas(key)
	case OpMoveUpReplicas:
		if inst.MasterKey.IsZero() {
			return nil, BulkResult{}, fmt.Errorf("cannot move up the replicas of %s: it is not a replica", key)
		}
		dest, candidates = inst.MasterKey, v.Replicas(key)
	case OpRepointReplicas:
		dest, candidates = key, v.Replicas(key)
	case OpTakeSiblings:
		if inst.MasterKey.IsZero() {
			return nil, BulkResult{}, fmt.Errorf("%s is not a replica: it has no siblings to take", key)
		}
		dest = key
		for _, s := range v.Replicas(inst.MasterKey) {
			if s.Key != key {
				candidates = append(candidates, s)
			}
		}
	case OpRegroupReplicas:
		return o.planRegroup(v, inst, re)
	case OpTakeMaster:
		return o.planTakeMaster(v, inst)
	default:
		return nil, BulkResult{}, fmt.Errorf("unknown bulk operation %q", op)
	}
	moves, skipped := o.checkAll(v, candidates, dest, re)
	return moves, BulkResult{Below: dest, Skipped: skipped}, nil
}

// checkAll checks each candidate's move below dest; the ones that fail
// are skipped with the reason, as are those pattern leaves out (silently)
// and dest itself.
func (o *Operator) checkAll(v *projections.View, candidates []*projections.Instance, dest events.InstanceKey, re *regexp.Regexp) ([]bulkMove, []string) {
	di, _ := v.Instance(dest)
	var moves []bulkMove
	var skipped []string
	for _, r := range candidates {
		if r.Key == dest || (re != nil && !re.MatchString(r.Key.String())) {
			continue
		}
		if _, err := o.checkMove(v, r, di, nil, "move"); err != nil {
			skipped = append(skipped, err.Error())
			continue
		}
		moves = append(moves, bulkMove{replica: r, dest: dest})
	}
	return moves, skipped
}

// planRegroup picks the best of inst's replicas (as a recovery would,
// orchestrator's regroup-replicas) and moves its siblings below it.
func (o *Operator) planRegroup(v *projections.View, inst *projections.Instance, re *regexp.Regexp) ([]bulkMove, BulkResult, error) {
	chosen, _, err := analysis.ChooseCandidate(v, inst.Key, o.params())
	if err != nil {
		return nil, BulkResult{}, fmt.Errorf("regroup-replicas: %w", err)
	}
	var siblings []*projections.Instance
	for _, r := range v.Replicas(inst.Key) {
		if r.Key != chosen {
			siblings = append(siblings, r)
		}
	}
	moves, skipped := o.checkAll(v, siblings, chosen, re)
	return moves, BulkResult{Below: chosen, Skipped: skipped}, nil
}

// planTakeMaster swaps inst with its source: inst goes below its source's
// source, then the source below inst. A replica of the cluster's primary
// is refused: taking the primary's place is a takeover.
func (o *Operator) planTakeMaster(v *projections.View, inst *projections.Instance) ([]bulkMove, BulkResult, error) {
	src, ok := v.Instance(inst.MasterKey)
	if inst.MasterKey.IsZero() || !ok {
		return nil, BulkResult{}, fmt.Errorf("%s has no known source to take", inst.Key)
	}
	if src.MasterKey.IsZero() {
		return nil, BulkResult{}, fmt.Errorf("%s replicates from the primary %s: taking the primary's place is a takeover (graceful-master-takeover -d %s)",
			inst.Key, src.Key, inst.Key)
	}
	grand, ok := v.Instance(src.MasterKey)
	if !ok {
		return nil, BulkResult{}, fmt.Errorf("unknown instance %s (the source of %s)", src.MasterKey, src.Key)
	}
	if _, err := o.checkMove(v, inst, grand, nil, string(OpTakeMaster)); err != nil {
		return nil, BulkResult{}, err
	}
	lim := v.Settings().ReasonableMaintenanceReplicationLagSeconds
	if err := analysis.CanReplicateFromGTID(src, inst, lim); err != nil {
		return nil, BulkResult{}, err
	}
	if src.IsInMaintenance {
		return nil, BulkResult{}, fmt.Errorf("Cannot begin maintenance for instance: %s; %s", src.Key, analysis.MaintenanceReason(src))
	}
	return []bulkMove{{replica: inst, dest: grand.Key}, {replica: src, dest: inst.Key}}, BulkResult{Below: grand.Key}, nil
}

// gtidSteps switch inst's GTID positioning: MariaDB MASTER_USE_GTID
// slave_pos or no, MySQL MASTER_AUTO_POSITION 1 or 0 (orchestrator's
// enable-gtid, disable-gtid).
func (o *Operator) gtidSteps(op ReplicaOp, inst *projections.Instance) ([]actuators.OperationStep, error) {
	if inst.MasterKey.IsZero() {
		return nil, fmt.Errorf("%s is not a replica: %s needs one", inst.Key, op)
	}
	m, ok := o.db.(gtidDB)
	if !ok {
		return nil, errors.New("the configured database actuator cannot switch GTID positioning")
	}
	enabled, key := op == OpEnableGTID, inst.Key
	if !enabled && !inst.UsingGTID() {
		return nil, fmt.Errorf("%s does not replicate with GTID: nothing to disable", key)
	}
	if enabled && !inst.IsMariaDB() && !strings.EqualFold(inst.GTIDMode, "ON") {
		return nil, fmt.Errorf("%s has gtid_mode %s: auto-positioning needs gtid_mode ON", key, inst.GTIDMode)
	}
	return []actuators.OperationStep{step(string(op), func(ctx context.Context) error { return m.SetGTIDPositioning(ctx, key, enabled) })}, nil
}

// designate makes candidate the chosen one of cands, if a recovery could
// promote it.
func designate(cands []events.Candidate, candidate events.InstanceKey) (events.InstanceKey, []events.Candidate, error) {
	i := slices.IndexFunc(cands, func(c events.Candidate) bool { return c.Key == candidate })
	if i < 0 {
		return candidate, cands, fmt.Errorf("candidate %s is not a replica of the failed instance", candidate)
	}
	if r, rejected := strings.CutPrefix(cands[i].Reason, "rejected: "); rejected {
		return candidate, cands, fmt.Errorf("candidate %s cannot be promoted: %s", candidate, r)
	}
	out := slices.Clone(cands)
	for j := range out {
		switch {
		case j == i && !out[j].Chosen:
			out[j].Chosen, out[j].Reason = true, "designated by the operator ("+out[j].Reason+")"
		case j != i && out[j].Chosen:
			out[j].Chosen, out[j].Reason = false, "not chosen: "+candidate.String()+" was designated"
		}
	}
	return candidate, out, nil
}

func recoverCommand(lite bool) string {
	if lite {
		return "recover-lite"
	}
	return "recover"
}

// moveTo points r at dest. With catchUp (dest is not upstream of r, so it
// may not have everything r executed yet: a sibling, a node elsewhere, r's
// old source taking r's place) r stops replicating first and dest is given
// until the step's bound to execute r's position, so that r never asks
// dest for a transaction dest does not have; if it does not get there r
// replicates from its old source again.
func (o *Operator) moveTo(ctx context.Context, r *projections.Instance, dest events.InstanceKey, mode actuators.SourceMode, creds *actuators.Credentials, catchUp bool) error {
	key := r.Key
	if catchUp {
		if err := o.db.StopReplica(ctx, key); err != nil {
			return err
		}
		st, err := o.db.Status(ctx, key)
		if err != nil {
			return errors.Join(err, o.db.StartReplica(context.WithoutCancel(ctx), key))
		}
		pos := st.GTIDExecuted
		if r.IsMariaDB() {
			pos = st.GTIDSlavePos
		}
		if pos != "" {
			if err := o.db.WaitGTID(ctx, dest, pos); err != nil {
				return errors.Join(fmt.Errorf("%s has not executed %s's position %s: %w", dest, key, pos, err),
					o.db.StartReplica(context.WithoutCancel(ctx), key))
			}
		}
	}
	return o.db.ChangeSource(ctx, key, dest, mode, creds)
}

// catchUp brings a designated candidate to the position of best, the
// replica the recovery would have chosen, before the candidate is promoted
// (as orchestrator, which promotes the best and then lets the candidate
// take over): a candidate behind its siblings would otherwise lose their
// transactions and leave them unable to replicate from it. It is one
// manual operation (recover-catch-up) on the candidate: best's relay log
// applied, the candidate pointed at best, and waited for until it executed
// best's position.
func (o *Operator) catchUp(ctx context.Context, cand, best events.InstanceKey, who string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.opBound)
	defer cancel()
	db := o.db
	mariaDB := false
	if bi, ok := o.views.FreshView().Instance(best); ok {
		mariaDB = bi.IsMariaDB()
	}
	var pos string
	steps := []actuators.OperationStep{
		step("wait-relay-applied", func(ctx context.Context) error { return db.WaitRelayApplied(ctx, best) }),
		step("change-source", func(ctx context.Context) error {
			st, err := db.Status(ctx, best)
			if err != nil {
				return err
			}
			if pos = st.GTIDExecuted; mariaDB {
				pos = st.GTIDSlavePos
			}
			return db.ChangeSource(ctx, cand, best, actuators.SlavePos, nil)
		}),
		{Name: "wait-gtid", Do: func(ctx context.Context) (string, error) {
			if pos == "" {
				return "", fmt.Errorf("%s shows no GTID position to catch up to", best)
			}
			return "at " + pos, db.WaitGTID(ctx, cand, pos)
		}},
	}
	_, err := o.operate(ctx, "recover-catch-up", cand, "below "+best.String(), who, steps...)
	return err
}
