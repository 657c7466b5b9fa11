package shell

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/tailscale/hujson"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
)

func newTestRunner(t *testing.T, opts HookOptions) *Runner {
	t.Helper()
	opts.Logger = zerolog.New(zerolog.NewTestWriter(t))
	if opts.Env == nil {
		opts.Env = []string{"PATH=" + os.Getenv("PATH")}
	}
	r := NewHooks(opts)
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// A context with every field set to a distinct value.
func fullContext() actuators.HookContext {
	return actuators.HookContext{
		FailureType:                    string(events.AnalysisDeadMaster),
		FailureDescription:             "Master cannot be reached; all replicas agree",
		InstanceType:                   "master",
		IsMaster:                       true,
		IsCoMaster:                     false,
		Command:                        "graceful-master-takeover",
		FailedHost:                     "198.18.0.1",
		FailedPort:                     3306,
		FailureCluster:                 "db:3306",
		FailureClusterAlias:            "test suite",
		FailureClusterDomain:           "db.example.com",
		CountReplicas:                  2,
		ReplicaHosts:                   []string{"198.18.0.2:3306", "198.18.0.3:3306"},
		IsDowntimed:                    false,
		AutoMasterRecovery:             true,
		AutoIntermediateMasterRecovery: false,
		OrchestratorHost:               "regent-1",
		RecoveryUID:                    "rec-42",
		IsSuccessful:                   true,
		LostReplicas:                   []string{"198.18.0.4:3306"},
		SuccessorHost:                  "198.18.0.2",
		SuccessorPort:                  3307,
		SuccessorAlias:                 "h2",
		SuccessorBinlogCoordinates:     "mysql-bin.000003:4242",
	}
}

// The seed configuration's hooks, with /usr/local/orchestrator moved to a
// temporary directory, write the expected lines.
func TestSeedHooksWriteTheirLogs(t *testing.T) {
	raw, err := os.ReadFile("../../config/testdata/orchestrator.conf.json")
	if err != nil {
		t.Fatalf("read the seed config: %v", err)
	}
	std, err := hujson.Standardize(raw)
	if err != nil {
		t.Fatalf("parse the seed config: %v", err)
	}
	var conf map[string]any
	if err := json.Unmarshal(std, &conf); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "log"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/bash\necho \"$# args: [$1] [$2] [$3] [$4]\"\n"
	if err := os.WriteFile(filepath.Join(root, "orch_hook.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	hooks := func(list string) []string {
		var out []string
		for _, c := range conf[list].([]any) {
			out = append(out, strings.ReplaceAll(c.(string), "/usr/local/orchestrator", root))
		}
		return out
	}
	r := newTestRunner(t, HookOptions{})
	hc := fullContext()
	for _, list := range []string{"OnFailureDetectionProcesses", "PreGracefulTakeoverProcesses", "PreFailoverProcesses",
		"PostMasterFailoverProcesses", "PostIntermediateMasterFailoverProcesses", "PostFailoverProcesses",
		"PostUnsuccessfulFailoverProcesses", "PostGracefulTakeoverProcesses"} {
		recs, err := r.Run(context.Background(), list, hooks(list), hc, strings.HasPrefix(list, "Pre"), nil)
		if err != nil {
			t.Fatalf("%s: %v (records %+v)", list, err, recs)
		}
		for _, rec := range recs {
			if rec.ExitCode != 0 || rec.Error != "" || rec.Hook != list || rec.RecoveryID != "rec-42" {
				t.Errorf("%s: record %+v", list, rec)
			}
		}
	}
	want := []string{
		"Detected DeadMaster on db:3306. Affected replicas:2",
		"Planned takeover about to take place on db:3306. Master will switch to read_only",
		"Will recover from DeadMaster on db:3306",
		"Recovered from DeadMaster on db:3306. Failed: 198.18.0.1:3306; Promoted: 198.18.0.2:3307",
		"Recovered from DeadMaster on db:3306. Failed: 198.18.0.1:3306; Successor: 198.18.0.2:3307",
		"Recovered from DeadMaster on db:3306. Failed: 198.18.0.1:3306; Successor: 198.18.0.2: 3307; failureClusterAlias:test suite",
		"Planned takeover complete",
	}
	checkLines(t, filepath.Join(root, "log", "recovery.log"), want)
	// The alias "test suite" stays one argument (orchestrator would split it).
	checkLines(t, filepath.Join(root, "log", "recovery_orch_hook.log"),
		[]string{"4 args: [DeadMaster] [test suite] [198.18.0.1] [198.18.0.2]"})
}

func checkLines(t *testing.T, path string, want []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	got := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", filepath.Base(path), got, want)
	}
}

// Every placeholder and every ORC_* variable is filled.
func TestAllPlaceholdersAndVariables(t *testing.T) {
	names := PlaceholderNames()
	if len(names) != 28 {
		t.Errorf("%d placeholders, want the 28 of orchestrator's table: %v", len(names), names)
	}
	var cmd strings.Builder
	for _, n := range names {
		fmt.Fprintf(&cmd, "echo %s={%s}; ", n, n)
	}
	cmd.WriteString("env | grep '^ORC_' | sort")
	r := newTestRunner(t, HookOptions{Env: []string{"PATH=" + os.Getenv("PATH"), "ORC_FAILED_HOST=stale"}})
	recs, err := r.Run(context.Background(), "PostFailoverProcesses", []string{cmd.String()}, fullContext(), false, nil)
	if err != nil || len(recs) != 1 || recs[0].ExitCode != 0 {
		t.Fatalf("run: %v %+v", err, recs)
	}
	want := `failureType=DeadMaster
instanceType=master
isMaster=true
isCoMaster=false
failureDescription=Master cannot be reached; all replicas agree
command=graceful-master-takeover
failedHost=198.18.0.1
failedPort=3306
failureCluster=db:3306
failureClusterAlias=test suite
failureClusterDomain=db.example.com
countReplicas=2
countSlaves=2
replicaHosts=198.18.0.2:3306,198.18.0.3:3306
slaveHosts=198.18.0.2:3306,198.18.0.3:3306
isDowntimed=false
autoMasterRecovery=true
autoIntermediateMasterRecovery=false
orchestratorHost=regent-1
recoveryUID=rec-42
isSuccessful=true
lostReplicas=198.18.0.4:3306
lostSlaves=198.18.0.4:3306
countLostReplicas=1
successorHost=198.18.0.2
successorPort=3307
successorAlias=h2
successorBinlogCoordinates=mysql-bin.000003:4242
ORC_AUTO_INTERMEDIATE_MASTER_RECOVERY=false
ORC_AUTO_MASTER_RECOVERY=true
ORC_COMMAND=graceful-master-takeover
ORC_COUNT_LOST_REPLICAS=1
ORC_COUNT_REPLICAS=2
ORC_FAILED_HOST=198.18.0.1
ORC_FAILED_PORT=3306
ORC_FAILURE_CLUSTER=db:3306
ORC_FAILURE_CLUSTER_ALIAS=test suite
ORC_FAILURE_CLUSTER_DOMAIN=db.example.com
ORC_FAILURE_DESCRIPTION=Master cannot be reached; all replicas agree
ORC_FAILURE_TYPE=DeadMaster
ORC_INSTANCE_TYPE=master
ORC_IS_CO_MASTER=false
ORC_IS_DOWNTIMED=false
ORC_IS_MASTER=true
ORC_IS_SUCCESSFUL=true
ORC_LOST_REPLICAS=198.18.0.4:3306
ORC_ORCHESTRATOR_HOST=regent-1
ORC_RECOVERY_UID=rec-42
ORC_REPLICA_HOSTS=198.18.0.2:3306,198.18.0.3:3306
ORC_SUCCESSOR_ALIAS=h2
ORC_SUCCESSOR_BINLOG_COORDINATES=mysql-bin.000003:4242
ORC_SUCCESSOR_HOST=198.18.0.2
ORC_SUCCESSOR_PORT=3307
`
	if recs[0].Output != want {
		t.Errorf("output:\n%s\nwant:\n%s", recs[0].Output, want)
	}
}

// Without a successor the successor placeholders stay literal and their
// variables are unset (orchestrator's behaviour, oa#896).
func TestNoSuccessorLeavesPlaceholders(t *testing.T) {
	hc := fullContext()
	hc.SuccessorHost, hc.SuccessorPort, hc.SuccessorAlias, hc.SuccessorBinlogCoordinates = "", 0, "", ""
	hc.IsSuccessful = false
	r := newTestRunner(t, HookOptions{})
	cmd := `echo '{successorHost}:{successorPort} {successorAlias} {successorBinlogCoordinates} {isSuccessful}'; env | grep -c '^ORC_SUCCESSOR' || true`
	recs, err := r.Run(context.Background(), "PreFailoverProcesses", []string{cmd}, hc, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{successorHost}:{successorPort} {successorAlias} {successorBinlogCoordinates} false\n0\n"; recs[0].Output != want {
		t.Errorf("output %q, want %q", recs[0].Output, want)
	}
}

// liveGroupMembers lists the processes of group pgid that are not zombies.
func liveGroupMembers(pgid int) []string {
	var live []string
	dirs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		s := string(b)
		rest := s[strings.LastIndexByte(s, ')')+2:] // state ppid pgrp …
		f := strings.Fields(rest)
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" {
			live = append(live, s[:strings.LastIndexByte(s, ')')+1])
		}
	}
	return live
}

// A hanging hook is killed at its timeout with its whole process group,
// including children that ignore SIGTERM.
func TestHookTimeoutKillsProcessGroup(t *testing.T) {
	tests := []struct{ name, cmd string }{
		{"children", "echo $$; sleep 30 & sleep 30"},
		{"ignores SIGTERM", "trap '' TERM; echo $$; sleep 30 & sleep 30; sleep 30"},
	}
	for _, tt := range tests {
		r := newTestRunner(t, HookOptions{Timeout: 300 * time.Millisecond, KillGrace: 300 * time.Millisecond})
		start := time.Now()
		recs, err := r.Run(context.Background(), "PostFailoverProcesses", []string{tt.cmd}, fullContext(), false, nil)
		took := time.Since(start)
		if err != nil || len(recs) != 1 {
			t.Fatalf("%s: %v %+v", tt.name, err, recs)
		}
		rec := recs[0]
		if !rec.TimedOut || rec.Error == "" || rec.ExitCode == 0 {
			t.Errorf("%s: record %+v, want timed out", tt.name, rec)
		}
		if took > 3*time.Second || rec.Took < 300*time.Millisecond {
			t.Errorf("%s: took %s (record %s)", tt.name, took, rec.Took)
		}
		pgid, err := strconv.Atoi(strings.TrimSpace(strings.Split(rec.Output, "\n")[0]))
		if err != nil {
			t.Fatalf("%s: no pid in output %q", tt.name, rec.Output)
		}
		var live []string
		for i := 0; i < 40; i++ { // up to 2 s for the kernel to finish the kills
			if live = liveGroupMembers(pgid); len(live) == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if len(live) != 0 {
			t.Errorf("%s: process group %d survived: %v", tt.name, pgid, live)
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	}
}

// A failing Pre* hook stops the list and names the list and the command;
// other lists record the failure and go on.
func TestFailFast(t *testing.T) {
	cmds := []string{"echo one", "echo two; exit 3", "echo three"}
	r := newTestRunner(t, HookOptions{})
	recs, err := r.Run(context.Background(), "PreFailoverProcesses", cmds, fullContext(), true, nil)
	if len(recs) != 2 || recs[1].ExitCode != 3 || recs[1].Output != "two\n" {
		t.Fatalf("records %+v", recs)
	}
	if !errors.Is(err, ErrHookFailed) || actuators.KindOf(err) != actuators.Precondition {
		t.Fatalf("err %v (kind %v), want ErrHookFailed, precondition", err, actuators.KindOf(err))
	}
	for _, s := range []string{"PreFailoverProcesses", "command 2 of 3", `"echo two; exit 3"`} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %s", err, s)
		}
	}
	recs, err = r.Run(context.Background(), "PostFailoverProcesses", cmds, fullContext(), false, nil)
	if err != nil || len(recs) != 3 || recs[1].ExitCode != 3 || recs[2].Output != "three\n" {
		t.Fatalf("post list: %v %+v", err, recs)
	}
}

// A command that cannot be expanded safely is not run and fails the list.
func TestUnexpandableCommandIsNotRun(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	cmd := "touch " + marker + "; cat <<EOF\n{failedHost}\nEOF"
	r := newTestRunner(t, HookOptions{})
	recs, err := r.Run(context.Background(), "PreFailoverProcesses", []string{cmd}, fullContext(), true, nil)
	if !errors.Is(err, ErrHookFailed) || actuators.KindOf(err) != actuators.Permanent {
		t.Fatalf("err %v", err)
	}
	if len(recs) != 1 || recs[0].ExitCode != -1 || !strings.Contains(recs[0].Error, "here-document") {
		t.Fatalf("records %+v", recs)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the command ran")
	}
}

// A trailing '&' runs the command asynchronously: Run returns at once, the
// outcome arrives through done, and Wait waits for it.
func TestAsyncHook(t *testing.T) {
	r := newTestRunner(t, HookOptions{})
	got := make(chan events.HookRan, 2)
	start := time.Now()
	recs, err := r.Run(context.Background(), "PostFailoverProcesses",
		[]string{"sleep 0.3; echo late {failedHost}; exit 4 &", "echo now"}, fullContext(), true, func(h events.HookRan) { got <- h })
	if err != nil || len(recs) != 2 {
		t.Fatalf("run: %v %+v", err, recs)
	}
	if el := time.Since(start); el > 250*time.Millisecond {
		t.Errorf("Run waited for the async hook: %s", el)
	}
	if !recs[0].Async || recs[0].Output != "" || recs[1].Async || recs[1].Output != "now\n" {
		t.Errorf("records %+v", recs)
	}
	r.Wait()
	if el := time.Since(start); el < 300*time.Millisecond {
		t.Errorf("Wait returned before the async hook finished: %s", el)
	}
	select {
	case h := <-got:
		if !h.Async || h.Output != "late 198.18.0.1\n" || h.ExitCode != 4 || h.Error == "" || h.Took < 300*time.Millisecond {
			t.Errorf("async outcome %+v", h)
		}
	default:
		t.Fatal("done was not called before Wait returned")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	recs, _ = r.Run(context.Background(), "PostFailoverProcesses", []string{"echo x &"}, fullContext(), false, func(h events.HookRan) { got <- h })
	if len(recs) != 1 || recs[0].Error == "" || len(got) != 0 {
		t.Errorf("after Close: %+v", recs)
	}
}

// Close waits for asynchronous hooks, bounded by their timeout.
func TestCloseBoundedByTimeout(t *testing.T) {
	r := newTestRunner(t, HookOptions{Timeout: 200 * time.Millisecond, KillGrace: 100 * time.Millisecond})
	got := make(chan events.HookRan, 1)
	if _, err := r.Run(context.Background(), "PostFailoverProcesses", []string{"sleep 30 &"}, fullContext(), false, func(h events.HookRan) { got <- h }); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = r.Close()
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Close took %s", el)
	}
	if h := <-got; !h.TimedOut {
		t.Errorf("async outcome %+v, want timed out", h)
	}
}

func TestOutputTruncated(t *testing.T) {
	r := newTestRunner(t, HookOptions{MaxOutput: 1000})
	recs, err := r.Run(context.Background(), "PostFailoverProcesses",
		[]string{"head -c 3000 /dev/zero | tr '\\0' a; printf 'é%.0s' $(seq 1000) >&2"}, fullContext(), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := recs[0].Output
	if !strings.HasPrefix(out, strings.Repeat("a", 1000)+"\n[regent: output truncated, 4000 more bytes]") {
		t.Errorf("output %q…", out[:min(len(out), 1100)])
	}
	r = newTestRunner(t, HookOptions{MaxOutput: 1001})
	recs, _ = r.Run(context.Background(), "PostFailoverProcesses", []string{"head -c 1000 /dev/zero | tr '\\0' a; printf 'é%.0s' $(seq 10)"}, fullContext(), false, nil)
	// 1001 bytes hold half of the first 'é': it is cut whole.
	if want := strings.Repeat("a", 1000) + "\n[regent: output truncated, 20 more bytes]"; recs[0].Output != want {
		t.Errorf("output ends %q", recs[0].Output[990:])
	}
}

// A hook reads /dev/null, never Regent's stdin, and runs in its own
// process group.
func TestHookStdinAndProcessGroup(t *testing.T) {
	r := newTestRunner(t, HookOptions{})
	recs, err := r.Run(context.Background(), "PostFailoverProcesses",
		[]string{"readlink /proc/self/fd/0; ps -o pgid= $$ | tr -d ' '; echo $$"}, fullContext(), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(recs[0].Output), "\n")
	if len(lines) != 3 || lines[0] != "/dev/null" || lines[1] != lines[2] {
		t.Errorf("output %q: want /dev/null and pgid == pid", recs[0].Output)
	}
}

// Cancelling ctx kills the running hook and stops the list.
func TestContextCancelStopsHooks(t *testing.T) {
	r := newTestRunner(t, HookOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	recs, err := r.Run(ctx, "PostFailoverProcesses", []string{"sleep 30", "echo next"}, fullContext(), false, nil)
	if !errors.Is(err, context.Canceled) || len(recs) != 1 || recs[0].Error == "" {
		t.Fatalf("err %v, records %+v", err, recs)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("took %s", el)
	}
}

// The shell option takes extra words, and a missing shell is a recorded
// failure.
func TestShellOption(t *testing.T) {
	r := newTestRunner(t, HookOptions{Shell: "bash -e"})
	recs, _ := r.Run(context.Background(), "PostFailoverProcesses", []string{"false; echo not reached"}, fullContext(), false, nil)
	if recs[0].ExitCode != 1 || recs[0].Output != "" {
		t.Errorf("bash -e: %+v", recs[0])
	}
	r = newTestRunner(t, HookOptions{Shell: "/nonexistent/sh"})
	recs, err := r.Run(context.Background(), "PreFailoverProcesses", []string{"true"}, fullContext(), true, nil)
	if actuators.KindOf(err) != actuators.Permanent || recs[0].ExitCode != -1 || recs[0].Error == "" {
		t.Errorf("missing shell: %v %+v", err, recs)
	}
}
