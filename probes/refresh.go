package probes

import (
	"container/heap"
	"time"

	"github.com/regent-ha/regent/events"
)

// This file holds the refreshes: re-probes of instances that a recovery or
// a manual operation just changed (control.ReadPath asks for them when its
// fold applies the outcome), so that the view shows the new state at once
// instead of one poll interval later. A refresh only moves an instance's
// next probe earlier, on its own lane: no goroutine of its own, the
// observation goes through the log as any other. Like schedule.go it has no
// goroutines, locks or clock: Scheduler drives it under its mutex.

// RefreshOptions bound the refreshes.
type RefreshOptions struct {
	// Gap is the least time between two refreshes of one instance
	// (default 100 ms): a refresh asked for sooner is due Gap after the
	// last one, so a burst of outcomes naming an instance probes it once
	// per Gap, and always once after the last outcome.
	Gap time.Duration
	// PerSecond caps the refreshes a second on this node, with as many
	// back to back (default 100); beyond it an instance waits for its
	// regular probe.
	PerSecond int
}

// Refresh defaults.
const (
	DefaultRefreshGap       = 100 * time.Millisecond
	DefaultRefreshPerSecond = 100
)

func (o RefreshOptions) withDefaults() RefreshOptions {
	if o.Gap <= 0 {
		o.Gap = DefaultRefreshGap
	}
	if o.PerSecond <= 0 {
		o.PerSecond = DefaultRefreshPerSecond
	}
	return o
}

// RefreshStats counts the refreshes asked for since start, by what became
// of each instance named.
type RefreshStats struct {
	// Probed: its next probe was moved earlier (or, for a probe in flight,
	// repeated after it).
	Probed uint64
	// Coalesced: a probe already due by then covers it.
	Coalesced uint64
	// Dropped: beyond PerSecond; it waits for its regular probe.
	Dropped uint64
	// Unknown: not scheduled on this node.
	Unknown uint64
}

// refresher is the refreshes' state inside a schedule.
type refresher struct {
	opts   RefreshOptions
	tokens float64
	at     time.Time // when tokens was last refilled
	last   map[events.InstanceKey]time.Time
	stats  RefreshStats
}

func newRefresher(o RefreshOptions) *refresher {
	o = o.withDefaults()
	return &refresher{opts: o, tokens: float64(o.PerSecond), last: map[events.InstanceKey]time.Time{}}
}

// take spends one refresh of the node's budget; false when it is empty.
func (r *refresher) take(now time.Time) bool {
	if r.at.IsZero() {
		r.at = now
	}
	r.tokens = min(float64(r.opts.PerSecond), r.tokens+now.Sub(r.at).Seconds()*float64(r.opts.PerSecond))
	r.at = now
	if r.tokens < 1 {
		return false
	}
	r.tokens--
	return true
}

// refresh makes key's next probe start at now, or Gap after its last
// refresh, whichever is later. A probe already queued by then is enough;
// a probe in flight (it may have started before the change) is repeated
// once it ends.
func (s *schedule) refresh(key events.InstanceKey, now time.Time) {
	r := s.rf
	e, ok := s.entries[key]
	if !ok || e.transient || e.removed || (!e.running && e.index < 0) {
		r.stats.Unknown++
		return
	}
	r.prune(now)
	at := now
	if last, ok := r.last[key]; ok && last.Add(r.opts.Gap).After(at) {
		at = last.Add(r.opts.Gap)
	}
	switch {
	case e.running && !e.refreshAt.IsZero() && !e.refreshAt.After(at):
		r.stats.Coalesced++
		return
	case !e.running && e.index >= 0 && !e.due.After(at):
		r.stats.Coalesced++
		return
	case !r.take(now):
		r.stats.Dropped++
		return
	}
	r.stats.Probed++
	r.last[key] = at
	if e.running {
		e.refreshAt = at
		return
	}
	heap.Remove(&s.queues[e.lane], e.index)
	e.due = at
	heap.Push(&s.queues[e.lane], e)
}

// requeueRefresh brings e's next probe forward to the refresh asked for
// while its probe ran (after finish requeued it).
func (s *schedule) requeueRefresh(e *entry) {
	at := e.refreshAt
	e.refreshAt = time.Time{}
	if at.IsZero() || e.index < 0 || !e.due.After(at) {
		return
	}
	e.due = at
	heap.Fix(&s.queues[e.lane], e.index)
}

// prune drops the last refreshes older than Gap (they no longer delay
// anything) once there are many, so the map does not grow with every
// instance ever named.
func (r *refresher) prune(now time.Time) {
	if len(r.last) < 1024 {
		return
	}
	for k, t := range r.last {
		if now.Sub(t) >= r.opts.Gap {
			delete(r.last, k)
		}
	}
}
