package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestEndpointPrecedenceAndNormalisation(t *testing.T) {
	cases := []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, nil, "http://localhost:3000/api"},
		{map[string]string{"ORCHESTRATOR_API": "http://o:3000"}, nil, "http://o:3000/api"},
		{map[string]string{"ORCHESTRATOR_API": "http://o:3000/"}, nil, "http://o:3000/api"},
		{map[string]string{"ORCHESTRATOR_API": "http://o:3000/api"}, nil, "http://o:3000/api"},
		{map[string]string{"ORCHESTRATOR_API": "http://o:3000/api/"}, nil, "http://o:3000/api"},
		{map[string]string{"ORCHESTRATOR_API": "http://o:3000/prefix"}, nil, "http://o:3000/prefix/api"},
		{map[string]string{"ORCHESTRATOR_API": "http://o:3000", "REGENT_API": "http://r:3000"}, nil, "http://r:3000/api"},
		{map[string]string{"REGENT_API": "http://r:3000"}, []string{"-U", "http://u:3000"}, "http://u:3000/api"},
		{map[string]string{"REGENT_API": "http://r:3000"}, []string{"-U", ""}, "http://r:3000/api"},
	}
	for _, c := range cases {
		res := runCLI(t, c.env, append([]string{"-c", "which-api"}, c.args...)...)
		if res.code != 0 || res.stdout != c.want+"\n" {
			t.Errorf("env %v args %q: code %d stdout %q stderr %q, want %q", c.env, c.args, res.code, res.stdout, res.stderr, c.want)
		}
	}
}

func leaderNode(t *testing.T, leaderCheck, routed int) *fakeAPI {
	t.Helper()
	return newFakeAPI(t, map[string]canned{
		"/api/leader-check":        {leaderCheck, `"status"`},
		"/api/routed-leader-check": {routed, `"status"`},
	})
}

func TestLeaderDiscoveryPicksFirst200(t *testing.T) {
	a, b, c := leaderNode(t, 404, 200), leaderNode(t, 200, 200), leaderNode(t, 200, 200)
	env := map[string]string{"ORCHESTRATOR_API": a.URL + " " + b.URL + "/api " + c.URL}
	res := runCLI(t, env, "-c", "which-api")
	if res.code != 0 || res.stdout != b.URL+"/api\n" {
		t.Fatalf("which-api: code %d stdout %q stderr %q, want %s/api", res.code, res.stdout, res.stderr, b.URL)
	}
	if got := a.uris(); !reflect.DeepEqual(got, []string{"/api/leader-check"}) {
		t.Errorf("first node saw %q", got)
	}
	if got := c.uris(); len(got) != 0 {
		t.Errorf("third node must not be asked once the second answered 200, saw %q", got)
	}
}

func TestLeaderDiscoveryFallsBackToRouted(t *testing.T) {
	a, b := leaderNode(t, 404, 404), leaderNode(t, 404, 200)
	env := map[string]string{"ORCHESTRATOR_API": a.URL + " " + b.URL}
	res := runCLI(t, env, "-c", "which-api")
	if res.code != 0 || res.stdout != b.URL+"/api\n" {
		t.Fatalf("code %d stdout %q stderr %q", res.code, res.stdout, res.stderr)
	}
	want := []string{"/api/leader-check", "/api/routed-leader-check"}
	if got := a.uris(); !reflect.DeepEqual(got, want) {
		t.Errorf("first node saw %q, want %q", got, want)
	}
}

func TestLeaderDiscoveryFails(t *testing.T) {
	a, b := leaderNode(t, 404, 404), leaderNode(t, 503, 500)
	env := map[string]string{"ORCHESTRATOR_API": a.URL + " " + b.URL}
	res := runCLI(t, env, "-c", "clusters")
	want := "regent-client[4242]: Cannot determine leader from " + a.URL + " " + b.URL + "\n"
	if res.code != 1 || res.stderr != want || res.stdout != "" {
		t.Fatalf("code %d stdout %q stderr %q, want stderr %q", res.code, res.stdout, res.stderr, want)
	}
}

func TestLeaderCheckTimesOutAfterOneSecond(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	b := leaderNode(t, 200, 200)
	start := time.Now()
	res := runCLI(t, map[string]string{"ORCHESTRATOR_API": slow.URL + " " + b.URL}, "-c", "which-api")
	if res.code != 0 || res.stdout != b.URL+"/api\n" {
		t.Fatalf("code %d stdout %q stderr %q", res.code, res.stdout, res.stderr)
	}
	if el := time.Since(start); el < 900*time.Millisecond || el > 3*time.Second {
		t.Errorf("a hanging node must cost about 1 s, took %s", el)
	}
}

func TestLeaderDiscoveryUsesChosenNode(t *testing.T) {
	a := leaderNode(t, 404, 404)
	b := newFakeAPI(t, map[string]canned{
		"/api/leader-check":  {200, `"OK"`},
		"/api/clusters-info": {200, `[{"ClusterName":"db1:3306","ClusterAlias":"main"}]`},
	})
	res := runCLI(t, map[string]string{"ORCHESTRATOR_API": a.URL + " " + b.URL}, "-c", "clusters")
	if res.code != 0 || res.stdout != "db1:3306\n" {
		t.Fatalf("code %d stdout %q stderr %q", res.code, res.stdout, res.stderr)
	}
	if got := b.uris(); !reflect.DeepEqual(got, []string{"/api/leader-check", "/api/clusters-info"}) {
		t.Errorf("leader saw %q", got)
	}
}

func TestAuthentication(t *testing.T) {
	cases := []struct {
		name       string
		env        map[string]string
		args       []string
		wantHeader string // header name to inspect
		wantValue  string
	}{
		{"basic from env", map[string]string{"ORCHESTRATOR_AUTH_USER": "alice", "ORCHESTRATOR_AUTH_PASSWORD": "pw"}, nil, "Authorization", "Basic YWxpY2U6cHc="},
		{"basic from -b", map[string]string{"ORCHESTRATOR_AUTH_USER": "alice", "ORCHESTRATOR_AUTH_PASSWORD": "pw"}, []string{"-b", "bob:pw2"}, "Authorization", "Basic Ym9iOnB3Mg=="},
		{"no auth", nil, nil, "Authorization", ""},
		{"header from env", map[string]string{"ORCHESTRATOR_AUTH_USER_HEADER": "X-Forwarded-User: alice"}, nil, "X-Forwarded-User", "alice"},
		{"header from -e wins over basic", map[string]string{"ORCHESTRATOR_AUTH_USER": "alice"}, []string{"--headers-auth", "X-User: bob"}, "X-User", "bob"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeAPI(t, map[string]canned{"/api/all-instances": {200, `[]`}})
			env := map[string]string{"ORCHESTRATOR_API": f.URL}
			for k, v := range c.env {
				env[k] = v
			}
			res := runCLI(t, env, append([]string{"-c", "all-instances"}, c.args...)...)
			if res.code != 0 {
				t.Fatalf("code %d stderr %q", res.code, res.stderr)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("requests %d", len(reqs))
			}
			if got := reqs[0].header.Get(c.wantHeader); got != c.wantValue {
				t.Errorf("%s = %q, want %q", c.wantHeader, got, c.wantValue)
			}
			if c.wantHeader != "Authorization" && reqs[0].header.Get("Authorization") != "" {
				t.Errorf("header auth must replace basic auth, got Authorization %q", reqs[0].header.Get("Authorization"))
			}
		})
	}
}

func TestUnauthorizedFailsAtOnceWithMaskedURL(t *testing.T) {
	f := newFakeAPI(t, map[string]canned{"/api/clusters-info": {401, `Unauthorized`}})
	api := strings.Replace(f.URL, "http://", "http://user:topsecret@", 1)
	res := runCLI(t, map[string]string{"ORCHESTRATOR_API": api}, "-c", "clusters")
	if res.code != 1 || !strings.HasPrefix(res.stderr, "regent-client[4242]: Cannot access orchestrator at http://user:xxxxx@") {
		t.Fatalf("code %d stderr %q", res.code, res.stderr)
	}
	if strings.Contains(res.stderr, "topsecret") {
		t.Errorf("password leaked: %q", res.stderr)
	}
	if len(f.requests()) != 1 || len(res.sleeps) != 0 {
		t.Errorf("401 must not be retried: %d requests, sleeps %v", len(f.requests()), res.sleeps)
	}
}

func TestRetryScheduleOnConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	res := runCLI(t, map[string]string{"ORCHESTRATOR_API": "http://" + addr}, "-c", "clusters")
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 2500 * time.Millisecond, 5 * time.Second}
	if !reflect.DeepEqual(res.sleeps, want) {
		t.Errorf("sleeps %v, want orchestrator-client's %v", res.sleeps, want)
	}
	if res.code != 1 || !strings.HasPrefix(res.stderr, "regent-client[4242]: Cannot access orchestrator at http://"+addr+"/api.  Check ORCHESTRATOR_API") {
		t.Errorf("code %d stderr %q", res.code, res.stderr)
	}
}

func TestRetryNonJSONThenSucceed(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html>bad gateway</html>"))
			return
		}
		_, _ = w.Write([]byte(`[{"Key":{"Hostname":"db1","Port":3306}}]`))
	}))
	defer srv.Close()
	res := runCLI(t, map[string]string{"ORCHESTRATOR_API": srv.URL}, "-c", "all-instances")
	if res.code != 0 || res.stdout != "db1:3306\n" {
		t.Fatalf("code %d stdout %q stderr %q", res.code, res.stdout, res.stderr)
	}
	if want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}; !reflect.DeepEqual(res.sleeps, want) || calls.Load() != 3 {
		t.Errorf("calls %d sleeps %v, want 3 calls and %v", calls.Load(), res.sleeps, want)
	}
}

func TestErrorEnvelopeIsNotRetried(t *testing.T) {
	f := newFakeAPI(t, map[string]canned{
		"/api/discover/198.18.0.1/3306": {500, `{"Code":"ERROR","Message":"MySQLHostnameResolveMethod configured to use @@report_host but 198.18.0.1:3306 has NULL/empty @@report_host","Details":null}`},
		"/api/forget/db1/3306":          {500, `{"Code":"ERROR","Message":"Cannot forget 'db1:3306'\n  now","Details":{"Hostname":"db1","Port":3306}}`},
	})
	res := runCLI(t, apiEnv(f), "-c", "discover", "-i", "198.18.0.1:3306")
	wantErr := "MySQLHostnameResolveMethod configured to use @@report_host but 198.18.0.1:3306 has NULL/empty @@report_host\n"
	if res.code != 1 || res.stderr != wantErr || res.stdout != "" {
		t.Errorf("discover: code %d stdout %q stderr %q", res.code, res.stdout, res.stderr)
	}
	res = runCLI(t, apiEnv(f), "-c", "forget", "-i", "db1")
	if res.code != 1 || res.stderr != "Cannot forget db1:3306 now\n" || res.stdout != `{"Hostname":"db1","Port":3306}`+"\n" {
		t.Errorf("forget: code %d stdout %q stderr %q", res.code, res.stdout, res.stderr)
	}
	if n := len(f.requests()); n != 2 || len(res.sleeps) != 0 {
		t.Errorf("HTTP 500 envelopes must not be retried: %d requests, sleeps %v", n, res.sleeps)
	}
}

func TestMissingEndpointFailsFast(t *testing.T) {
	f := newFakeAPI(t, nil)
	res := runCLI(t, apiEnv(f), "-c", "check-global-recoveries")
	if res.code != 1 || !strings.Contains(res.stderr, "API path not found: "+f.URL+"/api/check-global-recoveries (HTTP 404)") {
		t.Errorf("code %d stderr %q", res.code, res.stderr)
	}
	if len(f.requests()) != 1 || len(res.sleeps) != 0 {
		t.Errorf("a text 404 must not be retried: %d requests", len(f.requests()))
	}
}

func TestParseReplyShapes(t *testing.T) {
	cases := []struct {
		body     string
		envelope bool
		isErr    bool
	}{
		{`[1,2]`, false, false},
		{`"healthy"`, false, false},
		{`{"Key":{"Hostname":"a","Port":1}}`, false, false},
		{`{"Code":"OK","Message":"m","Details":1}`, true, false},
		{`{"Code":"ERROR","Message":"m","Details":null}`, true, true},
		{`null`, false, false},
	}
	for _, c := range cases {
		r, err := parseReply([]byte(c.body))
		if (err != nil) != c.isErr {
			t.Errorf("%s: err %v", c.body, err)
		}
		if err == nil && r.envelope != c.envelope {
			t.Errorf("%s: envelope %v, want %v", c.body, r.envelope, c.envelope)
		}
	}
}
