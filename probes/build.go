package probes

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/mysqlconn"
)

// buildObservation turns a batch's rows into an observation (without the
// name resolution, neighbours, optional queries and digest) and the server's
// statement of its own name.
func buildObservation(key events.InstanceKey, res batchResult) (events.InstanceObserved, serverIdentity) {
	g := res.globals
	obs := events.InstanceObserved{
		Key:               key,
		ServerID:          uint32(g.int64("server_id")),
		ServerUUID:        g.str("server_uuid"),
		Version:           g.str("version"),
		VersionComment:    g.str("version_comment"),
		ReadOnly:          g.bool("read_only"),
		SuperReadOnly:     g.bool("super_read_only"),
		LogBin:            g.bool("log_bin"),
		LogReplicaUpdates: g.bool("log_replica_updates"),
		BinlogFormat:      g.str("binlog_format"),
		BinlogRowImage:    g.str("binlog_row_image"),
	}
	obs.Flavor = mysqlconn.DetectFlavor(obs.Version, obs.VersionComment)
	if obs.Flavor == FlavorMariaDB {
		obs.GTID = events.GTIDState{
			CurrentPos:  g.str("gtid_current_pos"),
			SlavePos:    g.str("gtid_slave_pos"),
			BinlogPos:   g.str("gtid_binlog_pos"),
			BinlogState: g.str("gtid_binlog_state"),
			StrictMode:  g.bool("gtid_strict_mode"),
			DomainID:    uint32(g.int64("gtid_domain_id")),
		}
	} else {
		obs.GTID = events.GTIDState{
			Mode:     g.str("gtid_mode"),
			Executed: normaliseGTIDSet(g.str("gtid_executed")),
			Purged:   normaliseGTIDSet(g.str("gtid_purged")),
		}
	}
	status := nameValues(res.status)
	obs.Uptime, _ = strconv.ParseInt(status["uptime"], 10, 64)
	obs.SemiSync = semiSync(nameValues(res.variables), status)
	if len(res.binlog) > 0 {
		b := res.binlog[0]
		obs.SelfCoordinates = events.BinlogCoordinates{LogFile: b.str("File"), LogPos: b.int64("Position")}
	}
	utcOffset := time.Duration(g.int64("utc_offset")) * time.Second
	if r, ok := pickChannel(res.replica); ok {
		obs.Replication = parseReplicaStatus(r, utcOffset, nil)
		mariaDBHeartbeats(obs.Replication, status, utcOffset)
		if len(res.heartbeat) > 0 {
			h := res.heartbeat[0]
			obs.Replication.HeartbeatsReceived = h.int64("heartbeats")
			obs.Replication.LastHeartbeat = parseServerTime(h.str("last_heartbeat"), utcOffset)
			obs.Replication.HeartbeatPeriod, _ = strconv.ParseFloat(h.str("heartbeat_period"), 64)
		}
		obs.LagSeconds = obs.Replication.SecondsBehind
	}
	id := serverIdentity{Hostname: g.str("hostname"), ReportHost: g.str("report_host"), ReportPort: int(g.int64("report_port"))}
	return obs, id
}

// mariaDBHeartbeats fills the heartbeat fields from MariaDB's status
// variables where the replica status row had none.
func mariaDBHeartbeats(r *events.Replication, status map[string]string, utcOffset time.Duration) {
	if v, ok := status["slave_received_heartbeats"]; ok && r.HeartbeatsReceived == 0 {
		r.HeartbeatsReceived, _ = strconv.ParseInt(v, 10, 64)
	}
	if v, ok := status["slave_heartbeat_period"]; ok && r.HeartbeatPeriod == 0 {
		r.HeartbeatPeriod, _ = strconv.ParseFloat(v, 64)
	}
	if v, ok := status["slave_last_heartbeat"]; ok && r.LastHeartbeat == nil {
		r.LastHeartbeat = parseServerTime(v, utcOffset)
	}
}

// pickChannel returns the default replication channel's row: MySQL lists
// one row per channel; MariaDB's SHOW SLAVE STATUS shows the default
// connection only.
func pickChannel(rows []row) (row, bool) {
	for _, r := range rows {
		if r.str("Channel_Name", "Connection_name") == "" {
			return r, true
		}
	}
	if len(rows) > 0 {
		return rows[0], true
	}
	return row{}, false
}

// nameValues reads SHOW STATUS / SHOW VARIABLES rows into a map keyed by
// the lower-cased name.
func nameValues(rows []row) map[string]string {
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		m[strings.ToLower(r.str("Variable_name", "VARIABLE_NAME"))] = r.str("Value", "VARIABLE_VALUE")
	}
	return m
}

// semiSync reads both the master/slave and the source/replica names of the
// semi-sync variables and status. No variable at all means the plugin is
// not loaded. A server with the source side but no wait-count variable
// (MariaDB, which has no rpl_semi_sync_master_wait_for_slave_count) waits
// for one acknowledgement: its wait count is 1, not 0 (0 would hide
// LockedSemiSyncMaster and make EnforceExactSemiSyncReplicas want no
// semi-sync replica at all).
func semiSync(vars, status map[string]string) events.SemiSync {
	get := func(m map[string]string, names ...string) string {
		for _, n := range names {
			if v, ok := m[n]; ok {
				return v
			}
		}
		return ""
	}
	atoi := func(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }
	wait := int(atoi(get(vars, "rpl_semi_sync_master_wait_for_slave_count", "rpl_semi_sync_source_wait_for_replica_count")))
	if get(vars, "rpl_semi_sync_master_enabled", "rpl_semi_sync_source_enabled") != "" &&
		get(vars, "rpl_semi_sync_master_wait_for_slave_count", "rpl_semi_sync_source_wait_for_replica_count") == "" {
		wait = 1
	}
	return events.SemiSync{
		Available:          len(vars) > 0,
		MasterEnabled:      parseBool(get(vars, "rpl_semi_sync_master_enabled", "rpl_semi_sync_source_enabled")),
		ReplicaEnabled:     parseBool(get(vars, "rpl_semi_sync_slave_enabled", "rpl_semi_sync_replica_enabled")),
		MasterTimeout:      atoi(get(vars, "rpl_semi_sync_master_timeout", "rpl_semi_sync_source_timeout")),
		MasterWaitForCount: wait,
		MasterStatus:       parseBool(get(status, "rpl_semi_sync_master_status", "rpl_semi_sync_source_status")),
		MasterClients:      int(atoi(get(status, "rpl_semi_sync_master_clients", "rpl_semi_sync_source_clients"))),
		ReplicaStatus:      parseBool(get(status, "rpl_semi_sync_slave_status", "rpl_semi_sync_replica_status")),
	}
}

// resolveNeighbours names the source and the replicas the way the probe
// names instances.
func (p *Prober) resolveNeighbours(ctx context.Context, obs *events.InstanceObserved, res batchResult) {
	resolve := func(h string) string { return p.names.resolve(ctx, h) }
	if obs.Replication != nil && obs.Replication.SourceKey.Hostname != "" {
		obs.Replication.SourceKey.Hostname = resolve(obs.Replication.SourceKey.Hostname)
	}
	var bad []error
	if p.opts.DiscoverByShowSlaveHosts {
		obs.Replicas, bad = replicaKeys(res.replicas, obs.Key.Port, resolve)
	} else {
		// Binlog Dump threads: the client's address, and the replica is
		// assumed to listen on this instance's port (orchestrator's rule).
		keys := make([]events.InstanceKey, 0, len(res.replicas))
		for _, r := range res.replicas {
			h := processlistHost(r.str("Host", "HOST"))
			if h == "" {
				continue
			}
			if err := events.ValidHost(h); err != nil {
				bad = append(bad, fmt.Errorf("processlist HOST: %w", err))
				continue
			}
			keys = append(keys, events.InstanceKey{Hostname: resolve(h), Port: obs.Key.Port})
		}
		obs.Replicas = sortKeys(keys)
	}
	for _, err := range bad {
		p.sampled.Warn().Str(events.LogInstance, obs.Key.String()).Err(err).Msg("server names an invalid replica: left out of the observation, not discovered")
	}
}

// detected holds the answers of the Detect* queries.
type detected struct {
	instanceAlias, clusterAlias, clusterDomain string
	dataCenter, region, physicalEnvironment    string
	promotionRule                              string
	semiSyncEnforced                           bool
}

// runOptionalQueries runs ReplicationLagQuery and the Detect* queries
// (reusing Detect* answers for DetectRefreshInterval). A failure is logged
// and leaves the field empty.
func (p *Prober) runOptionalQueries(ctx context.Context, conn *sql.Conn, in *instance, obs *events.InstanceObserved) {
	if q := p.opts.ReplicationLagQuery; q != "" {
		obs.LagSeconds = nil
		var lag sql.NullFloat64
		if err := conn.QueryRowContext(ctx, q).Scan(&lag); err != nil {
			p.sampled.Warn().Str(events.LogInstance, obs.Key.String()).Err(err).Msg("ReplicationLagQuery failed")
		} else if lag.Valid {
			n := int64(math.Round(lag.Float64))
			obs.LagSeconds = &n
		}
	}
	now := p.clock.Now()
	in.mu.Lock()
	d, fresh := in.detect, !in.detectAt.IsZero() && p.opts.DetectRefreshInterval > 0 && now.Sub(in.detectAt) < p.opts.DetectRefreshInterval
	in.mu.Unlock()
	if !fresh {
		d = p.detect(ctx, conn, obs.Key)
		in.mu.Lock()
		in.detect, in.detectAt = d, now
		in.mu.Unlock()
	}
	obs.InstanceAlias, obs.ClusterAlias, obs.ClusterDomain = d.instanceAlias, d.clusterAlias, d.clusterDomain
	obs.DataCenter, obs.Region, obs.PhysicalEnvironment = d.dataCenter, d.region, d.physicalEnvironment
	obs.PromotionRule = d.promotionRule
	obs.SemiSync.Enforced = d.semiSyncEnforced
}

// validPromotionRules are orchestrator's promotion rules.
var validPromotionRules = map[string]bool{"must": true, "prefer": true, "neutral": true, "prefer_not": true, "must_not": true}

func (p *Prober) detect(ctx context.Context, conn *sql.Conn, key events.InstanceKey) detected {
	var d detected
	one := func(name, q string) string {
		if q == "" {
			return ""
		}
		var v sql.NullString
		if err := conn.QueryRowContext(ctx, q).Scan(&v); err != nil {
			p.sampled.Warn().Str(events.LogInstance, key.String()).Err(err).Msgf("%s failed", name)
			return ""
		}
		return p.detectAnswer(key, name, v.String)
	}
	d.instanceAlias = one("DetectInstanceAliasQuery", p.opts.DetectInstanceAliasQuery)
	d.clusterAlias = one("DetectClusterAliasQuery", p.opts.DetectClusterAliasQuery)
	d.clusterDomain = one("DetectClusterDomainQuery", p.opts.DetectClusterDomainQuery)
	d.dataCenter = one("DetectDataCenterQuery", p.opts.DetectDataCenterQuery)
	d.region = one("DetectRegionQuery", p.opts.DetectRegionQuery)
	d.physicalEnvironment = one("DetectPhysicalEnvironmentQuery", p.opts.DetectPhysicalEnvironmentQuery)
	if rule := one("DetectPromotionRuleQuery", p.opts.DetectPromotionRuleQuery); rule != "" {
		if validPromotionRules[rule] {
			d.promotionRule = rule
		} else {
			p.log.Warn().Str(events.LogInstance, key.String()).Str("rule", rule).Msg("DetectPromotionRuleQuery returned an unknown rule")
		}
	}
	if v := one("DetectSemiSyncEnforcedQuery", p.opts.DetectSemiSyncEnforcedQuery); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		d.semiSyncEnforced = parseBool(v) || (err == nil && n != 0)
	}
	return d
}

// detectAnswer is a Detect* query's answer, trimmed; one that
// events.ValidText refuses (longer than events.MaxTextLen, control, bidi or
// format characters) is logged with the instance and the query, and reads
// as no answer, like a failed query.
func (p *Prober) detectAnswer(key events.InstanceKey, query, answer string) string {
	v := strings.TrimSpace(answer)
	if err := events.ValidText(v, events.MaxTextLen); err != nil {
		p.sampled.Warn().Str(events.LogInstance, key.String()).Err(err).Msgf("%s answered an invalid value: ignored", query)
		return ""
	}
	return v
}
