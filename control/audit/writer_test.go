package audit_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/control/audit"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/test/natstest"
)

func auditTestLog(t *testing.T) *eventlog.Log {
	t.Helper()
	n := natstest.Node(t)
	l, err := eventlog.New(natstest.Conn(t, n), zerolog.Nop(), events.StreamOptions{EventBytes: 16 << 20, ObservationBytes: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Ensure(ctx); err != nil {
		t.Fatalf("ensure streams: %v", err)
	}
	return l
}

func note(t *testing.T, l *eventlog.Log, cluster, text string) uint64 {
	t.Helper()
	e, err := events.New(events.KindNote, time.Now(), "test", events.Note{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	e.Cluster = cluster
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ack, err := l.Append(ctx, e, eventlog.NoExpect)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return ack.Sequence
}

// runWriter runs w until the returned stop is called.
func runWriter(t *testing.T, w *audit.Writer) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() { _ = w.Close() })
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("writer run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("writer did not stop")
		}
	}
	t.Cleanup(stop)
	return stop
}

func waitFileLines(t *testing.T, path string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if len(b) > 0 && len(lines) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit file has %q, want %d lines", b, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAuditLogFileEveryEventOneLine: every event appended while the writer
// runs is one line (a multi-line note too), in order, with its sequence;
// events stored before a new file started are not written; a restarted
// writer resumes after the file's last sequence, so the events appended
// while it was stopped are written once, none twice.
func TestAuditLogFileEveryEventOneLine(t *testing.T) {
	l := auditTestLog(t)
	before := note(t, l, "c1", "before the writer")
	path := filepath.Join(t.TempDir(), "audit.log")
	w, err := audit.NewWriter(l, audit.WriterOptions{File: path}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	stop := runWriter(t, w)
	time.Sleep(200 * time.Millisecond) // the writer finds the end first
	s1 := note(t, l, "c1", "first")
	s2 := note(t, l, "c2", "two\nlines")
	lines := waitFileLines(t, path, 2)
	stop()
	if err := w.Close(); err != nil {
		t.Errorf("close the writer: %v", err)
	}
	if len(lines) != 2 {
		t.Fatalf("audit file lines %q, want 2", lines)
	}
	for i, want := range []struct {
		seq           uint64
		cluster, text string
	}{{s1, "c1", "first"}, {s2, "c2", "two lines"}} {
		f := strings.Fields(lines[i])
		if len(f) < 4 || f[1] != strconv.FormatUint(want.seq, 10) || f[2] != want.cluster || f[3] != "note" || !strings.Contains(lines[i], want.text) {
			t.Errorf("line %d = %q, want seq %d cluster %s kind note text %q", i, lines[i], want.seq, want.cluster, want.text)
		}
	}
	s3 := note(t, l, "c1", "while stopped")
	w2, err := audit.NewWriter(l, audit.WriterOptions{File: path}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	runWriter(t, w2)
	s4 := note(t, l, "c1", "after the restart")
	waitFileLines(t, path, 4)
	time.Sleep(200 * time.Millisecond) // a duplicate would arrive by now
	lines = waitFileLines(t, path, 4)
	var seqs []string
	for _, ln := range lines {
		seqs = append(seqs, strings.Fields(ln)[1])
	}
	want := []string{strconv.FormatUint(s1, 10), strconv.FormatUint(s2, 10), strconv.FormatUint(s3, 10), strconv.FormatUint(s4, 10)}
	if strings.Join(seqs, ",") != strings.Join(want, ",") {
		t.Errorf("sequences in the audit file %v, want %v (before the writer: %d)", seqs, want, before)
	}
}

// TestAuditToSyslog: each event is one syslog message tagged regent, at
// facility daemon, severity info (priority 30), to a syslog socket.
func TestAuditToSyslog(t *testing.T) {
	l := auditTestLog(t)
	sock := filepath.Join(t.TempDir(), "log.sock")
	pc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	w, err := audit.NewWriter(l, audit.WriterOptions{Syslog: true, SyslogNetwork: "unixgram", SyslogAddress: sock}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	runWriter(t, w)
	time.Sleep(200 * time.Millisecond)
	seq := note(t, l, "c9", "to syslog\nsecond line")
	buf := make([]byte, 8192)
	if err := pc.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no syslog message: %v", err)
	}
	msg := string(buf[:n])
	if !strings.HasPrefix(msg, "<30>") || !strings.Contains(msg, "regent[") || !strings.Contains(msg, " "+strconv.FormatUint(seq, 10)+"  c9") ||
		!strings.Contains(msg, "to syslog second line") {
		t.Errorf("syslog message %q, want <30>…regent[pid]… seq %d c9 … one line", msg, seq)
	}
}

// TestAuditWriterRefusesBadFile: an AuditLogFile that cannot be opened is
// an error naming the key; no sink asked for is no writer.
func TestAuditWriterRefusesBadFile(t *testing.T) {
	_, err := audit.NewWriter(nil, audit.WriterOptions{File: filepath.Join(t.TempDir(), "no", "such", "dir", "a.log")}, zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), "AuditLogFile") {
		t.Errorf("bad AuditLogFile: %v", err)
	}
	w, err := audit.NewWriter(nil, audit.WriterOptions{}, zerolog.Nop())
	if w != nil || err != nil {
		t.Errorf("no sinks: writer %v, err %v", w, err)
	}
}
