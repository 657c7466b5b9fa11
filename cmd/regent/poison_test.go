package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/natsnode"
	tt "github.com/regent-ha/regent/projections/timeline/timelinetest"
)

// TestAuditCommandsSkipBadRecords: replay, replay --verify, topology --at
// and why read a log holding a message that is not JSON and one of an
// unknown kind: each command succeeds on the valid records; replay shows
// each skipped record with its sequence and reason (text and --json);
// --verify lists them without failing; why and topology --at warn.
func TestAuditCommandsSkipBadRecords(t *testing.T) {
	n, l := auditNode(t, "")
	tr := tt.FailoverFrom(t, time.Now().Add(-6*time.Second))
	half := len(tr.Items) / 2
	beforeKill := appendTranscript(t, l, tr.Items[:half], tr.Killed)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var bad []uint64
	for _, body := range []string{"not json at all", `{"id":"u1","kind":"instance-teleported","v":1,"time":"2026-01-01T00:00:00Z","origin":"x"}`} {
		ack, err := l.JetStream().Publish(ctx, "regent.evt.x.y", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		bad = append(bad, ack.Sequence)
	}
	if m := appendTranscript(t, l, tr.Items[half:], tr.Killed); !m.IsZero() {
		beforeKill = m
	}
	server, conf := secretURL(t, testSecret, natsnode.RoleReader, strings.TrimPrefix(n.ClientURL(), "nats://")), auditConf(t)

	code, out, errs := runCmd(t, runReplay, "--server", server)
	for i, reason := range []string{"decode", "unknown_kind"} {
		want := fmt.Sprintf("SKIPPED %s seq %d skipped (%s)", events.EventsName, bad[i], reason)
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("replay: %d, want a line %q:\n%s\n%s", code, want, out, errs)
		}
	}
	if !strings.Contains(out, "recovery-completed") {
		t.Fatalf("replay lost the records after the bad ones:\n%s", out)
	}
	code, out, _ = runCmd(t, runReplay, "--server", server, "--json")
	var skipped []uint64
	for _, ln := range strings.Split(strings.TrimSpace(out), "\n") {
		var j struct {
			Seq     uint64 `json:"seq"`
			Skipped string `json:"skipped"`
		}
		if err := json.Unmarshal([]byte(ln), &j); err != nil {
			t.Fatalf("json line %q: %v", ln, err)
		}
		if j.Skipped != "" {
			skipped = append(skipped, j.Seq)
		}
	}
	if code != 0 || fmt.Sprint(skipped) != fmt.Sprint(bad) {
		t.Fatalf("replay --json: %d, skipped %v, want %v:\n%s", code, skipped, bad, out)
	}
	code, out, errs = runCmd(t, runReplay, "--server", server, "--config", conf, "--verify")
	if code != 0 || strings.Count(out, "skipped: ") != 2 || !strings.HasSuffix(out, "verified 2 decisions\n") {
		t.Fatalf("verify: %d %q %s", code, out, errs)
	}
	code, out, errs = runCmd(t, runTopology, "--server", server, "--config", conf, "--at", beforeKill.UTC().Format(time.RFC3339Nano), "-i", "198.18.0.3")
	if code != 0 || !strings.HasPrefix(out, "198.18.0.1:3306") || !strings.Contains(errs, fmt.Sprintf("seq %d skipped", bad[0])) {
		t.Fatalf("topology --at: %d\n%s\n%s", code, out, errs)
	}
	code, out, errs = runCmd(t, runWhy, "--server", server, tr.RecoveryID)
	if code != 0 || !strings.Contains(out, "* 198.18.0.2:3306       chosen:") || !strings.Contains(errs, fmt.Sprintf("seq %d skipped", bad[1])) {
		t.Fatalf("why: %d\n%s\n%s", code, out, errs)
	}
}
