package projections

import (
	"errors"
	"testing"
)

const (
	u1 = "00000000-0000-0000-0000-000000000001"
	u2 = "00000000-0000-0000-0000-000000000002"
	u3 = "00000000-0000-0000-0000-000000000003"
)

func TestParseGTIDSetNormalises(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{u1 + ":1-5", u1 + ":1-5"},
		{u2 + ":1-3,\n" + u1 + ":7-9:1-5", u1 + ":1-5:7-9," + u2 + ":1-3"},
		{u1 + ":1-5:6-9", u1 + ":1-9"},
		{u1 + ":3:1-2:4", u1 + ":1-4"},
		{u1 + ":1-5," + u1 + ":3-8", u1 + ":1-8"},
		{"00000000-0000-0000-0000-00000000000A:1", "00000000-0000-0000-0000-00000000000a:1"},
		{u1 + ":1-3:tag:1-2", u1 + ":1-3," + u1 + ":tag:1-2"},
	}
	for _, tt := range tests {
		got, err := ParseGTIDSet(tt.in)
		if err != nil {
			t.Fatalf("ParseGTIDSet(%q): %v", tt.in, err)
		}
		if got.String() != tt.want {
			t.Errorf("ParseGTIDSet(%q) = %q, want %q", tt.in, got.String(), tt.want)
		}
	}
}

func TestParseGTIDSetRejects(t *testing.T) {
	for _, in := range []string{"nonsense", u1, u1 + ":0", u1 + ":5-3", u1 + ":x-3", "1234:1-2"} {
		if _, err := ParseGTIDSet(in); !errors.Is(err, ErrInvalidGTID) {
			t.Errorf("ParseGTIDSet(%q) error = %v, want ErrInvalidGTID", in, err)
		}
	}
}

func TestGTIDSetAlgebra(t *testing.T) {
	tests := []struct {
		a, b              string
		sub               string
		aContainsB, equal bool
		union             string
	}{
		{u1 + ":1-10", u1 + ":1-5", u1 + ":6-10", true, false, u1 + ":1-10"},
		{u1 + ":1-10", u1 + ":3-4:8", u1 + ":1-2:5-7:9-10", true, false, u1 + ":1-10"},
		{u1 + ":1-5", u1 + ":1-10", "", false, false, u1 + ":1-10"},
		{u1 + ":1-5," + u2 + ":1-3", u1 + ":1-5", u2 + ":1-3", true, false, u1 + ":1-5," + u2 + ":1-3"},
		{u1 + ":1-5", u2 + ":1-5", u1 + ":1-5", false, false, u1 + ":1-5," + u2 + ":1-5"},
		{u1 + ":1-5:7", u1 + ":7:1-5", "", true, true, u1 + ":1-5:7"},
		{"", u1 + ":1", "", false, false, u1 + ":1"},
		{u1 + ":1-100", u1 + ":1-50:52-100", u1 + ":51", true, false, u1 + ":1-100"},
	}
	for _, tt := range tests {
		a, b := MustParseGTIDSet(tt.a), MustParseGTIDSet(tt.b)
		if got := a.Subtract(b).String(); got != tt.sub {
			t.Errorf("%q - %q = %q, want %q", tt.a, tt.b, got, tt.sub)
		}
		if got := a.Contains(b); got != tt.aContainsB {
			t.Errorf("%q contains %q = %v, want %v", tt.a, tt.b, got, tt.aContainsB)
		}
		if got := a.Equal(b); got != tt.equal {
			t.Errorf("%q equal %q = %v, want %v", tt.a, tt.b, got, tt.equal)
		}
		if got := a.Union(b).String(); got != tt.union {
			t.Errorf("%q union %q = %q, want %q", tt.a, tt.b, got, tt.union)
		}
	}
}

func TestMySQLErrant(t *testing.T) {
	tests := []struct {
		name, replica, source string
		ignore                []string
		want                  string
	}{
		{"in sync", u1 + ":1-10", u1 + ":1-10", nil, ""},
		{"behind", u1 + ":1-5", u1 + ":1-10", nil, ""},
		{"local write", u1 + ":1-10," + u3 + ":1-2", u1 + ":1-10", []string{u1}, u3 + ":1-2"},
		{"stale source probe ignored", u1 + ":1-12", u1 + ":1-10", []string{u1}, ""},
		{"stale source probe counted without ancestry", u1 + ":1-12", u1 + ":1-10", nil, u1 + ":11-12"},
		{"grandparent uuid ignored", u1 + ":1-10," + u2 + ":1-9", u1 + ":1-10," + u2 + ":1-5", []string{u1, u2}, ""},
	}
	for _, tt := range tests {
		got := MySQLErrant(MustParseGTIDSet(tt.replica), MustParseGTIDSet(tt.source), tt.ignore).String()
		if got != tt.want {
			t.Errorf("%s: errant = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestMariaDBGTIDList(t *testing.T) {
	l, err := ParseMariaDBGTIDList(" 1-2-5, 0-1-100 ")
	if err != nil {
		t.Fatal(err)
	}
	if l.String() != "0-1-100,1-2-5" {
		t.Errorf("String = %q", l.String())
	}
	for _, in := range []string{"0-1", "a-1-2", "0-1-2-3", "0--1-2"} {
		if _, err := ParseMariaDBGTIDList(in); !errors.Is(err, ErrInvalidGTID) {
			t.Errorf("ParseMariaDBGTIDList(%q) error = %v, want ErrInvalidGTID", in, err)
		}
	}
	tests := []struct {
		a, b    string
		domain  uint32
		cmp     int
		atLeast bool
	}{
		{"0-1-100", "0-1-100", 0, 0, true},
		{"0-1-101", "0-1-100", 0, 1, true},
		{"0-1-99", "0-1-100", 0, -1, false},
		{"0-2-150", "0-1-100", 0, 1, true},
		{"0-1-100", "0-1-100,1-1-5", 1, -1, false},
		{"0-1-100,1-1-5", "0-1-100", 1, 1, true},
		{"", "", 0, 0, true},
	}
	for _, tt := range tests {
		a, _ := ParseMariaDBGTIDList(tt.a)
		b, _ := ParseMariaDBGTIDList(tt.b)
		if got := CompareDomain(a, b, tt.domain); got != tt.cmp {
			t.Errorf("CompareDomain(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.domain, got, tt.cmp)
		}
		if got := a.AtLeast(b); got != tt.atLeast {
			t.Errorf("%q.AtLeast(%q) = %v, want %v", tt.a, tt.b, got, tt.atLeast)
		}
	}
}

func TestMariaDBErrant(t *testing.T) {
	tests := []struct {
		name, replica, source string
		upstream              []uint32
		want                  string
	}{
		{"in sync", "0-1-100", "0-1-100", []uint32{1}, ""},
		{"behind", "0-1-90", "0-1-100", []uint32{1}, ""},
		{"stale source probe", "0-1-110", "0-1-100", []uint32{1}, ""},
		{"local write ahead", "0-3-101", "0-1-100", []uint32{1}, "0-3-101"},
		{"domain the source lacks", "0-1-100,5-3-7", "0-1-100", []uint32{1}, "5-3-7"},
		{"old primary's gtid the source passed", "0-9-80", "0-1-100", []uint32{1}, ""},
		{"grandparent's domain", "0-1-100,2-7-4", "0-1-100", []uint32{1, 7}, ""},
	}
	for _, tt := range tests {
		r, _ := ParseMariaDBGTIDList(tt.replica)
		s, _ := ParseMariaDBGTIDList(tt.source)
		if got := MariaDBErrant(r, s, tt.upstream).String(); got != tt.want {
			t.Errorf("%s: errant = %q, want %q", tt.name, got, tt.want)
		}
	}
}
