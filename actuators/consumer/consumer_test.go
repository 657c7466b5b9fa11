package consumer_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

// handlerScript stores each event's stdin and REGENT_/ORC_ environment
// under its stream sequence and appends its id to $OUT/ids.
const handlerScript = `cat > "$OUT/$REGENT_EVENT_SEQ.json" &&
env | grep -E '^(REGENT|ORC)_' | sort > "$OUT/$REGENT_EVENT_SEQ.env" &&
echo "$REGENT_EVENT_ID" >> "$OUT/ids"`

func envFile(t *testing.T, path string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, l := range lines(t, path) {
		k, v, _ := strings.Cut(l, "=")
		m[k] = v
	}
	return m
}

func TestEachEventHandledOnceWithStdinAndEnvironment(t *testing.T) {
	l, _ := testLog(t)
	all, failures := t.TempDir(), t.TempDir()
	start(t, l, baseConfig("all", all, handlerScript))
	fcfg := baseConfig("failures", failures, handlerScript)
	fcfg.Filters = []string{"regent.evt.*.failure-detected"}
	start(t, l, fcfg)

	n1, s1 := appendNote(t, l, "198.18.0.2:3306", "one")
	fd := events.FailureDetected{
		DetectionID: "d1", Analysis: events.AnalysisDeadMaster, Description: "master is dead",
		Failed:      events.InstanceKey{Hostname: "198.18.0.2", Port: 3306},
		ClusterName: "198.18.0.2:3306", ClusterAlias: "shop", CountReplicas: 2, Actionable: true,
	}
	f, sf := appendEvent(t, l, events.KindFailureDetected, "198.18.0.2:3306", fd)
	n2, s2 := appendNote(t, l, "", "global")
	want := []string{n1.ID, f.ID, n2.ID}

	waitLines(t, filepath.Join(all, "ids"), 3, 10*time.Second)
	waitLines(t, filepath.Join(failures, "ids"), 1, 10*time.Second)
	time.Sleep(time.Second) // room for a wrong second delivery
	if got := lines(t, filepath.Join(all, "ids")); !slices.Equal(got, want) {
		t.Fatalf("handled %v, want each of %v once in order", got, want)
	}
	if got := lines(t, filepath.Join(failures, "ids")); !slices.Equal(got, []string{f.ID}) {
		t.Fatalf("filtered consumer handled %v, want only the failure %s", got, f.ID)
	}

	for i, seq := range []uint64{s1, sf, s2} {
		b, err := os.ReadFile(filepath.Join(all, strconv.FormatUint(seq, 10)+".json"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := events.Unmarshal(b)
		if err != nil || got.ID != want[i] {
			t.Fatalf("stdin of seq %d: %v, id %q, want %q", seq, err, got.ID, want[i])
		}
	}
	env := envFile(t, filepath.Join(all, strconv.FormatUint(sf, 10)+".env"))
	for k, v := range map[string]string{
		"REGENT_EVENT_ID": f.ID, "REGENT_EVENT_KIND": "failure-detected", "REGENT_EVENT_SEQ": strconv.FormatUint(sf, 10),
		"REGENT_EVENT_SUBJECT": "regent.evt.198_18_0_2-3306.failure-detected", "REGENT_CLUSTER": "198.18.0.2:3306",
		"REGENT_ORIGIN": "test", "REGENT_DELIVERY": "1", "REGENT_CONSUMER": "all",
		"REGENT_EVENT_TIME": f.Time.UTC().Format(time.RFC3339Nano),
		"ORC_FAILURE_TYPE":  "DeadMaster", "ORC_FAILED_HOST": "198.18.0.2", "ORC_FAILED_PORT": "3306",
		"ORC_FAILURE_CLUSTER": "198.18.0.2:3306", "ORC_FAILURE_CLUSTER_ALIAS": "shop",
		"ORC_FAILURE_DESCRIPTION": "master is dead", "ORC_COUNT_REPLICAS": "2",
	} {
		if env[k] != v {
			t.Errorf("failure event: %s=%q, want %q", k, env[k], v)
		}
	}
	env = envFile(t, filepath.Join(all, strconv.FormatUint(s2, 10)+".env"))
	for k := range env {
		if strings.HasPrefix(k, "ORC_") {
			t.Errorf("a note got %s", k)
		}
	}
	if _, ok := env["REGENT_CLUSTER"]; !ok || env["REGENT_INSTANCE"] != "" {
		t.Errorf("note: REGENT_CLUSTER must be set (empty) and REGENT_INSTANCE empty: %v", env)
	}
	if pending, ackPending := consumerState(t, l, "all"); pending != 0 || ackPending != 0 {
		t.Fatalf("consumer all: %d pending, %d awaiting ack; want 0, 0", pending, ackPending)
	}
}

// attemptScript records the time of each run per event, then fails.
const attemptScript = `date +%s.%N >> "$OUT/$REGENT_EVENT_ID"; echo "boom $REGENT_DELIVERY" >&2; exit 3`

func times(t *testing.T, path string) []float64 {
	t.Helper()
	var out []float64
	for _, l := range lines(t, path) {
		f, err := strconv.ParseFloat(l, 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

func TestFailingCommandRetriesWithBackoffThenDeadLetters(t *testing.T) {
	l, _ := testLog(t)
	dir := t.TempDir()
	cfg := baseConfig("fails", dir, attemptScript)
	cfg.MaxDeliver = 3
	cfg.Backoff = []time.Duration{300 * time.Millisecond, 700 * time.Millisecond}
	start(t, l, cfg) // every event, dead letters included

	note, seq := appendNote(t, l, "198.18.0.2:3306", "fail me")
	natstestEventually(t, 15*time.Second, func() bool { return len(deadLetters(t, l)) == 1 })
	runs := times(t, filepath.Join(dir, note.ID))
	if len(runs) != 3 {
		t.Fatalf("command ran %d times, want MaxDeliver=3", len(runs))
	}
	if gap := runs[1] - runs[0]; gap < 0.25 {
		t.Errorf("first retry after %.3fs, want the 300ms backoff", gap)
	}
	if gap := runs[2] - runs[1]; gap < 0.65 {
		t.Errorf("second retry after %.3fs, want the 700ms backoff", gap)
	}
	dl := deadLetters(t, l)[0]
	var p events.DeadLetter
	if err := dl.Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.Stream != events.EventsName || p.Sequence != seq || p.Consumer != "fails" || p.Deliveries != 3 ||
		p.EventID != note.ID || p.Kind != "note" || !strings.Contains(p.LastError, "exit status 3") || !strings.Contains(p.LastError, "boom 3") {
		t.Fatalf("dead letter payload %+v", p)
	}
	if dl.Cluster != note.Cluster || dl.CausationID != note.ID {
		t.Fatalf("dead letter on cluster %q caused by %q, want %q and %q", dl.Cluster, dl.CausationID, note.Cluster, note.ID)
	}

	// The dead letter is itself delivered (the filter takes everything),
	// fails MaxDeliver times and is dropped without a dead letter of its own.
	dlRuns := waitLines(t, filepath.Join(dir, dl.ID), 3, 10*time.Second)
	time.Sleep(2 * time.Second) // past the ack wait and every backoff
	if n := len(times(t, filepath.Join(dir, note.ID))); n != 3 {
		t.Fatalf("the dead-lettered event ran again: %d runs", n)
	}
	if n := len(lines(t, filepath.Join(dir, dl.ID))); n != len(dlRuns) || n != 3 {
		t.Fatalf("the dead letter ran %d times, want 3", n)
	}
	if n := len(deadLetters(t, l)); n != 1 {
		t.Fatalf("%d dead letters, want 1 (no dead letter of a dead letter)", n)
	}
	if pending, ackPending := consumerState(t, l, "fails"); pending != 0 || ackPending != 0 {
		t.Fatalf("%d pending, %d awaiting ack; want 0, 0 (terminated)", pending, ackPending)
	}
}

func natstestEventually(t *testing.T, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestTimeoutKillsTheProcessGroup(t *testing.T) {
	l, _ := testLog(t)
	dir := t.TempDir()
	// The shell and its child ignore SIGTERM: only the SIGKILL after the
	// grace period stops them.
	cfg := baseConfig("slow", dir, `trap '' TERM; sleep 30 & echo $! > "$OUT/child"; wait`)
	cfg.Filters = []string{"regent.evt.*.note"}
	cfg.MaxDeliver = 1
	cfg.Timeout = 300 * time.Millisecond
	start(t, l, cfg)
	appendNote(t, l, "c1", "slow")
	natstestEventually(t, 15*time.Second, func() bool { return len(deadLetters(t, l)) == 1 })
	var p events.DeadLetter
	if err := deadLetters(t, l)[0].Decode(&p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.LastError, "timed out after 300ms") {
		t.Fatalf("dead letter error %q does not say it timed out", p.LastError)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(lines(t, filepath.Join(dir, "child"))[0]))
	if err != nil {
		t.Fatal(err)
	}
	natstestEventually(t, 5*time.Second, func() bool { return gone(pid) })
}

// gone reports whether pid no longer runs (missing, or a zombie nobody
// reaped yet).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] == "Z"
}

func TestSameDurableSharesTheWork(t *testing.T) {
	l, n := testLog(t)
	dir := t.TempDir()
	script := `echo "$TAG $REGENT_EVENT_ID" >> "$OUT/handled"; sleep 0.05`
	a, b := baseConfig("shared", dir, script), baseConfig("shared", dir, script)
	a.Env = append(a.Env, "TAG=a")
	b.Env = append(b.Env, "TAG=b")
	start(t, l, a)
	start(t, logOn(t, n), b)
	const total = 40
	want := map[string]bool{}
	for i := range total {
		e, _ := appendNote(t, l, "c1", "shared "+strconv.Itoa(i))
		want[e.ID] = true
	}
	waitLines(t, filepath.Join(dir, "handled"), total, 30*time.Second)
	time.Sleep(time.Second)
	by := map[string]int{}
	seen := map[string]bool{}
	for _, line := range lines(t, filepath.Join(dir, "handled")) {
		tag, id, _ := strings.Cut(line, " ")
		if seen[id] {
			t.Errorf("event %s handled twice", id)
		}
		if !want[id] {
			t.Errorf("unknown event %s handled", id)
		}
		seen[id] = true
		by[tag]++
	}
	if len(seen) != total {
		t.Fatalf("%d events handled, want %d", len(seen), total)
	}
	if by["a"] == 0 || by["b"] == 0 {
		t.Fatalf("work not shared: %v", by)
	}
	t.Logf("shared: %v", by)
}

func TestStopLetsTheRunningCommandFinishAndRestartResumes(t *testing.T) {
	l, _ := testLog(t)
	dir := t.TempDir()
	script := `echo "$REGENT_EVENT_ID" >> "$OUT/started"; sleep 1; echo "$REGENT_EVENT_ID" >> "$OUT/done"`
	r := start(t, l, baseConfig("resume", dir, script))
	var ids []string
	for i := range 3 {
		e, _ := appendNote(t, l, "c1", "resume "+strconv.Itoa(i))
		ids = append(ids, e.ID)
	}
	waitLines(t, filepath.Join(dir, "started"), 1, 10*time.Second)
	if err := r.stop(15 * time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if got := lines(t, filepath.Join(dir, "done")); !slices.Equal(got, ids[:1]) {
		t.Fatalf("after stop, done = %v; want the running command finished (%s) and nothing else", got, ids[0])
	}
	start(t, l, baseConfig("resume", dir, script))
	waitLines(t, filepath.Join(dir, "done"), 3, 15*time.Second)
	time.Sleep(time.Second)
	if got := lines(t, filepath.Join(dir, "started")); !slices.Equal(got, ids) {
		t.Fatalf("started %v, want each of %v once (the acknowledged one not again)", got, ids)
	}
}
