package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/api"
	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/control"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections/analysis"
)

// errReloadRefused is matched by a reload that changed keys a running node
// cannot take (config.ReloadChanges).
var errReloadRefused = errors.New("config reload refused")

// reloader re-reads the node's config files and applies what may change
// while it runs (its apply is control.Reloader's Apply, which serialises
// the reloads, records them and runs the SIGHUP loop; cur is guarded by
// that serialisation).
type reloader struct {
	control.Reloader
	files   *config.LoadOptions // nil: the config was built in code, nothing to re-read
	runner  *actuators.Live[actuators.RunnerSettings]
	params  *actuators.Live[analysis.Params]
	setAuth func(api.AuthOptions) error
	cur     config.Config
}

func newReloader(n *node) *reloader {
	rl := &reloader{runner: n.runner.Settings, params: n.engine.LiveParams, setAuth: n.api.SetAuth, cur: n.cfg}
	rl.Reloader = control.Reloader{Node: n.cfg.NodeID(), Apply: rl.apply, Record: control.AppendReload(n.elog, n.cfg.NodeID()),
		Log: n.log.With().Str(events.LogComponent, "reload").Logger()}
	return rl
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
	out.Changed, out.Refused = config.ReloadChanges(rl.cur, next)
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
		UserHeader: cfg.AuthUserHeader, PowerAuthUsers: cfg.PowerAuthUsers, PowerAuthGroups: cfg.PowerAuthGroups, ReadOnly: cfg.ReadOnly}
}
