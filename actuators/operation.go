package actuators

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/regent-ha/regent/events"
)

// OperationStep is one step of a manual operation on a server. Do returns
// what it did worth recording (may be empty).
type OperationStep struct {
	Name string
	Do   func(ctx context.Context) (detail string, err error)
}

// Operation is an operator's manual operation as an intent: the started
// event (which names its steps) and the steps, run by Runner.RunOperation
// under the lease epoch the operation started with.
type Operation struct {
	Started events.ManualOperation
	Steps   []OperationStep
	Epoch   uint64
}

// NewOperation is the one builder of a manual operation's intent: op on
// target by who (detail says more, e.g. a relocation's destination), with
// steps run in order under epoch. id correlates the started event with the
// outcome.
func NewOperation(id, op string, target events.InstanceKey, detail, who string, epoch uint64, steps ...OperationStep) Operation {
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = s.Name
	}
	return Operation{Started: events.ManualOperation{OperationID: id, Operation: op, Target: target, Who: who, Detail: detail,
		Steps: names}, Steps: steps, Epoch: epoch}
}

// RunOperation carries out a manual operation: it appends
// manual-operation-started, runs the steps in order — checking before each
// that this node still holds the operation's epoch — and appends the
// outcome: manual-operation-completed, or manual-operation-failed with the
// failed step and its error (or, when the epoch was lost before a step,
// that step, Fenced, and nothing more done). It returns what the steps
// reported, and the step's error (matching ErrFenced when fenced).
//
// The events go to no cluster's subject, without a precondition: an
// operator's operation never races a recovery's fenced appends. So the
// failure of a node that lost the lease is recorded too: the log says the
// operation stopped, and where.
func (r *Runner) RunOperation(ctx context.Context, op Operation) (string, error) {
	s := op.Started
	if !r.Lease.Holds(op.Epoch) {
		return "", fmt.Errorf("%s %s not started: %w (epoch %d no longer held)", s.Operation, s.Target, ErrFenced, op.Epoch)
	}
	if err := r.appendOperation(ctx, op, events.KindManualOperationStarted, s); err != nil {
		return "", err
	}
	start := r.Clock.Now()
	var details, done []string
	for _, st := range op.Steps {
		var err error
		fenced := !r.Lease.Holds(op.Epoch)
		if fenced {
			err = fmt.Errorf("%w: epoch %d no longer held before step %s", ErrFenced, op.Epoch, st.Name)
		} else {
			var detail string
			detail, err = st.Do(ctx)
			if detail != "" {
				details = append(details, detail)
			}
		}
		if err != nil {
			f := events.ManualOperationFailed{OperationID: s.OperationID, Operation: s.Operation, Target: s.Target, Step: st.Name,
				Error: err.Error(), Fenced: fenced, Done: done, Took: r.Clock.Now().Sub(start)}
			r.Logger.Warn().Err(err).Str(events.LogInstance, s.Target.String()).Str(events.LogStep, st.Name).
				Str("op", s.Operation).Msg("manual operation failed")
			return strings.Join(details, "; "), errors.Join(err, r.appendOperation(ctx, op, events.KindManualOperationFailed, f))
		}
		done = append(done, st.Name)
	}
	detail := strings.Join(details, "; ")
	c := events.ManualOperationCompleted{OperationID: s.OperationID, Operation: s.Operation, Target: s.Target, Detail: detail,
		Took: r.Clock.Now().Sub(start)}
	if err := r.appendOperation(ctx, op, events.KindManualOperationCompleted, c); err != nil {
		return detail, err
	}
	r.Logger.Info().Str("op", s.Operation).Str(events.LogInstance, s.Target.String()).Str("who", s.Who).
		Str("detail", detail).Msg("manual operation done")
	return detail, nil
}

// appendOperation appends one event of op (outside any cluster's
// subject, correlated by the operation id).
func (r *Runner) appendOperation(ctx context.Context, op Operation, kind events.Kind, payload any) error {
	env, err := events.New(kind, r.Clock.Now(), r.Node, payload)
	if err != nil {
		return fmt.Errorf("build %s: %w", kind, err)
	}
	env.Instance, env.Epoch, env.CorrelationID = op.Started.Target.String(), op.Epoch, op.Started.OperationID
	// The outcome is recorded even when the caller went away.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordHookTimeout)
	defer cancel()
	if _, err := r.Log.AppendCluster(actx, env, AnyPosition); err != nil {
		return fmt.Errorf("append %s of %s %s: %w", kind, op.Started.Operation, op.Started.Target, err)
	}
	return nil
}
