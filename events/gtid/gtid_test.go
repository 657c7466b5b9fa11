package gtid

import (
	"errors"
	"testing"
)

const (
	u1 = "00000000-0000-0000-0000-000000000001"
	u2 = "00000000-0000-0000-0000-000000000002"
	u3 = "00000000-0000-0000-0000-000000000003"
)

func TestParseSetNormalises(t *testing.T) {
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
		got, err := ParseSet(tt.in)
		if err != nil {
			t.Fatalf("ParseSet(%q): %v", tt.in, err)
		}
		if got.String() != tt.want {
			t.Errorf("ParseSet(%q) = %q, want %q", tt.in, got.String(), tt.want)
		}
	}
}

func TestParseSetRejects(t *testing.T) {
	for _, in := range []string{"nonsense", u1, u1 + ":0", u1 + ":5-3", u1 + ":x-3", "1234:1-2"} {
		if _, err := ParseSet(in); !errors.Is(err, ErrInvalidGTID) {
			t.Errorf("ParseSet(%q) error = %v, want ErrInvalidGTID", in, err)
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
		a, b := MustParseSet(tt.a), MustParseSet(tt.b)
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
		got := MySQLErrant(MustParseSet(tt.replica), MustParseSet(tt.source), tt.ignore).String()
		if got != tt.want {
			t.Errorf("%s: errant = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestList(t *testing.T) {
	l, err := ParseList(" 1-2-5, 0-1-100 ")
	if err != nil {
		t.Fatal(err)
	}
	if l.String() != "0-1-100,1-2-5" {
		t.Errorf("String = %q", l.String())
	}
	for _, in := range []string{"0-1", "a-1-2", "0-1-2-3", "0--1-2"} {
		if _, err := ParseList(in); !errors.Is(err, ErrInvalidGTID) {
			t.Errorf("ParseList(%q) error = %v, want ErrInvalidGTID", in, err)
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
		a, _ := ParseList(tt.a)
		b, _ := ParseList(tt.b)
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
		r, _ := ParseList(tt.replica)
		s, _ := ParseList(tt.source)
		if got := MariaDBErrant(r, s, tt.upstream).String(); got != tt.want {
			t.Errorf("%s: errant = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestListAsBinlogState(t *testing.T) {
	tests := []struct {
		a, b            string
		sub, union      string
		aContainsB      bool
		errantUpstream1 string // MariaDBErrantState(a, b, [1])
	}{
		{"0-1-105,0-3-101", "0-1-105", "0-3-101", "0-3-101,0-1-105", true, "0-3-101"},
		{"0-1-105,0-3-101", "0-1-100,0-3-101", "0-1-105", "0-3-101,0-1-105", true, ""},
		{"0-1-105,0-3-101", "0-1-100,0-3-100", "0-3-101,0-1-105", "0-3-101,0-1-105", true, "0-3-101"},
		{"0-3-101", "0-1-105,0-3-102", "", "0-3-102,0-1-105", false, ""},
		{"0-1-5,1-1-5", "1-1-5", "0-1-5", "0-1-5,1-1-5", true, ""},
		{"", "0-1-5", "", "0-1-5", false, ""},
	}
	for _, tt := range tests {
		a, b := mustList(t, tt.a), mustList(t, tt.b)
		if got := a.Subtract(b).String(); got != tt.sub {
			t.Errorf("%q - %q = %q, want %q", tt.a, tt.b, got, tt.sub)
		}
		if got := a.Union(b).String(); got != tt.union {
			t.Errorf("%q + %q = %q, want %q", tt.a, tt.b, got, tt.union)
		}
		if got := a.Contains(b); got != tt.aContainsB {
			t.Errorf("%q contains %q = %v", tt.a, tt.b, got)
		}
		if got := MariaDBErrantState(a, b, []uint32{1}).String(); got != tt.errantUpstream1 {
			t.Errorf("errant(%q, %q) = %q, want %q", tt.a, tt.b, got, tt.errantUpstream1)
		}
	}
}

func mustList(t *testing.T, s string) List {
	t.Helper()
	l, err := ParseList(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestParseRejectsOverflow(t *testing.T) {
	for _, in := range []string{u1 + ":1-9223372036854775808", u1 + ":18446744073709551615"} {
		if _, err := ParseSet(in); !errors.Is(err, ErrInvalidGTID) {
			t.Errorf("ParseSet(%q) error = %v, want ErrInvalidGTID", in, err)
		}
	}
	for _, in := range []string{"0-1", "0-1-2-3", "4294967296-1-1", "0-x-1", "-1-1"} {
		if _, err := ParseList(in); !errors.Is(err, ErrInvalidGTID) {
			t.Errorf("ParseList(%q) error = %v, want ErrInvalidGTID", in, err)
		}
	}
}

// FuzzParse: odd server answers never panic; what parses re-parses to the
// same value, and the set algebra keeps its laws.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", u1 + ":1-5:7", u1 + ":tag:1-3," + u2 + ":9", "0-1-100,1-2-5", "0-1-1,0-1-1", u1 + ":1-9223372036854775807"} {
		f.Add(s, u1+":3-8")
		f.Add(s, "0-1-50,0-2-7,1-1-3")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if l, err := ParseList(a); err == nil {
			if m, err := ParseList(l.String()); err != nil || !m.Contains(l) || !l.Contains(m) {
				t.Fatalf("list %q does not re-parse: %v", l, err)
			}
			if m, err := ParseList(b); err == nil {
				u, d := l.Union(m), l.Subtract(m)
				if !u.Contains(l) || !u.Contains(m) || !l.Contains(d) || len(d.Subtract(m)) != len(d) {
					t.Fatalf("lists %q, %q: union %q, difference %q break the laws", l, m, u, d)
				}
			}
		}
		sa, err1 := ParseSet(a)
		sb, err2 := ParseSet(b)
		if err1 != nil || err2 != nil {
			return
		}
		if r, err := ParseSet(sa.String()); err != nil || !r.Equal(sa) {
			t.Fatalf("set %q does not re-parse: %v", sa, err)
		}
		u := sa.Union(sb)
		if !u.Contains(sa) || !u.Contains(sb) {
			t.Fatalf("%q ∪ %q = %q does not contain both", sa, sb, u)
		}
		d := sa.Subtract(sb)
		if !sa.Contains(d) || !d.Subtract(sb).Equal(d) || !d.Union(sb).Equal(u) {
			t.Fatalf("%q - %q = %q breaks the laws", sa, sb, d)
		}
	})
}

func TestPassedBy(t *testing.T) {
	for _, tt := range []struct {
		errant, pos, want string
		passed            bool
	}{
		{"0-3-12", "0-1-11", "", false},
		{"0-3-12", "0-1-12", "0-3-12", true},
		{"1-3-5,0-3-12", "0-1-20,1-1-4", "0-3-12", true},
		{"1-3-5", "0-1-20", "", false},
	} {
		g, ok := mustList(t, tt.errant).PassedBy(mustList(t, tt.pos))
		if ok != tt.passed || (ok && g.String() != tt.want) {
			t.Errorf("%q passed by %q = %v, %v; want %q, %v", tt.errant, tt.pos, g, ok, tt.want, tt.passed)
		}
	}
}
