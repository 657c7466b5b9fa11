package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// reply of a fake orchestrator endpoint.
type canned struct {
	status int
	body   string
}

// fakeAPI answers like orchestrator: canned bodies keyed by request URI
// ("/api/instance/db1/3306"), Go's text 404 for anything else. It records
// every request.
type fakeAPI struct {
	*httptest.Server
	mu     sync.Mutex
	routes map[string]canned
	seen   []seenRequest
}

type seenRequest struct {
	uri    string
	header http.Header
}

func newFakeAPI(t *testing.T, routes map[string]canned) *fakeAPI {
	t.Helper()
	f := &fakeAPI{routes: routes}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.seen = append(f.seen, seenRequest{uri: r.RequestURI, header: r.Header.Clone()})
		c, ok := f.routes[r.RequestURI]
		f.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		if c.status == 0 {
			c.status = http.StatusOK
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(c.status)
		_, _ = w.Write([]byte(c.body))
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.seen...)
}

func (f *fakeAPI) uris() []string {
	var u []string
	for _, r := range f.requests() {
		u = append(u, r.uri)
	}
	return u
}

// result of one run of the client.
type result struct {
	stdout, stderr string
	code           int
	sleeps         []time.Duration
}

// runCLI runs the client in-process with env as its whole environment and
// a retry schedule that records instead of sleeping.
func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	var res result
	a := &app{
		name:   "regent-client",
		pid:    4242,
		stdout: &out,
		stderr: &errb,
		getenv: func(k string) string { return env[k] },
		whoami: func() string { return "tester" },
		httpc:  &http.Client{Timeout: 10 * time.Second},
		delays: retryDelays(),
		sleep: func(_ context.Context, d time.Duration) error {
			res.sleeps = append(res.sleeps, d)
			return nil
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res.code = a.run(ctx, args)
	res.stdout, res.stderr = out.String(), errb.String()
	return res
}

// apiEnv points the client at one fake server.
func apiEnv(f *fakeAPI) map[string]string { return map[string]string{"ORCHESTRATOR_API": f.URL} }
