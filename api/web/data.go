package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
	"github.com/regent-ha/regent/projections/timeline"
)

// registerData adds the pages' own read-only endpoints (everything else
// they read and write is the API's).
func (w *Web) registerData() {
	s := w.api
	s.Handle("GET /web/api/whoami", w.whoami)
	s.Handle("GET /web/api/tree/{clusterHint}", w.tree)
	s.Handle("GET /web/api/topology-at/{clusterHint}", w.topologyAt)
	s.Handle("GET /web/api/relocate-check/{host}/{port}/{dhost}/{dport}", w.relocateCheck)
	s.Handle("GET /web/api/timeline/{clusterHint}", w.timeline)
	s.Handle("GET /web/api/why/{clusterHint}", w.whyAt)
	s.Handle("GET /web/api/why-recovery/{uid}", w.whyRecovery)
}

// reply is the envelope of /web/api answers: Error is set (HTTP 4xx/5xx)
// or Details is.
type reply struct {
	Error   string `json:",omitempty"`
	Details any    `json:",omitempty"`
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(rw, `{"Error":"encode answer"}`, http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "application/json")
	rw.Header().Set("Cache-Control", "no-store")
	rw.WriteHeader(status)
	_, _ = rw.Write(b)
}

func fail(rw http.ResponseWriter, status int, err error) {
	writeJSON(rw, status, reply{Error: err.Error()})
}

func (w *Web) whoami(rw http.ResponseWriter, r *http.Request) {
	writeJSON(rw, http.StatusOK, reply{Details: map[string]any{"User": w.api.User(r), "CanWrite": w.api.MayWrite(r)}})
}

// Node is one box of the drawn tree: a TreeEntry and what the page marks.
type Node struct {
	projections.TreeEntry
	KeyString     string
	Master        string // the source's key ("" for a root)
	Problems      []string
	Downtimed     bool
	Maintenance   bool
	PromotionRule string
	Errant        string
	ReadOnly      bool
}

// Tree is a cluster as the page draws it.
type Tree struct {
	Cluster, Alias string
	At             time.Time
	Nodes          []Node
	Text           string // the `topology` text of the same view
	// FollowedFrom is the cluster asked for when a recovery renamed it:
	// the tree is its successor's cluster (Recovery).
	FollowedFrom string `json:",omitempty"`
	Recovery     string `json:",omitempty"`
}

// buildTree resolves hint on v and lays out its cluster.
func buildTree(v *projections.View, hint string) (Tree, error) {
	name, err := v.ResolveCluster(hint)
	if err != nil {
		return Tree{}, fmt.Errorf("cluster %s: %w", events.Quote(hint), err)
	}
	entries, err := projections.TopologyTree(v, name)
	if err != nil {
		return Tree{}, err
	}
	t := Tree{Cluster: name, At: v.Now(), Nodes: make([]Node, 0, len(entries))}
	if ci, ok := v.Cluster(name); ok {
		t.Alias = ci.ClusterAlias
	}
	for _, e := range entries {
		n := Node{TreeEntry: e, KeyString: e.Key.String()}
		if inst, ok := v.Instance(e.Key); ok {
			if !inst.MasterKey.IsZero() {
				n.Master = inst.MasterKey.String()
			}
			n.Problems, n.Downtimed, n.Maintenance = inst.Problems, inst.IsDowntimed, inst.IsInMaintenance
			n.PromotionRule, n.Errant, n.ReadOnly = inst.PromotionRule, inst.GtidErrant, inst.ReadOnly
		}
		t.Nodes = append(t.Nodes, n)
	}
	if t.Text, err = projections.RenderTopology(v, name, false); err != nil {
		return Tree{}, err
	}
	return t, nil
}

func (w *Web) tree(rw http.ResponseWriter, r *http.Request) {
	v := w.src.View()
	hint := r.PathValue("clusterHint")
	from, uid := "", ""
	if name, err := v.ResolveCluster(hint); err == nil {
		if succ, id, ok := successorCluster(v, w.src.Recoveries(), name); ok {
			from, uid, hint = name, id, succ
		}
	}
	t, err := buildTree(v, hint)
	t.FollowedFrom, t.Recovery = from, uid
	if err != nil {
		fail(rw, http.StatusNotFound, err)
		return
	}
	writeJSON(rw, http.StatusOK, reply{Details: t})
}

// successorCluster is the cluster of the successor of the latest
// successful recovery of cluster, when the successor is in the view and in
// another cluster now (a failover renames the cluster after the new
// primary; the page follows it).
func successorCluster(v *projections.View, recs *analysis.Recoveries, cluster string) (string, string, bool) {
	for _, t := range recs.Recent(cluster) { // newest first
		if !t.IsSuccessful || t.SuccessorKey == nil {
			continue
		}
		inst, ok := v.Instance(*t.SuccessorKey)
		if !ok || inst.ClusterName == cluster {
			return "", "", false
		}
		return inst.ClusterName, t.UID, true
	}
	return "", "", false
}

// atParam reads ?at= (RFC 3339 or a duration ago, as `regent topology
// --at`); absent is now.
func atParam(r *http.Request) (time.Time, error) {
	now := time.Now()
	s := r.URL.Query().Get("at")
	if s == "" {
		return now, nil
	}
	at, err := timeline.ParseTime(s, now)
	if err != nil {
		return time.Time{}, fmt.Errorf("parameter at: %w", err)
	}
	return at, nil
}

func (w *Web) topologyAt(rw http.ResponseWriter, r *http.Request) {
	at, err := atParam(r)
	if err != nil {
		fail(rw, http.StatusBadRequest, err)
		return
	}
	if w.opts.History == nil {
		fail(rw, http.StatusNotImplemented, errors.New("topology at an instant: this node reads no event log history"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), w.opts.HistoryBound)
	defer cancel()
	select {
	case w.history <- struct{}{}:
		defer func() { <-w.history }()
	case <-ctx.Done():
		fail(rw, http.StatusServiceUnavailable, fmt.Errorf("topology at %s: another read of the event log is running: retry", at.UTC().Format(time.RFC3339)))
		return
	}
	v, err := w.opts.History.ViewAt(ctx, at)
	if err != nil {
		fail(rw, http.StatusInternalServerError, fmt.Errorf("topology at %s: %w", at.UTC().Format(time.RFC3339), err))
		return
	}
	t, err := buildTree(v, r.PathValue("clusterHint"))
	if err != nil {
		fail(rw, http.StatusNotFound, fmt.Errorf("at %s: %w", at.UTC().Format(time.RFC3339), err))
		return
	}
	writeJSON(rw, http.StatusOK, reply{Details: t})
}

// relocateCheck answers what relocating {host}:{port} below
// {dhost}:{dport} would do, or why it cannot (projections.CheckRelocate);
// it changes nothing.
func (w *Web) relocateCheck(rw http.ResponseWriter, r *http.Request) {
	key, err1 := keyOf(r, "")
	dest, err2 := keyOf(r, "d")
	if err := errors.Join(err1, err2); err != nil {
		fail(rw, http.StatusBadRequest, err)
		return
	}
	plan, err := projections.CheckRelocate(w.src.View(), key, dest)
	if err != nil {
		writeJSON(rw, http.StatusOK, reply{Details: map[string]any{"OK": false, "Reason": err.Error(), "Plan": plan}})
		return
	}
	writeJSON(rw, http.StatusOK, reply{Details: map[string]any{"OK": true, "Plan": plan}})
}

// keyOf reads {host}/{port} (prefix "") or {dhost}/{dport} ("d"); the
// API's checkKeys has refused invalid ones already.
func keyOf(r *http.Request, prefix string) (events.InstanceKey, error) {
	port, err := events.ParsePort(r.PathValue(prefix + "port"))
	if err != nil {
		return events.InstanceKey{}, fmt.Errorf("{%sport}: %w", prefix, err)
	}
	k := events.InstanceKey{Hostname: r.PathValue(prefix + "host"), Port: port}
	return k, k.Validate()
}
