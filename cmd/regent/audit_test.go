package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/projections/timeline"
	tt "github.com/regent-ha/regent/projections/timeline/timelinetest"
	"github.com/regent-ha/regent/test/natstest"
)

// auditConf is a config matching timelinetest's settings (1 s polls).
func auditConf(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "regent.conf.json")
	if err := os.WriteFile(p, []byte(`{"InstancePollMilliseconds": 1000, "RecoverMasterClusterFilters": ["*"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// runCmd runs one regent command in-process.
func runCmd(t *testing.T, f func(context.Context, env) int, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := f(ctx, env{args: args, stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

// appendTranscript appends items in merged order; mark is called with the
// wall time between the last item before cut and the first after it.
func appendTranscript(t *testing.T, l *eventlog.Log, items []timeline.Item, cut time.Time) time.Time {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var mark time.Time
	for _, it := range items {
		if mark.IsZero() && !it.Env.Time.Before(cut) {
			time.Sleep(30 * time.Millisecond)
			mark = time.Now()
			time.Sleep(30 * time.Millisecond)
		}
		if _, err := l.Append(ctx, it.Env, eventlog.NoExpect); err != nil {
			t.Fatalf("append %s: %v", it.Env.Kind, err)
		}
	}
	return mark
}

func auditNode(t *testing.T, storeDir string) (*natsnode.Node, *eventlog.Log) {
	t.Helper()
	o := natstest.Options(t, "audit")
	if storeDir != "" {
		o.StoreDir = storeDir
	}
	// Users as a Regent node has them: the transcript is appended as
	// admin, the commands read as reader.
	creds, err := natsnode.NewCredentials(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	o.Users = creds.Users([]string{"n1", "n2", "n3"}, natsnode.UserPass{})
	o.Self = natsnode.UserPass{User: natsnode.RoleAdmin, Password: creds.Password(natsnode.RoleAdmin)}
	n, err := natsnode.Start(o, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Shutdown)
	l, err := eventlog.New(natstest.Conn(t, n), zerolog.Nop(), events.StreamOptions{EventBytes: 32 << 20, ObservationBytes: 32 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	return n, l
}

// TestAuditCommandsInProcess appends a failover transcript (times ending
// now) to an embedded node and runs replay, --verify, topology --at and
// why against it, then replays the same log offline from its data dir.
func TestAuditCommandsInProcess(t *testing.T) {
	dataDir := t.TempDir()
	n, l := auditNode(t, filepath.Join(dataDir, "jetstream"))
	tr := tt.FailoverFrom(t, time.Now().Add(-6*time.Second))
	beforeKill := appendTranscript(t, l, tr.Items, tr.Killed)
	server := secretURL(t, testSecret, natsnode.RoleReader, strings.TrimPrefix(n.ClientURL(), "nats://"))
	conf := auditConf(t)

	code, out, errs := runCmd(t, runReplay, "--server", server, "--cluster", tt.Cluster, "--since", "10m")
	if code != 0 {
		t.Fatalf("replay: %d %s", code, errs)
	}
	wantOrder := []string{"failure-detected", "recovery-started", "hook PreFailoverProcesses exit 0", "step promote 198.18.0.2:3306 ok (11ms)",
		"vip 198.18.0.200 198.18.0.1:3306 → 198.18.0.2:3306", "recovery-completed", "hook PostFailoverProcesses exit 0 (5ms)"}
	at := 0
	for _, w := range wantOrder {
		i := strings.Index(out[at:], w)
		if i < 0 {
			t.Fatalf("replay: %q missing or out of order:\n%s", w, out)
		}
		at += i
	}
	if strings.Contains(out, "instance-observed") {
		t.Errorf("replay without --observations shows observations:\n%s", out)
	}
	code, out, _ = runCmd(t, runReplay, "--server", server, "--json", "--observations", "--kind", "vip-moved,instance-unreachable")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 {
		t.Fatalf("replay --json: %d, %d lines:\n%s", code, len(lines), out)
	}
	for _, ln := range lines {
		var j struct {
			Stream string      `json:"stream"`
			Seq    uint64      `json:"seq"`
			Kind   events.Kind `json:"kind"`
			ID     string      `json:"id"`
		}
		if err := json.Unmarshal([]byte(ln), &j); err != nil || j.Seq == 0 || j.ID == "" || j.Stream == "" {
			t.Errorf("json line %q: %+v %v", ln, j, err)
		}
	}

	code, out, errs = runCmd(t, runReplay, "--server", server, "--config", conf, "--verify")
	if code != 0 || out != "verified 2 decisions\n" {
		t.Fatalf("verify: %d %q %s", code, out, errs)
	}
	code, out, _ = runCmd(t, runTopology, "--server", server, "--config", conf, "--at", beforeKill.UTC().Format(time.RFC3339Nano), "-i", "198.18.0.3")
	if first := strings.SplitN(out, "\n", 2)[0]; code != 0 || !strings.HasPrefix(first, "198.18.0.1:3306") || !strings.Contains(first, ",rw,") {
		t.Fatalf("topology --at before the kill: %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, runWhy, "--server", server, tr.RecoveryID)
	if code != 0 || !strings.Contains(out, "* 198.18.0.2:3306       chosen:") || !strings.Contains(out, "198.18.0.3:3306       rejected: promotion rule must_not") {
		t.Fatalf("why %s: %d\n%s", tr.RecoveryID, code, out)
	}
	code, out, _ = runCmd(t, runWhy, "--server", server, "--config", conf, "--cluster", "198.18.0.1", "--at", beforeKill.UTC().Format(time.RFC3339Nano))
	if code != 0 || !strings.HasPrefix(out, "no failure detected on cluster 198.18.0.1:3306") {
		t.Fatalf("why --cluster before the kill: %d\n%s", code, out)
	}

	// A forged decision: a second recovery naming the banned replica.
	forged, err := events.New(events.KindRecoveryStarted, time.Now(), "c1", events.RecoveryStarted{RecoveryID: "r-forged",
		Type: "MasterRecovery", Analysis: "DeadMaster", Failed: tt.Key(tt.Primary), ClusterName: tt.Cluster, Successor: tt.Key(tt.Banned), Node: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	forged.Cluster = tt.Cluster
	appendTranscript(t, l, []timeline.Item{{Env: forged}}, time.Time{})
	code, out, _ = runCmd(t, runReplay, "--server", server, "--config", conf, "--verify")
	if code != 1 || !strings.Contains(out, "recovery r-forged of 198.18.0.1:3306") || !strings.Contains(out, "  - successor 198.18.0.3:3306\n  + successor (none)\n") ||
		!strings.HasSuffix(out, "verified 2 decisions, 1 not re-derived\n") {
		t.Fatalf("verify of a forged decision: %d\n%s", code, out)
	}

	// Offline: the node stopped, its data directory replayed.
	n.Shutdown()
	code, out, errs = runCmd(t, runReplay, "--data-dir", dataDir, "--kind", "recovery-started")
	if code != 0 || strings.Count(out, "recovery-started") != 2 {
		t.Fatalf("offline replay: %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runCmd(t, runReplay, "--data-dir", dataDir, "--config", conf, "--verify")
	if code != 1 || !strings.HasSuffix(out, "verified 2 decisions, 1 not re-derived\n") {
		t.Fatalf("offline verify: %d %q %s", code, out, errs)
	}
}

// TestAuditOfflineClusteredStore replays the data directory of a stopped
// member of a three-node cluster, whose streams have three replicas.
func TestAuditOfflineClusteredStore(t *testing.T) {
	nodes, opts := natstest.Cluster(t, 3)
	l, err := eventlog.New(natstest.Conn(t, nodes[0]), zerolog.Nop(), events.StreamOptions{Replicas: 3, EventBytes: 32 << 20, ObservationBytes: 32 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := l.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	tr := tt.Failover(t)
	appendTranscript(t, l, tr.Events, time.Time{})
	for _, n := range nodes {
		n.Shutdown()
	}
	dataDir := t.TempDir()
	if err := os.Symlink(opts[1].StoreDir, filepath.Join(dataDir, "jetstream")); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, runReplay, "--data-dir", dataDir)
	if code != 0 || strings.Count(out, "\n") != len(tr.Events) || !strings.Contains(out, "recovery "+tr.RecoveryID+" completed") {
		t.Fatalf("offline replay of an R3 store: %d (%d events appended)\n%s\n%s", code, len(tr.Events), out, errs)
	}
}
