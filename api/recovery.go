package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/regent-ha/regent/control"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// auditPageSize is orchestrator's AuditPageSize default: the entries per
// page of the audit lists.
const auditPageSize = 20

// RecoveryReader gives the recovery fold (a copy the caller may keep) and
// the analysis parameters of this node's configuration.
type RecoveryReader interface {
	Recoveries() *analysis.Recoveries
	AnalysisParams() analysis.Params
}

// Operations are the manual operations. The API calls them on the leader
// only (requests to a follower are forwarded); each returns once the
// operation is done and recorded, and this node's views show it.
type Operations interface {
	// Recover recovers failed now if the analysis shows an actionable
	// failure for it, and returns the promoted instance.
	Recover(ctx context.Context, failed events.InstanceKey, who string) (events.InstanceKey, error)
	// Takeover promotes a replica of the cluster's primary and returns the
	// recovery as recorded (SuccessorKey set). A recovery that ran and
	// failed is returned with the error.
	Takeover(ctx context.Context, t control.Takeover, who string) (analysis.TopologyRecovery, error)
	// Acknowledge acknowledges recoveries and returns how many were.
	Acknowledge(ctx context.Context, a control.Ack, who string) (int, error)
	SetGlobalRecoveries(ctx context.Context, enabled bool, who string) error
	// Replica runs op on key and returns the instance as seen afterwards.
	Replica(ctx context.Context, op control.ReplicaOp, key events.InstanceKey, who string) (*projections.Instance, error)
	// Relocate moves key below dest (GTID) and returns key's instance.
	Relocate(ctx context.Context, key, dest events.InstanceKey, who string) (*projections.Instance, error)
	RegisterCandidate(ctx context.Context, key events.InstanceKey, rule, who string) error
	BeginDowntime(ctx context.Context, d control.Downtime, who string) error
	EndDowntime(ctx context.Context, key events.InstanceKey, who string) error
	// BeginMaintenance fails when key is already in maintenance;
	// EndMaintenance when it is not (orchestrator's answers).
	BeginMaintenance(ctx context.Context, m control.Maintenance, who string) error
	EndMaintenance(ctx context.Context, key events.InstanceKey, who string) error
	// LocateErrant lists the binary logs holding key's errant GTIDs.
	LocateErrant(ctx context.Context, key events.InstanceKey) ([]string, error)
}

// recoveryAPI serves the recovery, audit and manual-operation endpoints.
type recoveryAPI struct {
	*reader
	recs RecoveryReader
	ops  Operations
}

// RegisterRecovery adds orchestrator's recovery, audit and manual-operation
// endpoints. Reads are served by any node; writes need authorization and
// run on the leader (a follower forwards them once).
func (s *Server) RegisterRecovery(v Views, r RecoveryReader, ops Operations) {
	a := &recoveryAPI{reader: &reader{s: s, views: v}, recs: r, ops: ops}
	a.registerReads()
	a.registerWrites()
}

func (a *recoveryAPI) registerReads() {
	s := a.s
	s.Handle("GET /api/replication-analysis", a.replicationAnalysis)
	s.Handle("GET /api/replication-analysis/{clusterHint}", a.replicationAnalysis)
	s.Handle("GET /api/replication-analysis/{host}/{port}", a.replicationAnalysis)
	s.Handle("GET /api/audit-recovery", a.auditRecovery)
	s.Handle("GET /api/audit-recovery/{page}", a.auditRecovery)
	s.Handle("GET /api/audit-recovery/cluster/{clusterHint}", a.auditRecovery)
	s.Handle("GET /api/audit-recovery/cluster/{clusterHint}/{page}", a.auditRecovery)
	s.Handle("GET /api/audit-recovery/alias/{clusterHint}", a.auditRecovery)
	s.Handle("GET /api/audit-recovery/id/{id}", a.auditRecoveryOne)
	s.Handle("GET /api/audit-recovery/uid/{uid}", a.auditRecoveryOne)
	s.Handle("GET /api/audit-recovery-steps/{uid}", a.auditRecoverySteps)
	s.Handle("GET /api/audit-failure-detection", a.auditDetection)
	s.Handle("GET /api/audit-failure-detection/{page}", a.auditDetection)
	s.Handle("GET /api/audit-failure-detection/cluster/{clusterHint}", a.auditDetection)
	s.Handle("GET /api/audit-failure-detection/cluster/{clusterHint}/{page}", a.auditDetection)
	s.Handle("GET /api/audit-failure-detection/id/{id}", a.auditDetectionOne)
	s.Handle("GET /api/blocked-recoveries", a.blockedRecoveries)
	s.Handle("GET /api/blocked-recoveries/cluster/{clusterHint}", a.blockedRecoveries)
	s.Handle("GET /api/active-cluster-recovery/{clusterHint}", a.activeClusterRecovery)
	s.Handle("GET /api/check-global-recoveries", a.checkGlobalRecoveries)
}

// auditCluster resolves an optional {clusterHint}. A hint that names no
// cluster of the current view is used as a cluster name as it is: audit
// entries outlive the clusters (a failover renames a cluster).
func (a *recoveryAPI) auditCluster(req *http.Request) string {
	hint := req.PathValue("clusterHint")
	if hint == "" {
		return ""
	}
	if name, err := a.views.View().ResolveCluster(hint); err == nil {
		return name
	}
	return hint
}

// page reads {page} (0-based, as orchestrator); absent is 0.
func page(req *http.Request) (int, error) {
	p := req.PathValue("page")
	if p == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid page %q", p)
	}
	return n, nil
}

func pageOf[T any](list []T, n int) []T {
	lo := min(n*auditPageSize, len(list))
	hi := min(lo+auditPageSize, len(list))
	return nonNil(list[lo:hi])
}

func (a *recoveryAPI) replicationAnalysis(w http.ResponseWriter, req *http.Request) {
	v := a.views.View()
	name := ""
	if req.PathValue("clusterHint") != "" || req.PathValue("host") != "" {
		var err error
		if name, err = a.clusterName(v, req); err != nil {
			respondError(w, err.Error(), nil)
			return
		}
	}
	out := []analysis.Analysis{}
	for _, e := range analysis.Analyze(v, a.recs.AnalysisParams()) {
		if name == "" || e.ClusterDetails.ClusterName == name {
			out = append(out, e)
		}
	}
	respondOK(w, "Analysis", out)
}

func (a *recoveryAPI) auditRecovery(w http.ResponseWriter, req *http.Request) {
	n, err := page(req)
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondBare(w, pageOf(a.recs.Recoveries().Recent(a.auditCluster(req)), n))
}

// auditRecoveryOne answers audit-recovery/id/{id} (the numeric Id) and
// audit-recovery/uid/{uid} with a one-element list, as orchestrator.
func (a *recoveryAPI) auditRecoveryOne(w http.ResponseWriter, req *http.Request) {
	t, ok := a.findRecovery(req.PathValue("id") + req.PathValue("uid"))
	if !ok {
		respondError(w, "Cannot find recovery "+req.PathValue("id")+req.PathValue("uid"), nil)
		return
	}
	respondBare(w, []analysis.TopologyRecovery{t})
}

// findRecovery finds a recovery by UID or numeric Id.
func (a *recoveryAPI) findRecovery(id string) (analysis.TopologyRecovery, bool) {
	recs := a.recs.Recoveries()
	if t, ok := recs.Recovery(id); ok {
		return t, true
	}
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return analysis.TopologyRecovery{}, false
	}
	for _, t := range recs.Recent("") {
		if t.Id == n {
			return t, true
		}
	}
	return analysis.TopologyRecovery{}, false
}

// RecoveryStep is orchestrator's TopologyRecoveryStep.
type RecoveryStep struct {
	Id          int64
	RecoveryUID string
	AuditAt     string
	Message     string
}

func (a *recoveryAPI) auditRecoverySteps(w http.ResponseWriter, req *http.Request) {
	t, ok := a.findRecovery(req.PathValue("uid"))
	if !ok {
		respondError(w, "Cannot find recovery "+req.PathValue("uid"), nil)
		return
	}
	respondBare(w, recoverySteps(t))
}

// recoverySteps lists a recovery's audit messages in log order: the start,
// each step, hook and VIP move, and the end.
func recoverySteps(t analysis.TopologyRecovery) []RecoveryStep {
	var out []RecoveryStep
	add := func(at, msg string) {
		out = append(out, RecoveryStep{Id: int64(len(out) + 1), RecoveryUID: t.UID, AuditAt: at, Message: msg})
	}
	who := ""
	if t.Manual {
		who = " (manual, by " + t.Who + ")"
	}
	add(t.RecoveryStartTimestamp, fmt.Sprintf("%s started on %s: %s%s", t.Type, t.AnalysisEntry.AnalyzedInstanceKey, t.AnalysisEntry.Analysis, who))
	for _, s := range t.Steps {
		msg := fmt.Sprintf("step %s on %s: %s", s.Step, s.Target, s.Outcome)
		if s.Detail != "" {
			msg += " (" + s.Detail + ")"
		}
		if s.Error != "" {
			msg += ": " + s.Error
		}
		add("", msg+" in "+s.Took.Round(time.Millisecond).String())
	}
	for _, h := range t.Hooks {
		add("", fmt.Sprintf("hook %s: %q exit %d timed_out=%v async=%v", h.Hook, h.Command, h.ExitCode, h.TimedOut, h.Async))
	}
	for _, m := range t.VIPMoves {
		add("", fmt.Sprintf("VIP %s moved from %s to %s", m.VIP, m.From, m.To))
	}
	switch {
	case t.IsActive:
	case t.IsSuccessful:
		add(t.RecoveryEndTimestamp, "completed: successor "+keyString(t.SuccessorKey))
	default:
		add(t.RecoveryEndTimestamp, "failed at "+t.FailedStep)
	}
	return out
}

func keyString(k *events.InstanceKey) string {
	if k == nil {
		return "none"
	}
	return k.String()
}

func (a *recoveryAPI) auditDetection(w http.ResponseWriter, req *http.Request) {
	n, err := page(req)
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondBare(w, pageOf(a.recs.Recoveries().Detections(a.auditCluster(req)), n))
}

func (a *recoveryAPI) auditDetectionOne(w http.ResponseWriter, req *http.Request) {
	id := req.PathValue("id")
	recs := a.recs.Recoveries()
	if d, ok := recs.Detection(id); ok {
		respondBare(w, []analysis.FailureDetection{d})
		return
	}
	if n, err := strconv.ParseUint(id, 10, 64); err == nil {
		for _, d := range recs.Detections("") {
			if d.Id == n {
				respondBare(w, []analysis.FailureDetection{d})
				return
			}
		}
	}
	respondError(w, "Cannot find failure detection "+id, nil)
}

func (a *recoveryAPI) blockedRecoveries(w http.ResponseWriter, req *http.Request) {
	respondBare(w, a.recs.Recoveries().Blocked(a.auditCluster(req)))
}

func (a *recoveryAPI) activeClusterRecovery(w http.ResponseWriter, req *http.Request) {
	out := []analysis.TopologyRecovery{}
	if t, ok := a.recs.Recoveries().Active(a.auditCluster(req)); ok {
		out = append(out, t)
	}
	respondBare(w, out)
}

func (a *recoveryAPI) checkGlobalRecoveries(w http.ResponseWriter, _ *http.Request) {
	enabled, who, at := a.recs.Recoveries().GlobalRecoveriesEnabled()
	if enabled {
		respondOK(w, "Global recoveries enabled", "enabled")
		return
	}
	respondOK(w, fmt.Sprintf("Global recoveries disabled by %s at %s", who, at.UTC().Format(time.RFC3339)), "disabled")
}

// errNoLeader is answered when a write reaches a node that knows no leader.
var errNoLeader = errors.New("no leader")
