package projections

import (
	"fmt"

	"github.com/regent-ha/regent/events"
)

// applyInventory folds the inventory kinds. It decodes before changing
// anything, so a bad payload leaves the state as it was.
func (t *Topology) applyInventory(e events.Envelope) error {
	switch e.Kind {
	case events.KindInstanceDiscovered:
		var p events.InstanceDiscovered
		if err := decodeKeyed(e, &p, &p.Key); err != nil {
			return err
		}
		delete(t.tombstones, p.Key)
		t.member(p.Key, e.Time).discovered = true
	case events.KindInstanceForgotten:
		var p events.InstanceForgotten
		if err := decodeKeyed(e, &p, &p.Key); err != nil {
			return err
		}
		t.forget(p.Key)
	case events.KindClusterForgotten:
		var p events.ClusterForgotten
		if err := e.Decode(&p); err != nil {
			return err
		}
		for _, k := range t.clusterMembers(p.ClusterName) {
			t.forget(k)
		}
	case events.KindClusterAliasSet:
		var p events.ClusterAliasSet
		if err := e.Decode(&p); err != nil {
			return err
		}
		if p.ClusterName == "" {
			return fmt.Errorf("cluster alias %q without cluster name", p.Alias)
		}
		if p.Alias == "" {
			delete(t.aliases, p.ClusterName)
		} else {
			t.aliases[p.ClusterName] = p.Alias
		}
	case events.KindCandidateRegistered:
		var p events.CandidateRegistered
		if err := decodeKeyed(e, &p, &p.Key); err != nil {
			return err
		}
		t.candidates[p.Key] = candidate{rule: p.PromotionRule, until: p.Until, at: e.Time}
	case events.KindDowntimeBegun:
		var p events.DowntimeBegun
		if err := decodeKeyed(e, &p, &p.Key); err != nil {
			return err
		}
		t.downtimes[p.Key] = downtime{owner: p.Owner, reason: p.Reason, began: e.Time, until: p.Until}
	case events.KindDowntimeEnded:
		var p events.DowntimeEnded
		if err := decodeKeyed(e, &p, &p.Key); err != nil {
			return err
		}
		delete(t.downtimes, p.Key)
	}
	return nil
}

func decodeKeyed(e events.Envelope, v any, key *events.InstanceKey) error {
	if err := e.Decode(v); err != nil {
		return err
	}
	return checkKey(*key)
}

func (t *Topology) forget(k events.InstanceKey) {
	delete(t.instances, k)
	t.tombstones[k] = struct{}{}
}

// clusterMembers lists the keys whose cluster, as the state stands, is name.
func (t *Topology) clusterMembers(name string) []events.InstanceKey {
	keys := t.sortedKeys()
	masters := make([]events.InstanceKey, len(keys))
	for i, k := range keys {
		if o := t.instances[k].obs; o != nil && o.Replication != nil {
			masters[i] = o.Replication.SourceKey
		}
	}
	res := resolveClusters(keys, masters)
	var out []events.InstanceKey
	for i, k := range keys {
		if res[i].name == name {
			out = append(out, k)
		}
	}
	return out
}
