package actuators

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/regent-ha/regent/events"
)

// ErrFenced is matched by errors that mean this node may no longer act for
// the recovery: it lost the lease, or another node appended to the cluster's
// events first.
var ErrFenced = errors.New("fenced: another node owns this recovery")

// Log is what the engine needs from the event log: appends with optimistic
// concurrency on a cluster's events. Append returns the new sequence; a lost
// race returns an error matching ErrConflict of the implementation, which
// the adapter maps to ErrFenced.
type Log interface {
	AppendCluster(ctx context.Context, env events.Envelope, expect uint64) (uint64, error)
	LastClusterSeq(ctx context.Context, cluster string) (uint64, error)
}

// AnyPosition passed as expect appends without a precondition (records that
// may land after the recovery moved on, such as asynchronous hooks).
const AnyPosition = ^uint64(0)

// Lease tells whether this node still holds the leadership with epoch.
type Lease interface {
	Holds(epoch uint64) bool
}

// recorder appends a recovery's events in order, each expecting the
// cluster's previous sequence: if any other writer appended in between, the
// append fails and the recovery stops (fencing).
type recorder struct {
	log      Log
	lease    Lease
	node     string
	cluster  string
	recovery string
	corr     string
	epoch    uint64
	seq      uint64 // last sequence of the cluster's events we know
	clock    Clock
	noHooks  bool // the recovery runs without hooks (recover-lite)

	holding bool                  // between hold and flush: step outcomes wait in held
	held    []events.RecoveryStep // outcomes to append at flush, in order
	endSeq  uint64                // sequence of the appended recovery-completed or recovery-failed
}

// hold makes the following steps keep their outcomes until flush instead of
// appending each at once. A graceful takeover holds the steps of its
// no-writes window (demote, catch-up, promote): three appends to a
// replicated stream would otherwise lengthen the time no host accepts
// writes. The lease is still checked before each step; a node that resumes
// the recovery re-runs unrecorded steps, which are idempotent.
func (r *recorder) hold() { r.holding = true }

// flush appends the held outcomes in order and stops holding.
func (r *recorder) flush(ctx context.Context) error {
	held := r.held
	r.held, r.holding = nil, false
	for _, s := range held {
		if err := r.append(ctx, events.KindRecoveryStep, s, s.Target.String()); err != nil {
			return err
		}
	}
	return nil
}

// append records one event of the recovery.
func (r *recorder) append(ctx context.Context, kind events.Kind, payload any, instance string) error {
	if !r.lease.Holds(r.epoch) {
		return fmt.Errorf("append %s: %w (epoch %d no longer held)", kind, ErrFenced, r.epoch)
	}
	env, err := events.New(kind, r.clock.Now(), r.node, payload)
	if err != nil {
		return err
	}
	env.Cluster, env.Instance, env.Epoch = r.cluster, instance, r.epoch
	env.CorrelationID = r.corr
	seq, err := r.log.AppendCluster(ctx, env, r.seq)
	if err != nil {
		return fmt.Errorf("append %s for recovery %s: %w", kind, r.recovery, err)
	}
	r.seq = seq
	if kind == events.KindRecoveryCompleted || kind == events.KindRecoveryFailed {
		r.endSeq = seq
	}
	return nil
}

// step runs fn as the named step and records its outcome. fn returns
// whether it changed anything (false: already as wanted → "skipped").
func (r *recorder) step(ctx context.Context, name string, target events.InstanceKey, fn func(context.Context) (bool, string, error)) error {
	if !r.lease.Holds(r.epoch) {
		return fmt.Errorf("step %s: %w", name, ErrFenced)
	}
	start := r.clock.Now()
	changed, detail, err := fn(ctx)
	return r.record(ctx, name, target, ran{changed: changed, detail: detail, err: err, took: r.clock.Now().Sub(start)})
}

// ran is the outcome of a step that already ran (steps run in parallel
// are recorded one by one after they all ended, with their own times).
type ran struct {
	changed bool
	detail  string
	err     error
	took    time.Duration
}

// record appends (or holds) the outcome of the named step.
func (r *recorder) record(ctx context.Context, name string, target events.InstanceKey, o ran) error {
	if !r.lease.Holds(r.epoch) {
		return fmt.Errorf("step %s: %w", name, ErrFenced)
	}
	s := events.RecoveryStep{RecoveryID: r.recovery, Step: name, Target: target, Detail: o.detail, Took: o.took}
	switch {
	case o.err != nil:
		s.Outcome, s.Error = events.StepFailed, o.err.Error()
	case o.changed:
		s.Outcome = events.StepOK
	default:
		s.Outcome = events.StepSkipped
	}
	if r.holding {
		r.held = append(r.held, s)
		if o.err != nil {
			if ferr := r.flush(ctx); ferr != nil {
				return ferr
			}
		}
	} else if aerr := r.append(ctx, events.KindRecoveryStep, s, target.String()); aerr != nil {
		return aerr
	}
	if o.err != nil {
		return &StepError{Step: name, Err: o.err}
	}
	return nil
}

// StepError is a failed step of a recovery.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return fmt.Sprintf("step %s: %v", e.Step, e.Err) }
func (e *StepError) Unwrap() error { return e.Err }

// bounded runs fn with its own timeout.
func bounded(ctx context.Context, d time.Duration, fn func(context.Context) error) error {
	cctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return fn(cctx)
}
