package analysis

import (
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// Why texts of a semi-sync move that changes nothing.
const (
	semiSyncNoPriority = "no semi-sync priority (DetectSemiSyncEnforcedQuery)"
	semiSyncAsWanted   = "semi-sync already as wanted"
)

// The moves name the wanted state, not a change from the view's: a view
// a poll behind would otherwise skip a setting, and the actuator reads the
// server's current value and leaves it alone when it is already right (as
// orchestrator re-reads the instance before each setting).

// PromotionSemiSync is what orchestrator does to semi-sync settings on a
// promotion, for servers with a semi-sync priority (DetectSemiSyncEnforcedQuery
// > 0): the promoted server turns its source side on before it takes
// writes (SetReadOnly false); each re-pointed replica turns its source side
// off and its replica side on unless its promotion rule is must_not
// (StartReplication: MaybeDisableSemiSyncMaster, MaybeEnableSemiSyncReplica);
// with RecoverLockedSemiSyncMaster or EnforceExactSemiSyncReplicas the
// replica side follows the successor's wait count in priority order instead
// (the "enough" or "exact" rule of SemiSyncActions); a demoted primary
// (demoted non-zero: a graceful takeover) turns its source side off
// (SetReadOnly true) and sets its replica side as a re-pointed replica's
// (demotedMove). One move per server: the successor, then replicas,
// then the demoted primary. Nil when no server of the plan has a priority:
// orchestrator then touches nothing.
func PromotionSemiSync(v *projections.View, successor events.InstanceKey, replicas []events.InstanceKey, demoted events.InstanceKey, recoverLocked, exact bool) []events.SemiSyncMove {
	s, ok := v.Instance(successor)
	if !ok {
		return nil
	}
	var rs []*projections.Instance
	for _, k := range replicas {
		if r, ok := v.Instance(k); ok {
			rs = append(rs, r)
		}
	}
	var old *projections.Instance
	if !demoted.IsZero() {
		old, _ = v.Instance(demoted)
	}
	some := s.SemiSyncPriority > 0 || (old != nil && old.SemiSyncPriority > 0)
	for _, r := range rs {
		some = some || r.SemiSyncPriority > 0
	}
	if !some {
		return nil
	}
	moves := []events.SemiSyncMove{sourceMove(s)}
	want := legacyReplicaSide(rs)
	if recoverLocked || exact {
		want = analyzedReplicaSide(s, rs, exact)
	}
	for _, r := range rs {
		moves = append(moves, replicaMove(r, want[r.Key]))
	}
	if old != nil {
		moves = append(moves, demotedMove(s, old, rs, want, recoverLocked || exact, exact))
	}
	return moves
}

// demotedMove: the demoted primary of a graceful takeover turns its source
// side off (SetReadOnly true) and, as it replicates from the promoted
// server, sets its replica side as a re-pointed replica's: orchestrator's
// StartReplication (MaybeEnableSemiSyncReplica), which -auto runs at once
// and start-replica later. With the analyzed rules it is decided as
// StartReplication decides it, after the re-pointed replicas' moves: their
// replica side as the moves leave it, the demoted primary among them.
func demotedMove(s, old *projections.Instance, rs []*projections.Instance, want map[events.InstanceKey]*bool, analyzed, exact bool) events.SemiSyncMove {
	side := legacyReplicaSide([]*projections.Instance{old})[old.Key]
	if analyzed {
		after := make([]*projections.Instance, 0, len(rs)+1)
		for _, r := range rs {
			c := *r
			if w := want[r.Key]; w != nil {
				c.SemiSyncReplicaEnabled = *w
			}
			after = append(after, &c)
		}
		side = analyzedReplicaSide(s, append(after, old), exact)[old.Key]
	}
	return replicaMove(old, side)
}

// sourceMove turns the source side of the promoted server on when it has
// a priority.
func sourceMove(i *projections.Instance) events.SemiSyncMove {
	m := events.SemiSyncMove{Target: i.Key}
	switch {
	case i.SemiSyncPriority == 0:
		m.Why = semiSyncNoPriority
	default:
		on := true
		m.Master = &on
	}
	return m
}

// replicaMove: a re-pointed replica with a priority turns its source side
// off, and its replica side to want (nil: unchanged).
func replicaMove(r *projections.Instance, want *bool) events.SemiSyncMove {
	m := events.SemiSyncMove{Target: r.Key}
	if r.SemiSyncPriority > 0 {
		off := false
		m.Master = &off
	}
	if want != nil {
		w := *want
		m.Replica = &w
	}
	if m.Master == nil && m.Replica == nil {
		m.Why = semiSyncAsWanted // RecoverLockedSemiSyncMaster: enough replicas have it
		if r.SemiSyncPriority == 0 {
			m.Why = semiSyncNoPriority
		}
	}
	return m
}

// legacyReplicaSide is orchestrator's maybeEnableSemiSyncReplicaLegacy:
// replicas with a priority send ACKs unless they must never be promoted.
func legacyReplicaSide(rs []*projections.Instance) map[events.InstanceKey]*bool {
	want := map[events.InstanceKey]*bool{}
	for _, r := range rs {
		if r.SemiSyncPriority > 0 {
			on := r.PromotionRule != projections.PromotionMustNot
			want[r.Key] = &on
		}
	}
	return want
}

// analyzedReplicaSide is AnalyzeSemiSyncReplicaTopology below the promoted
// server: the replicas with a priority, in priority order, against its
// rpl_semi_sync_master_wait_for_slave_count. exact: the first wait-count
// ones on, the others (and asynchronous ones) off; otherwise the first
// ones without it turn it on until wait count replicas have it, none off.
func analyzedReplicaSide(s *projections.Instance, rs []*projections.Instance, exact bool) map[events.InstanceKey]*bool {
	var possible, async []*projections.Instance
	for _, r := range rs {
		switch {
		case !r.IsLastCheckValid:
		case r.SemiSyncPriority == 0:
			async = append(async, r)
		default:
			possible = append(possible, r)
		}
	}
	sortBySemiSyncPriority(possible)
	wait := s.SemiSyncMasterWaitForReplicaCount
	want := map[events.InstanceKey]*bool{}
	on, off := true, false
	if exact {
		for i, r := range possible {
			if uint(i) < wait {
				want[r.Key] = &on
			} else {
				want[r.Key] = &off
			}
		}
		for _, r := range async {
			want[r.Key] = &off
		}
		return want
	}
	var have uint
	for _, r := range possible {
		if r.SemiSyncReplicaEnabled {
			have++
		}
	}
	for _, r := range possible {
		if have >= wait {
			break
		}
		if !r.SemiSyncReplicaEnabled {
			want[r.Key] = &on
			have++
		}
	}
	return want
}

// StartReplicaSemiSync is what orchestrator's StartReplication does to a
// replica's semi-sync settings before START SLAVE (MaybeDisableSemiSyncMaster,
// MaybeEnableSemiSyncReplica): a replica with a semi-sync priority whose
// source side is on turns it off; its replica side follows the legacy rule
// (on unless must_not, for a priority > 0) or, with RecoverLockedSemiSyncMaster
// or EnforceExactSemiSyncReplicas, the "enough"/"exact" rule among its
// source's replicas in the view — for this replica only, as orchestrator
// (another replica's need is left to a later recovery). ok is false when
// there is nothing to set.
func StartReplicaSemiSync(v *projections.View, replica events.InstanceKey, recoverLocked, exact bool) (events.SemiSyncMove, bool) {
	r, found := v.Instance(replica)
	if !found {
		return events.SemiSyncMove{}, false
	}
	m := events.SemiSyncMove{Target: r.Key}
	if r.SemiSyncPriority > 0 && r.SemiSyncMasterEnabled {
		off := false
		m.Master = &off
	}
	want := legacyReplicaSide([]*projections.Instance{r})
	if recoverLocked || exact {
		want = map[events.InstanceKey]*bool{}
		if s, ok := v.Instance(r.MasterKey); ok {
			want = analyzedReplicaSide(s, v.Replicas(s.Key), exact)
		}
	}
	if w := want[r.Key]; w != nil {
		on := *w
		m.Replica = &on
	}
	return m, m.Master != nil || m.Replica != nil
}
