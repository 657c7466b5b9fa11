package shell

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
)

// ErrHookFailed is wrapped by the error Run returns when a fail-fast list
// stops at a failing command.
var ErrHookFailed = errors.New("hook failed")

// HookOptions configures a Runner.
type HookOptions struct {
	// Shell runs each command as `<Shell> -c <command>`
	// (ProcessesShellCommand; default "bash"). Extra words are kept, e.g.
	// "bash -e".
	Shell string
	// Timeout bounds each command, synchronous or not (HookTimeoutSeconds;
	// default 60 s).
	Timeout time.Duration
	// KillGrace is the time between SIGTERM and SIGKILL to the command's
	// process group once it timed out (default 2 s).
	KillGrace time.Duration
	// Env is the base environment; the ORC_* variables are added to it. Nil
	// means Regent's own environment (as orchestrator does).
	Env []string
	// Logger receives one line per command.
	Logger zerolog.Logger
	// MaxOutput caps the captured stdout+stderr per command (default 64 KiB);
	// the rest is dropped and a marker says how much.
	MaxOutput int
}

// Runner runs hook lists. It owns the goroutines of asynchronous commands:
// Wait or Close waits for them (each is bounded by the timeout).
type Runner struct {
	x       executor
	timeout time.Duration
	env     []string
	log     zerolog.Logger

	mu     sync.Mutex // guards closed and the Add side of async
	closed bool
	async  sync.WaitGroup
}

var _ actuators.Hooks = (*Runner)(nil)

// NewHooks returns a Runner.
func NewHooks(opts HookOptions) *Runner {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultHookTimeout
	}
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	return &Runner{
		x:       newExecutor(opts.Shell, opts.KillGrace, opts.MaxOutput),
		timeout: opts.Timeout,
		env:     env,
		log:     opts.Logger.With().Str(events.LogComponent, "hooks").Logger(),
	}
}

// Run executes commands (the configured list named list) in order with hc's
// values; see actuators.Hooks. With failFast, the first failing synchronous
// command (non-zero exit, timeout, or a command that could not be expanded
// or started) stops the list and Run returns an *actuators.Error wrapping
// ErrHookFailed that names the list and the command. Asynchronous commands
// (trailing '&') are started and recorded with Async set; their outcome goes
// to done when they finish. If ctx ends, the running command is killed and
// Run returns the context's error without starting the rest.
func (r *Runner) Run(ctx context.Context, list string, commands []string, hc actuators.HookContext, failFast bool, done func(events.HookRan)) ([]events.HookRan, error) {
	vals := Placeholders(hc)
	env := append(append([]string(nil), r.env...), Environment(hc)...)
	recs := make([]events.HookRan, 0, len(commands))
	for i, raw := range commands {
		if err := ctx.Err(); err != nil {
			return recs, fmt.Errorf("run hooks %s: %w", list, err)
		}
		log := r.log.With().Str(events.LogHook, list).Str(events.LogRecovery, hc.RecoveryUID).
			Int("n", i+1).Int("of", len(commands)).Str("command", raw).Logger()
		rec := events.HookRan{RecoveryID: hc.RecoveryUID, Hook: list, Command: raw}
		line, async := SplitAsync(raw)
		rec.Async = async
		expanded, err := Expand(line, vals, r.x.bashLike())
		if err != nil {
			rec.ExitCode, rec.Error = -1, err.Error()
			log.Error().Err(err).Msg("hook not run")
			recs = append(recs, rec)
			if failFast {
				return recs, hookError(list, i, len(commands), raw, rec)
			}
			continue
		}
		if async {
			if !r.startAsync(ctx, rec, expanded, env, log, done) {
				rec.ExitCode, rec.Error = -1, "hook runner closed: asynchronous command not started"
				log.Warn().Msg("hook not run: runner closed")
			}
			recs = append(recs, rec)
			continue
		}
		log.Info().Msg("running hook")
		res := r.x.run(ctx, expanded, env, r.timeout)
		rec = record(rec, res)
		logResult(log, rec)
		recs = append(recs, rec)
		if res.failed() && failFast {
			if ctx.Err() != nil {
				return recs, fmt.Errorf("run hooks %s: %w", list, ctx.Err())
			}
			return recs, hookError(list, i, len(commands), raw, rec)
		}
	}
	return recs, nil
}

// startAsync runs one asynchronous command in a goroutine the Runner owns.
// It is not tied to ctx's cancellation (only to the timeout), so a recovery
// that ends does not kill its asynchronous hooks. It reports false when the
// Runner is closed.
func (r *Runner) startAsync(ctx context.Context, rec events.HookRan, line string, env []string, log zerolog.Logger, done func(events.HookRan)) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.async.Add(1)
	actx := context.WithoutCancel(ctx)
	log.Info().Msg("starting asynchronous hook")
	go func() {
		defer r.async.Done()
		final := record(rec, r.x.run(actx, line, env, r.timeout))
		logResult(log, final)
		if done != nil {
			done(final)
		}
	}()
	return true
}

// Wait waits for the asynchronous commands started so far.
func (r *Runner) Wait() { r.async.Wait() }

// Close refuses new asynchronous commands and waits for the running ones
// (each bounded by the timeout). Synchronous commands still run.
func (r *Runner) Close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.async.Wait()
	return nil
}

// record copies a command's result into its event payload.
func record(rec events.HookRan, res result) events.HookRan {
	rec.ExitCode = res.ExitCode
	rec.Output = res.Output
	rec.TimedOut = res.TimedOut
	rec.Took = res.Took
	if res.Err != nil {
		rec.Error = res.Err.Error()
	}
	return rec
}

func logResult(log zerolog.Logger, rec events.HookRan) {
	ev := log.Info()
	if rec.Error != "" {
		ev = log.Warn().Str("error", rec.Error)
	}
	ev.Int("exit_code", rec.ExitCode).Bool("timed_out", rec.TimedOut).
		Dur(events.LogDuration, rec.Took).Msg("hook finished")
}

// hookError is the error of a fail-fast list stopped by command i. A
// non-zero exit is the hook's veto (Precondition); a timeout may pass on a
// retry (Transient); a command that cannot be expanded or started will not
// (Permanent).
func hookError(list string, i, n int, raw string, rec events.HookRan) error {
	kind := actuators.Permanent
	switch {
	case rec.TimedOut:
		kind = actuators.Transient
	case rec.ExitCode > 0:
		kind = actuators.Precondition
	}
	return &actuators.Error{
		Kind: kind,
		Op:   "run hook " + list,
		Err:  fmt.Errorf("command %d of %d %q: %s: %w", i+1, n, raw, rec.Error, ErrHookFailed),
	}
}
