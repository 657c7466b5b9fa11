package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// ReadToolsOptions are the settings the tool-facing reads use.
type ReadToolsOptions struct {
	// Rules are can-replicate-from's settings.
	Rules projections.ReplicateRules
	// OSCIgnore (OSCIgnoreHostnameFilters) leaves hosts out of
	// cluster-osc-replicas.
	OSCIgnore projections.HostnameFilters
	// The filters automated-recovery-filters reports, as configured.
	RecoverMasterClusterFilters             []string
	RecoverIntermediateMasterClusterFilters []string
	RecoveryIgnoreHostnameFilters           []string
}

// RegisterReadTools adds the reads that scripts, online-schema-change
// wrappers and runbooks call (orchestrator's paths and JSON shapes):
// cluster-osc-replicas, downtimed, can-replicate-from[-gtid],
// in-maintenance, restart-replica-statements, cluster[-info]/alias,
// cluster/instance, automated-recovery-filters, recently-active-*-recovery,
// bulk-instances, bulk-promotion-rules and snapshot-topologies. recs may be nil when the
// recovery reads are not served (preflight).
func (s *Server) RegisterReadTools(v Views, recs RecoveryReader, o ReadToolsOptions) {
	t := &readTools{reader: &reader{s: s, views: v}, recs: recs, opts: o}
	for _, p := range []string{"cluster-osc-replicas", "cluster-osc-slaves"} {
		s.Handle("GET /api/"+p+"/{clusterHint}", t.oscReplicas)
		s.Handle("GET /api/"+p+"/{host}/{port}", t.oscReplicas)
	}
	s.Handle("GET /api/downtimed", t.downtimed)
	s.Handle("GET /api/downtimed/{$}", t.downtimed) // orchestrator-client's call without -i/-a
	s.Handle("GET /api/downtimed/{clusterHint}", t.downtimed)
	s.Handle("GET /api/downtimed/{host}/{port}", t.downtimed)
	s.Handle("GET /api/can-replicate-from/{host}/{port}/{dhost}/{dport}", t.canReplicateFrom(false))
	s.Handle("GET /api/can-replicate-from-gtid/{host}/{port}/{dhost}/{dport}", t.canReplicateFrom(true))
	s.Handle("GET /api/in-maintenance/{host}/{port}", t.inMaintenance)
	for _, p := range []string{"restart-replica-statements", "restart-slave-statements"} {
		s.Handle("GET /api/"+p+"/{host}/{port}", t.restartStatements)
	}
	s.Handle("GET /api/cluster/alias/{clusterAlias}", t.byAlias(t.cluster))
	s.Handle("GET /api/cluster-info/alias/{clusterAlias}", t.byAlias(t.clusterInfo))
	s.Handle("GET /api/cluster/instance/{host}/{port}", t.clusterByInstance)
	s.Handle("GET /api/automated-recovery-filters", t.recoveryFilters)
	s.Handle("GET /api/recently-active-cluster-recovery/{clusterName}", t.recentlyActiveCluster)
	s.Handle("GET /api/recently-active-instance-recovery/{host}/{port}", t.recentlyActiveInstance)
	s.Handle("GET /api/bulk-instances", t.bulkInstances)
	s.Handle("GET /api/bulk-promotion-rules", t.bulkPromotionRules)
	s.Handle("GET /api/snapshot-topologies", t.snapshotTopologies)
}

type readTools struct {
	*reader
	recs RecoveryReader
	opts ReadToolsOptions
}

func (t *readTools) oscReplicas(w http.ResponseWriter, req *http.Request) {
	v := t.views.View()
	name, err := t.clusterName(v, req)
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondBare(w, nonNil(v.OSCReplicas(name, t.opts.OSCIgnore)))
}

// downtimed lists downtimed instances, of one cluster when a hint is given.
func (t *readTools) downtimed(w http.ResponseWriter, req *http.Request) {
	v := t.views.View()
	name := ""
	if req.PathValue("clusterHint") != "" || req.PathValue("host") != "" {
		var err error
		if name, err = t.clusterName(v, req); err != nil {
			respondError(w, err.Error(), nil)
			return
		}
	}
	respondBare(w, v.Downtimed(name))
}

// twoInstances reads {host}/{port} and {dhost}/{dport} from the view.
func (t *readTools) twoInstances(v *projections.View, req *http.Request) (*projections.Instance, *projections.Instance, error) {
	var out [2]*projections.Instance
	for i, prefix := range []string{"", "d"} {
		k, err := pathKey(req, prefix)
		if err != nil {
			return nil, nil, err
		}
		inst, ok := v.Instance(k)
		if !ok {
			return nil, nil, errors.New("Cannot read instance: " + k.String())
		}
		out[i] = inst
	}
	return out[0], out[1], nil
}

// canReplicateFrom answers orchestrator's can-replicate-from[-gtid]:
// Message "true" or "false", Details the would-be source's key; a rule
// that refuses is an ERROR naming it, as orchestrator.
func (t *readTools) canReplicateFrom(gtid bool) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		inst, src, err := t.twoInstances(t.views.View(), req)
		if err != nil {
			respondError(w, err.Error(), nil)
			return
		}
		if err := projections.CanReplicateFrom(inst, src, t.opts.Rules); err != nil {
			respondError(w, err.Error(), nil)
			return
		}
		if gtid {
			if err := projections.CheckMoveViaGTID(inst, src); err != nil {
				respondError(w, err.Error(), nil)
				return
			}
		}
		respondOK(w, "true", src.Key)
	}
}

// inMaintenance answers Message "true" with the key as Details, or
// "false" with "" (orchestrator's shape; an unknown instance is not in
// maintenance).
func (t *readTools) inMaintenance(w http.ResponseWriter, req *http.Request) {
	k, err := t.instanceKey(req)
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	inst, ok := t.views.View().Instance(k)
	if ok && inst.IsInMaintenance {
		respondOK(w, "true", k.String())
		return
	}
	respondOK(w, "false", "")
}

// restartStatements wraps ?q= in the stop/start statements that return the
// replica to its current thread states (as last observed).
func (t *readTools) restartStatements(w http.ResponseWriter, req *http.Request) {
	if !t.s.authorizedForAction(req) {
		respondError(w, "Unauthorized", nil)
		return
	}
	q := strings.TrimSpace(req.URL.Query().Get("q")) // orchestrator-client sends a trailing %0A
	if err := events.ValidText(q, maxReasonLen); err != nil {
		respondBadParameter(w, "q", err)
		return
	}
	k, err := t.instanceKey(req)
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	inst, ok := t.views.View().Instance(k)
	if !ok {
		respondError(w, "Cannot read instance: "+k.String(), nil)
		return
	}
	respondOK(w, "statements for: "+k.String(), RestartStatements(inst, q))
}

// RestartStatements are orchestrator's GetReplicationRestartPreserveStatements:
// stop the running threads, run q, start them again.
func RestartStatements(inst *projections.Instance, q string) []string {
	term := func(s string) string { return strings.TrimRight(strings.TrimSpace(s), ";") + ";" }
	out := []string{}
	add := func(cond bool, s string) {
		if cond {
			out = append(out, term(s))
		}
	}
	add(inst.ReplicationIOThreadRunning, "stop slave io_thread")
	add(inst.ReplicationSQLThreadRunning, "stop slave sql_thread")
	add(q != "", q)
	add(inst.ReplicationSQLThreadRunning, "start slave sql_thread")
	add(inst.ReplicationIOThreadRunning, "start slave io_thread")
	return out
}

// byAlias resolves {clusterAlias} by exact alias (or cluster name), as
// orchestrator's GetClusterByAlias, then serves h for that cluster.
func (t *readTools) byAlias(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		alias := req.PathValue("clusterAlias")
		if err := events.ValidText(alias, events.MaxTextLen); err != nil || alias == "" {
			if err == nil {
				err = errors.New("empty")
			}
			respondBadParameter(w, "clusterAlias", err)
			return
		}
		name := ""
		for _, c := range t.views.View().Clusters() {
			if c.ClusterAlias == alias || c.ClusterName == alias {
				name = c.ClusterName
				break
			}
		}
		if name == "" {
			respondError(w, "No cluster found for alias "+alias, nil)
			return
		}
		req.SetPathValue("clusterHint", name)
		h(w, req)
	}
}

func (t *readTools) clusterByInstance(w http.ResponseWriter, req *http.Request) {
	k, err := t.instanceKey(req)
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	v := t.views.View()
	inst, ok := v.Instance(k)
	if !ok {
		respondError(w, "Cannot read instance: "+k.String(), nil)
		return
	}
	respondBare(w, nonNil(v.ClusterInstances(inst.ClusterName)))
}

// recoveryFilters answers the configured filters as orchestrator does.
func (t *readTools) recoveryFilters(w http.ResponseWriter, _ *http.Request) {
	respondOK(w, "Automated recovery configuration details", map[string][]string{
		"RecoverMasterClusterFilters":             nonNil(t.opts.RecoverMasterClusterFilters),
		"RecoverIntermediateMasterClusterFilters": nonNil(t.opts.RecoverIntermediateMasterClusterFilters),
		"RecoveryIgnoreHostnameFilters":           nonNil(t.opts.RecoveryIgnoreHostnameFilters),
	})
}

// recentlyActive are the recoveries still in their active period: not
// acknowledged and started less than RecoveryPeriodBlockSeconds ago
// (orchestrator's in_active_period), newest first.
func (t *readTools) recentlyActive(keep func(analysis.TopologyRecovery) bool) []analysis.TopologyRecovery {
	now := t.views.View().Now()
	block := t.recs.AnalysisParams().RecoveryPeriodBlock
	out := []analysis.TopologyRecovery{}
	for _, r := range t.recs.Recoveries().Recent("") {
		if !r.Acknowledged && now.Before(r.StartedAt.Add(block)) && keep(r) {
			out = append(out, r)
		}
	}
	return out
}

func (t *readTools) recentlyActiveCluster(w http.ResponseWriter, req *http.Request) {
	name := req.PathValue("clusterName")
	if err := events.ValidText(name, events.MaxTextLen); err != nil {
		respondBadParameter(w, "clusterName", err)
		return
	}
	respondBare(w, t.recentlyActive(func(r analysis.TopologyRecovery) bool {
		return r.AnalysisEntry.ClusterDetails.ClusterName == name
	}))
}

func (t *readTools) recentlyActiveInstance(w http.ResponseWriter, req *http.Request) {
	k, err := t.instanceKey(req)
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondBare(w, t.recentlyActive(func(r analysis.TopologyRecovery) bool { return r.Failed() == k }))
}

// bulkInstances lists every known instance's key, sorted (orchestrator's
// BulkReadInstance); it needs the right to act, as orchestrator.
func (t *readTools) bulkInstances(w http.ResponseWriter, req *http.Request) {
	if !t.s.authorizedForAction(req) {
		respondError(w, "Unauthorized", nil)
		return
	}
	keys := []events.InstanceKey{}
	for _, i := range t.views.View().Instances() {
		keys = append(keys, i.Key)
	}
	respondBare(w, keys)
}

// bulkPromotionRules lists the registered promotion rules in force
// (orchestrator's BulkReadCandidateDatabaseInstance); it needs the right to
// act, as orchestrator.
func (t *readTools) bulkPromotionRules(w http.ResponseWriter, req *http.Request) {
	if !t.s.authorizedForAction(req) {
		respondError(w, "Unauthorized", nil)
		return
	}
	rules := t.views.View().CandidateRules()
	if len(rules) == 0 {
		respondBare(w, nil) // orchestrator's list starts nil: null
		return
	}
	respondBare(w, rules)
}

// snapshotTopologies answers as orchestrator. Regent needs no snapshot:
// every observation of every instance is already an event in the log, so
// there is nothing to do and nothing to time.
func (t *readTools) snapshotTopologies(w http.ResponseWriter, _ *http.Request) {
	respondOK(w, "Topology Snapshot completed", "Took 0s")
}
