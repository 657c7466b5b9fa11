package api

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// foldTags is a TagWriter over a real fold: each write is an event
// applied to the topology the views are taken from.
type foldTags struct {
	mu     sync.Mutex
	topo   *projections.Topology
	seq    uint64
	events []events.Envelope
	fail   error
}

func (f *foldTags) View() *projections.View {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.topo.View(now)
}

func (f *foldTags) apply(kind events.Kind, p any, key events.InstanceKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	e, err := events.New(kind, now, "n1", p)
	if err != nil {
		return err
	}
	if !key.IsZero() {
		e.Instance = key.String()
	}
	f.seq++
	if err := f.topo.Apply(f.seq, e); err != nil {
		return err
	}
	f.events = append(f.events, e)
	return nil
}

func (f *foldTags) Tag(_ context.Context, p events.InstanceTagged) error {
	return f.apply(events.KindInstanceTagged, p, p.Key)
}

func (f *foldTags) Untag(_ context.Context, p events.InstanceUntagged) error {
	return f.apply(events.KindInstanceUntagged, p, p.Key)
}

func tagsServer(t *testing.T, auth AuthOptions) (*Server, *foldTags) {
	t.Helper()
	topo, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	f := &foldTags{topo: topo}
	for _, o := range []events.InstanceObserved{observed("198.18.0.1", 1, ""), observed("198.18.0.2", 2, "198.18.0.1"), observed("198.18.0.3", 3, "198.18.0.1")} {
		if err := f.apply(events.KindInstanceObserved, o, o.Key); err != nil {
			t.Fatal(err)
		}
	}
	f.events = nil
	s := New(Options{Auth: auth}, leader(), prometheus.NewRegistry(), zerolog.Nop())
	s.RegisterTags(f, f)
	return s, f
}

func keysOf(t *testing.T, v any) []string {
	t.Helper()
	out := []string{}
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("not a list: %v", v)
	}
	for _, it := range list {
		m := it.(map[string]any)
		out = append(out, m["Hostname"].(string))
	}
	return out
}

func TestTagRoutesRoundTripThroughEvents(t *testing.T) {
	s, f := tagsServer(t, AuthOptions{})
	dba := func(r *http.Request) { r.SetBasicAuth("dba", "") }
	for _, p := range []string{"/api/tag/198.18.0.2/3306?tag=role%3Dreader", "/api/tag/198.18.0.3/3306?tag=role%3Dreader",
		"/api/tag/198.18.0.3/3306/backup/nightly", "/api/tag/198.18.0.1/3306?tag=role%3Dwriter"} {
		w, body := get(t, s, p, dba)
		if code, _, _ := envelope(t, body); w.Code != 200 || code != "OK" {
			t.Fatalf("%s: %d %v", p, w.Code, body)
		}
	}
	_, body := get(t, s, "/api/tag/198.18.0.2/3306?tag=owner", dba)
	if _, msg, d := envelope(t, body); msg != "198.18.0.2:3306 tagged with owner=" || d.(map[string]any)["Hostname"] != "198.18.0.2" {
		t.Errorf("tag answer: %v", body)
	}
	if len(f.events) != 5 || f.events[0].Kind != events.KindInstanceTagged || f.events[0].Instance != "198.18.0.2:3306" {
		t.Fatalf("events: %+v", f.events)
	}
	var p events.InstanceTagged
	if err := f.events[0].Decode(&p); err != nil || p != (events.InstanceTagged{Key: k("198.18.0.2"), Name: "role", Value: "reader", Who: "dba"}) {
		t.Errorf("payload %+v %v", p, err)
	}
	if _, body := get(t, s, "/api/tags/198.18.0.3/3306", nil); !reflect.DeepEqual(body, []any{"backup=nightly", "role=reader"}) {
		t.Errorf("tags: %v", body)
	}
	for p, want := range map[string]any{"/api/tag-value/198.18.0.3/3306?tag=backup%0A": "nightly", "/api/tag-value/198.18.0.2/3306/owner": ""} {
		if w, body := get(t, s, p, nil); w.Code != 200 || body != want {
			t.Errorf("%s: %d %v", p, w.Code, body)
		}
	}
	if w, body := get(t, s, "/api/tag-value/198.18.0.1/3306?tag=backup", nil); w.Code != 500 || body.(map[string]any)["Message"] != "tag backup not found for 198.18.0.1:3306" {
		t.Errorf("missing tag-value: %d %v", w.Code, body)
	}
	for p, want := range map[string][]string{
		"/api/tagged?tag=role%3Dreader":                 {"198.18.0.2", "198.18.0.3"},
		"/api/tagged/?tag=role%3Dreader%2C~backup":      {"198.18.0.2"},
		"/api/tagged/198.18.0.3/3306?tag=role":          {"198.18.0.3"},
		"/api/tagged/198.18.0.1/3306?tag=role%3Dreader": {},
		"/api/tagged?tag=nosuch":                        {},
		"/api/tagged/?tag=role%3Dreader%0A":             {"198.18.0.2", "198.18.0.3"}, // orchestrator-client's urlencode
	} {
		if w, body := get(t, s, p, nil); w.Code != 200 || !reflect.DeepEqual(keysOf(t, body), want) {
			t.Errorf("%s: %d %v", p, w.Code, body)
		}
	}
	// untag-all by value, then untag one instance.
	_, body = get(t, s, "/api/untag-all?tag=role%3Dreader", dba)
	if _, msg, d := envelope(t, body); msg != "role removed from 2 instances" || !reflect.DeepEqual(keysOf(t, d), []string{"198.18.0.2", "198.18.0.3"}) {
		t.Errorf("untag-all: %v", body)
	}
	_, body = get(t, s, "/api/untag/198.18.0.3/3306/backup", dba)
	if _, msg, _ := envelope(t, body); msg != "backup removed from 1 instances" {
		t.Errorf("untag: %v", body)
	}
	if _, body := get(t, s, "/api/tags/198.18.0.3/3306", nil); !reflect.DeepEqual(body, []any{}) {
		t.Errorf("tags after untag: %v", body)
	}
	// Nothing to remove: no event, zero instances.
	n := len(f.events)
	_, body = get(t, s, "/api/untag/198.18.0.3/3306?tag=backup", dba)
	if _, msg, d := envelope(t, body); msg != "backup removed from 0 instances" || len(d.([]any)) != 0 || len(f.events) != n {
		t.Errorf("untag of nothing: %v, %d events", body, len(f.events)-n)
	}
}

func TestTagRoutesRefuseBadInput(t *testing.T) {
	s, f := tagsServer(t, AuthOptions{})
	for p, param := range map[string]string{
		"/api/tag/198.18.0.2/3306":                "tag",
		"/api/tag/198.18.0.2/3306?tag=%7Erole":    "tag",
		"/api/tag/198.18.0.2/3306?tag=a%00b":      "tag",
		"/api/tag/198.18.0.2/3306/a/b%E2%80%AEc":  "tagValue",
		"/api/tag/198.18.0.2/x?tag=a":             "port",
		"/api/tagged?tag=a%2C%2Cb":                "tag",
		"/api/tag-value/198.18.0.2/3306?tag=%3Dx": "tag",
	} {
		w, body := get(t, s, p, nil)
		if m, ok := body.(map[string]any); w.Code != 400 || !ok || m["Details"].(map[string]any)["Parameter"] != param {
			t.Errorf("%s: %d %v, want 400 naming %s", p, w.Code, body, param)
		}
	}
	for p, want := range map[string]string{
		"/api/untag-all?tag=role":                "Untag: either indicate an instance or a tag value",
		"/api/untag/198.18.0.2/3306?tag=%7Erole": "Untag: does not support negation",
	} {
		if w, body := get(t, s, p, nil); w.Code != 500 || !strings.HasPrefix(body.(map[string]any)["Message"].(string), want) {
			t.Errorf("%s: %d %v", p, w.Code, body)
		}
	}
	if len(f.events) != 0 {
		t.Fatalf("bad input wrote %d events", len(f.events))
	}
	ro, f2 := tagsServer(t, AuthOptions{ReadOnly: true})
	for _, p := range []string{"/api/tag/198.18.0.2/3306?tag=a", "/api/untag-all?tag=a%3Db"} {
		if _, body := get(t, ro, p, nil); body.(map[string]any)["Message"] != "Unauthorized" {
			t.Errorf("read-only %s: %v", p, body)
		}
	}
	// No leader known: refused, nothing written.
	nl := New(Options{}, &fakeCluster{}, prometheus.NewRegistry(), zerolog.Nop())
	nl.RegisterTags(f, f)
	if w, body := get(t, nl, "/api/tag/198.18.0.2/3306?tag=a", nil); w.Code != 500 || !strings.Contains(body.(map[string]any)["Message"].(string), "cannot run tag now") || len(f.events) != 0 {
		t.Errorf("no leader: %d %v, %d events", w.Code, body, len(f.events))
	}
	f.fail = errors.New("this node does not lead the Regent cluster (leadership moved): retry")
	if w, body := get(t, s, "/api/tag/198.18.0.2/3306?tag=a", nil); w.Code != 500 || !strings.Contains(body.(map[string]any)["Message"].(string), "leadership moved") {
		t.Errorf("failed write: %d %v", w.Code, body)
	}
	if len(f2.events) != 0 {
		t.Fatal("read-only wrote events")
	}
}

func TestTopologyTagsRoute(t *testing.T) {
	s, _ := tagsServer(t, AuthOptions{})
	get(t, s, "/api/tag/198.18.0.2/3306?tag=role%3Dreader", nil)
	w, body := get(t, s, "/api/topology-tags/198.18.0.1/3306", nil)
	code, _, d := envelope(t, body)
	lines := strings.Split(d.(string), "\n")
	if w.Code != 200 || code != "OK" || len(lines) != 3 || !strings.HasSuffix(lines[0], "] []") || !strings.HasSuffix(lines[1], "] [role=reader]") {
		t.Errorf("topology-tags: %d %q", w.Code, d)
	}
}
