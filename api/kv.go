package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/regent-ha/regent/control"
)

// KVPair is one key and value of the masters KV bucket, as orchestrator's
// kv.KVPair (control's publisher writes them).
type KVPair = control.KVPair

// MastersKV publishes clusters' primaries to the KV bucket.
type MastersKV interface {
	// SubmitMasters writes the pairs of cluster's writable primary (every
	// cluster's when cluster is ""), even when the bucket already holds
	// them, and returns them.
	SubmitMasters(ctx context.Context, cluster string) ([]KVPair, error)
}

// RegisterKV adds submit-masters-to-kv-stores[/{clusterHint}]: a write,
// run on the leader (a follower forwards it), answering orchestrator's
// "Submitted N masters" (N counts the pairs written, as orchestrator's
// submittedCount) with the pairs as Details.
func (s *Server) RegisterKV(v Views, kv MastersKV) {
	r := &reader{s: s, views: v}
	h := s.writeOnLeader("submit-masters-to-kv-stores", func(w http.ResponseWriter, req *http.Request) {
		cluster := ""
		if req.PathValue("clusterHint") != "" {
			name, err := r.clusterName(v.View(), req)
			if err != nil {
				respondError(w, err.Error(), nil)
				return
			}
			cluster = name
		}
		pairs, err := kv.SubmitMasters(req.Context(), cluster)
		if err != nil {
			respondError(w, err.Error(), nil)
			return
		}
		respondOK(w, fmt.Sprintf("Submitted %d masters", len(pairs)), pairs)
	})
	s.HandleWrite("/api/submit-masters-to-kv-stores", h)
	s.HandleWrite("/api/submit-masters-to-kv-stores/{$}", h)
	s.HandleWrite("/api/submit-masters-to-kv-stores/{clusterHint}", h)
}
