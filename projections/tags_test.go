package projections

import (
	"reflect"
	"strings"
	"testing"

	"github.com/regent-ha/regent/events"
)

// A transcript of tag, retag, untag and untag-all, read back as
// orchestrator's tags, tag-value and tagged answer.
func TestTagsFold(t *testing.T) {
	s := newScript(t, DefaultSettings())
	s.observe(threeNodes, mariaPrimary("h1", 1), mariaReplica("h2", 2, "h1"), mariaReplica("h3", 3, "h1"))
	tag := func(h, name, value string) {
		s.emit(events.KindInstanceTagged, "n1", events.InstanceTagged{Key: key(h), Name: name, Value: value, Who: "dba"})
	}
	tag("h1", "role", "writer")
	tag("h2", "role", "reader")
	tag("h3", "role", "reader")
	tag("h3", "backup", "")
	tag("h2", "role", "olap") // replaces the value
	v := s.topo.View(s.now)
	if got := v.Tags(key("h3")); !reflect.DeepEqual(got, []string{"backup=", "role=reader"}) {
		t.Errorf("tags h3: %v", got)
	}
	if val, ok := v.TagValue(key("h2"), "role"); !ok || val != "olap" {
		t.Errorf("tag-value h2 role: %q %v", val, ok)
	}
	if _, ok := v.TagValue(key("h1"), "backup"); ok {
		t.Error("h1 has no backup tag")
	}
	for expr, want := range map[string][]string{
		"role":               {"h1", "h2", "h3"},
		"role=reader":        {"h3"},
		"role,backup":        {"h3"},
		"~backup":            {"h1", "h2"},
		"!backup":            {"h1", "h2"},
		"~role=writer":       {"h2", "h3"},
		"role=olap,~backup":  {"h2"},
		"nosuch":             nil,
		" role = reader,x=y": nil,
	} {
		got, err := v.Tagged(expr)
		if err != nil {
			t.Fatalf("tagged %q: %v", expr, err)
		}
		var hosts []string
		for _, k := range got {
			hosts = append(hosts, k.Hostname)
		}
		if !reflect.DeepEqual(hosts, want) {
			t.Errorf("tagged %q: %v, want %v", expr, hosts, want)
		}
	}
	if _, err := v.Tagged("a,,b"); err == nil || !strings.Contains(err.Error(), "Unable to parse tag") {
		t.Errorf("empty expression: %v", err)
	}
	// The view taken above never changes; a clone keeps its own tags.
	c := s.topo.Clone()
	untag := events.InstanceUntagged{Name: "role", Value: "reader", HasValue: true}
	if got := v.Untagging(untag); !reflect.DeepEqual(got, []events.InstanceKey{key("h3")}) {
		t.Errorf("untag-all role=reader would hit %v", got)
	}
	s.emit(events.KindInstanceUntagged, "n1", untag)
	s.emit(events.KindInstanceUntagged, "n1", events.InstanceUntagged{Key: key("h1"), Name: "role", Value: "other", HasValue: true})
	s.emit(events.KindInstanceUntagged, "n1", events.InstanceUntagged{Key: key("h2"), Name: "role"})
	w := s.topo.View(s.now)
	if got := w.Tags(key("h3")); !reflect.DeepEqual(got, []string{"backup="}) {
		t.Errorf("h3 after untag-all: %v", got)
	}
	if got := w.Tags(key("h1")); !reflect.DeepEqual(got, []string{"role=writer"}) {
		t.Errorf("h1 untag with another value: %v", got)
	}
	if got := w.Tags(key("h2")); len(got) != 0 {
		t.Errorf("h2 after untag: %v", got)
	}
	if got := v.Tags(key("h2")); !reflect.DeepEqual(got, []string{"role=olap"}) {
		t.Errorf("an earlier view changed: %v", got)
	}
	if got := c.View(s.now).Tags(key("h3")); !reflect.DeepEqual(got, []string{"backup=", "role=reader"}) {
		t.Errorf("a clone changed: %v", got)
	}
}

// Bad tag payloads are refused and change nothing.
func TestTagsFoldRefusesBadPayloads(t *testing.T) {
	s := newScript(t, DefaultSettings())
	s.emit(events.KindInstanceTagged, "n1", events.InstanceTagged{Key: key("h1"), Name: "a", Value: "1"})
	for _, bad := range []struct {
		kind events.Kind
		p    any
	}{
		{events.KindInstanceTagged, events.InstanceTagged{Key: key("h1"), Name: " "}},
		{events.KindInstanceTagged, events.InstanceTagged{Key: events.InstanceKey{Hostname: "bad host", Port: 3306}, Name: "a"}},
		{events.KindInstanceUntagged, events.InstanceUntagged{Name: "a"}},
		{events.KindInstanceUntagged, events.InstanceUntagged{Key: key("h1")}},
	} {
		env, err := events.New(bad.kind, s.now, "n1", bad.p)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.topo.Apply(0, env); err == nil {
			t.Errorf("%s %+v: accepted", bad.kind, bad.p)
		}
	}
	if got := s.topo.View(s.now).Tags(key("h1")); !reflect.DeepEqual(got, []string{"a=1"}) {
		t.Errorf("tags after refused payloads: %v", got)
	}
}

// topology-tags: each line ends with its tags, names alone when valueless.
func TestRenderTopologyTags(t *testing.T) {
	s := newScript(t, DefaultSettings())
	s.observe(threeNodes, mariaPrimary("h1", 1), mariaReplica("h2", 2, "h1"))
	s.emit(events.KindInstanceTagged, "n1", events.InstanceTagged{Key: key("h2"), Name: "role", Value: "reader"})
	s.emit(events.KindInstanceTagged, "n1", events.InstanceTagged{Key: key("h2"), Name: "backup"})
	v := s.topo.View(s.now)
	got, err := RenderTopologyTags(v, "h1:3306")
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := RenderTopology(v, "h1:3306", false)
	lines := strings.Split(plain, "\n")
	want := lines[0] + " []\n" + lines[1] + " [backup,role=reader]"
	if got != want {
		t.Errorf("topology-tags:\n%s\nwant\n%s", got, want)
	}
}
