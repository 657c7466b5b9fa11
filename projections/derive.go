package projections

import (
	"sort"
	"strings"

	"github.com/regent-ha/regent/events/gtid"
)

// Problem names, as orchestrator's.
const (
	ProblemLastCheckInvalid   = "last_check_invalid"
	ProblemNotRecentlyChecked = "not_recently_checked"
	ProblemNotReplicating     = "not_replicating"
	ProblemReplicationLag     = "replication_lag"
	ProblemErrantGTID         = "errant_gtid"
)

func problems(inst *Instance, s *Settings) []string {
	out := []string{}
	switch {
	case !inst.IsLastCheckValid:
		out = append(out, ProblemLastCheckInvalid)
	case !inst.IsRecentlyChecked:
		out = append(out, ProblemNotRecentlyChecked)
	case inst.ReplicationThreadsExist() && !inst.ReplicaRunning():
		out = append(out, ProblemNotReplicating)
	case inst.ReplicationLagSeconds.Valid && abs(inst.ReplicationLagSeconds.Int64-int64(inst.SQLDelay)) > s.ReasonableReplicationLagSeconds:
		out = append(out, ProblemReplicationLag)
	}
	if inst.GtidErrant != "" {
		out = append(out, ProblemErrantGTID)
	}
	return out
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// ancestors returns the instances above i (its source first), stopping at a
// ring.
func (v *View) ancestors(res []clusterRes, i int) []*Instance {
	var out []*Instance
	seen := map[int]bool{i: true}
	for m := res[i].master; m >= 0 && !seen[m]; m = res[m].master {
		seen[m] = true
		out = append(out, v.instances[m])
	}
	return out
}

// deriveGTID sets AncestryUUID and GtidErrant.
func (v *View) deriveGTID(inst *Instance, res []clusterRes, i int) {
	anc := v.ancestors(res, i)
	uuids := make([]string, 0, len(anc)+1)
	for j := len(anc) - 1; j >= 0; j-- {
		if u := anc[j].ServerUUID; u != "" {
			uuids = append(uuids, u)
		}
	}
	if inst.ServerUUID != "" {
		uuids = append(uuids, inst.ServerUUID)
	}
	inst.AncestryUUID = strings.Join(uuids, ",")
	if len(anc) == 0 {
		return
	}
	master := anc[0]
	if inst.ExecutedGtidSet != "" && master.ExecutedGtidSet != "" {
		inst.GtidErrant = mysqlErrant(inst, master, anc)
		return
	}
	if inst.IsMariaDB() && master.IsMariaDB() {
		inst.GtidErrant = mariadbErrant(inst, master, anc)
	}
}

func mysqlErrant(inst, master *Instance, anc []*Instance) string {
	replica, err := gtid.ParseSet(inst.ExecutedGtidSet)
	if err != nil {
		return ""
	}
	source, err := gtid.ParseSet(master.ExecutedGtidSet)
	if err != nil {
		return ""
	}
	ignore := make([]string, 0, len(anc)+1)
	for _, a := range anc {
		if a.ServerUUID != inst.ServerUUID {
			ignore = append(ignore, a.ServerUUID)
		}
	}
	if inst.IsCoMaster {
		ignore = append(ignore, inst.ServerUUID)
	}
	return gtid.MySQLErrant(replica, source, ignore).String()
}

// mariadbErrant compares the replica's gtid_binlog_state with the
// primary's, per domain and server id (gtid.MariaDBErrantState); without
// both states (an observation from before Regent read them, or a replica
// without a binary log) it falls back to the per-domain positions.
func mariadbErrant(inst, master *Instance, anc []*Instance) string {
	upstream := make([]uint32, 0, len(anc)+1)
	for _, a := range anc {
		if a.ServerID != inst.ServerID || inst.IsCoMaster {
			upstream = append(upstream, uint32(a.ServerID))
		}
	}
	if inst.IsCoMaster {
		upstream = append(upstream, uint32(inst.ServerID))
	}
	if rs, ms := inst.MariaDBGTID.BinlogState, master.MariaDBGTID.BinlogState; rs != "" && ms != "" {
		replica, err1 := gtid.ParseList(rs)
		source, err2 := gtid.ParseList(ms)
		if err1 != nil || err2 != nil {
			return ""
		}
		return gtid.MariaDBErrantState(replica, source, upstream).String()
	}
	rpos := pick(inst.MariaDBGTID.CurrentPos, inst.MariaDBGTID.BinlogPos)
	mpos := pick(master.MariaDBGTID.BinlogPos, master.MariaDBGTID.CurrentPos)
	if rpos == "" || mpos == "" {
		return ""
	}
	replica, err1 := gtid.ParseList(rpos)
	source, err2 := gtid.ParseList(mpos)
	if err1 != nil || err2 != nil {
		return ""
	}
	return gtid.MariaDBErrant(replica, source, upstream).String()
}

// buildClusters derives per-cluster facts and each instance's suggested alias.
func (t *Topology) buildClusters(v *View) {
	for _, inst := range v.instances {
		name := inst.ClusterName
		ci := v.byCluster[name]
		if ci == nil {
			ci = t.newClusterInfo(name, v.members[name])
			v.byCluster[name] = ci
			v.clusters = append(v.clusters, ci)
		}
		if ci.ClusterAlias != name {
			inst.SuggestedClusterAlias = ci.ClusterAlias
		}
	}
	sortClusters(v.clusters)
}

func (t *Topology) newClusterInfo(name string, members []*Instance) *ClusterInfo {
	ci := &ClusterInfo{ClusterName: name, CountInstances: uint(len(members))}
	var root *Instance
	for _, m := range members {
		if m.ReplicationDepth == 0 && root == nil {
			root = m
		}
	}
	detAlias, detDomain := "", ""
	if root != nil {
		detAlias, detDomain = root.DetectedClusterAlias, root.DetectedClusterDomain
	}
	for _, m := range members {
		detAlias = pick(detAlias, m.DetectedClusterAlias)
		detDomain = pick(detDomain, m.DetectedClusterDomain)
		if m.ReplicationDepth > 0 && !m.IsDowntimed && m.ReplicationLagSeconds.Valid && m.ReplicationLagSeconds.Int64 > ci.HeuristicLag {
			ci.HeuristicLag = m.ReplicationLagSeconds.Int64
		}
	}
	ci.ClusterAlias = pick(t.aliases[name], pick(t.s.configuredAlias(t.c, name), pick(detAlias, name)))
	ci.ClusterDomain = detDomain
	ci.HasAutomatedMasterRecovery = matchClusterFilters(t.c.recoverMaster, name, ci.ClusterAlias)
	ci.HasAutomatedIntermediateMasterRecovery = matchClusterFilters(t.c.recoverIM, name, ci.ClusterAlias)
	return ci
}

func sortClusters(cs []*ClusterInfo) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].ClusterName < cs[j].ClusterName })
}
