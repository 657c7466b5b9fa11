package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/projections/analysis"
)

// reloadableKeys are the keys a running node takes from a reload: the
// hook lists, the recovery policy and the analysis knobs only the recovery
// engine reads, and the API's users. Every other changed key refuses the
// whole reload (named in the answer and the event): it shapes the fold,
// the probes, NATS or the listeners, which are built once at start.
var reloadableKeys = [...]string{
	"OnFailureDetectionProcesses", "PreFailoverProcesses", "PostFailoverProcesses",
	"PostUnsuccessfulFailoverProcesses", "PostMasterFailoverProcesses", "PostIntermediateMasterFailoverProcesses",
	"PreGracefulTakeoverProcesses", "PostGracefulTakeoverProcesses",
	"ApplyMySQLPromotionAfterMasterFailover", "FailMasterPromotionIfSQLThreadNotUpToDate",
	"DetachLostReplicasAfterMasterFailover",
	"RecoveryPeriodBlockSeconds", "FailureDetectionPeriodBlockMinutes", "RecoveryIgnoreHostnameFilters",
	"PromotionIgnoreHostnameFilters", "PreventCrossDataCenterMasterFailover", "PreventCrossRegionMasterFailover",
	"FailMasterPromotionOnLagMinutes", "ReasonableLockedSemiSyncMasterSeconds",
	"HTTPAuthUser", "HTTPAuthPassword", "PowerAuthUsers", "AuthUserHeader", "ReadOnly",
}

// errReloadRefused is matched by a reload that changed keys a running node
// cannot take.
var errReloadRefused = errors.New("config reload refused")

// reloader re-reads the node's config files (SIGHUP, reload-configuration)
// and applies what may change while it runs; a reload is all or nothing,
// and each is a config-reloaded event. Reload is safe from any goroutine;
// watch is owned by the node's errgroup.
type reloader struct {
	node    string
	files   *config.LoadOptions // nil: the config was built in code, nothing to re-read
	runner  *actuators.Live[actuators.RunnerSettings]
	params  *actuators.Live[analysis.Params]
	setAuth func(api.AuthOptions) error
	record  func(context.Context, events.ConfigReloaded) error
	log     zerolog.Logger

	mu  sync.Mutex // serialises reloads; guards cur
	cur config.Config
}

func newReloader(n *node) *reloader {
	return &reloader{node: n.cfg.NodeID(), runner: n.runner.Settings, params: n.engine.LiveParams,
		setAuth: n.api.SetAuth, record: appendReload(n.elog, n.cfg.NodeID()), cur: n.cfg,
		log: n.log.With().Str(events.LogComponent, "reload").Logger()}
}

// appendReload records a reload in the event log (no epoch: any node
// reloads its own configuration).
func appendReload(elog *eventlog.Log, node string) func(context.Context, events.ConfigReloaded) error {
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

// Reload re-reads the files and applies the change, or refuses it whole
// (errReloadRefused naming the keys, or the load error). Either way the
// outcome is recorded; an outcome that cannot be recorded is an error too
// (a refused one changes nothing, an applied one stays applied).
func (rl *reloader) Reload(ctx context.Context, trigger, who string) (events.ConfigReloaded, error) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	out := events.ConfigReloaded{Node: rl.node, Trigger: trigger, Who: who}
	err := rl.apply(&out)
	if rerr := rl.record(ctx, out); rerr != nil {
		err = errors.Join(err, fmt.Errorf("record the reload: %w", rerr))
	}
	return out, err
}

// apply loads, compares and applies; out says what happened.
func (rl *reloader) apply(out *events.ConfigReloaded) error {
	if rl.files == nil {
		out.Error = "the configuration was built in code, not loaded from files: nothing to re-read"
		return errors.New(out.Error)
	}
	next, _, err := loadConfig(*rl.files)
	if err != nil {
		out.Error = err.Error()
		return fmt.Errorf("reload configuration: %w", err)
	}
	out.Changed = config.ChangedKeys(rl.cur, next)
	for _, k := range out.Changed {
		if !slices.Contains(reloadableKeys[:], k) {
			out.Refused = append(out.Refused, k)
		}
	}
	if len(out.Refused) > 0 {
		return fmt.Errorf("%w: %s cannot change while the node runs (restart it); nothing was applied", errReloadRefused, strings.Join(out.Refused, ", "))
	}
	params, err := analysisParams(next)
	if err != nil {
		out.Error = err.Error()
		return fmt.Errorf("reload configuration: %w", err)
	}
	if err := rl.setAuth(apiAuth(next)); err != nil {
		out.Error = err.Error()
		return fmt.Errorf("reload configuration: %w", err)
	}
	rl.runner.Store(runnerSettings(next))
	rl.params.Store(params)
	rl.cur, out.Applied = next, true
	return nil
}

// apiAuth is the API's authentication settings of cfg.
func apiAuth(cfg config.Config) api.AuthOptions {
	return api.AuthOptions{Method: cfg.AuthenticationMethod, User: cfg.HTTPAuthUser, Password: cfg.HTTPAuthPassword,
		UserHeader: cfg.AuthUserHeader, PowerAuthUsers: cfg.PowerAuthUsers, ReadOnly: cfg.ReadOnly}
}

// ReloadConfiguration is api.Reloader: a reload asked over HTTP.
func (rl *reloader) ReloadConfiguration(ctx context.Context, who string) ([]string, error) {
	out, err := rl.Reload(ctx, "api", who)
	return out.Changed, err
}

// watch reloads on every SIGHUP until ctx ends; without files (a config
// built in code: tests serving in-process) it listens for nothing, and
// starts no signal handling that would outlive the node.
func (rl *reloader) watch(ctx context.Context) error {
	if rl.files == nil {
		return nil
	}
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
			ev := rl.log.Info()
			if err != nil {
				ev = rl.log.Warn().Err(err)
			}
			ev.Strs("changed", out.Changed).Strs("refused", out.Refused).Bool("applied", out.Applied).Msg("configuration reload on SIGHUP")
		}
	}
}
