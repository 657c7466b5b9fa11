package api

import "net/http"

// registerLBCheck adds orchestrator's load-balancer checks: lb-check and
// _ping answer 200 "OK" on every node that serves HTTP (a liveness check,
// as orchestrator's LBCheck: it does not say who leads; leader-check
// does); routed-leader-check answers as leader-check does on the leader,
// which a follower reaches through a one-hop forward, so any node that
// sees a reachable leader answers 200.
func (s *Server) registerLBCheck() {
	s.Handle("GET /api/lb-check", s.lbCheck)
	s.Handle("GET /api/_ping", s.lbCheck)
	s.Handle("GET /api/routed-leader-check", s.routedLeaderCheck)
}

func (s *Server) lbCheck(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, "OK")
}

// routedLeaderCheck: 200 "OK" on the leader; on a follower the request is
// forwarded once to the leader's API (a configured peer's address only,
// as writes are); 404 "Not leader" when no leader is known or the request
// was already forwarded to a node that no longer leads (orchestrator
// answers locally, and so 404, when it knows no leader).
func (s *Server) routedLeaderCheck(w http.ResponseWriter, r *http.Request) {
	l := s.cluster.Leadership()
	switch {
	case l.IsLeader:
		writeJSON(w, http.StatusOK, "OK")
	case !l.Known || l.LeaderAddr == "" || r.Header.Get(ForwardedHeader) != "":
		writeJSON(w, http.StatusNotFound, "Not leader")
	default:
		s.forward(w, r, "routed-leader-check", l)
	}
}

// lbPath reports whether p (without the URL prefix) is one of the
// load-balancer checks served without authentication.
func lbPath(p string) bool {
	switch p {
	case "/api/lb-check", "/api/_ping", "/api/routed-leader-check":
		return true
	}
	return false
}
