package actuators

import (
	"sync/atomic"

	"github.com/regent-ha/regent/projections/analysis"
)

// Live holds settings a configuration reload replaces while the engine
// runs. Readers take a snapshot (Load); a recovery takes one when it
// starts and keeps it to the end, so a reload never changes the hooks or
// the policy of a recovery under way. Safe for concurrent use.
type Live[T any] struct{ p atomic.Pointer[T] }

// NewLive holds v.
func NewLive[T any](v T) *Live[T] {
	l := &Live[T]{}
	l.p.Store(&v)
	return l
}

// Load returns the current value.
func (l *Live[T]) Load() T { return *l.p.Load() }

// Store replaces the value; snapshots taken before keep the old one.
func (l *Live[T]) Store(v T) { l.p.Store(&v) }

// RunnerSettings are the reloadable parts of a Runner.
type RunnerSettings struct {
	Policy Policy
	Lists  HookLists
}

// current is the runner's settings: Settings' when set, else the fields.
func (r *Runner) current() RunnerSettings {
	if r.Settings != nil {
		return r.Settings.Load()
	}
	return RunnerSettings{Policy: r.Policy, Lists: r.Lists}
}

// snapshot is a copy of r with its current settings fixed: what one
// recovery runs with from start to end.
func (r *Runner) snapshot() *Runner {
	c := *r
	s := r.current()
	c.Policy, c.Lists, c.Settings = s.Policy, s.Lists, nil
	return &c
}

// CurrentParams is the engine's current analysis parameters: LiveParams'
// when set, else Params.
func (e *Engine) CurrentParams() analysis.Params {
	if e.LiveParams != nil {
		return e.LiveParams.Load()
	}
	return e.Params
}
