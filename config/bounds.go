package config

import (
	"fmt"
	"reflect"
)

// A bound is the range a numeric key accepts. Every int or uint key that
// Regent reads has one (TestEveryNumericKeyIsBounded): a duration is
// bounded so that its conversion to time.Duration (and the sums cmd/
// derives from it) cannot overflow, and so that a negative value never
// reaches code where it means nothing; a count or size so that what it
// sizes can exist. Zero stays allowed where it means "the default" or
// "off" (documented per key in docs/configuration.md).
type bound struct {
	key      string
	min, max int64
	unit     string // "s", "ms", "min", "h", "MB"; "" for a count
	why      string // appended to the message, e.g. "(JetStream's limit)"
}

// Upper bounds shared by several keys: one hour for what bounds a single
// probe or poll, one day for timeouts of things Regent runs, one year for
// blocking periods and ages, ten years for forgetting.
const (
	hourS   = 3600
	dayS    = 24 * hourS
	yearS   = 365 * dayS
	hourMS  = hourS * 1000
	dayMS   = dayS * 1000
	dayMin  = 24 * 60
	yearMin = 365 * dayMin
	maxMB   = 1 << 26 // 64 TiB: MB << 20 stays far inside int64
)

// bounds lists every numeric key Regent reads, except the two ports
// (DefaultInstancePort, DefaultRaftPort: checked as ports).
var bounds = [...]bound{
	// Topology
	{key: "MySQLConnectTimeoutSeconds", max: hourS, unit: "s"},
	{key: "MySQLDiscoveryReadTimeoutSeconds", max: hourS, unit: "s"},
	{key: "MySQLTopologyReadTimeoutSeconds", max: hourS, unit: "s"},
	{key: "MySQLConnectionLifetimeSeconds", max: dayS, unit: "s"},
	// Discovery
	{key: "InstancePollSeconds", max: hourS, unit: "s"},
	{key: "InstancePollMilliseconds", max: hourMS, unit: "ms"},
	{key: "ProbeTimeoutMilliseconds", max: hourMS, unit: "ms"},
	{key: "DiscoveryMaxConcurrency", max: 10000},
	{key: "UnseenInstanceForgetHours", max: 10 * 365 * 24, unit: "h"},
	{key: "ExpiryHostnameResolvesMinutes", max: yearMin, unit: "min"},
	{key: "ReasonableReplicationLagSeconds", max: yearS, unit: "s"},
	{key: "ReasonableMaintenanceReplicationLagSeconds", max: yearS, unit: "s"},
	{key: "ReasonableLockedSemiSyncMasterSeconds", max: yearS, unit: "s"},
	{key: "CandidateInstanceExpireMinutes", max: yearMin, unit: "min"},
	// Recovery
	{key: "FailureDetectionPeriodBlockMinutes", max: yearMin, unit: "min"},
	{key: "RecoveryPeriodBlockSeconds", max: yearS, unit: "s"},
	{key: "RecoveryPeriodBlockMinutes", max: yearMin, unit: "min"},
	{key: "HookTimeoutSeconds", max: dayS, unit: "s"},
	{key: "FailMasterPromotionOnLagMinutes", max: yearMin, unit: "min"},
	{key: "MasterFailoverLostInstancesDowntimeMinutes", max: yearMin, unit: "min"},
	{key: "ReplicationStallMilliseconds", max: dayMS, unit: "ms"},
	// MariaDB and MySQL take MASTER_HEARTBEAT_PERIOD from 1 ms to 4294967 s.
	{key: "ReplicationHeartbeatMilliseconds", min: 1, max: 4294967000, unit: "ms", why: "(the server's range of MASTER_HEARTBEAT_PERIOD)"},
	{key: "RecoveryTickMilliseconds", max: hourMS, unit: "ms"},
	// Cluster
	{key: "NATSStreamReplicas", min: 1, max: 5, why: "(JetStream's limit)"},
	{key: "NATSMaxMemoryMB", min: 1, max: maxMB, unit: "MB"},
	{key: "NATSMaxStoreMB", min: 1, max: maxMB, unit: "MB"},
	{key: "ObservationRetentionMinutes", min: 1, max: yearMin, unit: "min"},
	{key: "EventStreamMaxMB", min: 1, max: maxMB, unit: "MB"},
}

// portKeys are numeric keys checked as ports, outside the bounds table.
var portKeys = [...]string{"DefaultInstancePort", "DefaultRaftPort"}

// checkBounds reports every numeric key outside its bound.
func (c Config) checkBounds(ck *checker) {
	fields := c.fieldsByName()
	for _, b := range bounds {
		f := fields[b.key]
		var v int64
		var tooBig bool
		switch f.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			v = f.Int()
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			u := f.Uint()
			v, tooBig = int64(u), u > uint64(b.max)
		default:
			ck.bad(b.key, "is not numeric (bug: the bounds table names a %s key)", f.Kind())
			continue
		}
		if !tooBig && v >= b.min && v <= b.max {
			continue
		}
		got := fmt.Sprint(f.Interface())
		unit := ""
		if b.unit != "" {
			unit = " " + b.unit
		}
		why := ""
		if b.why != "" {
			why = " " + b.why
		}
		ck.bad(b.key, "want %d to %d%s%s, got %s", b.min, b.max, unit, why, got)
	}
}
