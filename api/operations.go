package api

import (
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/regent-ha/regent/control"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// ForwardedHeader marks a write a follower forwarded to the leader; a node
// never forwards a request that carries it (at most one hop).
const ForwardedHeader = "X-Regent-Forwarded-By"

// writeOnLeader wraps a write handler: authorization is checked here, then
// the request runs on this node if it leads, is forwarded once to the
// leader's HTTP address otherwise, and is refused when no leader is known.
func (s *Server) writeOnLeader(op string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.authorizedForAction(r) {
			respondError(w, "Unauthorized", nil)
			return
		}
		l := s.cluster.Leadership()
		switch {
		case l.IsLeader:
			h(w, r)
		case r.Header.Get(ForwardedHeader) != "":
			respondError(w, fmt.Sprintf("%s: forwarded by %s to %s, which no longer leads: retry", op, r.Header.Get(ForwardedHeader), s.cluster.Self()), nil)
		case !l.Known || l.LeaderAddr == "":
			respondError(w, fmt.Sprintf("%v: cannot run %s now", errNoLeader, op), nil)
		default:
			s.forward(w, r, op, l)
		}
	}
}

// forward reverse-proxies r to the leader, only at a configured peer's
// address: a lease record naming another address (forged) gets neither
// the request nor its Authorization header.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, op string, l Leadership) {
	addr := strings.TrimPrefix(strings.TrimPrefix(l.LeaderAddr, "http://"), "https://")
	if !slices.Contains(s.opts.ForwardTo, addr) {
		s.log.Warn().Str("op", op).Str("leader", l.Leader).Str("addr", addr).Strs("peers", s.opts.ForwardTo).
			Msg("write not forwarded: the leader's address is not a configured peer's")
		writeJSON(w, http.StatusServiceUnavailable, Response{Code: "ERROR", Message: fmt.Sprintf(
			"%s: not forwarded: the leader %q advertises %s, which is not the API address of a configured peer %v (RaftNodes hosts with this node's ListenAddress port); run it on the leader", op, l.Leader, addr, s.opts.ForwardTo)})
		return
	}
	p := &httputil.ReverseProxy{
		Transport: s.forwardTransport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(&url.URL{Scheme: s.Scheme(), Host: addr})
			pr.Out.Host = addr
			pr.SetXForwarded()
			pr.Out.Header.Set(ForwardedHeader, s.cluster.Self())
		},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			respondError(w, fmt.Sprintf("forward %s to the leader %s at %s: %v", op, l.Leader, addr, err), nil)
		},
	}
	s.log.Debug().Str("op", op).Str("leader", l.Leader).Str("addr", addr).Msg("forward write to the leader")
	p.ServeHTTP(w, r)
}

func (a *recoveryAPI) registerWrites() {
	s := a.s
	wr := func(pattern, op string, h http.HandlerFunc) { s.HandleWrite("/api/"+pattern, s.writeOnLeader(op, h)) }
	wr("recover/{host}/{port}", "recover", a.recover)
	for _, k := range []control.TakeoverKind{control.GracefulTakeover, control.GracefulTakeoverAuto, control.ForceFailover, control.ForceTakeover} {
		c := k.Command()
		h := a.takeover(k)
		if k != control.ForceTakeover {
			wr(c+"/{clusterHint}", c, h)
			wr(c+"/{host}/{port}", c, h)
		}
		if k != control.ForceFailover {
			wr(c+"/{clusterHint}/{dhost}/{dport}", c, h)
			wr(c+"/{host}/{port}/{dhost}/{dport}", c, h)
		}
	}
	wr("ack-recovery/cluster/{clusterHint}", "ack-cluster-recoveries", a.ack)
	wr("ack-recovery/cluster/alias/{clusterHint}", "ack-cluster-recoveries", a.ack)
	wr("ack-recovery/instance/{host}/{port}", "ack-instance-recoveries", a.ack)
	wr("ack-recovery/{recoveryId}", "ack-recovery", a.ack)
	wr("ack-recovery/uid/{recoveryId}", "ack-recovery", a.ack)
	wr("ack-all-recoveries", "ack-all-recoveries", a.ack)
	wr("disable-global-recoveries", "disable-global-recoveries", a.globalRecoveries(false))
	wr("enable-global-recoveries", "enable-global-recoveries", a.globalRecoveries(true))
	for _, op := range []control.ReplicaOp{control.OpStartReplica, control.OpStopReplica, control.OpRestartReplica, control.OpResetReplica, control.OpDetachReplica,
		control.OpReattachReplica, control.OpSetReadOnly, control.OpSetWriteable, control.OpErrantInject, control.OpErrantReset} {
		name := string(op)
		wr(name+"/{host}/{port}", name, a.replica(op))
		if strings.Contains(name, "replica") {
			syn := strings.Replace(name, "replica", "slave", 1)
			wr(syn+"/{host}/{port}", syn, a.replica(op))
		}
	}
	wr("relocate/{host}/{port}/{dhost}/{dport}", "relocate", a.relocate)
	wr("register-candidate/{host}/{port}/{rule}", "register-candidate", a.registerCandidate)
	wr("begin-downtime/{host}/{port}/{owner}/{reason}", "begin-downtime", a.beginDowntime)
	wr("begin-downtime/{host}/{port}/{owner}/{reason}/{duration}", "begin-downtime", a.beginDowntime)
	wr("end-downtime/{host}/{port}", "end-downtime", a.endDowntime)
	wr("begin-maintenance/{host}/{port}/{owner}/{reason}", "begin-maintenance", a.beginMaintenance)
	wr("end-maintenance/{host}/{port}", "end-maintenance", a.endMaintenance)
	a.registerReplicaControl(wr)
	a.registerBulk(wr)
	// maintenance lists the active maintenances from the view: any node.
	s.Handle("GET /api/maintenance", a.maintenanceList)
	// locate-gtid-errant reads binary logs on the server: any node answers.
	s.Handle("GET /api/locate-gtid-errant/{host}/{port}", a.locateErrant)
}

// knownKey parses {host}/{port} (or the d-prefixed destination) and
// requires the instance in the current view.
func (a *recoveryAPI) knownKey(req *http.Request, prefix string) (events.InstanceKey, error) {
	k, err := pathKey(req, prefix)
	if err != nil {
		return k, err
	}
	if _, ok := a.views.View().Instance(k); !ok {
		return k, fmt.Errorf("unknown instance %s: Regent does not watch it (discover it first)", k)
	}
	return k, nil
}

func (a *recoveryAPI) recover(w http.ResponseWriter, req *http.Request) {
	k, err := a.knownKey(req, "")
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	succ, err := a.ops.Recover(req.Context(), k, a.s.requestUser(req))
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondOK(w, fmt.Sprintf("Recovery executed on %s; promoted %s", k, succ), succ)
}

func (a *recoveryAPI) takeover(kind control.TakeoverKind) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		v := a.views.View()
		name, err := a.clusterName(v, req)
		if err != nil {
			respondError(w, kind.Command()+": "+err.Error(), nil)
			return
		}
		t := control.Takeover{Kind: kind, Cluster: name}
		if req.PathValue("dhost") != "" {
			if t.Designated, err = a.knownKey(req, "d"); err != nil {
				respondError(w, kind.Command()+": designated instance: "+err.Error(), nil)
				return
			}
		} else if kind == control.ForceTakeover {
			respondError(w, kind.Command()+": the designated replica is required (-d)", nil)
			return
		}
		rec, err := a.ops.Takeover(req.Context(), t, a.s.requestUser(req))
		if err != nil {
			var details any
			if rec.UID != "" {
				details = rec
			}
			respondError(w, kind.Command()+": "+err.Error(), details)
			return
		}
		respondOK(w, fmt.Sprintf("%s: successor %s promoted", kind.Command(), keyString(rec.SuccessorKey)), rec)
	}
}

func (a *recoveryAPI) ack(w http.ResponseWriter, req *http.Request) {
	comment := strings.TrimSpace(req.URL.Query().Get("comment"))
	if comment == "" {
		respondError(w, "No acknowledge comment given (?comment=…, -r with regent-client)", nil)
		return
	}
	if err := events.ValidText(comment, maxReasonLen); err != nil {
		respondBadParameter(w, "comment", err)
		return
	}
	ack := control.Ack{Comment: comment}
	var details any
	switch {
	case req.PathValue("clusterHint") != "":
		name, err := a.clusterName(a.views.View(), req)
		if err != nil {
			name = req.PathValue("clusterHint") // a recovered cluster may have been renamed
			if len(a.recs.Recoveries().Recent(name)) == 0 {
				respondError(w, err.Error(), nil)
				return
			}
		}
		ack.Cluster, details = name, name
	case req.PathValue("host") != "":
		k, err := a.instanceKey(req)
		if err != nil {
			respondError(w, err.Error(), nil)
			return
		}
		ack.Instance, details = k, k
	case req.PathValue("recoveryId") != "":
		t, ok := a.findRecovery(req.PathValue("recoveryId"))
		if !ok {
			respondError(w, "Cannot find recovery "+req.PathValue("recoveryId"), nil)
			return
		}
		ack.RecoveryID, details = t.UID, t.UID
	default:
		ack.All = true
	}
	n, err := a.ops.Acknowledge(req.Context(), ack, a.s.requestUser(req))
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	if ack.All {
		details = n
	}
	respondOK(w, fmt.Sprintf("%d recoveries acknowledged", n), details)
}

func (a *recoveryAPI) globalRecoveries(enabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		if err := a.ops.SetGlobalRecoveries(req.Context(), enabled, a.s.requestUser(req)); err != nil {
			respondError(w, err.Error(), nil)
			return
		}
		if enabled {
			respondOK(w, "Globally enabled recoveries", "enabled")
			return
		}
		respondOK(w, "Globally disabled recoveries", "disabled")
	}
}

func (a *recoveryAPI) replica(op control.ReplicaOp) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		k, err := a.knownKey(req, "")
		if err != nil {
			respondError(w, string(op)+": "+err.Error(), nil)
			return
		}
		inst, err := a.ops.Replica(req.Context(), op, k, a.s.requestUser(req))
		if err != nil {
			respondError(w, string(op)+": "+err.Error(), nil)
			return
		}
		respondOK(w, fmt.Sprintf("%s: %s", op, k), inst)
	}
}

func (a *recoveryAPI) relocate(w http.ResponseWriter, req *http.Request) {
	k, err := a.knownKey(req, "")
	if err != nil {
		respondError(w, "relocate: "+err.Error(), nil)
		return
	}
	dest, err := a.knownKey(req, "d")
	if err != nil {
		respondError(w, "relocate: destination: "+err.Error(), nil)
		return
	}
	if dest == k {
		respondError(w, fmt.Sprintf("relocate: cannot move %s below itself", k), nil)
		return
	}
	inst, err := a.ops.Relocate(req.Context(), k, dest, a.s.requestUser(req))
	if err != nil {
		respondError(w, "relocate: "+err.Error(), nil)
		return
	}
	respondOK(w, fmt.Sprintf("Instance %s relocated below %s", k, dest), inst)
}

// promotionRules are orchestrator's CandidatePromotionRule values.
var promotionRules = []string{projections.PromotionMust, projections.PromotionPrefer, projections.PromotionNeutral,
	projections.PromotionPreferNot, projections.PromotionMustNot}

func (a *recoveryAPI) registerCandidate(w http.ResponseWriter, req *http.Request) {
	k, err := a.knownKey(req, "")
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	rule := req.PathValue("rule")
	valid := false
	for _, r := range promotionRules {
		valid = valid || r == rule
	}
	if !valid {
		respondError(w, fmt.Sprintf("invalid promotion rule %q: want one of %s", rule, strings.Join(promotionRules, ", ")), nil)
		return
	}
	if err := a.ops.RegisterCandidate(req.Context(), k, rule, a.s.requestUser(req)); err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondOK(w, "Registered candidate", k)
}

func (a *recoveryAPI) beginDowntime(w http.ResponseWriter, req *http.Request) {
	k, err := a.knownKey(req, "")
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	d := control.Downtime{Key: k, Owner: req.PathValue("owner"), Reason: req.PathValue("reason"), Duration: 10 * time.Minute}
	if s := req.PathValue("duration"); s != "" {
		if d.Duration, err = ParseDuration(s); err != nil {
			respondError(w, err.Error(), nil)
			return
		}
	}
	if strings.TrimSpace(d.Owner) == "" || strings.TrimSpace(d.Reason) == "" {
		respondError(w, "begin-downtime: owner and reason are required", nil)
		return
	}
	if err := a.ops.BeginDowntime(req.Context(), d, a.s.requestUser(req)); err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondOK(w, fmt.Sprintf("Downtime begun on %s for %s", k, d.Duration), k)
}

func (a *recoveryAPI) endDowntime(w http.ResponseWriter, req *http.Request) {
	k, err := a.knownKey(req, "")
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	if err := a.ops.EndDowntime(req.Context(), k, a.s.requestUser(req)); err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondOK(w, "Downtime ended on "+k.String(), k)
}

func (a *recoveryAPI) beginMaintenance(w http.ResponseWriter, req *http.Request) {
	k, err := a.knownKey(req, "")
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	m := control.Maintenance{Key: k, Owner: req.PathValue("owner"), Reason: req.PathValue("reason"), Duration: control.MaintenanceExpire}
	if strings.TrimSpace(m.Owner) == "" || strings.TrimSpace(m.Reason) == "" {
		respondError(w, "begin-maintenance: owner and reason are required", nil)
		return
	}
	if err := a.ops.BeginMaintenance(req.Context(), m, a.s.requestUser(req)); err != nil {
		respondError(w, err.Error(), k)
		return
	}
	respondOK(w, "Maintenance begun: "+k.String(), k)
}

func (a *recoveryAPI) endMaintenance(w http.ResponseWriter, req *http.Request) {
	k, err := a.knownKey(req, "")
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	if err := a.ops.EndMaintenance(req.Context(), k, a.s.requestUser(req)); err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondOK(w, "Maintenance ended: "+k.String(), k)
}

// ActiveMaintenance is one entry of /api/maintenance, orchestrator's
// Maintenance shape. Regent keeps no maintenance ids (MaintenanceId is 0);
// EndTimestamp is Regent's.
type ActiveMaintenance struct {
	MaintenanceId  uint
	Key            events.InstanceKey
	BeginTimestamp string
	EndTimestamp   string
	SecondsElapsed uint
	IsActive       bool
	Owner          string
	Reason         string
}

func (a *recoveryAPI) maintenanceList(w http.ResponseWriter, _ *http.Request) {
	v := a.views.View()
	out := []ActiveMaintenance{}
	for _, inst := range v.Instances() {
		if !inst.IsInMaintenance {
			continue
		}
		m := ActiveMaintenance{Key: inst.Key, BeginTimestamp: inst.MaintenanceBeginTimestamp, EndTimestamp: inst.MaintenanceEndTimestamp,
			IsActive: true, Owner: inst.MaintenanceOwner, Reason: inst.MaintenanceReason}
		if began, err := time.Parse(projections.TimestampLayout, inst.MaintenanceBeginTimestamp); err == nil {
			m.SecondsElapsed = uint(max(0, v.Now().Sub(began)/time.Second))
		}
		out = append(out, m)
	}
	respondBare(w, out)
}

func (a *recoveryAPI) locateErrant(w http.ResponseWriter, req *http.Request) {
	k, err := a.knownKey(req, "")
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	logs, err := a.ops.LocateErrant(req.Context(), k)
	if err != nil {
		respondError(w, "locate-gtid-errant: "+err.Error(), nil)
		return
	}
	respondOK(w, "located errant GTIDs of "+k.String(), nonNil(logs))
}

// ParseDuration reads orchestrator's downtime durations: a whole number
// with an optional unit s, m, h, d or w (no unit: seconds), or a Go
// duration such as 1h30m. It must be positive.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("invalid duration: empty")
	}
	units := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}
	var d time.Duration
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		d = time.Duration(n) * time.Second
	} else if u, ok := units[s[max(0, len(s)-1)]]; ok && len(s) > 1 {
		n, err := strconv.ParseUint(s[:len(s)-1], 10, 32)
		if err != nil {
			if d, err = time.ParseDuration(s); err != nil {
				return 0, fmt.Errorf("invalid duration %q: want e.g. 30s, 10m, 1h, 2d or 1w", s)
			}
		} else {
			d = time.Duration(n) * u
		}
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, fmt.Errorf("invalid duration %q: want e.g. 30s, 10m, 1h, 2d or 1w", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("invalid duration %q: must be positive", s)
	}
	return d, nil
}
