package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// Views gives the current topology snapshot. The snapshot is immutable.
type Views interface {
	View() *projections.View
}

// Inventory changes what Regent watches. Every change is an event.
type Inventory interface {
	// Discover probes key synchronously, records it and crawls its
	// neighbours, and returns once the view shows it.
	Discover(ctx context.Context, key events.InstanceKey, who string) (*projections.Instance, error)
	// AsyncDiscover starts a discovery and returns at once.
	AsyncDiscover(ctx context.Context, key events.InstanceKey, who string) error
	Forget(ctx context.Context, key events.InstanceKey, who string) error
	ForgetCluster(ctx context.Context, clusterName, who string) error
}

// RegisterRead adds orchestrator's read and discovery endpoints.
func (s *Server) RegisterRead(v Views, inv Inventory, defaultPort int) {
	r := &reader{s: s, views: v, inv: inv, defaultPort: defaultPort}
	for _, p := range []string{"instance", "instance-replicas", "instance-slaves"} {
		h := map[string]http.HandlerFunc{"instance": r.instance, "instance-replicas": r.instanceReplicas, "instance-slaves": r.instanceReplicas}[p]
		s.Handle("GET /api/"+p+"/{host}/{port}", h)
	}
	clusterRoutes := map[string]http.HandlerFunc{
		"cluster": r.cluster, "cluster-info": r.clusterInfo, "master": r.master,
		"topology": r.topology(false), "topology-tabulated": r.topology(true), "problems": r.problems,
	}
	for p, h := range clusterRoutes {
		s.Handle("GET /api/"+p+"/{clusterHint}", h)
		s.Handle("GET /api/"+p+"/{host}/{port}", h)
	}
	s.Handle("GET /api/problems", r.problems)
	s.Handle("GET /api/clusters", r.clusters)
	s.Handle("GET /api/clusters-info", r.clustersInfo)
	s.Handle("GET /api/masters", r.masters)
	s.Handle("GET /api/all-instances", r.allInstances)
	s.Handle("GET /api/search", r.search)
	s.Handle("GET /api/search/{searchString}", r.search)
	s.HandleWrite("/api/discover/{host}/{port}", r.discover)
	s.HandleWrite("/api/async-discover/{host}/{port}", r.asyncDiscover)
	s.HandleWrite("/api/forget/{host}/{port}", r.forget)
	s.HandleWrite("/api/forget-cluster/{clusterHint}", r.forgetCluster)
	s.HandleWrite("/api/forget-cluster/{host}/{port}", r.forgetCluster)
}

type reader struct {
	s           *Server
	views       Views
	inv         Inventory
	defaultPort int
}

// instanceKey reads {host}/{port} from the path.
func (r *reader) instanceKey(req *http.Request) (events.InstanceKey, error) { return pathKey(req, "") }

// pathKey reads {host}/{port} (prefix "") or {dhost}/{dport} (prefix
// "d") from the path. checkKeys has answered 400 to invalid ones before
// any handler runs; this check stays for handlers called otherwise.
func pathKey(req *http.Request, prefix string) (events.InstanceKey, error) {
	host, ps := req.PathValue(prefix+"host"), req.PathValue(prefix+"port")
	port, err := events.ParsePort(ps)
	if err != nil {
		return events.InstanceKey{}, fmt.Errorf("invalid instance key: %w", err)
	}
	k := events.InstanceKey{Hostname: host, Port: port}
	if err := k.Validate(); err != nil {
		return events.InstanceKey{}, fmt.Errorf("invalid instance key: %w", err)
	}
	return k, nil
}

// clusterName resolves {clusterHint} or {host}/{port} to a cluster name.
func (r *reader) clusterName(v *projections.View, req *http.Request) (string, error) {
	hint := req.PathValue("clusterHint")
	if hint == "" {
		if k, err := r.instanceKey(req); err == nil {
			hint = k.String()
		}
	}
	if hint == "" {
		return "", errors.New("missing cluster hint")
	}
	name, err := v.ResolveCluster(hint)
	if errors.Is(err, projections.ErrUnknownCluster) {
		return "", &unknownClusterError{hint: hint, err: err}
	}
	return name, err
}

// unknownClusterError answers a hint that names no cluster with
// orchestrator's text (FigureClusterName), which scripts match on; a
// {host}/{port} hint reads host:port.
type unknownClusterError struct {
	hint string
	err  error
}

func (e *unknownClusterError) Error() string {
	return "Unable to determine cluster name. clusterHint=" + e.hint
}

func (e *unknownClusterError) Unwrap() error { return e.err }

func (r *reader) instance(w http.ResponseWriter, req *http.Request) {
	k, err := r.instanceKey(req)
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	inst, ok := r.views.View().Instance(k)
	if !ok {
		respondError(w, "Cannot read instance: "+k.String(), nil)
		return
	}
	respondBare(w, inst)
}

func (r *reader) instanceReplicas(w http.ResponseWriter, req *http.Request) {
	k, err := r.instanceKey(req)
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondBare(w, nonNil(r.views.View().Replicas(k)))
}

func (r *reader) cluster(w http.ResponseWriter, req *http.Request) {
	v := r.views.View()
	name, err := r.clusterName(v, req)
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondBare(w, nonNil(v.ClusterInstances(name)))
}

func (r *reader) clusterInfo(w http.ResponseWriter, req *http.Request) {
	v := r.views.View()
	name, err := r.clusterName(v, req)
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	ci, ok := v.Cluster(name)
	if !ok {
		respondError(w, "Cannot read cluster info: "+name, nil)
		return
	}
	respondBare(w, ci)
}

func (r *reader) master(w http.ResponseWriter, req *http.Request) {
	v := r.views.View()
	name, err := r.clusterName(v, req)
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	m, ok := v.ClusterMaster(name)
	if !ok {
		respondError(w, "Cannot find master for cluster "+name, nil)
		return
	}
	respondBare(w, m)
}

func (r *reader) topology(tabulated bool) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		v := r.views.View()
		name, err := r.clusterName(v, req)
		if err != nil {
			respondError(w, err.Error(), nil)
			return
		}
		text, err := projections.RenderTopology(v, name, tabulated)
		if err != nil {
			respondError(w, err.Error(), nil)
			return
		}
		respondOK(w, "Topology for cluster "+name, text)
	}
}

func (r *reader) problems(w http.ResponseWriter, req *http.Request) {
	v := r.views.View()
	name := ""
	if req.PathValue("clusterHint") != "" || req.PathValue("host") != "" {
		var err error
		if name, err = r.clusterName(v, req); err != nil {
			respondError(w, err.Error(), nil)
			return
		}
	}
	respondBare(w, nonNil(v.ProblemInstances(name)))
}

func (r *reader) clusters(w http.ResponseWriter, _ *http.Request) {
	names := []string{}
	for _, c := range r.views.View().Clusters() {
		names = append(names, c.ClusterName)
	}
	respondBare(w, names)
}

func (r *reader) clustersInfo(w http.ResponseWriter, _ *http.Request) {
	respondBare(w, nonNil(r.views.View().Clusters()))
}

func (r *reader) masters(w http.ResponseWriter, _ *http.Request) {
	respondBare(w, nonNil(r.views.View().Masters()))
}

func (r *reader) allInstances(w http.ResponseWriter, _ *http.Request) {
	respondBare(w, nonNil(r.views.View().Instances()))
}

func (r *reader) search(w http.ResponseWriter, req *http.Request) {
	q := req.PathValue("searchString")
	if q == "" {
		q = req.URL.Query().Get("s")
	}
	if q == "" {
		respondError(w, "search: empty search string (use ?s=TEXT)", nil)
		return
	}
	respondBare(w, nonNil(r.views.View().Search(q)))
}

func (r *reader) discover(w http.ResponseWriter, req *http.Request) {
	k, ok := r.actionKey(w, req)
	if !ok {
		return
	}
	inst, err := r.inv.Discover(req.Context(), k, r.s.requestUser(req))
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondOK(w, "Instance discovered: "+inst.Key.String(), inst)
}

func (r *reader) asyncDiscover(w http.ResponseWriter, req *http.Request) {
	k, ok := r.actionKey(w, req)
	if !ok {
		return
	}
	if err := r.inv.AsyncDiscover(req.Context(), k, r.s.requestUser(req)); err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondOK(w, "Asynchronous discovery initiated for Instance: "+k.String(), nil)
}

func (r *reader) forget(w http.ResponseWriter, req *http.Request) {
	k, ok := r.actionKey(w, req)
	if !ok {
		return
	}
	if err := r.inv.Forget(req.Context(), k, r.s.requestUser(req)); err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondOK(w, "Instance forgotten: "+k.String(), k)
}

func (r *reader) forgetCluster(w http.ResponseWriter, req *http.Request) {
	if !r.s.authorizedForAction(req) {
		respondError(w, "Unauthorized", nil)
		return
	}
	name, err := r.clusterName(r.views.View(), req)
	if err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	if err := r.inv.ForgetCluster(req.Context(), name, r.s.requestUser(req)); err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondOK(w, "Cluster forgotten: "+name, name)
}

// actionKey checks authorization and parses the instance key of a write.
func (r *reader) actionKey(w http.ResponseWriter, req *http.Request) (events.InstanceKey, bool) {
	if !r.s.authorizedForAction(req) {
		respondError(w, "Unauthorized", nil)
		return events.InstanceKey{}, false
	}
	k, err := r.instanceKey(req)
	if err != nil {
		respondError(w, err.Error(), nil)
		return k, false
	}
	return k, true
}

// nonNil makes empty lists encode as [] rather than null, as orchestrator.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
