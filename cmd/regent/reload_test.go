package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/control"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/test/natstest"
)

// writeConf writes a JSON config file of kv.
func writeConf(t *testing.T, path string, kv map[string]any) {
	t.Helper()
	b, err := json.Marshal(kv)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func reloadConf(dir string, post []string, raftNodes []string) map[string]any {
	m := map[string]any{"RaftDataDir": filepath.Join(dir, "data"), "PostFailoverProcesses": post,
		"AuthenticationMethod": "basic", "HTTPAuthUser": "ops", "HTTPAuthPassword": "pw-1"}
	if raftNodes != nil {
		m["RaftEnabled"], m["RaftBind"], m["RaftNodes"] = true, raftNodes[0], raftNodes
		m["NATSClusterSecret"] = testSecret
	}
	return m
}

// TestReloadAppliesOrRefusesWhole: a changed hook list and password are
// applied (the next recovery's hooks, the API's next request); a change
// that includes RaftNodes is refused whole, naming RaftNodes, and changes
// nothing; a file that does not load changes nothing; each is recorded.
func TestReloadAppliesOrRefusesWhole(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "regent.conf.json")
	writeConf(t, file, reloadConf(dir, []string{"echo old"}, nil))
	opts := config.LoadOptions{Files: []string{file}, SearchPaths: []string{}}
	cfg, _, err := loadConfig(opts)
	if err != nil {
		t.Fatal(err)
	}
	params, err := analysisParams(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := api.New(api.Options{Auth: apiAuth(cfg)}, nil, prometheus.NewRegistry(), zerolog.Nop())
	var recorded []events.ConfigReloaded
	rl := &reloader{files: &opts, runner: actuators.NewLive(runnerSettings(cfg)), params: actuators.NewLive(params),
		setAuth: srv.SetAuth, cur: cfg}
	rl.Reloader = control.Reloader{Node: "n1", Apply: rl.apply, Log: zerolog.Nop(),
		Record: func(_ context.Context, p events.ConfigReloaded) error { recorded = append(recorded, p); return nil }}
	ctx := t.Context()

	next := reloadConf(dir, []string{"echo new", "echo second"}, nil)
	next["HTTPAuthPassword"], next["RecoveryPeriodBlockSeconds"] = "pw-2", 600
	writeConf(t, file, next)
	out, err := rl.Reload(ctx, "SIGHUP", "")
	if err != nil || !out.Applied || !slices.Equal(out.Changed, []string{"HTTPAuthPassword", "RecoveryPeriodBlockSeconds", "PostFailoverProcesses"}) {
		t.Fatalf("reload: %+v %v", out, err)
	}
	if got := rl.runner.Load().Lists.PostFailover; !slices.Equal(got, []string{"echo new", "echo second"}) {
		t.Errorf("the next recovery's PostFailoverProcesses: %v", got)
	}
	if got := rl.params.Load().RecoveryPeriodBlock; got != 10*time.Minute {
		t.Errorf("RecoveryPeriodBlock %v after the reload", got)
	}
	if code := basicAuthStatus(srv, "pw-2"); code != http.StatusNotFound {
		t.Errorf("new password: %d", code)
	}
	if code := basicAuthStatus(srv, "pw-1"); code != http.StatusUnauthorized {
		t.Errorf("old password still admitted: %d", code)
	}

	refused := reloadConf(dir, []string{"echo third"}, []string{"127.0.0.1:10008", "127.0.0.2:10008", "127.0.0.3:10008"})
	refused["HTTPAuthPassword"] = "pw-2"
	writeConf(t, file, refused)
	out, err = rl.Reload(ctx, "api", "ops")
	if !errors.Is(err, errReloadRefused) || out.Applied || !slices.Contains(out.Refused, "RaftNodes") ||
		slices.Contains(out.Refused, "PostFailoverProcesses") || !strings.Contains(err.Error(), "RaftNodes") {
		t.Fatalf("RaftNodes change: %+v %v, want refused naming RaftNodes", out, err)
	}
	if got := rl.runner.Load().Lists.PostFailover; !slices.Equal(got, []string{"echo new", "echo second"}) {
		t.Errorf("a refused reload changed the hooks: %v", got)
	}

	if err := os.WriteFile(file, []byte(`{"PostFailoverProcesses": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = rl.Reload(ctx, "SIGHUP", "")
	if err == nil || out.Applied || out.Error == "" {
		t.Fatalf("broken file: %+v %v", out, err)
	}
	if len(recorded) != 3 || !recorded[0].Applied || recorded[1].Applied || recorded[1].Who != "ops" || recorded[2].Error == "" {
		t.Fatalf("recorded %+v, want applied, refused, failed", recorded)
	}
}

func basicAuthStatus(srv *api.Server, password string) int {
	r := httptest.NewRequest(http.MethodGet, "/api/no-such-route", nil) // 404 once admitted
	r.SetBasicAuth("ops", password)
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, r)
	return w.Code
}

// TestSIGHUPReloadsARunningNode: `kill -HUP` on regent serve with a
// changed hook list is applied and recorded as a config-reloaded event; a
// changed RaftNodes is refused with its key named, recorded too, and the
// node keeps serving; reload-configuration over HTTP answers the same way.
func TestSIGHUPReloadsARunningNode(t *testing.T) {
	dir := t.TempDir()
	httpPort, natsPort := natstest.FreePort(t), natstest.FreePort(t)
	file := filepath.Join(dir, "regent.conf.json")
	conf := func(post []string, raft []string) map[string]any {
		m := reloadConf(dir, post, raft)
		m["ListenAddress"], m["NATSListenAddress"] = addr(httpPort), addr(natsPort)
		return m
	}
	writeConf(t, file, conf([]string{"echo old"}, nil))
	p := startRegent(t, dir, "--config", file)
	waitHTTP(t, p, "http://"+addr(httpPort)+"/api/status", 200, 15*time.Second)
	code, url, errs := runCmd(t, runNATSURL, "--role", "reader", "--config", file)
	if code != 0 {
		t.Fatalf("regent nats-url --role reader: %d %s", code, errs)
	}
	nc, err := nats.Connect(strings.TrimSpace(url), nats.Timeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	l, err := eventlog.New(nc, zerolog.Nop(), events.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}

	writeConf(t, file, conf([]string{"echo new"}, nil))
	hup(t, p)
	applied := waitReload(t, l, 1)
	if !applied.Applied || applied.Trigger != "SIGHUP" || !slices.Equal(applied.Changed, []string{"PostFailoverProcesses"}) {
		t.Fatalf("SIGHUP with a new hook list: %+v", applied)
	}
	writeConf(t, file, conf([]string{"echo new"}, []string{addr(natsPort), "127.0.0.2:10008", "127.0.0.3:10008"}))
	hup(t, p)
	refused := waitReload(t, l, 2)
	if refused.Applied || !slices.Contains(refused.Refused, "RaftNodes") {
		t.Fatalf("SIGHUP with new RaftNodes: %+v, want refused naming RaftNodes", refused)
	}
	if !strings.Contains(p.output(), "RaftNodes") {
		t.Errorf("the node's log does not name RaftNodes:\n%s", p.output())
	}
	status, body := httpGetAuth(t, "http://"+addr(httpPort)+"/api/reload-configuration", "ops", "pw-1")
	if status != 500 || !strings.Contains(body, "RaftNodes") {
		t.Errorf("reload-configuration with new RaftNodes: %d %s", status, body)
	}
	writeConf(t, file, conf([]string{"echo new"}, nil))
	status, body = httpGetAuth(t, "http://"+addr(httpPort)+"/api/reload-configuration", "ops", "pw-1")
	if status != 200 || !strings.Contains(body, `"Config reloaded"`) {
		t.Errorf("reload-configuration: %d %s", status, body)
	}
	if last := waitReload(t, l, 4); !last.Applied || last.Trigger != "api" || last.Who != "ops" {
		t.Errorf("API reload recorded as %+v", last)
	}
	if p.exited() {
		t.Fatalf("the node stopped:\n%s", p.output())
	}
}

func hup(t *testing.T, p *proc) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
}

// waitReload waits for the n-th config-reloaded event and returns it.
func waitReload(t *testing.T, l *eventlog.Log, n int) events.ConfigReloaded {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var got []events.ConfigReloaded
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := l.Read(ctx, eventlog.ReadOptions{Stream: events.EventsName}, func(r eventlog.Record) error {
			if r.Env.Kind == events.KindConfigReloaded {
				var p events.ConfigReloaded
				if err := r.Env.Decode(&p); err != nil {
					return err
				}
				got = append(got, p)
			}
			return nil
		})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) >= n {
			return got[n-1]
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no config-reloaded event number %d", n)
	return events.ConfigReloaded{}
}

func httpGetAuth(t *testing.T, url, user, pass string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pass)
	c := &http.Client{Timeout: 15 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, fmt.Sprint(b.String())
}
