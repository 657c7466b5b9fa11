package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

type fakeCluster struct {
	l       Leadership
	healthy error
}

func (f *fakeCluster) Self() string                   { return "n1:10008" }
func (f *fakeCluster) Leadership() Leadership         { return f.l }
func (f *fakeCluster) Peers() []string                { return []string{"n1:10008", "n2:10008", "n3:10008"} }
func (f *fakeCluster) Health(_ context.Context) error { return f.healthy }

func get(t *testing.T, s *Server, path string, mod func(*http.Request)) (*httptest.ResponseRecorder, any) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if mod != nil {
		mod(r)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	var v any
	if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
			t.Fatalf("%s: body is not JSON: %q", path, w.Body.String())
		}
	}
	return w, v
}

func newTestServer(c Cluster, o Options) *Server {
	return New(o, c, prometheus.NewRegistry(), zerolog.Nop())
}

func TestLeaderCheckAndRaftEndpoints(t *testing.T) {
	cases := []struct {
		name        string
		l           Leadership
		health      error
		leaderCheck int
		state       string
		raftHealth  int
	}{
		{"leader", Leadership{Known: true, IsLeader: true, Leader: "n1:10008"}, nil, 200, "Leader", 200},
		{"follower", Leadership{Known: true, Leader: "n2:10008"}, nil, 404, "Follower", 200},
		{"candidate", Leadership{}, nil, 404, "Candidate", 500},
		{"follower with broken log", Leadership{Known: true, Leader: "n2:10008"}, errors.New("no quorum"), 404, "Follower", 500},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newTestServer(&fakeCluster{l: c.l, healthy: c.health}, Options{})
			w, body := get(t, s, "/api/leader-check", nil)
			if w.Code != c.leaderCheck {
				t.Errorf("leader-check: %d, want %d", w.Code, c.leaderCheck)
			}
			if c.leaderCheck == 200 && body != "OK" || c.leaderCheck == 404 && body != "Not leader" {
				t.Errorf("leader-check body %v", body)
			}
			if !c.l.IsLeader {
				if w, _ := get(t, s, "/api/leader-check/503", nil); w.Code != 503 {
					t.Errorf("leader-check/503: %d", w.Code)
				}
			}
			if _, body := get(t, s, "/api/raft-state", nil); body != c.state {
				t.Errorf("raft-state %v, want %s", body, c.state)
			}
			if w, _ := get(t, s, "/api/raft-health", nil); w.Code != c.raftHealth {
				t.Errorf("raft-health %d, want %d", w.Code, c.raftHealth)
			}
		})
	}
}

func TestLeaderCheckRejectsBadCode(t *testing.T) {
	s := newTestServer(&fakeCluster{}, Options{})
	w, body := get(t, s, "/api/leader-check/abc", nil)
	m, _ := body.(map[string]any)
	if w.Code != 500 || m["Code"] != "ERROR" || !strings.Contains(m["Message"].(string), "abc") {
		t.Fatalf("got %d %v", w.Code, body)
	}
}

func TestStatusEnvelope(t *testing.T) {
	s := newTestServer(&fakeCluster{l: Leadership{Known: true, IsLeader: true, Leader: "n1:10008", LeaderAddr: "127.0.0.1:3000"}}, Options{})
	w, body := get(t, s, "/api/status", nil)
	m := body.(map[string]any)
	d := m["Details"].(map[string]any)
	if w.Code != 200 || m["Code"] != "OK" || d["Healthy"] != true || d["IsRaftLeader"] != true || d["RaftLeaderURI"] != "http://127.0.0.1:3000" {
		t.Fatalf("status: %d %v", w.Code, body)
	}
	s = newTestServer(&fakeCluster{healthy: errors.New("event log down")}, Options{StatusEndpoint: "/health/x"})
	w, body = get(t, s, "/health/x", nil)
	m = body.(map[string]any)
	if w.Code != 500 || m["Code"] != "ERROR" || m["Details"].(map[string]any)["Error"] != "event log down" {
		t.Fatalf("unhealthy status on custom endpoint: %d %v", w.Code, body)
	}
}

func TestRaftPeersAndLeader(t *testing.T) {
	s := newTestServer(&fakeCluster{l: Leadership{Known: true, Leader: "n2:10008"}}, Options{URLPrefix: "/orc"})
	_, body := get(t, s, "/orc/api/raft-peers", nil)
	if peers, ok := body.([]any); !ok || len(peers) != 3 {
		t.Fatalf("raft-peers %v", body)
	}
	if _, body := get(t, s, "/orc/api/raft-leader", nil); body != "n2:10008" {
		t.Fatalf("raft-leader %v", body)
	}
	if w, _ := get(t, s, "/api/raft-leader", nil); w.Code != 404 {
		t.Fatalf("route without URLPrefix answered %d", w.Code)
	}
}

func TestBasicAndMultiAuth(t *testing.T) {
	for _, method := range []string{"basic", "multi"} {
		s := newTestServer(&fakeCluster{l: Leadership{Known: true, IsLeader: true}}, Options{Auth: AuthOptions{Method: method, User: "admin", Password: "pw"}})
		if w, _ := get(t, s, "/api/raft-peers", nil); w.Code != 401 {
			t.Errorf("%s: no credentials: %d, want 401", method, w.Code)
		}
		if w, _ := get(t, s, "/api/raft-peers", func(r *http.Request) { r.SetBasicAuth("admin", "bad") }); w.Code != 401 {
			t.Errorf("%s: bad password: %d, want 401", method, w.Code)
		}
		if w, _ := get(t, s, "/api/raft-peers", func(r *http.Request) { r.SetBasicAuth("admin", "pw") }); w.Code != 200 {
			t.Errorf("%s: good credentials: %d", method, w.Code)
		}
		// Load balancer health checks stay open.
		if w, _ := get(t, s, "/api/leader-check", nil); w.Code != 200 {
			t.Errorf("%s: leader-check needs no auth: %d", method, w.Code)
		}
		ro := httptest.NewRequest(http.MethodGet, "/", nil)
		ro.SetBasicAuth("readonly", "anything")
		w, _ := get(t, s, "/api/raft-peers", func(r *http.Request) { r.SetBasicAuth("readonly", "anything") })
		if method == "multi" {
			if w.Code != 200 || s.authorizedForAction(ro) {
				t.Errorf("multi: readonly user: %d, may act %v", w.Code, s.authorizedForAction(ro))
			}
		} else if w.Code != 401 {
			t.Errorf("basic: readonly user admitted: %d", w.Code)
		}
	}
}

func TestProxyAuthAndReadOnly(t *testing.T) {
	s := newTestServer(&fakeCluster{}, Options{Auth: AuthOptions{Method: "proxy", PowerAuthUsers: []string{"dba"}}})
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Forwarded-User", "dba")
	if !s.authorizedForAction(r) || s.requestUser(r) != "dba" {
		t.Fatal("power user dba not authorized")
	}
	r.Header.Set("X-Forwarded-User", "intern")
	if s.authorizedForAction(r) {
		t.Fatal("intern authorized")
	}
	s = newTestServer(&fakeCluster{}, Options{Auth: AuthOptions{ReadOnly: true}})
	if s.authorizedForAction(r) {
		t.Fatal("ReadOnly config still authorizes actions")
	}
}

func TestMetricsServed(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "regent_test_total", Help: "t"})
	reg.MustRegister(c)
	c.Inc()
	s := New(Options{}, &fakeCluster{}, reg, zerolog.Nop())
	r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "regent_test_total 1") {
		t.Fatalf("metrics: %d %q", w.Code, w.Body.String())
	}
}
