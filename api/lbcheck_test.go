package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// lb-check and _ping are liveness checks: 200 "OK" on every node, leader
// or not, as orchestrator's LBCheck; leader-check is the one that says 404
// off the leader.
func TestLBCheckAndPingAnswerOKOnEveryNode(t *testing.T) {
	for _, l := range []Leadership{{Known: true, IsLeader: true, Leader: "n1:10008"}, {Known: true, Leader: "n2:10008"}, {}} {
		s := newTestServer(&fakeCluster{l: l}, Options{Auth: AuthOptions{Method: "basic", User: "admin", Password: "pw"}})
		for _, p := range []string{"/api/lb-check", "/api/_ping"} {
			w, body := get(t, s, p, nil)
			if w.Code != 200 || body != "OK" {
				t.Errorf("%s on %+v without credentials: %d %v, want 200 OK", p, l, w.Code, body)
			}
		}
		if w, _ := get(t, s, "/api/leader-check", nil); l.IsLeader != (w.Code == 200) {
			t.Errorf("leader-check on %+v: %d", l, w.Code)
		}
	}
}

// routed-leader-check: 200 on the leader; a follower forwards it to the
// leader's API (configured peer addresses only) and relays its 200; with
// no leader known, or when the forwarded node no longer leads, 404.
func TestRoutedLeaderCheck(t *testing.T) {
	leader := newTestServer(&fakeCluster{l: Leadership{Known: true, IsLeader: true, Leader: "n2:10008"}}, Options{})
	var hits int
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		if r.Header.Get(ForwardedHeader) != "n1:10008" {
			t.Errorf("forwarded without %s: %v", ForwardedHeader, r.Header)
		}
		leader.Handler().ServeHTTP(w, r)
	}))
	defer ts.Close()
	addr := strings.TrimPrefix(ts.URL, "http://")

	if w, body := get(t, leader, "/api/routed-leader-check", nil); w.Code != 200 || body != "OK" {
		t.Fatalf("leader: %d %v", w.Code, body)
	}
	follower := newTestServer(&fakeCluster{l: Leadership{Known: true, Leader: "n2:10008", LeaderAddr: addr}},
		Options{ForwardTo: []string{addr}, Auth: AuthOptions{Method: "basic", User: "admin", Password: "pw"}})
	if w, body := get(t, follower, "/api/routed-leader-check", nil); w.Code != 200 || body != "OK" || hits != 1 {
		t.Fatalf("follower: %d %v after %d forwards, want 200 OK through the leader", w.Code, body, hits)
	}
	none := newTestServer(&fakeCluster{}, Options{})
	if w, body := get(t, none, "/api/routed-leader-check", nil); w.Code != 404 || body != "Not leader" {
		t.Fatalf("no leader: %d %v, want 404 Not leader", w.Code, body)
	}
	stale := newTestServer(&fakeCluster{l: Leadership{Known: true, Leader: "n3:10008", LeaderAddr: addr}}, Options{ForwardTo: []string{addr}})
	w, body := get(t, stale, "/api/routed-leader-check", func(r *http.Request) { r.Header.Set(ForwardedHeader, "n9") })
	if w.Code != 404 || body != "Not leader" || hits != 1 {
		t.Fatalf("already forwarded: %d %v (%d forwards), want 404 and no second hop", w.Code, body, hits)
	}
	rogue := newTestServer(&fakeCluster{l: Leadership{Known: true, Leader: "n3:10008", LeaderAddr: addr}}, Options{})
	if w, _ := get(t, rogue, "/api/routed-leader-check", nil); w.Code == 200 || hits != 1 {
		t.Fatalf("leader address not a configured peer: %d after %d forwards, want a refusal", w.Code, hits)
	}
}
