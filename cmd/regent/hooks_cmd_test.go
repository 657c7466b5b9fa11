package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/events/natsnode"
	"github.com/regent-ha/regent/test/natstest"
)

// startHooks runs `regent hooks consume args…` as a process of this test
// binary, with OUT=out in its environment.
func startHooks(t *testing.T, out string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"hooks", "consume", "--log-format", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "RGTTEST_EXEC=1", "OUT="+out)
	p := &proc{cmd: cmd, out: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{})}
	w := lockedBuf{p.mu, p.out}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatalf("start hooks consume: %v", err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("hooks consume output:\n%s", p.output())
		}
	})
	return p
}

// hooksLog starts an embedded NATS node reachable over TCP with a Regent
// node's users and returns its URL with the hooks identity's credentials
// and a log on it (as admin) with Regent's streams.
func hooksLog(t *testing.T) (string, *eventlog.Log) {
	t.Helper()
	o := natstest.Options(t, "hooks")
	creds, err := natsnode.NewCredentials(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	o.Users = creds.Users([]string{"n1"}, natsnode.UserPass{})
	o.Self = natsnode.UserPass{User: natsnode.RoleAdmin, Password: creds.Password(natsnode.RoleAdmin)}
	n, err := natsnode.Start(o, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Shutdown)
	l, err := eventlog.New(natstest.Conn(t, n), zerolog.Nop(), events.StreamOptions{EventBytes: 64 << 20, ObservationBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Ensure(ctx); err != nil {
		t.Fatalf("ensure streams: %v", err)
	}
	return secretURL(t, testSecret, natsnode.RoleHooks, strings.TrimPrefix(n.ClientURL(), "nats://")), l
}

func fileLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

// TestHooksConsumeSurvivesSIGKILL is the acceptance test of the hook
// consumer's delivery guarantee. A consumer process handling 50 events is
// SIGKILLed in the middle and restarted: every event is handled, and none
// twice after its acknowledgement. The guarantee is at-least-once: the one
// event whose command was running (or had finished but was not yet
// acknowledged) when the consumer died runs again after the ack wait, so
// at most one id appears twice, and only the last one written before the
// kill.
func TestHooksConsumeSurvivesSIGKILL(t *testing.T) {
	url, l := hooksLog(t)
	out := t.TempDir()
	handled := filepath.Join(out, "handled")
	args := []string{"--server", url, "--durable", "crash", "--filter", "regent.evt.*.note", "--deliver", "all",
		"--ack-wait", "2s", "--backoff", "200ms", "--timeout", "10s", "--",
		"bash", "-c", `sleep 0.05; echo "$REGENT_EVENT_ID" >> "$OUT/handled"`}
	p := startHooks(t, out, args...)
	const total = 50
	want := map[string]bool{}
	for i := range total {
		e := noteEnv(t, "crash "+string(rune('A'+i%26)))
		e.Cluster = "198.18.0.2:3306"
		if _, err := l.Append(context.Background(), e, eventlog.NoExpect); err != nil {
			t.Fatal(err)
		}
		want[e.ID] = true
	}
	natstest.Eventually(t, 20*time.Second, 10*time.Millisecond, func() error {
		if n := len(fileLines(t, handled)); n < 15 {
			return fmt.Errorf("%d handled", n)
		}
		return nil
	})
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	time.Sleep(300 * time.Millisecond) // an orphaned command finishes its write
	before := fileLines(t, handled)
	if len(before) >= total {
		t.Fatalf("the kill came too late: %d of %d already handled", len(before), total)
	}
	t.Logf("killed after %d events handled", len(before))

	startHooks(t, out, args...)
	natstest.Eventually(t, 30*time.Second, 50*time.Millisecond, func() error {
		seen := map[string]bool{}
		for _, id := range fileLines(t, handled) {
			seen[id] = true
		}
		if len(seen) < total {
			return fmt.Errorf("%d of %d distinct events handled", len(seen), total)
		}
		return nil
	})
	time.Sleep(3 * time.Second) // past the ack wait: a wrong redelivery would show
	after := fileLines(t, handled)
	count := map[string]int{}
	for i, id := range after {
		if !want[id] {
			t.Fatalf("unknown event %s handled", id)
		}
		count[id]++
		if count[id] == 2 && (id != before[len(before)-1] || i < len(before)) {
			t.Fatalf("event %s handled twice: only the one in flight at the kill (%s) may run again", id, before[len(before)-1])
		}
		if count[id] > 2 {
			t.Fatalf("event %s handled %d times", id, count[id])
		}
	}
	if len(count) != total || len(after) > total+1 {
		t.Fatalf("%d distinct events in %d runs, want %d in at most %d", len(count), len(after), total, total+1)
	}
	t.Logf("%d runs for %d events (%d re-run after the kill)", len(after), total, len(after)-total)
}

// TestHooksConsumeSIGTERMFinishesTheRunningCommand: on SIGTERM the running
// command completes and is acknowledged, and the process exits 0.
func TestHooksConsumeSIGTERMFinishesTheRunningCommand(t *testing.T) {
	url, l := hooksLog(t)
	out := t.TempDir()
	p := startHooks(t, out, "--server", url, "--durable", "term", "--deliver", "all", "--",
		"bash", "-c", `echo "$REGENT_EVENT_ID" >> "$OUT/started"; sleep 1; echo "$REGENT_EVENT_ID" >> "$OUT/done"`)
	e := noteEnv(t, "term")
	if _, err := l.Append(context.Background(), e, eventlog.NoExpect); err != nil {
		t.Fatal(err)
	}
	natstest.Eventually(t, 10*time.Second, 10*time.Millisecond, func() error {
		if len(fileLines(t, filepath.Join(out, "started"))) == 0 {
			return fmt.Errorf("not started")
		}
		return nil
	})
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatal("hooks consume did not exit after SIGTERM")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	if got := fileLines(t, filepath.Join(out, "done")); len(got) != 1 || got[0] != e.ID {
		t.Fatalf("done = %v, want the running command to finish", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := l.JetStream().Consumer(ctx, events.EventsName, "term")
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.NumAckPending != 0 || info.NumPending != 0 || info.AckFloor.Stream == 0 {
		t.Fatalf("after SIGTERM: %d awaiting ack, %d pending, ack floor %d; want the event acknowledged",
			info.NumAckPending, info.NumPending, info.AckFloor.Stream)
	}
}

func TestHooksUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"hooks"},
		{"hooks", "tail"},
		{"hooks", "consume", "--durable", "x"},
		{"hooks", "consume", "--", "true"},
		{"hooks", "consume", "--durable", "x", "--max-deliver", "0", "--", "true"},
		{"hooks", "consume", "--durable", "x", "--backoff", "1s,zero", "--", "true"},
		{"hooks", "consume", "--durable", "x", "--deliver", "yesterday", "--", "true"},
		{"hooks", "consume", "--no-such-flag"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, nil, &stdout, &stderr, func(string) string { return "" }); code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, stderr.String())
		}
		if stderr.Len() == 0 {
			t.Errorf("%v: nothing on stderr", args)
		}
	}
	var stdout bytes.Buffer
	if code := run([]string{"hooks", "--help"}, nil, &stdout, &stdout, os.Getenv); code != 0 || !strings.Contains(stdout.String(), "--durable") {
		t.Fatalf("hooks --help: %d %q", code, stdout.String())
	}
}
