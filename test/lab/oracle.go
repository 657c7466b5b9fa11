package lab

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Invariant rules the oracle checks; a Violation names one.
const (
	RuleOneWritable  = "at-most-one-writable"
	RuleOneVIP       = "vip-on-one-host"
	RulePrimary      = "one-writable-primary"
	RuleAckedPresent = "acked-writes-present"
	RuleConsistent   = "survivors-consistent"
	RuleVIPOnPrimary = "vip-on-primary"
	RuleRecoveries   = "one-recovery-per-incident"
)

// WatchInterval is how often Watch samples each host.
const WatchInterval = 20 * time.Millisecond

// Violation is one broken invariant.
type Violation struct {
	Rule   string
	At     time.Time
	Until  time.Time // Watch: end of the window in which the hosts overlapped (zero otherwise)
	Detail string
	Count  int // how many samples showed it
}

// Span is how long a Watch violation lasted (0 for an instant one).
func (v Violation) Span() time.Duration {
	if v.Until.IsZero() {
		return 0
	}
	return v.Until.Sub(v.At)
}

// Report is the oracle's verdict.
type Report struct {
	Samples    int // background samples taken by Watch (all hosts)
	Violations []Violation
}

// OK reports whether no invariant was broken.
func (r Report) OK() bool { return len(r.Violations) == 0 }

// Has reports whether rule was violated.
func (r Report) Has(rule string) bool {
	for _, v := range r.Violations {
		if v.Rule == rule {
			return true
		}
	}
	return false
}

func (r Report) String() string {
	if r.OK() {
		return fmt.Sprintf("oracle: all invariants hold (%d watch samples)", r.Samples)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "oracle: %d violation(s) (%d watch samples):\n", len(r.Violations), r.Samples)
	for _, v := range r.Violations {
		fmt.Fprintf(&b, "  - [%s] at %s: %s", v.Rule, v.At.Format("15:04:05.000"), v.Detail)
		if v.Count > 1 {
			fmt.Fprintf(&b, " (seen in %d samples)", v.Count)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Expect describes the scenario's intended end state for CheckInvariants.
type Expect struct {
	Primary   int     // the expected final primary; 0 accepts any single writable host
	Acked     []int64 // acknowledged write ids that must be on the final primary
	Survivors []int   // hosts that must be consistent; nil means every host that answers
	NoVIP     bool    // the scenario does not use the VIP
	CatchUp   time.Duration
	// Recoveries, when set, returns how many recoveries Regent recorded; the
	// oracle requires exactly Incidents of them.
	Recoveries func() (int, error)
	Incidents  int
}

// Oracle checks the lab's invariants, continuously (Watch) and at the end of
// a scenario (CheckInvariants).
type Oracle struct {
	lab *Lab

	mu         sync.Mutex
	watch      [][]watchSample // per host (index-1), in time order
	violations []Violation
	stop       chan struct{}
	wg         sync.WaitGroup
}

// Oracle returns a new oracle for the lab.
func (l *Lab) Oracle() *Oracle { return &Oracle{lab: l} }

// Watch samples read_only and the VIP of every host every WatchInterval in
// the background until StopWatch (or the end of the test). Each host is
// sampled by its own goroutine, so a hung host (paused, cut off: its query
// waits up to 500 ms) does not slow the samples of the others; each sample
// keeps the real times its query was sent and answered, and CheckInvariants
// judges "two writable at once" and "two VIP holders" from overlapping real
// intervals (see overlapWindows).
func (o *Oracle) Watch() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.stop != nil {
		return
	}
	o.stop = make(chan struct{})
	o.watch = make([][]watchSample, o.lab.opts.Hosts)
	for i := 1; i <= o.lab.opts.Hosts; i++ {
		o.wg.Add(1)
		go o.poll(i, o.stop)
	}
	o.lab.t.Cleanup(o.StopWatch)
}

// StopWatch ends Watch and waits for its goroutines (idempotent).
func (o *Oracle) StopWatch() {
	o.mu.Lock()
	stop := o.stop
	o.stop = nil
	o.mu.Unlock()
	if stop == nil {
		return
	}
	close(stop)
	o.wg.Wait()
}

// poll samples host i every WatchInterval until stop.
func (o *Oracle) poll(i int, stop chan struct{}) {
	defer o.wg.Done()
	tick := time.NewTicker(WatchInterval)
	defer tick.Stop()
	for {
		sent := time.Now()
		h := o.lab.sampleHost(i, false)
		s := watchSample{sent: sent, got: time.Now(), h: h}
		o.mu.Lock()
		o.watch[i-1] = append(o.watch[i-1], s)
		o.mu.Unlock()
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}

// watchReport returns the Watch violations of the samples so far and how
// many samples there are.
func (o *Oracle) watchReport() ([]Violation, int) {
	o.mu.Lock()
	hosts := make([][]watchSample, len(o.watch))
	n := 0
	for k, s := range o.watch {
		hosts[k] = append([]watchSample(nil), s...)
		n += len(s)
	}
	o.mu.Unlock()
	return watchViolations(hosts), n
}

// sampleViolations checks the invariants that must hold at every instant.
func sampleViolations(at time.Time, hosts []HostStatus) []Violation {
	var writable, vip []int
	for _, h := range hosts {
		if h.Writable() {
			writable = append(writable, h.Index)
		}
		if h.VIP {
			vip = append(vip, h.Index)
		}
	}
	var out []Violation
	if len(writable) > 1 {
		out = append(out, Violation{Rule: RuleOneWritable, At: at,
			Detail: fmt.Sprintf("%d writable hosts at once: %s", len(writable), ints(writable))})
	}
	if len(vip) > 1 {
		out = append(out, Violation{Rule: RuleOneVIP, At: at,
			Detail: fmt.Sprintf("VIP %s on %d hosts at once: %s", VIP, len(vip), ints(vip))})
	}
	return out
}

// record keeps the first occurrence of each distinct violation and counts repeats.
func (o *Oracle) record(v Violation) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k := range o.violations {
		if o.violations[k].Rule == v.Rule && o.violations[k].Detail == v.Detail {
			o.violations[k].Count++
			return
		}
	}
	v.Count = 1
	o.violations = append(o.violations, v)
}

// CheckInvariants checks the final state against e and returns the report,
// including every violation in Watch's samples so far.
func (o *Oracle) CheckInvariants(e Expect) Report {
	if e.CatchUp == 0 {
		e.CatchUp = 10 * time.Second
	}
	now := time.Now()
	hosts := o.lab.Status()
	for _, v := range sampleViolations(now, hosts) {
		o.record(v)
	}
	primary := o.checkPrimary(now, hosts, e)
	if primary > 0 {
		o.checkAcked(primary, e.Acked)
		if !e.NoVIP {
			o.checkVIP(now, hosts, primary)
		}
	}
	o.checkConsistent(hosts, e)
	if e.Recoveries != nil {
		o.checkRecoveries(e)
	}
	watched, n := o.watchReport()
	o.mu.Lock()
	defer o.mu.Unlock()
	return Report{Samples: n, Violations: append(watched, o.violations...)}
}

// checkPrimary requires exactly one writable host (the expected one) and returns it.
func (o *Oracle) checkPrimary(at time.Time, hosts []HostStatus, e Expect) int {
	var writable []int
	for _, h := range hosts {
		if h.Writable() {
			writable = append(writable, h.Index)
		}
	}
	switch {
	case len(writable) != 1:
		o.record(Violation{Rule: RulePrimary, At: at,
			Detail: fmt.Sprintf("want exactly one writable host, have %d: %s; hosts: %s", len(writable), ints(writable), describe(hosts))})
		return 0
	case e.Primary != 0 && writable[0] != e.Primary:
		o.record(Violation{Rule: RulePrimary, At: at,
			Detail: fmt.Sprintf("writable host is %d, want %d", writable[0], e.Primary)})
	}
	return writable[0]
}

func (o *Oracle) checkAcked(primary int, acked []int64) {
	if len(acked) == 0 {
		return
	}
	have, err := o.lab.IDs(primary)
	if err != nil {
		o.record(Violation{Rule: RuleAckedPresent, At: time.Now(), Detail: fmt.Sprintf("read acked ids on host %d: %v", primary, err)})
		return
	}
	var missing []int64
	for _, id := range acked {
		if !have[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		shown := missing
		if len(shown) > 20 {
			shown = shown[:20]
		}
		o.record(Violation{Rule: RuleAckedPresent, At: time.Now(), Detail: fmt.Sprintf(
			"%d of %d acknowledged writes missing on primary %d: %v", len(missing), len(acked), primary, shown)})
	}
}

func (o *Oracle) checkVIP(at time.Time, hosts []HostStatus, primary int) {
	var vip []int
	for _, h := range hosts {
		if h.VIP {
			vip = append(vip, h.Index)
		}
	}
	if len(vip) != 1 || vip[0] != primary {
		o.record(Violation{Rule: RuleVIPOnPrimary, At: at,
			Detail: fmt.Sprintf("VIP on hosts %s, want exactly the primary %d", ints(vip), primary)})
	}
}

// consistencyQuery reads what survivors must agree on: every GTID domain's
// position, and the row count and a content checksum of regent_lab.acked
// (BIT_XOR of each row's CRC32 over id and written_at: a missing, extra or
// changed row changes it, whatever the order of the rows).
const consistencyQuery = "SELECT @@gtid_current_pos, COUNT(*), COALESCE(BIT_XOR(CRC32(CONCAT(id, '/', written_at))), 0) FROM regent_lab.acked"

// checkConsistent waits (bounded) until the survivors agree on every GTID
// domain and on the content of regent_lab.acked.
func (o *Oracle) checkConsistent(hosts []HostStatus, e Expect) {
	survivors := e.Survivors
	if survivors == nil {
		for _, h := range hosts {
			if h.Up {
				survivors = append(survivors, h.Index)
			}
		}
	}
	var last string
	err := poll(e.CatchUp, 100*time.Millisecond, func() error {
		state := map[string][]int{}
		var parts []string
		for _, i := range survivors {
			rows, err := o.lab.SQL(i, consistencyQuery)
			key := "unreachable"
			if err == nil && len(rows) == 1 {
				key = fmt.Sprintf("gtid %s rows %s checksum %s", SortGTIDs(rows[0][0]), rows[0][1], rows[0][2])
			}
			state[key] = append(state[key], i)
			parts = append(parts, fmt.Sprintf("host %d: %s", i, key))
		}
		last = strings.Join(parts, "; ")
		if len(state) > 1 || state["unreachable"] != nil {
			return fmt.Errorf("not consistent")
		}
		return nil
	})
	if err != nil {
		o.record(Violation{Rule: RuleConsistent, At: time.Now(),
			Detail: fmt.Sprintf("survivors %s differ after %v: %s", ints(survivors), e.CatchUp, last)})
	}
}

// SortGTIDs returns a MariaDB GTID list ("1-5-3,0-2-7") with its entries
// in domain order, so two servers' positions compare as strings.
func SortGTIDs(list string) string {
	var gs []string
	for _, g := range strings.Split(list, ",") {
		if g = strings.TrimSpace(g); g != "" {
			gs = append(gs, g)
		}
	}
	domain := func(g string) int64 {
		d, _, _ := strings.Cut(g, "-")
		n, err := strconv.ParseInt(d, 10, 64)
		if err != nil {
			return -1
		}
		return n
	}
	sort.SliceStable(gs, func(a, b int) bool { return domain(gs[a]) < domain(gs[b]) })
	return strings.Join(gs, ",")
}

func (o *Oracle) checkRecoveries(e Expect) {
	n, err := e.Recoveries()
	switch {
	case err != nil:
		o.record(Violation{Rule: RuleRecoveries, At: time.Now(), Detail: fmt.Sprintf("count recoveries: %v", err)})
	case n != e.Incidents:
		o.record(Violation{Rule: RuleRecoveries, At: time.Now(),
			Detail: fmt.Sprintf("%d recoveries for %d incident(s)", n, e.Incidents)})
	}
}

func ints(xs []int) string {
	s := append([]int(nil), xs...)
	sort.Ints(s)
	parts := make([]string, len(s))
	for k, x := range s {
		parts[k] = strconv.Itoa(x)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func describe(hosts []HostStatus) string {
	parts := make([]string, len(hosts))
	for k, h := range hosts {
		parts[k] = h.String()
	}
	return strings.Join(parts, "; ")
}
