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

// watchTranscript builds per-host Watch samples from rows "host ms-sent
// ms-got writable vip" (ms after t0).
func watchTranscript(t0 time.Time, hosts int, rows [][5]int) [][]watchSample {
	out := make([][]watchSample, hosts)
	for _, r := range rows {
		ms := func(v int) time.Time { return t0.Add(time.Duration(v) * time.Millisecond) }
		h := HostStatus{Index: r[0], Up: true, ReadOnly: r[3] == 0, VIP: r[4] == 1}
		out[r[0]-1] = append(out[r[0]-1], watchSample{sent: ms(r[1]), got: ms(r[2]), h: h})
	}
	return out
}

func TestWatchViolations(t *testing.T) {
	t0 := time.Unix(1000, 0)
	// host 1 is the primary with the VIP throughout; host 2 is sampled every 20 ms.
	primary := [][5]int{{1, 0, 1, 1, 1}, {1, 20, 21, 1, 1}, {1, 40, 41, 1, 1}, {1, 60, 61, 1, 1}, {1, 80, 81, 1, 1}, {1, 100, 101, 1, 1}}
	cases := []struct {
		name  string
		rows  [][5]int
		rules []string
		span  time.Duration // of the first violation
	}{
		{"replica stays read-only", append(primary, [5]int{2, 0, 1, 0, 0}, [5]int{2, 20, 21, 0, 0}, [5]int{2, 40, 41, 0, 0}), nil, 0},
		{"replica writable in three samples", append(primary,
			[5]int{2, 0, 1, 0, 0}, [5]int{2, 20, 21, 1, 0}, [5]int{2, 40, 41, 1, 0}, [5]int{2, 60, 61, 1, 0}, [5]int{2, 80, 81, 0, 0}),
			[]string{RuleOneWritable}, 39 * time.Millisecond},
		{"one writable sample proves no interval", append(primary, [5]int{2, 0, 1, 0, 0}, [5]int{2, 20, 21, 1, 0}, [5]int{2, 40, 41, 0, 0}), nil, 0},
		// The primary hangs 500 ms in one query (slow answer); host 2 is
		// promoted after the primary's last writable answer: no overlap.
		{"handover without overlap", [][5]int{{1, 0, 1, 1, 1}, {1, 20, 21, 1, 1}, {1, 40, 540, 0, 0},
			{2, 0, 1, 0, 0}, {2, 100, 101, 1, 1}, {2, 120, 121, 1, 1}, {2, 140, 141, 1, 1}}, nil, 0},
		{"VIP on two hosts", append(primary, [5]int{2, 10, 11, 0, 1}, [5]int{2, 30, 31, 0, 1}, [5]int{2, 50, 51, 0, 1}),
			[]string{RuleOneVIP}, 39 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := watchViolations(watchTranscript(t0, 2, c.rows))
			if len(got) != len(c.rules) {
				t.Fatalf("got %v, want rules %v", got, c.rules)
			}
			for k, v := range got {
				if v.Rule != c.rules[k] {
					t.Errorf("violation %d: rule %s, want %s", k, v.Rule, c.rules[k])
				}
			}
			if len(got) > 0 && got[0].Span() != c.span {
				t.Errorf("span %v, want %v (%+v)", got[0].Span(), c.span, got[0])
			}
		})
	}
}

func TestOverlapWindowsThreeHosts(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	spans := []span{{1, at(0), at(1000), 50}, {2, at(100), at(300), 10}, {3, at(200), at(400), 10}, {2, at(600), at(700), 5}}
	got := overlapWindows(spans)
	if len(got) != 2 {
		t.Fatalf("windows %+v, want 2", got)
	}
	if got[0].from != at(100) || got[0].to != at(400) || ints(got[0].hosts) != "[1 2 3]" {
		t.Errorf("first window %+v, want 100..400 ms on [1 2 3]", got[0])
	}
	if got[1].from != at(600) || got[1].to != at(700) || ints(got[1].hosts) != "[1 2]" {
		t.Errorf("second window %+v, want 600..700 ms on [1 2]", got[1])
	}
	if touching := overlapWindows([]span{{1, at(0), at(100), 2}, {2, at(100), at(200), 2}}); len(touching) != 0 {
		t.Errorf("touching spans overlap: %+v", touching)
	}
}

func TestCheckRecoveriesFires(t *testing.T) {
	for _, c := range []struct {
		n, incidents int
		fires        bool
	}{{1, 1, false}, {2, 1, true}, {0, 1, true}, {0, 0, false}} {
		o := &Oracle{}
		o.checkRecoveries(Expect{Recoveries: func() (int, error) { return c.n, nil }, Incidents: c.incidents})
		r := Report{Violations: o.violations}
		if r.Has(RuleRecoveries) != c.fires {
			t.Errorf("%d recoveries for %d incidents: fired %v, want %v (%s)", c.n, c.incidents, r.Has(RuleRecoveries), c.fires, r)
		}
	}
}

func TestSortGTIDs(t *testing.T) {
	for in, want := range map[string]string{"": "", "0-1-10": "0-1-10", "1-5-3,0-2-7": "0-2-7,1-5-3", " 10-1-1, 2-1-1,0-1-1": "0-1-1,2-1-1,10-1-1"} {
		if got := SortGTIDs(in); got != want {
			t.Errorf("SortGTIDs(%q) = %q, want %q", in, got, want)
		}
	}
}
