package lab

import (
	"strings"
	"testing"
	"time"
)

func TestSampleViolations(t *testing.T) {
	at := time.Unix(0, 0)
	up := func(i int, ro, vip bool) HostStatus { return HostStatus{Index: i, Up: true, ReadOnly: ro, VIP: vip} }
	cases := []struct {
		name  string
		hosts []HostStatus
		rules []string
	}{
		{"one primary", []HostStatus{up(1, false, true), up(2, true, false)}, nil},
		{"two writable", []HostStatus{up(1, false, true), up(2, false, false)}, []string{RuleOneWritable}},
		{"dead writable ignored", []HostStatus{{Index: 1}, up(2, false, true)}, nil},
		{"partitioned writable ignored", []HostStatus{{Index: 1, Up: true, Partitioned: true}, up(2, false, true)}, nil},
		{"two VIPs", []HostStatus{up(1, false, true), up(2, true, true)}, []string{RuleOneVIP}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := sampleViolations(at, c.hosts)
			if len(got) != len(c.rules) {
				t.Fatalf("got %v, want rules %v", got, c.rules)
			}
			for k, v := range got {
				if v.Rule != c.rules[k] {
					t.Errorf("violation %d: rule %s, want %s", k, v.Rule, c.rules[k])
				}
			}
		})
	}
}

func TestGTIDDomain0(t *testing.T) {
	for in, want := range map[string]string{"": "", "0-1-10": "0-1-10", "1-5-3,0-2-7": "0-2-7", "10-1-1": ""} {
		if got := GTIDDomain0(in); got != want {
			t.Errorf("GTIDDomain0(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReportString(t *testing.T) {
	r := Report{Samples: 3, Violations: []Violation{{Rule: RuleAckedPresent, Detail: "2 of 9 missing", Count: 1}}}
	if r.OK() || !r.Has(RuleAckedPresent) || r.Has(RuleOneVIP) {
		t.Fatalf("report flags wrong: %+v", r)
	}
	if s := r.String(); !strings.Contains(s, "[acked-writes-present]") || !strings.Contains(s, "2 of 9 missing") {
		t.Errorf("report text lacks the violation: %s", s)
	}
}
