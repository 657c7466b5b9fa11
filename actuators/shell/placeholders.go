package shell

import (
	"strconv"
	"strings"

	"github.com/regent-ha/regent/actuators"
)

// binding ties one orchestrator placeholder to its ORC_* variable ("" when
// orchestrator has none).
type binding struct {
	placeholder string
	env         string
	value       func(hc *actuators.HookContext) string
}

// bindings lists every placeholder and ORC_* variable of orchestrator's
// hooks (reference §6.2), legacy names included. Successor values are in
// successorBindings: they exist only when there is a successor.
var bindings = []binding{
	{"failureType", "ORC_FAILURE_TYPE", func(h *actuators.HookContext) string { return h.FailureType }},
	{"instanceType", "ORC_INSTANCE_TYPE", func(h *actuators.HookContext) string { return h.InstanceType }},
	{"isMaster", "ORC_IS_MASTER", func(h *actuators.HookContext) string { return strconv.FormatBool(h.IsMaster) }},
	{"isCoMaster", "ORC_IS_CO_MASTER", func(h *actuators.HookContext) string { return strconv.FormatBool(h.IsCoMaster) }},
	{"failureDescription", "ORC_FAILURE_DESCRIPTION", func(h *actuators.HookContext) string { return h.FailureDescription }},
	{"command", "ORC_COMMAND", func(h *actuators.HookContext) string { return h.Command }},
	{"failedHost", "ORC_FAILED_HOST", func(h *actuators.HookContext) string { return h.FailedHost }},
	{"failedPort", "ORC_FAILED_PORT", func(h *actuators.HookContext) string { return strconv.Itoa(h.FailedPort) }},
	{"failureCluster", "ORC_FAILURE_CLUSTER", func(h *actuators.HookContext) string { return h.FailureCluster }},
	{"failureClusterAlias", "ORC_FAILURE_CLUSTER_ALIAS", func(h *actuators.HookContext) string { return h.FailureClusterAlias }},
	{"failureClusterDomain", "ORC_FAILURE_CLUSTER_DOMAIN", func(h *actuators.HookContext) string { return h.FailureClusterDomain }},
	{"countReplicas", "ORC_COUNT_REPLICAS", func(h *actuators.HookContext) string { return strconv.Itoa(h.CountReplicas) }},
	{"countSlaves", "", func(h *actuators.HookContext) string { return strconv.Itoa(h.CountReplicas) }},
	{"replicaHosts", "ORC_REPLICA_HOSTS", func(h *actuators.HookContext) string { return strings.Join(h.ReplicaHosts, ",") }},
	{"slaveHosts", "", func(h *actuators.HookContext) string { return strings.Join(h.ReplicaHosts, ",") }},
	{"isDowntimed", "ORC_IS_DOWNTIMED", func(h *actuators.HookContext) string { return strconv.FormatBool(h.IsDowntimed) }},
	{"autoMasterRecovery", "ORC_AUTO_MASTER_RECOVERY", func(h *actuators.HookContext) string { return strconv.FormatBool(h.AutoMasterRecovery) }},
	{"autoIntermediateMasterRecovery", "ORC_AUTO_INTERMEDIATE_MASTER_RECOVERY", func(h *actuators.HookContext) string {
		return strconv.FormatBool(h.AutoIntermediateMasterRecovery)
	}},
	{"orchestratorHost", "ORC_ORCHESTRATOR_HOST", func(h *actuators.HookContext) string { return h.OrchestratorHost }},
	{"recoveryUID", "ORC_RECOVERY_UID", func(h *actuators.HookContext) string { return h.RecoveryUID }},
	{"isSuccessful", "ORC_IS_SUCCESSFUL", func(h *actuators.HookContext) string { return strconv.FormatBool(h.IsSuccessful) }},
	{"lostReplicas", "ORC_LOST_REPLICAS", func(h *actuators.HookContext) string { return strings.Join(h.LostReplicas, ",") }},
	{"lostSlaves", "", func(h *actuators.HookContext) string { return strings.Join(h.LostReplicas, ",") }},
	// ORC_COUNT_LOST_REPLICAS is a Regent addition (orchestrator has no
	// variable for it).
	{"countLostReplicas", "ORC_COUNT_LOST_REPLICAS", func(h *actuators.HookContext) string { return strconv.Itoa(countLost(h)) }},
}

// successorBindings apply only when the recovery has a successor; otherwise
// their placeholders stay literally unreplaced, as in orchestrator.
var successorBindings = []binding{
	{"successorHost", "ORC_SUCCESSOR_HOST", func(h *actuators.HookContext) string { return h.SuccessorHost }},
	{"successorPort", "ORC_SUCCESSOR_PORT", func(h *actuators.HookContext) string { return strconv.Itoa(h.SuccessorPort) }},
	{"successorAlias", "ORC_SUCCESSOR_ALIAS", func(h *actuators.HookContext) string { return h.SuccessorAlias }},
}

// binlogBinding applies only when the successor's coordinates are known.
var binlogBinding = binding{"successorBinlogCoordinates", "ORC_SUCCESSOR_BINLOG_COORDINATES", func(h *actuators.HookContext) string {
	return h.SuccessorBinlogCoordinates
}}

func countLost(h *actuators.HookContext) int {
	if h.CountLostReplicas == 0 {
		return len(h.LostReplicas)
	}
	return h.CountLostReplicas
}

// activeBindings returns the bindings that apply to hc.
func activeBindings(hc *actuators.HookContext) []binding {
	bs := append([]binding(nil), bindings...)
	if hc.SuccessorHost != "" {
		bs = append(bs, successorBindings...)
		if hc.SuccessorBinlogCoordinates != "" {
			bs = append(bs, binlogBinding)
		}
	}
	return bs
}

// Placeholders returns the value of every placeholder that applies to hc,
// keyed by name without braces.
func Placeholders(hc actuators.HookContext) map[string]string {
	vals := map[string]string{}
	for _, b := range activeBindings(&hc) {
		vals[b.placeholder] = b.value(&hc)
	}
	return vals
}

// Environment returns the ORC_* variables for hc as NAME=value entries.
// NUL bytes, which no environment can hold, are dropped from the values.
func Environment(hc actuators.HookContext) []string {
	var env []string
	for _, b := range activeBindings(&hc) {
		if b.env != "" {
			env = append(env, b.env+"="+strings.ReplaceAll(b.value(&hc), "\x00", ""))
		}
	}
	return env
}

// PlaceholderNames lists every placeholder name Regent fills, in the order
// of orchestrator's documentation.
func PlaceholderNames() []string {
	var names []string
	for _, b := range bindings {
		names = append(names, b.placeholder)
	}
	for _, b := range successorBindings {
		names = append(names, b.placeholder)
	}
	return append(names, binlogBinding.placeholder)
}
