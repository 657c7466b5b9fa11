package api

import (
	"net/http"
	"os"
	"strconv"
	"time"
)

func (s *Server) registerHealth() {
	s.Handle("GET "+s.opts.StatusEndpoint, s.status)
	if s.opts.StatusEndpoint != "/api/status" {
		s.Handle("GET /api/status", s.status)
	}
	s.Handle("GET /api/health", s.status)
	s.Handle("GET /api/leader-check", s.leaderCheck)
	s.Handle("GET /api/leader-check/{code}", s.leaderCheck)
	s.Handle("GET /api/raft-state", s.raftState)
	s.Handle("GET /api/raft-leader", s.raftLeader)
	s.Handle("GET /api/raft-health", s.raftHealth)
	s.Handle("GET /api/raft-peers", s.raftPeers)
}

// statusDetails mirrors orchestrator's health status object.
type statusDetails struct {
	Healthy            bool
	Hostname           string
	Token              string
	IsActiveNode       bool
	ActiveNode         activeNode
	Error              any
	AvailableNodes     []activeNode
	RaftLeader         string
	IsRaftLeader       bool
	RaftLeaderURI      string
	RaftAdvertise      string
	RaftHealthyMembers []string
	AppVersion         string
	Uptime             string
}

type activeNode struct {
	Hostname   string
	Token      string
	AppVersion string
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	host, _ := os.Hostname()
	l := s.cluster.Leadership()
	d := statusDetails{
		Hostname:      host,
		Token:         s.cluster.Self(),
		IsActiveNode:  l.IsLeader,
		ActiveNode:    activeNode{Hostname: l.Leader, Token: l.Leader, AppVersion: s.opts.Version},
		RaftLeader:    l.Leader,
		IsRaftLeader:  l.IsLeader,
		RaftAdvertise: s.cluster.Self(),
		AppVersion:    s.opts.Version,
		Uptime:        time.Since(s.started).Round(time.Second).String(),
	}
	if l.LeaderAddr != "" {
		d.RaftLeaderURI = s.Scheme() + "://" + l.LeaderAddr
	}
	for _, p := range s.cluster.Peers() {
		d.AvailableNodes = append(d.AvailableNodes, activeNode{Hostname: p, Token: p, AppVersion: s.opts.Version})
	}
	if err := s.cluster.Health(r.Context()); err != nil {
		d.Error = err.Error()
		respondError(w, "Application node is unhealthy", d)
		return
	}
	d.Healthy = true
	if l.Known {
		d.RaftHealthyMembers = []string{l.Leader}
		if !l.IsLeader {
			d.RaftHealthyMembers = append(d.RaftHealthyMembers, s.cluster.Self())
		}
	}
	respondOK(w, "Application node is healthy", d)
}

// leaderCheck: 200 "OK" on the leader, else 404 "Not leader" (or the code
// given in the path, e.g. /api/leader-check/503).
func (s *Server) leaderCheck(w http.ResponseWriter, r *http.Request) {
	if s.cluster.Leadership().IsLeader {
		writeJSON(w, http.StatusOK, "OK")
		return
	}
	code := http.StatusNotFound
	if c := r.PathValue("code"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 100 || n > 599 {
			respondError(w, "leader-check: bad status code "+strconv.Quote(c), nil)
			return
		}
		code = n
	}
	writeJSON(w, code, "Not leader")
}

// raftState is "Leader", "Follower" or "Candidate" (no leader known).
func (s *Server) raftState(w http.ResponseWriter, _ *http.Request) {
	respondBare(w, s.state())
}

func (s *Server) state() string {
	l := s.cluster.Leadership()
	switch {
	case l.IsLeader:
		return "Leader"
	case l.Known:
		return "Follower"
	default:
		return "Candidate"
	}
}

func (s *Server) raftLeader(w http.ResponseWriter, _ *http.Request) {
	l := s.cluster.Leadership()
	if !l.Known {
		respondError(w, "Cannot determine raft leader", nil)
		return
	}
	respondBare(w, l.Leader)
}

// raftHealth is 200 "healthy" only in the Leader or Follower state with a
// healthy event log, as orchestrator's.
func (s *Server) raftHealth(w http.ResponseWriter, r *http.Request) {
	st := s.state()
	if st == "Candidate" {
		respondError(w, "unhealthy", st)
		return
	}
	if err := s.cluster.Health(r.Context()); err != nil {
		respondError(w, "unhealthy", err.Error())
		return
	}
	respondBare(w, "healthy")
}

func (s *Server) raftPeers(w http.ResponseWriter, _ *http.Request) {
	respondBare(w, s.cluster.Peers())
}
