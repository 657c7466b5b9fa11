package lab

import (
	"fmt"
	"slices"
	"time"
)

// watchSample is one Watch sample of a host: its state, when the query was
// sent and when the answer arrived (the state held at some instant between).
type watchSample struct {
	sent, got time.Time
	h         HostStatus
}

// span is a real interval in which one host provably had a property.
type span struct {
	host     int
	from, to time.Time
	samples  int
}

// provenSpans returns, for one host's samples in time order, the intervals
// in which flag provably held: a run of consecutive samples that all found
// it holds from the first answer's arrival to the last query's sending (the
// state was read inside each query's interval, and the run assumes no flip
// back and forth within one WatchInterval). A run of one sample proves only
// an unknown instant and yields no span: a window shorter than about two
// sampling intervals can go unseen, a longer one cannot.
func provenSpans(samples []watchSample, flag func(HostStatus) bool) []span {
	var out []span
	var run []watchSample
	end := func() {
		if len(run) >= 2 && run[0].got.Before(run[len(run)-1].sent) {
			out = append(out, span{host: run[0].h.Index, from: run[0].got, to: run[len(run)-1].sent, samples: len(run)})
		}
		run = run[:0]
	}
	for _, s := range samples {
		if flag(s.h) {
			run = append(run, s)
			continue
		}
		end()
	}
	end()
	return out
}

// window is a real interval in which at least two hosts' spans overlap.
type window struct {
	from, to time.Time
	hosts    []int
	samples  int
}

// overlapWindows returns the maximal intervals in which two or more spans
// (of different hosts) overlap, with the hosts involved and how many of
// their samples fall inside. Touching spans do not overlap.
func overlapWindows(spans []span) []window {
	type edge struct {
		at   time.Time
		open bool
		s    span
	}
	var edges []edge
	for _, s := range spans {
		edges = append(edges, edge{s.from, true, s}, edge{s.to, false, s})
	}
	slices.SortStableFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		if a.open == b.open {
			return 0
		}
		if a.open {
			return 1 // close before open at the same instant
		}
		return -1
	})
	var out []window
	open := map[span]bool{}
	var cur *window
	for _, e := range edges {
		if e.open {
			open[e.s] = true
		} else {
			delete(open, e.s)
		}
		switch {
		case len(open) >= 2 && cur == nil:
			cur = &window{from: e.at}
			fallthrough
		case len(open) >= 2:
			for s := range open {
				if !slices.Contains(cur.hosts, s.host) {
					cur.hosts = append(cur.hosts, s.host)
				}
			}
		case cur != nil:
			cur.to = e.at
			slices.Sort(cur.hosts)
			out = append(out, *cur)
			cur = nil
		}
	}
	for k := range out {
		for _, s := range spans {
			if slices.Contains(out[k].hosts, s.host) && s.from.Before(out[k].to) && out[k].from.Before(s.to) {
				out[k].samples += s.samples
			}
		}
	}
	return out
}

// watchViolations judges Watch's samples (per host, in time order): every
// window in which two hosts were provably writable, or provably held the
// VIP, at the same real time.
func watchViolations(hosts [][]watchSample) []Violation {
	var out []Violation
	for _, c := range []struct {
		rule, what string
		flag       func(HostStatus) bool
	}{
		{RuleOneWritable, "writable", HostStatus.Writable},
		{RuleOneVIP, "holding VIP " + VIP, func(h HostStatus) bool { return h.VIP }},
	} {
		var spans []span
		for _, s := range hosts {
			spans = append(spans, provenSpans(s, c.flag)...)
		}
		for _, w := range overlapWindows(spans) {
			out = append(out, Violation{Rule: c.rule, At: w.from, Until: w.to, Count: w.samples,
				Detail: fmt.Sprintf("%d hosts %s at once: %s for %v", len(w.hosts), c.what, ints(w.hosts), w.to.Sub(w.from).Round(time.Millisecond))})
		}
	}
	return out
}
