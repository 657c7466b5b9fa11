package events

import (
	"errors"
	"strings"
	"testing"
)

func TestValidHost(t *testing.T) {
	cases := []struct {
		host string
		want string // "" = valid; else a part of the reason
	}{
		{"db1", ""},
		{"db-1.example.com", ""},
		{"db_1.internal", ""},
		{"198.18.0.2", ""},
		{"db1.example.com.", ""},
		{"::1", ""},
		{"fe80::1%eth0", ""},
		{"2001:db8::2", ""},
		{strings.Repeat("a", 253), ""},
		{"", "empty"},
		{strings.Repeat("a", 254), "longer than 253"},
		{strings.Repeat("a", 4100), "4100 bytes"},
		{"db 1", "space"},
		{"db1\n", "control character U+000A"},
		{"db1\x00", "control character U+0000"},
		{"db\u202e1", "format (bidi or invisible) character U+202E"},
		{"db\u200b1", "format (bidi or invisible) character U+200B"},
		{"db\u2066x", "U+2066"},
		{"dé1", "non-ASCII character U+00E9"},
		{"db\xff1", "invalid UTF-8"},
		{"db/1", "'/'"},
		{"//db1", "'/'"},
		{"[::1]", "without brackets"},
		{"[db1]", "'['"},
		{"db1:3306", "':' outside an IPv6 literal"},
		{"fe80::1%eth 0", "space"},
		{"fe80::1%e/0", "'/'"},
		{"-db1", "starts with '-'"},
		{".db1", "starts with '.'"},
		{"db1..example", "empty label"},
		{"db1;drop", "';'"},
		{"db1%41", "'%'"},
	}
	for _, c := range cases {
		err := ValidHost(c.host)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("ValidHost(%s): %v, want valid", Quote(c.host), err)
		case c.want != "" && err == nil:
			t.Errorf("ValidHost(%s) accepted, want %q", Quote(c.host), c.want)
		case c.want != "" && !strings.Contains(err.Error(), c.want):
			t.Errorf("ValidHost(%s): %v, want it to say %q", Quote(c.host), err, c.want)
		case err != nil && !errors.Is(err, ErrInvalidName):
			t.Errorf("ValidHost(%s): %v does not wrap ErrInvalidName", Quote(c.host), err)
		}
	}
}

func TestValidHostErrorIsShortAndEscaped(t *testing.T) {
	err := ValidHost(strings.Repeat("\u202e", 2000))
	if err == nil {
		t.Fatal("accepted")
	}
	if len(err.Error()) > 300 || strings.ContainsRune(err.Error(), '\u202e') {
		t.Errorf("error holds the raw value or is too long (%d bytes): %q", len(err.Error()), err)
	}
	if !strings.Contains(err.Error(), `\u202e`) || !strings.Contains(err.Error(), "6000 bytes") {
		t.Errorf("error does not show the escaped value and its length: %v", err)
	}
}

func TestInstanceKeyValidateAndParsePort(t *testing.T) {
	keys := []struct {
		k  InstanceKey
		ok bool
	}{
		{InstanceKey{"db1", 3306}, true},
		{InstanceKey{"db1", 1}, true},
		{InstanceKey{"db1", 65535}, true},
		{InstanceKey{"db1", 0}, false},
		{InstanceKey{"db1", -1}, false},
		{InstanceKey{"db1", 65536}, false},
		{InstanceKey{"", 3306}, false},
		{InstanceKey{"d b", 3306}, false},
	}
	for _, c := range keys {
		if err := c.k.Validate(); (err == nil) != c.ok {
			t.Errorf("%+v.Validate() = %v, want ok=%v", c.k, err, c.ok)
		}
	}
	ports := []struct {
		s    string
		want int
	}{
		{"3306", 3306}, {"1", 1}, {"65535", 65535}, {"03306", 3306},
		{"0", 0}, {"65536", 0}, {"-1", 0}, {"", 0}, {"33o6", 0}, {"+3306", 0}, {"000003306", 0}, {"99999999999999999999", 0},
	}
	for _, c := range ports {
		got, err := ParsePort(c.s)
		if got != c.want || (err == nil) != (c.want != 0) {
			t.Errorf("ParsePort(%q) = %d, %v; want %d", c.s, got, err, c.want)
		}
	}
}

func TestValidText(t *testing.T) {
	cases := []struct {
		s  string
		ok bool
	}{
		{"", true},
		{"main cluster", true},
		{"Zürich-1", true},
		{strings.Repeat("x", MaxTextLen), true},
		{strings.Repeat("x", MaxTextLen+1), false},
		{"a\u202eb", false},
		{"a\x1bb", false},
		{"a\u0085b", false}, // C1 control
		{"a\xffb", false},
	}
	for _, c := range cases {
		if err := ValidText(c.s, MaxTextLen); (err == nil) != c.ok {
			t.Errorf("ValidText(%s) = %v, want ok=%v", Quote(c.s), err, c.ok)
		}
	}
}

// TestSubjectsOfValidNamesFitTheBound: the longest valid names, escaped in
// the worst way, still give subjects under MaxSubjectLen; a 4,100-byte name
// does not.
func TestSubjectsOfValidNamesFitTheBound(t *testing.T) {
	worst := InstanceKey{Hostname: strings.Repeat("_", MaxHostLen), Port: 65535}.String()
	if s := ObservationSubject(worst, worst, worst); CheckSubject(s) != nil {
		t.Errorf("valid names give a %d-byte subject, over %d", len(s), MaxSubjectLen)
	}
	if s := EventSubject(worst, KindInstanceDiscovered); CheckSubject(s) != nil {
		t.Errorf("valid names give a %d-byte event subject", len(s))
	}
	long := InstanceKey{Hostname: strings.Repeat("a", 4100), Port: 3306}.String()
	if err := CheckSubject(ObservationSubject("", long, "n1")); !errors.Is(err, ErrInvalidName) {
		t.Errorf("4,100-byte host: CheckSubject = %v", err)
	}
}

// BenchmarkInstanceKeyValidate: the check every folded record and every
// API key pays.
func BenchmarkInstanceKeyValidate(b *testing.B) {
	keys := []InstanceKey{{"db-17.prod.example.com", 3306}, {"198.18.0.2", 3306}, {"fe80::1", 3306}}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := keys[i%len(keys)].Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
