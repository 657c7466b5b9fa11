package events

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Kind identifies what an event says. The numbers and names are written into
// the log: never renumber or rename one, never reuse a retired number.
type Kind uint16

// Observation kinds (1–99): what one Regent node saw when it probed one
// instance. They live in the observation stream.
const (
	// KindInstanceObserved is a full observation of an instance.
	KindInstanceObserved Kind = 1
	// KindInstanceProgress is a compact observation: the instance's state is
	// unchanged since the last full observation from this node; only its
	// positions, lag and heartbeat moved.
	KindInstanceProgress Kind = 2
	// KindInstanceUnreachable says a probe failed (refused, timed out, or the
	// server answered something unusable), with the error as evidence.
	KindInstanceUnreachable Kind = 3
)

// Inventory kinds (100–199): what instances Regent knows and how operators
// annotated them. They live in the event log.
const (
	KindInstanceDiscovered  Kind = 100
	KindInstanceForgotten   Kind = 101
	KindClusterForgotten    Kind = 102
	KindClusterAliasSet     Kind = 103
	KindCandidateRegistered Kind = 104
	KindDowntimeBegun       Kind = 105
	KindDowntimeEnded       Kind = 106
	// KindMaintenanceBegun and KindMaintenanceEnded mark an instance under
	// maintenance (orchestrator's begin-maintenance): no automated recovery
	// acts on it until it ends or its Until passes.
	KindMaintenanceBegun Kind = 107
	KindMaintenanceEnded Kind = 108
)

// Failure and recovery kinds (200–299). They live in the event log.
const (
	KindFailureDetected        Kind = 200
	KindRecoveryStarted        Kind = 201
	KindRecoveryStep           Kind = 202
	KindRecoveryCompleted      Kind = 203
	KindRecoveryFailed         Kind = 204
	KindRecoveryAcknowledged   Kind = 205
	KindRecoveryBlocked        Kind = 206
	KindGlobalRecoveriesSet    Kind = 207
	KindHookRan                Kind = 208
	KindVIPMoved               Kind = 209
	KindFailureCleared         Kind = 210
	KindRecoveryLeaseTaken     Kind = 211
	KindManualOperationStarted Kind = 212
	// KindManualOperationCompleted and KindManualOperationFailed are a
	// manual operation's outcome (its steps all done; a step failed, or
	// the node lost the lease before one).
	KindManualOperationCompleted Kind = 213
	KindManualOperationFailed    Kind = 214
)

// Consumer kinds (300–399).
const (
	// KindDeadLetter records an event a hook consumer gave up on.
	KindDeadLetter Kind = 300
)

// Operational kinds (900–999).
const (
	// KindNote is a free-form annotation (tests, operators, the demo).
	KindNote Kind = 900
	// KindConfigReloaded records a configuration reload on one node
	// (SIGHUP or reload-configuration): applied, or refused with the keys
	// that cannot change while it runs.
	KindConfigReloaded Kind = 901
)

// kindNames is the closed table of kinds. The name is the kind's subject token
// and its JSON spelling.
var kindNames = map[Kind]string{
	KindInstanceObserved:    "instance-observed",
	KindInstanceProgress:    "instance-progress",
	KindInstanceUnreachable: "instance-unreachable",

	KindInstanceDiscovered:  "instance-discovered",
	KindInstanceForgotten:   "instance-forgotten",
	KindClusterForgotten:    "cluster-forgotten",
	KindClusterAliasSet:     "cluster-alias-set",
	KindCandidateRegistered: "candidate-registered",
	KindDowntimeBegun:       "downtime-begun",
	KindDowntimeEnded:       "downtime-ended",
	KindMaintenanceBegun:    "maintenance-begun",
	KindMaintenanceEnded:    "maintenance-ended",
	KindInstanceTagged:      "instance-tagged",
	KindInstanceUntagged:    "instance-untagged",

	KindFailureDetected:          "failure-detected",
	KindRecoveryStarted:          "recovery-started",
	KindRecoveryStep:             "recovery-step",
	KindRecoveryCompleted:        "recovery-completed",
	KindRecoveryFailed:           "recovery-failed",
	KindRecoveryAcknowledged:     "recovery-acknowledged",
	KindRecoveryBlocked:          "recovery-blocked",
	KindGlobalRecoveriesSet:      "global-recoveries-set",
	KindHookRan:                  "hook-ran",
	KindVIPMoved:                 "vip-moved",
	KindFailureCleared:           "failure-cleared",
	KindRecoveryLeaseTaken:       "recovery-lease-taken",
	KindManualOperationStarted:   "manual-operation-started",
	KindManualOperationCompleted: "manual-operation-completed",
	KindManualOperationFailed:    "manual-operation-failed",

	KindDeadLetter:     "dead-letter",
	KindNote:           "note",
	KindConfigReloaded: "config-reloaded",
}

var kindByName = func() map[string]Kind {
	m := make(map[string]Kind, len(kindNames))
	for k, n := range kindNames {
		m[n] = k
	}
	return m
}()

// Kinds returns every known kind in ascending order.
func Kinds() []Kind {
	out := make([]Kind, 0, len(kindNames))
	for k := range kindNames {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { _, ok := kindNames[k]; return ok }

// IsObservation reports whether k belongs to the observation stream.
func (k Kind) IsObservation() bool { return k >= 1 && k < 100 }

func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("kind-%d", uint16(k))
}

// ParseKind returns the kind with the given name.
func ParseKind(name string) (Kind, error) {
	if k, ok := kindByName[name]; ok {
		return k, nil
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownKind, name)
}

// ErrUnknownKind is wrapped by the errors of ParseKind, of decoding a kind
// and of Validate for a kind this build does not know.
var ErrUnknownKind = errors.New("unknown event kind")

// MarshalJSON writes the kind's name.
func (k Kind) MarshalJSON() ([]byte, error) {
	if !k.Valid() {
		return nil, fmt.Errorf("marshal event kind: unknown kind %d", uint16(k))
	}
	return json.Marshal(kindNames[k])
}

// UnmarshalJSON reads a kind's name (or, for robustness, its number).
func (k *Kind) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		var n uint16
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("event kind: %w", err)
		}
		*k = Kind(n)
		return nil
	}
	v, err := ParseKind(name)
	if err != nil {
		return err
	}
	*k = v
	return nil
}
