package control

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
)

// Reloader serialises a node's configuration reloads (SIGHUP, the API's
// reload-configuration) and records each as a config-reloaded event; a
// reload is all or nothing. What a reload reads and applies is Apply's
// (cmd/regent: the config files). Reload is safe from any goroutine; Run
// is owned by the node's errgroup.
type Reloader struct {
	Node string
	// Apply loads the configuration again and applies it, or refuses it
	// whole; it fills out (Changed, Refused, Applied, Error). Reloads are
	// serialised: Apply never runs twice at once.
	Apply func(out *events.ConfigReloaded) error
	// Record appends the outcome (AppendReload).
	Record func(context.Context, events.ConfigReloaded) error
	Log    zerolog.Logger

	mu sync.Mutex // serialises reloads
}

// AppendReload records a reload in the event log (no epoch: any node
// reloads its own configuration).
func AppendReload(elog *eventlog.Log, node string) func(context.Context, events.ConfigReloaded) error {
	return func(ctx context.Context, p events.ConfigReloaded) error {
		env, err := events.New(events.KindConfigReloaded, time.Now(), node, p)
		if err != nil {
			return err
		}
		if _, err := elog.Append(ctx, env, eventlog.NoExpect); err != nil {
			return fmt.Errorf("append %s: %w", events.KindConfigReloaded, err)
		}
		return nil
	}
}

// Reload applies the configuration again, or refuses it whole. Either way
// the outcome is recorded; an outcome that cannot be recorded is an error
// too (a refused one changes nothing, an applied one stays applied).
func (rl *Reloader) Reload(ctx context.Context, trigger, who string) (events.ConfigReloaded, error) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	out := events.ConfigReloaded{Node: rl.Node, Trigger: trigger, Who: who}
	err := rl.Apply(&out)
	if rerr := rl.Record(ctx, out); rerr != nil {
		err = errors.Join(err, fmt.Errorf("record the reload: %w", rerr))
	}
	return out, err
}

// ReloadConfiguration is api.Reloader: a reload asked over HTTP.
func (rl *Reloader) ReloadConfiguration(ctx context.Context, who string) ([]string, error) {
	out, err := rl.Reload(ctx, "api", who)
	return out.Changed, err
}

// Run reloads on every SIGHUP until ctx ends (each reload bounded by
// 10 s), logging the outcome; the signal handling ends with it.
func (rl *Reloader) Run(ctx context.Context) error {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	defer signal.Stop(sig)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sig:
			rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			out, err := rl.Reload(rctx, "SIGHUP", "")
			cancel()
			ev := rl.Log.Info()
			if err != nil {
				ev = rl.Log.Warn().Err(err)
			}
			ev.Strs("changed", out.Changed).Strs("refused", out.Refused).Bool("applied", out.Applied).Msg("configuration reload on SIGHUP")
		}
	}
}
