package consumer

import (
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/regent-ha/regent/events"
)

// Environment returns the REGENT_* variables of one delivery of env. Every
// variable is set, empty when unknown, so scripts may use `set -u`.
func Environment(env events.Envelope, subject string, meta *jetstream.MsgMetadata, durable string) []string {
	kind := ""
	if env.Kind != 0 {
		kind = env.Kind.String()
	}
	at := ""
	if !env.Time.IsZero() {
		at = env.Time.UTC().Format(time.RFC3339Nano)
	}
	vars := [][2]string{
		{"REGENT_EVENT_ID", env.ID},
		{"REGENT_EVENT_KIND", kind},
		{"REGENT_EVENT_SEQ", strconv.FormatUint(meta.Sequence.Stream, 10)},
		{"REGENT_EVENT_SUBJECT", subject},
		{"REGENT_EVENT_TIME", at},
		{"REGENT_CLUSTER", env.Cluster},
		{"REGENT_INSTANCE", env.Instance},
		{"REGENT_ORIGIN", env.Origin},
		{"REGENT_CORRELATION_ID", env.CorrelationID},
		{"REGENT_CAUSATION_ID", env.CausationID},
		{"REGENT_DELIVERY", strconv.FormatUint(meta.NumDelivered, 10)},
		{"REGENT_CONSUMER", durable},
	}
	out := make([]string, 0, len(vars))
	for _, v := range vars {
		out = append(out, v[0]+"="+clean(v[1]))
	}
	return out
}

// clean drops NUL bytes, which no environment can hold.
func clean(s string) string { return strings.ReplaceAll(s, "\x00", "") }

// orc collects ORC_* variables, set only when the payload has the value.
type orc []string

func (o *orc) set(name, value string) {
	if value != "" {
		*o = append(*o, "ORC_"+name+"="+clean(value))
	}
}

func (o orc) has(name string) bool {
	for _, v := range o {
		if strings.HasPrefix(v, "ORC_"+name+"=") {
			return true
		}
	}
	return false
}

func (o *orc) key(prefix string, k events.InstanceKey) {
	if k.IsZero() {
		return
	}
	o.set(prefix+"_HOST", k.Hostname)
	o.set(prefix+"_PORT", strconv.Itoa(k.Port))
}

// ORCEnvironment returns the orchestrator-style ORC_* variables (the names
// of docs/hooks.md) that env's payload provides, for the failure and
// recovery kinds; nil for other kinds or a payload that does not decode.
func ORCEnvironment(env events.Envelope) []string {
	if env.Kind < events.KindFailureDetected || env.Kind >= events.KindDeadLetter || len(env.Payload) == 0 {
		return nil
	}
	var o orc
	var ok bool
	switch env.Kind {
	case events.KindFailureDetected:
		ok = orcFailure(&o, env)
	case events.KindRecoveryStarted:
		ok = orcRecoveryStarted(&o, env)
	case events.KindRecoveryCompleted:
		var p events.RecoveryCompleted
		if ok = env.Decode(&p) == nil; ok {
			o.set("RECOVERY_UID", p.RecoveryID)
			o.key("SUCCESSOR", p.Successor)
			o.set("IS_SUCCESSFUL", "true")
			o.set("LOST_REPLICAS", joinKeys(p.LostReplicas))
			o.set("COUNT_LOST_REPLICAS", strconv.Itoa(len(p.LostReplicas)))
		}
	case events.KindRecoveryFailed:
		var p events.RecoveryFailed
		if ok = env.Decode(&p) == nil; ok {
			o.set("RECOVERY_UID", p.RecoveryID)
			o.set("IS_SUCCESSFUL", "false")
		}
	case events.KindRecoveryBlocked:
		var p events.RecoveryBlocked
		if ok = env.Decode(&p) == nil; ok {
			o.set("FAILURE_TYPE", string(p.Analysis))
			o.key("FAILED", p.Failed)
			o.set("FAILURE_CLUSTER", p.ClusterName)
		}
	case events.KindFailureCleared:
		var p events.FailureCleared
		if ok = env.Decode(&p) == nil; ok {
			o.key("FAILED", p.Failed)
			o.set("FAILURE_CLUSTER", p.ClusterName)
		}
	default:
		// recovery-step, hook-ran, vip-moved, recovery-acknowledged…:
		// only the recovery id.
		var p struct {
			RecoveryID string `json:"recovery_id"`
		}
		if ok = env.Decode(&p) == nil; ok {
			o.set("RECOVERY_UID", p.RecoveryID)
		}
	}
	if !ok {
		return nil
	}
	if !o.has("FAILURE_CLUSTER") {
		o.set("FAILURE_CLUSTER", env.Cluster)
	}
	return o
}

func orcFailure(o *orc, env events.Envelope) bool {
	var p events.FailureDetected
	if env.Decode(&p) != nil {
		return false
	}
	o.set("FAILURE_TYPE", string(p.Analysis))
	o.set("FAILURE_DESCRIPTION", p.Description)
	o.key("FAILED", p.Failed)
	o.set("FAILURE_CLUSTER", p.ClusterName)
	o.set("FAILURE_CLUSTER_ALIAS", p.ClusterAlias)
	o.set("COUNT_REPLICAS", strconv.Itoa(p.CountReplicas))
	return true
}

func orcRecoveryStarted(o *orc, env events.Envelope) bool {
	var p events.RecoveryStarted
	if env.Decode(&p) != nil {
		return false
	}
	o.set("FAILURE_TYPE", string(p.Analysis))
	o.key("FAILED", p.Failed)
	o.set("FAILURE_CLUSTER", p.ClusterName)
	o.set("FAILURE_CLUSTER_ALIAS", p.ClusterAlias)
	o.set("RECOVERY_UID", p.RecoveryID)
	o.key("SUCCESSOR", p.Successor)
	return true
}

func joinKeys(ks []events.InstanceKey) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = k.String()
	}
	return strings.Join(s, ",")
}
