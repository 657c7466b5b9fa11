package analysis

import (
	"fmt"
	"sort"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// SemiSyncReplicasToEnable is orchestrator's AnalyzeSemiSyncReplicaTopology
// for RecoverLockedSemiSyncMaster (the "enough" topology): among the
// primary's replicas that the nodes reach and that replicate, those with a
// semi-sync priority (DetectSemiSyncEnforcedQuery > 0) in priority order
// (higher priority, then better promotion rule, then name), the ones
// without semi-sync enabled, until rpl_semi_sync_master_wait_for_slave_count
// minus the primary's current semi-sync clients are enabled. It never
// disables one. An empty list is an error: nothing can unlock the primary.
func SemiSyncReplicasToEnable(v *projections.View, master events.InstanceKey) ([]events.InstanceKey, error) {
	enable, _, err := SemiSyncActions(v, master, false)
	return enable, err
}

// SemiSyncActions returns the replicas to turn semi-sync on and off on.
// exact is EnforceExactSemiSyncReplicas: the first wait-count replicas in
// priority order must have it, every other replica must not (asynchronous
// ones, priority 0, included); otherwise the "enough" rule of
// SemiSyncReplicasToEnable, which disables none. No action at all is an
// error wrapping ErrNoCandidate.
func SemiSyncActions(v *projections.View, master events.InstanceKey, exact bool) (enable, disable []events.InstanceKey, err error) {
	m, ok := v.Instance(master)
	if !ok {
		return nil, nil, fmt.Errorf("semi-sync replicas of %s: not in the view", master)
	}
	var possible, async []*projections.Instance
	for _, r := range v.Replicas(master) {
		switch {
		case !r.IsLastCheckValid || !r.ReplicaRunning():
		case r.SemiSyncPriority == 0:
			async = append(async, r)
		default:
			possible = append(possible, r)
		}
	}
	sortBySemiSyncPriority(possible)
	wait := m.SemiSyncMasterWaitForReplicaCount
	if exact {
		for i, r := range possible {
			should := uint(i) < wait
			switch {
			case should && !r.SemiSyncReplicaEnabled:
				enable = append(enable, r.Key)
			case !should && r.SemiSyncReplicaEnabled:
				disable = append(disable, r.Key)
			}
		}
		for _, r := range async {
			if r.SemiSyncReplicaEnabled {
				disable = append(disable, r.Key)
			}
		}
	} else {
		var want uint
		if wait > m.SemiSyncMasterClients {
			want = wait - m.SemiSyncMasterClients
		}
		for _, r := range possible {
			if uint(len(enable)) >= want {
				break
			}
			if !r.SemiSyncReplicaEnabled {
				enable = append(enable, r.Key)
			}
		}
	}
	if len(enable) == 0 && len(disable) == 0 {
		return nil, nil, fmt.Errorf("semi-sync replicas of %s: %w: %d of its replicas replicate with a semi-sync priority, no change reaches wait count %d (clients %d)",
			master, ErrNoCandidate, len(possible), wait, m.SemiSyncMasterClients)
	}
	return enable, disable, nil
}

// sortBySemiSyncPriority orders replicas as orchestrator's
// classifyAndPrioritizeReplicas: higher semi-sync priority, then better
// promotion rule, then name.
func sortBySemiSyncPriority(possible []*projections.Instance) {
	sort.SliceStable(possible, func(i, j int) bool {
		a, b := possible[i], possible[j]
		if a.SemiSyncPriority != b.SemiSyncPriority {
			return a.SemiSyncPriority > b.SemiSyncPriority
		}
		if ra, rb := semiSyncRuleRank(a.PromotionRule), semiSyncRuleRank(b.PromotionRule); ra != rb {
			return ra < rb
		}
		return a.Key.String() < b.Key.String()
	})
}

// semiSyncRuleRank orders promotion rules best first, as orchestrator's
// CandidatePromotionRule.BetterThan.
func semiSyncRuleRank(rule string) int {
	switch rule {
	case projections.PromotionMust:
		return 0
	case projections.PromotionPrefer:
		return 1
	case projections.PromotionPreferNot:
		return 3
	case projections.PromotionMustNot:
		return 4
	}
	return 2
}
