package web

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/timeline/timelinetest"
)

func fetch(t *testing.T, url string, mod func(*http.Request)) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if mod != nil {
		mod(req)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestPagesAtOrchestratorPaths(t *testing.T) {
	s, _ := newSite(t, time.Now().Add(-time.Minute), api.AuthOptions{})
	resp, _ := fetch(t, s.srv.URL+"/", nil)
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/web/clusters" {
		t.Fatalf("/ answers %d to %q, want 302 to /web/clusters", resp.StatusCode, resp.Header.Get("Location"))
	}
	for path, page := range map[string]string{
		"/web/clusters": "clusters", "/web/cluster/" + timelinetest.Cluster: "cluster", "/web/cluster/alias/x": "cluster",
		"/web/search?s=198": "search", "/web/audit-recovery": "audit-recovery", "/web/audit-failure-detection": "audit-failure-detection",
		"/web/discover": "discover", "/web/status": "status",
	} {
		resp, body := fetch(t, s.srv.URL+path, nil)
		if resp.StatusCode != 200 || !strings.Contains(body, `data-page="`+page+`"`) || !strings.Contains(body, `data-write="true"`) {
			t.Errorf("%s: %d, page %q not rendered with write controls:\n%.300s", path, resp.StatusCode, page, body)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
	}
	for _, f := range []string{"app.js", "app.css"} {
		if resp, body := fetch(t, s.srv.URL+"/web/static/"+f, nil); resp.StatusCode != 200 || len(body) < 1000 {
			t.Errorf("static %s: %d, %d bytes", f, resp.StatusCode, len(body))
		}
	}
	if resp, _ := fetch(t, s.srv.URL+"/web/static/page.html", nil); resp.StatusCode != 404 {
		t.Errorf("the page template is served as a static file: %d", resp.StatusCode)
	}
}

func TestPagesBehindAuthenticationAndReadOnlyUsers(t *testing.T) {
	s, _ := newSite(t, time.Now().Add(-time.Minute), api.AuthOptions{Method: "multi", User: "admin", Password: "pw"})
	if resp, _ := fetch(t, s.srv.URL+"/web/clusters", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no credentials: %d, want 401", resp.StatusCode)
	}
	if resp, _ := fetch(t, s.srv.URL+"/web/stream?every=x", func(r *http.Request) { r.SetBasicAuth("admin", "pw") }); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("stream with a bad interval: %d, want 400", resp.StatusCode)
	}
	if resp, _ := fetch(t, s.srv.URL+"/web/stream", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("stream without credentials: %d, want 401", resp.StatusCode)
	}
	_, body := fetch(t, s.srv.URL+"/web/clusters", func(r *http.Request) { r.SetBasicAuth("readonly", "any") })
	if !strings.Contains(body, `data-write="false"`) || !strings.Contains(body, "read-only") {
		t.Errorf("the readonly user's page offers writes:\n%.400s", body)
	}
	_, body = fetch(t, s.srv.URL+"/web/clusters", func(r *http.Request) { r.SetBasicAuth("admin", "pw") })
	if !strings.Contains(body, `data-write="true"`) {
		t.Errorf("the admin's page offers no writes")
	}
	ro, _ := newSite(t, time.Now().Add(-time.Minute), api.AuthOptions{ReadOnly: true})
	if _, body := fetch(t, ro.srv.URL+"/web/cluster/x", nil); !strings.Contains(body, `data-write="false"`) {
		t.Errorf("ReadOnly: the page offers writes")
	}
}

func TestTreeHasTheTopologyTokens(t *testing.T) {
	s, _ := newSite(t, time.Now().Add(-time.Minute), api.AuthOptions{})
	_, body := fetch(t, s.srv.URL+"/web/api/tree/"+timelinetest.Cluster, nil)
	var rep struct{ Details Tree }
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err, body)
	}
	want, err := projections.RenderTopology(s.r.View(), timelinetest.Cluster, false)
	if err != nil {
		t.Fatal(err)
	}
	tr := rep.Details
	if len(tr.Nodes) != 3 || tr.Text != want || tr.Nodes[0].KeyString != timelinetest.Cluster {
		t.Fatalf("tree %+v, text %q, want 3 nodes under %s and %q", tr.Nodes, tr.Text, timelinetest.Cluster, want)
	}
	lines := strings.Split(want, "\n")
	for i, n := range tr.Nodes {
		toks := []string{}
		for _, tok := range n.Tokens {
			if tok != "" {
				toks = append(toks, tok)
			}
		}
		if !strings.HasSuffix(lines[i], "["+strings.Join(toks, ",")+"]") || !strings.Contains(lines[i], n.KeyString) {
			t.Errorf("node %d %s %v does not match the topology line %q", i, n.KeyString, n.Tokens, lines[i])
		}
	}
	if resp, body := fetch(t, s.srv.URL+"/web/api/tree/nosuch", nil); resp.StatusCode != 404 || !strings.Contains(body, "nosuch") {
		t.Errorf("unknown cluster: %d %s", resp.StatusCode, body)
	}
}

func TestRelocateCheck(t *testing.T) {
	s, _ := newSite(t, time.Now().Add(-time.Minute), api.AuthOptions{})
	base := s.srv.URL + "/web/api/relocate-check/"
	for _, c := range []struct{ path, want string }{
		{timelinetest.Banned + "/3306/" + timelinetest.Good + "/3306", `"OK":true`},
		{timelinetest.Good + "/3306/" + timelinetest.Good + "/3306", "below itself"},
		{timelinetest.Primary + "/3306/" + timelinetest.Good + "/3306", "198.18.0.2:3306 replicates from 198.18.0.1:3306"},
		{timelinetest.Banned + "/3306/198.18.0.9/3306", "unknown destination 198.18.0.9:3306"},
	} {
		resp, body := fetch(t, base+c.path, nil)
		if resp.StatusCode != 200 || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s, want %s", c.path, resp.StatusCode, body, c.want)
		}
	}
	if resp, body := fetch(t, base+"bad%20host/3306/x/1", nil); resp.StatusCode != 400 || !strings.Contains(body, "{host}") {
		t.Errorf("bad key: %d %s", resp.StatusCode, body)
	}
	if len(s.ops.Calls()) != 0 {
		t.Errorf("the check ran operations: %v", s.ops.Calls())
	}
}

// The stream says "change" when the fold folds, and not more often than
// the interval.
func TestStreamSignalsChanges(t *testing.T) {
	s, tr := newSite(t, time.Now().Add(-time.Minute), api.AuthOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.srv.URL+"/web/stream", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	next := func(prefix string) string {
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("stream ended waiting for %q", prefix)
				}
				if strings.HasPrefix(l, prefix) {
					return l
				}
			case <-ctx.Done():
				t.Fatalf("no %q in time", prefix)
			}
		}
	}
	next("event: hello")
	start := time.Now()
	for i := range 5 { // five folds in a burst: coalesced
		s.r.advance(killIndex(tr) + i + 1)
	}
	next("event: change")
	s.r.advance(len(tr.Items))
	next("event: change")
	if d := time.Since(start); d < 400*time.Millisecond || d > 3*time.Second {
		t.Errorf("two changes %v apart: want the 400 ms interval between them, and not much more", d)
	}
	if v := s.r.View(); func() bool {
		m, ok := v.ClusterMaster(timelinetest.Good + ":3306")
		return ok && m.Key.Hostname == timelinetest.Good
	}() == false {
		t.Logf("clusters after the failover: %v", v.Clusters())
	}
}

func TestTimelineAndWhy(t *testing.T) {
	s, tr := newSite(t, time.Now().Add(-time.Minute), api.AuthOptions{})
	s.r.advance(len(tr.Items))
	_, body := fetch(t, s.srv.URL+"/web/api/timeline/"+timelinetest.Cluster, nil)
	for _, want := range []string{`"Kind":"detection"`, `"Kind":"recovery"`, `"Kind":"step"`, `"Kind":"hook"`, `"Kind":"vip"`, `"Kind":"completed"`, "new primary " + timelinetest.Good} {
		if !strings.Contains(body, want) {
			t.Errorf("timeline lacks %s: %s", want, body)
		}
	}
	_, body = fetch(t, s.srv.URL+"/web/api/timeline/"+timelinetest.Good+":3306", nil)
	if n := strings.Count(body, `"Kind":"completed"`); n != 1 || !strings.Contains(body, `"Kind":"detection"`) {
		t.Errorf("the successor's cluster timeline: %d completions (want 1), or no detection: %s", n, body)
	}
	_, body = fetch(t, s.srv.URL+"/web/api/why-recovery/"+tr.RecoveryID, nil)
	var y struct{ Details Why }
	if err := json.Unmarshal([]byte(body), &y); err != nil {
		t.Fatal(err)
	}
	if y.Details.Successor != timelinetest.Good+":3306" || len(y.Details.Rejected) == 0 || y.Details.Rejected[0].Key != timelinetest.Banned+":3306" {
		t.Errorf("why: %+v", y.Details)
	}
	_, body = fetch(t, s.srv.URL+"/web/api/why/"+timelinetest.Cluster+"?at="+tr.Killed.Add(-3*time.Second).Format(time.RFC3339Nano)+"&window=2s", nil)
	if !strings.Contains(body, "no failure detected") {
		t.Errorf("why nothing before the kill: %s", body)
	}
	if resp, body := fetch(t, s.srv.URL+"/web/api/why/x?window=-1s", nil); resp.StatusCode != 400 || !strings.Contains(body, "window") {
		t.Errorf("bad window: %d %s", resp.StatusCode, body)
	}
}

func TestTopologyAtBeforeTheFailover(t *testing.T) {
	s, tr := newSite(t, time.Now().Add(-time.Minute), api.AuthOptions{})
	s.r.advance(len(tr.Items))
	at := tr.Killed.Add(-2 * time.Second).Format(time.RFC3339Nano)
	_, body := fetch(t, s.srv.URL+"/web/api/topology-at/"+timelinetest.Cluster+"?at="+at, nil)
	var rep struct{ Details Tree }
	if err := json.Unmarshal([]byte(body), &rep); err != nil {
		t.Fatal(err, body)
	}
	if n := rep.Details.Nodes; len(n) != 3 || n[0].KeyString != timelinetest.Primary+":3306" {
		t.Fatalf("topology before the failover: %+v", rep.Details)
	}
	_, body = fetch(t, s.srv.URL+"/web/api/tree/"+timelinetest.Good+":3306", nil)
	if err := json.Unmarshal([]byte(body), &rep); err != nil || rep.Details.Nodes[0].KeyString != timelinetest.Good+":3306" {
		t.Fatalf("topology now: %s", body)
	}
	if resp, body := fetch(t, s.srv.URL+"/web/api/topology-at/x?at=yesterday", nil); resp.StatusCode != 400 || !strings.Contains(body, "at") {
		t.Errorf("bad at: %d %s", resp.StatusCode, body)
	}
}

// Under URLPrefix every page, asset and redirect carries the prefix.
func TestURLPrefix(t *testing.T) {
	r := newReplay(t, timelinetest.Failover(t).Items, 10)
	s := api.New(api.Options{URLPrefix: "/orc/"}, leader{}, prometheus.NewRegistry(), zerolog.Nop())
	if _, err := Register(s, r, Options{}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	if resp, _ := fetch(t, srv.URL+"/orc/", nil); resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/orc/web/clusters" {
		t.Errorf("/orc/: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, body := fetch(t, srv.URL+"/orc/web/clusters", nil); !strings.Contains(body, `data-prefix="/orc"`) || !strings.Contains(body, `src="/orc/web/static/app.js"`) {
		t.Errorf("page under the prefix:\n%.500s", body)
	}
	if resp, _ := fetch(t, srv.URL+"/orc/web/static/app.css", nil); resp.StatusCode != 200 {
		t.Errorf("asset under the prefix: %d", resp.StatusCode)
	}
	if resp, _ := fetch(t, srv.URL+"/web/clusters", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("page outside the prefix: %d, want 404", resp.StatusCode)
	}
}

// An open stream does not hold the server's graceful shutdown.
func TestStreamEndsOnShutdown(t *testing.T) {
	r := newReplay(t, timelinetest.Failover(t).Items, 10)
	s := api.New(api.Options{}, leader{}, prometheus.NewRegistry(), zerolog.Nop())
	if _, err := Register(s, r, Options{}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/web/stream")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if l, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || !strings.HasPrefix(l, "retry:") {
		t.Fatalf("stream start %q %v", l, err)
	}
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("shutdown with an open stream took %v, want well under the 2 s bound", d)
	}
}

// slowHistory blocks every read until release is closed, past its bound
// (a read of a long log that overruns).
type slowHistory struct {
	*replay
	release chan struct{}
}

func (h slowHistory) ViewAt(ctx context.Context, at time.Time) (*projections.View, error) {
	<-h.release
	return h.replay.ViewAt(ctx, at)
}

// One read of the event log at a time: a second waits, then gets 503.
func TestTopologyAtOneReadAtATime(t *testing.T) {
	tr := timelinetest.Failover(t)
	r := newReplay(t, tr.Items, len(tr.Items))
	h := slowHistory{replay: r, release: make(chan struct{})}
	s := api.New(api.Options{}, leader{}, prometheus.NewRegistry(), zerolog.Nop())
	if _, err := Register(s, r, Options{History: h, HistoryBound: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	url := srv.URL + "/web/api/topology-at/" + timelinetest.Cluster + "?at=" + tr.Killed.Add(-2*time.Second).Format(time.RFC3339Nano)
	first := make(chan int, 1)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	time.Sleep(100 * time.Millisecond) // the first read holds the log
	if resp, body := fetch(t, url, nil); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "another read") {
		t.Errorf("second read: %d %s, want 503", resp.StatusCode, body)
	}
	close(h.release)
	if code := <-first; code != http.StatusOK {
		t.Errorf("first read: %d, want 200", code)
	}
	if resp, body := fetch(t, url, nil); resp.StatusCode != 200 || !strings.Contains(body, timelinetest.Primary) {
		t.Errorf("read after release: %d %s", resp.StatusCode, body)
	}
}
