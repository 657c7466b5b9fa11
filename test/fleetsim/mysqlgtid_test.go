package fleetsim

import "testing"

const (
	uA = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	uB = "4e11fa47-71ca-11e1-9e33-c80aa9429562"
)

// TestGsetArithmetic checks the simulator's GTID set parsing, printing,
// union and difference against hand-computed sets.
func TestGsetArithmetic(t *testing.T) {
	for _, tc := range []struct{ a, b, union, minus string }{
		{uA + ":1-5", uA + ":3-7", uA + ":1-7", uA + ":1-2"},
		{uA + ":1-5:7", uA + ":6", uA + ":1-7", uA + ":1-5:7"},
		{uA + ":1-10", uA + ":2:4-5:9", uA + ":1-10", uA + ":1:3:6-8:10"},
		{uB + ":1,\n" + uA + ":1-3", uA + ":2", uA + ":1-3,\n" + uB + ":1", uA + ":1:3,\n" + uB + ":1"},
		{"", uA + ":1", uA + ":1", ""},
	} {
		a, err := parseGset(tc.a)
		if err != nil {
			t.Fatalf("parse %q: %v", tc.a, err)
		}
		b, err := parseGset(tc.b)
		if err != nil {
			t.Fatalf("parse %q: %v", tc.b, err)
		}
		if got := a.minus(b).String(); got != tc.minus {
			t.Errorf("%q minus %q = %q, want %q", tc.a, tc.b, got, tc.minus)
		}
		u := a.clone()
		added := u.union(b)
		if got := u.String(); got != tc.union {
			t.Errorf("%q union %q = %q, want %q", tc.a, tc.b, got, tc.union)
		}
		if added != u.count()-a.count() {
			t.Errorf("union of %q and %q counted %d new", tc.a, tc.b, added)
		}
		if !a.subsetOf(u) || !b.subsetOf(u) {
			t.Errorf("%q, %q not subsets of their union", tc.a, tc.b)
		}
	}
	for _, bad := range []string{"x:1", uA, uA + ":0", uA + ":5-3", uA + ":a", uA[:35] + ":1"} {
		if _, err := parseGset(bad); err == nil {
			t.Errorf("parseGset(%q) accepted", bad)
		}
	}
	if _, _, err := parseGTID(uA + ":1-2"); err == nil {
		t.Error("parseGTID accepted a range")
	}
}
