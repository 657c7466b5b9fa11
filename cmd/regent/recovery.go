package main

import (
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/actuators/mysql"
	"github.com/regent-ha/regent/actuators/shell"
	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/control"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/mysqlconn"
	"github.com/regent-ha/regent/probes"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// analysisParams maps the config onto the analysis knobs.
func analysisParams(cfg config.Config) (analysis.Params, error) {
	p := analysis.DefaultParams()
	p.IOStallThreshold = time.Duration(cfg.ReplicationStallMilliseconds) * time.Millisecond
	p.ReasonableReplicationLagSeconds = int64(cfg.ReasonableReplicationLagSeconds)
	if s := cfg.ReasonableLockedSemiSyncMasterSeconds; s > 0 {
		p.LockedSemiSyncMasterThreshold = time.Duration(s) * time.Second
	}
	p.PreventCrossDataCenterMasterFailover = cfg.PreventCrossDataCenterMasterFailover
	p.PreventCrossRegionMasterFailover = cfg.PreventCrossRegionMasterFailover
	p.FailMasterPromotionOnLagMinutes = int64(cfg.FailMasterPromotionOnLagMinutes)
	p.RecoveryPeriodBlock = time.Duration(cfg.RecoveryPeriodBlockSeconds) * time.Second
	p.FailureDetectionPeriodBlock = time.Duration(cfg.FailureDetectionPeriodBlockMinutes) * time.Minute
	p.RecoverNonWriteableMaster = cfg.RecoverNonWriteableMaster
	p.VerifyReplicationFilters = cfg.VerifyReplicationFilters
	p.RecoverLockedSemiSyncMaster = cfg.RecoverLockedSemiSyncMaster
	p.EnforceExactSemiSyncReplicas = cfg.EnforceExactSemiSyncReplicas
	var err error
	if p.RecoverMasterClusterFilters, err = projections.CompileClusterFilters(cfg.RecoverMasterClusterFilters); err != nil {
		return p, fmt.Errorf("RecoverMasterClusterFilters: %w", err)
	}
	if p.RecoverIntermediateMasterClusterFilters, err = projections.CompileClusterFilters(cfg.RecoverIntermediateMasterClusterFilters); err != nil {
		return p, fmt.Errorf("RecoverIntermediateMasterClusterFilters: %w", err)
	}
	if p.RecoveryIgnoreHostnameFilters, err = compileAll("RecoveryIgnoreHostnameFilters", cfg.RecoveryIgnoreHostnameFilters); err != nil {
		return p, err
	}
	if p.PromotionIgnoreHostnameFilters, err = compileAll("PromotionIgnoreHostnameFilters", cfg.PromotionIgnoreHostnameFilters); err != nil {
		return p, err
	}
	return p, nil
}

// topologyConn is what every connection to a managed server shares (the
// probes' and the actuators'): the topology credentials, the connect
// timeout, the connections' lifetime (MySQLConnectionLifetimeSeconds) and
// the MySQLTopologySSL* settings. Read timeouts are each user's own.
func topologyConn(cfg config.Config) mysqlconn.Options {
	return mysqlconn.Options{User: cfg.MySQLTopologyUser, Password: cfg.MySQLTopologyPassword,
		ConnectTimeout:     time.Duration(cfg.MySQLConnectTimeoutSeconds) * time.Second,
		ConnectionLifetime: time.Duration(cfg.MySQLConnectionLifetimeSeconds) * time.Second,
		TLS: mysqlconn.TLSOptions{CAFile: cfg.MySQLTopologySSLCAFile, CertFile: cfg.MySQLTopologySSLCertFile,
			KeyFile: cfg.MySQLTopologySSLPrivateKeyFile, SkipVerify: cfg.MySQLTopologySSLSkipVerify,
			UseMutualTLS: cfg.MySQLTopologyUseMutualTLS, UseMixedTLS: cfg.MySQLTopologyUseMixedTLS}}
}

// actuatorOptions maps the config onto the actuators' options: the
// topology connection with MySQLTopologyReadTimeoutSeconds as the read
// timeout (0: the actuators' default), UseSuperReadOnly, the heartbeat.
func actuatorOptions(cfg config.Config, logger zerolog.Logger) mysql.Options {
	conn := topologyConn(cfg)
	conn.ReadTimeout = time.Duration(cfg.MySQLTopologyReadTimeoutSeconds) * time.Second
	return mysql.Options{Conn: conn, UseSuperReadOnly: cfg.UseSuperReadOnly,
		HeartbeatPeriod: time.Duration(cfg.ReplicationHeartbeatMilliseconds) * time.Millisecond, Logger: logger}
}

// actuatorDB is the MySQL side of recovery and of the manual operations.
func actuatorDB(cfg config.Config, logger zerolog.Logger) (*mysql.DB, error) {
	db, err := mysql.New(actuatorOptions(cfg, logger))
	if err != nil {
		return nil, fmt.Errorf("build recovery's MySQL connections: %w", err)
	}
	return db, nil
}

// newRecovery builds the recovery runner and engine of a node, and returns
// what the node closes on shutdown, in the order built: the MySQL pools,
// the VIP mover (gratuitous ARPs under way) and the hook runner
// (asynchronous hooks under way).
func newRecovery(cfg config.Config, node string, elog *eventlog.Log, lease *eventlog.Lease, app *control.Fold, logger zerolog.Logger) (*actuators.Engine, *actuators.Runner, []io.Closer, error) {
	params, err := analysisParams(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	db, err := actuatorDB(cfg, logger)
	if err != nil {
		return nil, nil, nil, err
	}
	vip := shell.NewVIP(vipOptions(cfg, logger))
	hooks := shell.NewHooks(shell.HookOptions{Shell: cfg.ProcessesShellCommand,
		Timeout: time.Duration(cfg.HookTimeoutSeconds) * time.Second, Logger: logger})
	rs := runnerSettings(cfg)
	r := &actuators.Runner{Node: node, DB: db, VIP: vip, Hooks: hooks, Log: control.FencedLog{Log: elog}, Lease: control.LeaseHolder{L: lease},
		Policy: rs.Policy, Lists: rs.Lists, Settings: actuators.NewLive(rs),
		Clock: control.WallClock{}, Logger: logger.With().Str(events.LogComponent, "recovery").Logger(),
		Credentials: db, SemiSync: db}
	closers := []io.Closer{db, vip, hooks}
	e, err := actuators.NewEngine(actuators.EngineConfig{Runner: r, Source: app, Leader: control.LeaseHolder{L: lease},
		Params: params, LiveParams: actuators.NewLive(params),
		Tick:   time.Duration(cfg.RecoveryTickMilliseconds) * time.Millisecond,
		Settle: 2 * probes.DeadProbeInterval(cfg.PollInterval(), cfg.ProbeTimeout()), Logger: r.Logger})
	if err != nil {
		return nil, nil, closers, err
	}
	return e, r, closers, nil
}

// vipOptions maps the VIP keys onto the VIP mover's options (recovery's,
// and preflight's check of its commands).
func vipOptions(cfg config.Config, logger zerolog.Logger) shell.VIPOptions {
	return shell.VIPOptions{Address: cfg.VIPAddress, Interface: cfg.VIPInterface,
		AddCommand: cfg.VIPAddCommand, RemoveCommand: cfg.VIPRemoveCommand, CheckCommand: cfg.VIPCheckCommand,
		RemoteExecPrefix: cfg.RemoteExecPrefix, Shell: cfg.ProcessesShellCommand, Logger: logger}
}

// runnerSettings are the recovery policy and hook lists of cfg: what a
// recovery starts with, and what reload-configuration replaces.
func runnerSettings(cfg config.Config) actuators.RunnerSettings {
	return actuators.RunnerSettings{Policy: recoveryPolicy(cfg), Lists: actuators.HookLists{
		OnFailureDetection: cfg.OnFailureDetectionProcesses, PreFailover: cfg.PreFailoverProcesses,
		PostFailover: cfg.PostFailoverProcesses, PostUnsuccessfulFailover: cfg.PostUnsuccessfulFailoverProcesses,
		PostMasterFailover: cfg.PostMasterFailoverProcesses, PostIntermediateMasterFailover: cfg.PostIntermediateMasterFailoverProcesses,
		PreGracefulTakeover: cfg.PreGracefulTakeoverProcesses, PostGracefulTakeover: cfg.PostGracefulTakeoverProcesses,
	}}
}

// recoveryPolicy maps the recovery keys onto the executor's policy.
func recoveryPolicy(cfg config.Config) actuators.Policy {
	policy := actuators.DefaultPolicy()
	policy.ApplyPromotion = cfg.ApplyMySQLPromotionAfterMasterFailover
	policy.FailIfSQLThreadNotUpToDate = cfg.FailMasterPromotionIfSQLThreadNotUpToDate
	policy.DetachLostReplicas = cfg.DetachLostReplicasAfterMasterFailover
	policy.LostDowntime = time.Duration(cfg.MasterFailoverLostInstancesDowntimeMinutes) * time.Minute
	policy.CredentialsQuery = cfg.ReplicationCredentialsQuery
	if cfg.ReplicationUser != "" {
		policy.Credentials = &actuators.Credentials{User: cfg.ReplicationUser, Password: cfg.ReplicationPassword}
	}
	return policy
}
