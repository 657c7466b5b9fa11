package lab

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"
)

// FailoverRun is one measured round of a failover benchmark, as the
// external timer and the writer saw it. Times are milliseconds after the
// fault (or, for a graceful takeover, after the command was issued); a nil
// time means the state was never reached.
type FailoverRun struct {
	Scenario    string   `json:"scenario"`
	Run         int      `json:"run"`
	FaultMs     float64  `json:"fault_ms"` // how long the fault command itself took
	PromotedMs  *float64 `json:"t_promoted_ms"`
	ConvergedMs *float64 `json:"t_converged_ms"`
	RefusedMs   float64  `json:"write_refused_ms"`     // longest gap between acknowledged writes on any host's own address
	RefusedVIP  float64  `json:"write_refused_vip_ms"` // the same through the VIP (adds the VIP move and the clients' ARP)
	Acked       int      `json:"acked_writes"`
	Lost        int      `json:"acked_writes_lost"`
	Divergent   int      `json:"divergent_unacked"` // rows on the old primary that the new one lacks
	Recoveries  int      `json:"recoveries"`        // recoveries Regent started during the round
	MaxWritable int      `json:"max_writable"`      // most hosts writable at one sample
	Primary     int      `json:"primary"`           // the primary at the end of the round
	// Where the time went, from Regent's own events (its nodes' wall
	// clocks, same machine): the failure-detected event after the fault,
	// and how long stopping the successor's IO thread took.
	DetectedMs *float64 `json:"t_detected_ms,omitempty"`
	StopIOMs   *float64 `json:"stop_io_ms,omitempty"`
}

// Problems lists the invariants the round broke: an acknowledged write
// lost, a recovery count other than want (1 per fault; 0 when no failover
// may happen), more than one host writable at once. Empty means the round
// passed; the failover benchmarks fail a round that has any.
func (r FailoverRun) Problems(want int) []string {
	var out []string
	if r.Lost > 0 {
		out = append(out, fmt.Sprintf("%d of %d acknowledged writes lost", r.Lost, r.Acked))
	}
	if r.Recoveries != want {
		out = append(out, fmt.Sprintf("%d recoveries, want %d", r.Recoveries, want))
	}
	if r.MaxWritable > 1 {
		out = append(out, fmt.Sprintf("%d hosts writable at once", r.MaxWritable))
	}
	return out
}

// Ms converts a duration to the milliseconds of a FailoverRun.
func Ms(d time.Duration) *float64 {
	v := float64(d.Microseconds()) / 1000
	return &v
}

// Stat is the median, 95th percentile and maximum of a sample.
type Stat struct {
	N                int
	Median, P95, Max float64
}

// Summarize returns the Stat of xs (nearest-rank percentiles).
func Summarize(xs []float64) Stat {
	if len(xs) == 0 {
		return Stat{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := func(p float64) float64 { return s[int(math.Ceil(p*float64(len(s))))-1] }
	return Stat{N: len(s), Median: rank(0.5), P95: rank(0.95), Max: s[len(s)-1]}
}

func (s Stat) String() string {
	if s.N == 0 {
		return "—"
	}
	return fmt.Sprintf("%s / %s / %s", ms(s.Median), ms(s.P95), ms(s.Max))
}

func ms(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.2f s", v/1000)
	}
	return fmt.Sprintf("%.0f ms", v)
}

// FailoverTable renders runs as a Markdown table, one row per scenario in
// order of first appearance: median / p95 / max of each time, and the sums
// of the counts.
func FailoverTable(runs []FailoverRun) string {
	var order []string
	by := map[string][]FailoverRun{}
	for _, r := range runs {
		if by[r.Scenario] == nil {
			order = append(order, r.Scenario)
		}
		by[r.Scenario] = append(by[r.Scenario], r)
	}
	var b strings.Builder
	b.WriteString("| scenario | runs | t_promoted (median / p95 / max) | t_converged | write-refused window | … through the VIP | acked writes | lost | divergent | recoveries | max writable |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, name := range order {
		rs := by[name]
		var prom, conv, ref, refVIP []float64
		acked, lost, div, rec, maxW := 0, 0, 0, 0, 0
		for _, r := range rs {
			if r.PromotedMs != nil {
				prom = append(prom, *r.PromotedMs)
			}
			if r.ConvergedMs != nil {
				conv = append(conv, *r.ConvergedMs)
			}
			ref, refVIP = append(ref, r.RefusedMs), append(refVIP, r.RefusedVIP)
			acked, lost, div, rec = acked+r.Acked, lost+r.Lost, div+r.Divergent, rec+r.Recoveries
			maxW = max(maxW, r.MaxWritable)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %d | %d | %d | %d | %d |\n", name, len(rs),
			withCount(Summarize(prom), len(rs)), withCount(Summarize(conv), len(rs)), Summarize(ref), Summarize(refVIP), acked, lost, div, rec, maxW)
	}
	breakdownTable(&b, order, by)
	return b.String()
}

// breakdownTable adds where the time went for the scenarios whose runs
// carry Regent's own timings.
func breakdownTable(b *strings.Builder, order []string, by map[string][]FailoverRun) {
	header := false
	for _, name := range order {
		var det, stop []float64
		for _, r := range by[name] {
			if r.DetectedMs != nil {
				det = append(det, *r.DetectedMs)
			}
			if r.StopIOMs != nil {
				stop = append(stop, *r.StopIOMs)
			}
		}
		if len(det) == 0 && len(stop) == 0 {
			continue
		}
		if !header {
			b.WriteString("\n| scenario | failure detected after the fault (median / p95 / max) | stop-io of the successor |\n|---|---|---|\n")
			header = true
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", name, withCount(Summarize(det), len(by[name])), withCount(Summarize(stop), len(by[name])))
	}
}

// withCount notes how many runs reached the state when not all did.
func withCount(s Stat, runs int) string {
	if s.N == runs {
		return s.String()
	}
	if s.N == 0 {
		return fmt.Sprintf("never (0 of %d)", runs)
	}
	return fmt.Sprintf("%s (%d of %d)", s, s.N, runs)
}

// WriteFailoverRuns writes runs as indented JSON to path.
func WriteFailoverRuns(path string, runs []FailoverRun) error {
	b, err := json.MarshalIndent(runs, "", "  ")
	if err != nil {
		return fmt.Errorf("encode failover runs: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write failover runs: %w", err)
	}
	return nil
}

// ReadFailoverRuns reads the runs WriteFailoverRuns wrote.
func ReadFailoverRuns(path string) ([]FailoverRun, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read failover runs: %w", err)
	}
	var runs []FailoverRun
	if err := json.Unmarshal(b, &runs); err != nil {
		return nil, fmt.Errorf("decode failover runs %s: %w", path, err)
	}
	return runs, nil
}
