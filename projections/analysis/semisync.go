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
	m, ok := v.Instance(master)
	if !ok {
		return nil, fmt.Errorf("semi-sync replicas of %s: not in the view", master)
	}
	var possible []*projections.Instance
	for _, r := range v.Replicas(master) {
		if r.IsLastCheckValid && r.ReplicaRunning() && r.SemiSyncPriority > 0 {
			possible = append(possible, r)
		}
	}
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
	var want uint
	if m.SemiSyncMasterWaitForReplicaCount > m.SemiSyncMasterClients {
		want = m.SemiSyncMasterWaitForReplicaCount - m.SemiSyncMasterClients
	}
	var out []events.InstanceKey
	for _, r := range possible {
		if uint(len(out)) >= want {
			break
		}
		if !r.SemiSyncReplicaEnabled {
			out = append(out, r.Key)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("semi-sync replicas of %s: %w: %d of its replicas replicate with a semi-sync priority, none can be enabled to reach wait count %d (clients %d)",
			master, ErrNoCandidate, len(possible), m.SemiSyncMasterWaitForReplicaCount, m.SemiSyncMasterClients)
	}
	return out, nil
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
