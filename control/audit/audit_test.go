package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/projections/timeline"
)

// TestWriteTimeline: items the filter refuses are left out, a skipped
// record is shown where it was stored (between the items around it, or
// after the last), in text and as JSON lines.
func TestWriteTimeline(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	item := func(seq uint64, text string) timeline.Item {
		env, err := events.New(events.KindNote, t0.Add(time.Duration(seq)*time.Second), "n1", events.Note{Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return timeline.Item{Stream: events.EventsName, Seq: seq, Stored: env.Time, Env: env}
	}
	items := []timeline.Item{item(1, "first"), item(2, "hidden"), item(4, "third")}
	skips := []eventlog.Skip{
		{Stream: events.EventsName, Sequence: 5, Stored: t0.Add(5 * time.Second), Reason: eventlog.SkipDecode, Err: errors.New("not json")},
		{Stream: events.EventsName, Sequence: 3, Stored: t0.Add(3 * time.Second), Reason: eventlog.SkipUnknownKind, Err: errors.New("kind x")},
	}
	match := func(it timeline.Item) bool { return !strings.Contains(string(it.Env.Payload), "hidden") }
	var text bytes.Buffer
	if err := WriteTimeline(&text, items, skips, match, false, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(text.String()), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "first") || !strings.Contains(lines[1], "SKIPPED") || !strings.Contains(lines[1], "seq 3") ||
		!strings.Contains(lines[2], "third") || !strings.Contains(lines[3], "seq 5") {
		t.Fatalf("text timeline:\n%s", text.String())
	}
	var js bytes.Buffer
	if err := WriteTimeline(&js, items, skips, match, true, false); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ln := range strings.Split(strings.TrimSpace(js.String()), "\n") {
		var j struct {
			Seq     uint64 `json:"seq"`
			Skipped string `json:"skipped"`
		}
		if err := json.Unmarshal([]byte(ln), &j); err != nil {
			t.Fatalf("json line %q: %v", ln, err)
		}
		got = append(got, strings.TrimSpace(j.Skipped+" "+string(rune('0'+j.Seq))))
	}
	if strings.Join(got, ",") != "1,unknown_kind 3,4,decode 5" {
		t.Errorf("json timeline order %v", got)
	}
}
