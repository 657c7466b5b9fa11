package events

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestKindNamesAreUniqueTokens(t *testing.T) {
	seen := map[string]Kind{}
	for _, k := range Kinds() {
		n := k.String()
		if other, dup := seen[n]; dup {
			t.Fatalf("kinds %d and %d share the name %q", k, other, n)
		}
		seen[n] = k
		if strings.ContainsAny(n, ".*> ") || n == "" {
			t.Fatalf("kind %d name %q is not a subject token", k, n)
		}
		back, err := ParseKind(n)
		if err != nil || back != k {
			t.Fatalf("ParseKind(%q) = %v, %v", n, back, err)
		}
	}
}

// The numbers are written into the log: this table pins every kind, both
// ways. A new kind is added here with its number; an existing line never
// changes.
func TestKindNumbersArePinned(t *testing.T) {
	pinned := map[string]Kind{
		"instance-observed": 1, "instance-progress": 2, "instance-unreachable": 3,
		"instance-discovered": 100, "instance-forgotten": 101, "cluster-forgotten": 102,
		"cluster-alias-set": 103, "candidate-registered": 104, "downtime-begun": 105, "downtime-ended": 106,
		"maintenance-begun": 107, "maintenance-ended": 108, "instance-tagged": 109, "instance-untagged": 110,
		"failure-detected": 200, "recovery-started": 201, "recovery-step": 202, "recovery-completed": 203,
		"recovery-failed": 204, "recovery-acknowledged": 205, "recovery-blocked": 206,
		"global-recoveries-set": 207, "hook-ran": 208, "vip-moved": 209, "failure-cleared": 210,
		"recovery-lease-taken": 211, "manual-operation-started": 212,
		"manual-operation-completed": 213, "manual-operation-failed": 214,
		"dead-letter": 300, "note": 900, "config-reloaded": 901,
	}
	for name, num := range pinned {
		k, err := ParseKind(name)
		if err != nil || k != num {
			t.Errorf("%s: got %d (%v), pinned %d", name, k, err, num)
		}
	}
	for _, k := range Kinds() {
		if num, ok := pinned[k.String()]; !ok || num != k {
			t.Errorf("kind %d %q is not pinned here: add it with its number", k, k)
		}
	}
}

func TestTokenRoundTripAndInjective(t *testing.T) {
	cases := []struct{ in, want string }{
		{"198.18.0.1:3306", "198_18_0_1-3306"},
		{"db-1.example.com:3306", "db-1_example_com-3306"},
		{"", NoCluster},
		{"test suite", "test%20suite"},
		{"db-12", "db%2D12"},
		{"a_b:1", "a%5Fb-1"},
		{"[::1]:3306", "%5B%3A%3A1%5D-3306"},
	}
	for _, c := range cases {
		got := Token(c.in)
		if got != c.want {
			t.Errorf("Token(%q) = %q, want %q", c.in, got, c.want)
		}
		if strings.ContainsAny(got, ".*> \t") {
			t.Errorf("Token(%q) = %q is not one subject token", c.in, got)
		}
		back, err := Untoken(got)
		if err != nil || back != c.in {
			t.Errorf("Untoken(%q) = %q, %v; want %q", got, back, err, c.in)
		}
	}
	// Distinct keys never share a token.
	keys := []string{"a.b:1", "a_b:1", "a-b:1", "a:b:1", "a.b", "a-1", "a:1", "a%2E:1"}
	seen := map[string]string{}
	for _, k := range keys {
		tok := Token(k)
		if other, ok := seen[tok]; ok {
			t.Fatalf("%q and %q share token %q", k, other, tok)
		}
		seen[tok] = k
	}
}

func TestSubjects(t *testing.T) {
	got := ObservationSubject("198.18.0.1:3306", "198.18.0.2:3306", "198.18.0.101:10008")
	if got != "regent.obs.198_18_0_1-3306.198_18_0_2-3306.198_18_0_101-10008" {
		t.Fatalf("observation subject %q", got)
	}
	if tok, ok := ObservationOriginToken(got); !ok || tok != "198_18_0_101-10008" || tok != Token("198.18.0.101:10008") {
		t.Fatalf("origin token of %q: %q %v", got, tok, ok)
	}
	if got := NodeObservations("regent-1"); got != "regent.obs.*.*.regent%2D1" {
		t.Fatalf("node observations %q", got)
	}
	for _, bad := range []string{"regent.obs.c.i", "regent.obs.c.i.o.x", "regent.obs.c.i.", "regent.obs..i.o", "regent.evt.c.i.o", "regent.obs"} {
		if tok, ok := ObservationOriginToken(bad); ok {
			t.Errorf("origin token of %q: %q, want none", bad, tok)
		}
	}
	if got := EventSubject("", KindGlobalRecoveriesSet); got != "regent.evt._global.global-recoveries-set" {
		t.Fatalf("global subject %q", got)
	}
	if got := ClusterEvents("c:1"); got != "regent.evt.c-1.>" {
		t.Fatalf("cluster events %q", got)
	}
}

func TestEnvelopeRoundTripAndValidation(t *testing.T) {
	at := time.Date(2026, 11, 24, 3, 12, 0, 0, time.UTC)
	e, err := New(KindInstanceDiscovered, at, "n1", InstanceDiscovered{Key: InstanceKey{"198.18.0.1", 3306}, Via: "api"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"kind":"instance-discovered"`) {
		t.Fatalf("kind not written by name: %s", b)
	}
	back, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var p InstanceDiscovered
	if err := back.Decode(&p); err != nil || p.Key.String() != "198.18.0.1:3306" || p.Via != "api" {
		t.Fatalf("decode: %+v %v", p, err)
	}
	bad := []func(*Envelope){
		func(e *Envelope) { e.ID = "" },
		func(e *Envelope) { e.Kind = 7777 },
		func(e *Envelope) { e.Version = 0 },
		func(e *Envelope) { e.Version = 99 },
		func(e *Envelope) { e.Origin = "" },
		func(e *Envelope) { e.Time = time.Time{} },
	}
	for i, mut := range bad {
		x := e
		mut(&x)
		if err := x.Validate(); !errors.Is(err, ErrInvalidEnvelope) {
			t.Errorf("case %d: Validate = %v, want ErrInvalidEnvelope", i, err)
		}
	}
	if _, err := Unmarshal([]byte(`{"id":"x","kind":"no-such-kind","v":1}`)); err == nil {
		t.Fatal("unknown kind name accepted")
	}
}

func TestDecodeUpgradesOldVersions(t *testing.T) {
	// Simulate a kind at version 2 whose v1 payload called the field "txt".
	const k = KindNote
	currentVersions[k] = 2
	upgraders[k] = map[uint16]func(json.RawMessage) (json.RawMessage, error){
		1: func(p json.RawMessage) (json.RawMessage, error) {
			var v1 struct{ Txt string }
			if err := json.Unmarshal(p, &v1); err != nil {
				return nil, err
			}
			return json.Marshal(Note{Text: v1.Txt})
		},
	}
	defer func() { delete(currentVersions, k); delete(upgraders, k) }()
	e := Envelope{ID: "1", Kind: k, Version: 1, Time: time.Now(), Origin: "n", Payload: json.RawMessage(`{"txt":"old"}`)}
	var n Note
	if err := e.Decode(&n); err != nil || n.Text != "old" {
		t.Fatalf("upgrade: %+v %v", n, err)
	}
}

// TestSizeStreams: the observations get 30 % of the store, the events
// EventStreamMaxMB but at most 60 % (60 % when unset).
func TestSizeStreams(t *testing.T) {
	for _, c := range []struct{ store, evt, want int64 }{{1000, 0, 600}, {1000, 200, 200}, {1000, 900, 600}, {1000, -1, 600}} {
		o := SizeStreams(c.store, c.evt, time.Hour, 3)
		if o.EventBytes != c.want || o.ObservationBytes != 300 || o.ObservationMaxAge != time.Hour || o.Replicas != 3 {
			t.Errorf("store %d events %d: %+v, want events %d", c.store, c.evt, o, c.want)
		}
	}
}
