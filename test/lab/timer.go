package lab

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// Timer is the external clock of a failover measurement. It knows nothing
// of Regent: from Start until Stop it samples every MariaDB host every
// WatchInterval (read_only, replication source and threads, the VIP), each
// host in its own goroutine so that a hung host (paused, cut off) does not
// delay the samples of the others. Times are monotonic offsets from Mark.
type Timer struct {
	lab  *Lab
	t0   time.Time
	stop chan struct{}
	wg   sync.WaitGroup

	mu      sync.Mutex
	samples []timed
}

// timed is one host's sample and when its answer arrived.
type timed struct {
	at time.Duration // since t0
	h  HostStatus
}

// StartTimer starts sampling; the reference instant is now until Mark.
func (l *Lab) StartTimer() *Timer {
	t := &Timer{lab: l, t0: time.Now(), stop: make(chan struct{})}
	for i := 1; i <= l.opts.Hosts; i++ {
		t.wg.Add(1)
		go t.poll(i)
	}
	l.t.Cleanup(t.Stop)
	return t
}

func (t *Timer) poll(i int) {
	defer t.wg.Done()
	tick := time.NewTicker(WatchInterval)
	defer tick.Stop()
	for {
		h := t.lab.sampleHost(i, true)
		t.mu.Lock()
		t.samples = append(t.samples, timed{at: time.Since(t.t0), h: h})
		t.mu.Unlock()
		select {
		case <-t.stop:
			return
		case <-tick.C:
		}
	}
}

// Mark sets the reference instant (the fault) to now; samples taken before
// it get negative offsets.
func (t *Timer) Mark() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	shift := now.Sub(t.t0)
	for k := range t.samples {
		t.samples[k].at -= shift
	}
	t.t0 = now
	return now
}

// Since returns the offset of now from the reference instant.
func (t *Timer) Since() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return time.Since(t.t0)
}

// Stop ends sampling and waits for the pollers (idempotent).
func (t *Timer) Stop() {
	select {
	case <-t.stop:
	default:
		close(t.stop)
	}
	t.wg.Wait()
}

// Timeline returns what the timer saw so far.
func (t *Timer) Timeline() Timeline {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := slices.Clone(t.samples)
	slices.SortStableFunc(s, func(a, b timed) int { return int(a.at - b.at) })
	return Timeline{hosts: t.lab.opts.Hosts, samples: s}
}

// Timeline is a timer's samples in time order; its methods are pure.
type Timeline struct {
	hosts   int
	samples []timed
}

// sweep calls f after each sample with the latest state of every host that
// answered at least once by then, from the reference instant on.
func (tl Timeline) sweep(f func(at time.Duration, last []HostStatus) bool) {
	last := make([]HostStatus, tl.hosts)
	for k := range last {
		last[k] = HostStatus{Index: k + 1, Err: "not sampled yet"}
	}
	for _, s := range tl.samples {
		last[s.h.Index-1] = s.h
		if s.at >= 0 && f(s.at, last) {
			return
		}
	}
}

// Promoted returns when a host other than old was first seen writable.
func (tl Timeline) Promoted(old int) (time.Duration, int, bool) {
	var at time.Duration
	who := 0
	tl.sweep(func(t time.Duration, last []HostStatus) bool {
		for _, h := range last {
			if h.Index != old && h.Writable() {
				at, who = t, h.Index
				return true
			}
		}
		return false
	})
	return at, who, who != 0
}

// Converged returns when the hosts were first seen converged (Converged,
// leaving out exclude) on primary want (0: on any primary), and on which.
func (tl Timeline) Converged(exclude, want int) (time.Duration, int, bool) {
	var at time.Duration
	who := 0
	tl.sweep(func(t time.Duration, last []HostStatus) bool {
		if p, err := Converged(last, exclude); err == nil && (want == 0 || p == want) {
			at, who = t, p
			return true
		}
		return false
	})
	return at, who, who != 0
}

// MaxWritable returns the largest number of hosts proven writable at the
// same moment. Hosts are sampled independently, so a host's last sample may
// be older than another's: a host counts as writable only between two
// consecutive samples that both found it writable (conservative: a double
// primary shorter than a sampling interval goes unseen here; the oracle
// and the direct writer's rows catch the rest).
func (tl Timeline) MaxWritable() int {
	type edge struct {
		at    time.Duration
		delta int
	}
	var edges []edge
	prev := map[int]timed{}
	for _, s := range tl.samples {
		if p, ok := prev[s.h.Index]; ok && p.h.Writable() && s.h.Writable() {
			edges = append(edges, edge{p.at, +1}, edge{s.at, -1})
		}
		prev[s.h.Index] = s
	}
	// At equal times close before open: touching intervals do not overlap.
	slices.SortFunc(edges, func(a, b edge) int {
		if a.at != b.at {
			return int(a.at - b.at)
		}
		return a.delta - b.delta
	})
	most, n := 0, 0
	for _, e := range edges {
		n += e.delta
		most = max(most, n)
	}
	return most
}

// Converged reports the single writable host when every other live host
// (leaving out exclude, e.g. the dead primary, and every host that does not
// answer or is partitioned) replicates
// from it with both threads running and the VIP is on it and nowhere else.
func Converged(hosts []HostStatus, exclude int) (int, error) {
	writable := 0
	for _, h := range hosts {
		if h.Index == exclude || !h.Up || h.Partitioned || h.ReadOnly {
			continue
		}
		if writable != 0 {
			return 0, fmt.Errorf("hosts %d and %d both writable", writable, h.Index)
		}
		writable = h.Index
	}
	if writable == 0 {
		return 0, fmt.Errorf("no writable host")
	}
	src := fmt.Sprintf("%s.%d", Net, writable)
	for _, h := range hosts {
		if h.Index == exclude || h.Index == writable {
			continue
		}
		if !h.Up || h.Partitioned {
			continue // a casualty does not block convergence of the rest
		}
		if h.Source != src || !h.Replicating() {
			return 0, fmt.Errorf("host %d replicates from %q (io %s sql %s), want %s", h.Index, h.Source, h.IORunning, h.SQLRunning, src)
		}
	}
	var vip []int
	for _, h := range hosts {
		if h.VIP {
			vip = append(vip, h.Index)
		}
	}
	if len(vip) != 1 || vip[0] != writable {
		return 0, fmt.Errorf("VIP on %v, want [%d]", vip, writable)
	}
	return writable, nil
}
