package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// AliasWriter records a manual cluster alias (a cluster-alias-set event
// appended by the leader); an empty alias removes the override.
type AliasWriter interface {
	SetClusterAlias(ctx context.Context, p events.ClusterAliasSet) error
}

// RegisterInventoryWrites adds set-cluster-alias, a write that runs on the
// leader (a follower forwards it), and refresh, which any node runs as it
// runs discover.
func (s *Server) RegisterInventoryWrites(v Views, inv Inventory, aw AliasWriter) {
	t := &inventoryWrites{reader: &reader{s: s, views: v, inv: inv}, aw: aw}
	s.HandleWrite("/api/set-cluster-alias/{clusterName}", s.writeOnLeader("set-cluster-alias", t.setClusterAlias))
	s.HandleWrite("/api/refresh/{host}/{port}", t.refresh) // any node probes, as discover
}

type inventoryWrites struct {
	*reader
	aw AliasWriter
}

// setClusterAlias sets ?alias= on a known cluster, named exactly.
func (t *inventoryWrites) setClusterAlias(w http.ResponseWriter, req *http.Request) {
	if !t.s.authorizedForAction(req) {
		respondError(w, "Unauthorized", nil)
		return
	}
	name, alias := req.PathValue("clusterName"), req.URL.Query().Get("alias")
	for _, p := range [][2]string{{"clusterName", name}, {"alias", alias}} {
		if err := events.ValidText(p[1], events.MaxTextLen); err != nil {
			respondBadParameter(w, p[0], err)
			return
		}
	}
	if _, ok := t.views.View().Cluster(name); !ok {
		respondError(w, (&unknownClusterError{hint: name, err: projections.ErrUnknownCluster}).Error(), nil)
		return
	}
	if err := t.aw.SetClusterAlias(req.Context(), events.ClusterAliasSet{ClusterName: name, Alias: alias}); err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondOK(w, fmt.Sprintf("Cluster %s now has alias '%s'", name, alias), nil)
}

// refresh probes the instance now (a synchronous discovery, which records
// the observation) and answers its key, as orchestrator.
func (t *inventoryWrites) refresh(w http.ResponseWriter, req *http.Request) {
	k, ok := t.actionKey(w, req)
	if !ok {
		return
	}
	if t.inv == nil {
		respondError(w, "refresh: no inventory", nil)
		return
	}
	if _, err := t.inv.Discover(req.Context(), k, t.s.requestUser(req)); err != nil {
		respondError(w, err.Error(), nil)
		return
	}
	respondOK(w, "Instance refreshed: "+k.String(), k)
}
