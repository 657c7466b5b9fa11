package lab

import (
	"strings"
	"testing"
	"time"
)

func dms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func primaryAt(i, hosts int) []HostStatus {
	var out []HostStatus
	for k := 1; k <= hosts; k++ {
		h := HostStatus{Index: k, Up: true, ReadOnly: k != i}
		if k == i {
			h.VIP = true
		} else {
			h.Source, h.IORunning, h.SQLRunning = Net+"."+string(rune('0'+i)), "Yes", "Yes"
		}
		out = append(out, h)
	}
	return out
}

func TestTimelineFailover(t *testing.T) {
	dead := HostStatus{Index: 1, Err: "connection refused"}
	before := primaryAt(1, 3)
	promoted := primaryAt(2, 3)
	promoted[0] = dead
	promoted[1].VIP = false // writable, VIP not moved yet
	promoted[2].Source = Net + ".1"
	after := primaryAt(2, 3)
	after[0] = dead
	tl := Timeline{hosts: 3, samples: []timed{
		{dms(-20), before[0]}, {dms(-19), before[1]}, {dms(-18), before[2]},
		{dms(10), dead}, {dms(100), promoted[1]}, {dms(105), promoted[2]},
		{dms(150), after[2]}, {dms(160), after[1]},
	}}
	if at, who, ok := tl.Promoted(1); !ok || who != 2 || at != dms(100) {
		t.Fatalf("promoted = %v %d %v", at, who, ok)
	}
	if at, who, ok := tl.Converged(1, 0); !ok || who != 2 || at != dms(160) {
		t.Fatalf("converged = %v %d %v", at, who, ok)
	}
	if _, _, ok := tl.Converged(1, 3); ok {
		t.Fatal("converged on host 3, which never became primary")
	}
	if n := tl.MaxWritable(); n != 1 {
		t.Fatalf("max writable = %d, want 1", n)
	}
}

func TestMaxWritableNeedsOverlap(t *testing.T) {
	w := func(i int) HostStatus { return HostStatus{Index: i, Up: true} }
	ro := func(i int) HostStatus { return HostStatus{Index: i, Up: true, ReadOnly: true} }
	// Host 1's last writable sample is stale when host 2 turns writable: no proof of overlap.
	stale := Timeline{hosts: 2, samples: []timed{{dms(0), w(1)}, {dms(5), ro(2)}, {dms(20), w(1)}, {dms(25), w(2)}, {dms(40), ro(1)}, {dms(45), w(2)}}}
	if n := stale.MaxWritable(); n != 1 {
		t.Fatalf("stale samples: max writable = %d, want 1", n)
	}
	both := Timeline{hosts: 2, samples: []timed{{dms(0), w(1)}, {dms(5), w(2)}, {dms(20), w(1)}, {dms(25), w(2)}}}
	if n := both.MaxWritable(); n != 2 {
		t.Fatalf("overlapping writable intervals: max writable = %d, want 2", n)
	}
}

func TestSummarizeAndTable(t *testing.T) {
	xs := make([]float64, 20)
	for i := range xs {
		xs[i] = float64(20 - i) // 20 … 1
	}
	if s := Summarize(xs); s.N != 20 || s.Median != 10 || s.P95 != 19 || s.Max != 20 {
		t.Fatalf("summary = %+v", s)
	}
	runs := []FailoverRun{
		{Scenario: "sigkill", ConvergedMs: Ms(dms(200)), PromotedMs: Ms(dms(150)), Acked: 10},
		{Scenario: "sigkill", ConvergedMs: Ms(dms(300)), PromotedMs: Ms(dms(250)), Acked: 10, Lost: 1, DetectedMs: Ms(dms(90)), StopIOMs: Ms(dms(4))},
		{Scenario: "controllers-only", Acked: 5},
	}
	table := FailoverTable(runs)
	if strings.Contains(table, "| controllers-only | never") && strings.Count(table, "controllers-only") != 1 {
		t.Errorf("controllers-only has no breakdown yet appears in it:\n%s", table)
	}
	for _, want := range []string{"| sigkill | 90 ms / 90 ms / 90 ms (1 of 2) | 4 ms / 4 ms / 4 ms (1 of 2) |", "| sigkill | 2 | 150 ms / 250 ms / 250 ms | 200 ms / 300 ms / 300 ms |", "| 20 | 1 |", "| controllers-only | 1 | never (0 of 1) | never (0 of 1) |"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}

func TestFailoverRunProblems(t *testing.T) {
	good := FailoverRun{Acked: 100, Recoveries: 1, MaxWritable: 1}
	cases := []struct {
		name string
		r    FailoverRun
		want int
		n    int
		has  string
	}{
		{"clean round", good, 1, 0, ""},
		{"controllers-only without recovery", FailoverRun{Acked: 100, MaxWritable: 1}, 0, 0, ""},
		{"controllers-only with a recovery", good, 0, 1, "1 recoveries, want 0"},
		{"lost write", FailoverRun{Acked: 100, Lost: 2, Recoveries: 1, MaxWritable: 1}, 1, 1, "2 of 100 acknowledged writes lost"},
		{"two recoveries", FailoverRun{Acked: 100, Recoveries: 2, MaxWritable: 1}, 1, 1, "2 recoveries, want 1"},
		{"double primary", FailoverRun{Acked: 100, Recoveries: 1, MaxWritable: 2}, 1, 1, "2 hosts writable at once"},
		{"everything wrong", FailoverRun{Acked: 9, Lost: 1, MaxWritable: 3}, 1, 3, "3 hosts writable at once"},
	}
	for _, c := range cases {
		got := c.r.Problems(c.want)
		if len(got) != c.n || (c.has != "" && !strings.Contains(strings.Join(got, "; "), c.has)) {
			t.Errorf("%s: problems %q, want %d containing %q", c.name, got, c.n, c.has)
		}
	}
}
