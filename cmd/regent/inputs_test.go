package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/test/natstest"
)

// request sends method to url with the headers and decodes the JSON
// envelope (Code, Message, Details) when there is one.
func request(t testing.TB, method, url string, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url[:min(len(url), 120)], err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]any
	_ = json.Unmarshal(b, &env) // HEAD answers have no body
	return resp.StatusCode, env
}

// logRecords lists every record of both streams as "stream seq subject".
func logRecords(t testing.TB, l *eventlog.Log) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []string
	for _, stream := range []string{events.EventsName, events.ObservationsName} {
		if err := l.Read(ctx, eventlog.ReadOptions{Stream: stream}, func(r eventlog.Record) error {
			out = append(out, fmt.Sprintf("%s %d %s %s", stream, r.Sequence, r.Env.Kind, r.Env.Instance))
			return nil
		}); err != nil {
			t.Fatalf("read %s: %v", stream, err)
		}
	}
	return out
}

// TestServeRefusesBadInputAndCrossSiteWritesAndStaysUp is issue 12's
// acceptance test for input validation and HTTP writes, on a real
// `regent serve`: a 4,100-byte host name to /api/discover (which used to
// end serve with "nats: maximum control line exceeded", and crash-loop it
// on restart) answers 400 naming {host}, stores nothing (log and inventory
// unchanged) and the node stays up; HEAD and cross-site GETs to
// /api/disable-global-recoveries change nothing; GET and POST from curl and
// from the API's own origin work.
func TestServeRefusesBadInputAndCrossSiteWritesAndStaysUp(t *testing.T) {
	dir := t.TempDir()
	httpPort, natsPort := natstest.FreePort(t), natstest.FreePort(t)
	p := startRegent(t, dir, "--listen", addr(httpPort), "--nats-listen", addr(natsPort), "--set", "NATSClusterSecret="+testSecret)
	base := "http://" + addr(httpPort)
	waitHTTP(t, p, base+"/api/leader-check", 200, 20*time.Second)
	l := externalLog(t, addr(natsPort))
	before := logRecords(t, l)

	long := strings.Repeat("a", 4100)
	for _, path := range []string{"/api/discover/" + long + "/3306", "/api/async-discover/" + long + "/3306",
		"/api/discover/db%E2%80%AE1/3306", "/api/discover/db1/0", "/api/forget/" + long + "/3306",
		"/api/instance/" + long + "/3306", "/api/relocate/db1/3306/" + long + "/3306"} {
		code, env := request(t, http.MethodGet, base+path, nil)
		param := "host"
		if strings.HasSuffix(path, "/0") {
			param = "port"
		} else if strings.HasPrefix(path, "/api/relocate/") {
			param = "dhost"
		}
		d, _ := env["Details"].(map[string]any)
		if code != http.StatusBadRequest || env["Code"] != "ERROR" || d["Parameter"] != param {
			t.Errorf("GET %s: %d %v, want 400 naming {%s}", path[:min(len(path), 60)], code, env, param)
		}
	}
	for _, c := range []struct {
		method string
		hdr    map[string]string
		want   int
	}{
		{http.MethodHead, nil, http.StatusMethodNotAllowed},
		{http.MethodGet, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{http.MethodGet, map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{http.MethodPost, map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
	} {
		if code, env := request(t, c.method, base+"/api/disable-global-recoveries", c.hdr); code != c.want {
			t.Errorf("%s disable-global-recoveries %v: %d %v, want %d", c.method, c.hdr, code, env, c.want)
		}
	}
	time.Sleep(time.Second) // serve used to exit within milliseconds
	if p.exited() {
		t.Fatalf("regent exited:\n%s", p.output())
	}
	if code, _ := request(t, http.MethodGet, base+"/api/status", nil); code != 200 {
		t.Errorf("status %d after the bad requests", code)
	}
	if code, env := request(t, http.MethodGet, base+"/api/check-global-recoveries", nil); code != 200 || env["Details"] != "enabled" {
		t.Errorf("check-global-recoveries: %d %v, want enabled", code, env)
	}
	if code, body, err := httpGet(base + "/api/all-instances"); err != nil || code != 200 || strings.TrimSpace(string(body)) != "[]" {
		t.Errorf("inventory after the bad requests: %d %s %v", code, body, err)
	}
	if after := logRecords(t, l); !slices.Equal(before, after) {
		t.Errorf("the log changed:\nbefore %v\nafter  %v", before, after)
	}

	// Writes from curl (no Origin) and from the API's own origin work, on
	// GET and POST.
	set := func(method, path string, hdr map[string]string, want string) {
		t.Helper()
		if code, env := request(t, method, base+path, hdr); code != 200 || env["Code"] != "OK" {
			t.Fatalf("%s %s %v: %d %v", method, path, hdr, code, env)
		}
		natstest.Eventually(t, 5*time.Second, 20*time.Millisecond, func() error {
			if _, env := request(t, http.MethodGet, base+"/api/check-global-recoveries", nil); env["Details"] != want {
				return fmt.Errorf("check-global-recoveries %v, want %s", env["Details"], want)
			}
			return nil
		})
	}
	set(http.MethodPost, "/api/disable-global-recoveries", nil, "disabled")
	set(http.MethodGet, "/api/enable-global-recoveries", map[string]string{"Origin": base, "Sec-Fetch-Site": "same-origin"}, "enabled")
	set(http.MethodGet, "/api/disable-global-recoveries", nil, "disabled")
	set(http.MethodPost, "/api/enable-global-recoveries", map[string]string{"Origin": base}, "enabled")
}
