package projections

import (
	"fmt"
	"strings"

	"github.com/regent-ha/regent/events"
)

// RelocatePlan is what a relocate of Key below Dest would do, as the view
// shows it: the web interface shows it before asking for confirmation.
type RelocatePlan struct {
	Key, Dest      events.InstanceKey
	FromMaster     events.InstanceKey // Key's source now (zero: none)
	Mode           string             // "slave_pos" (GTID) or "current_pos" (a read-only server without a source, MariaDB)
	Summary        string             // one sentence: what will happen
	Warnings       []string           // what the operator should know (lag, stopped replication, other cluster)
	DestIsReplica  bool
	DestHasBinlogs bool
}

// CheckRelocate checks, on the view, whether key can be relocated below
// dest (GTID topologies): CheckRelocateAs for the relocate operation.
func CheckRelocate(v *View, key, dest events.InstanceKey) (RelocatePlan, error) {
	return CheckRelocateAs(v, key, dest, "relocate")
}

// CheckRelocateAs is the one rule of a move of key below dest by GTID,
// recorded as operation op (relocate, move-up, move-below, repoint): the
// web interface shows its plan before asking for confirmation and the
// operator (control) checks it again when the operation runs. Both known,
// dest not key nor below key, key not in maintenance, key replicating with
// GTID or a read-only server with GTID and no source (RelocateMode), dest
// writing binary logs (and logging its replicated updates when it is a
// replica itself), dest's version not newer than key's. The error names
// the offending instance.
func CheckRelocateAs(v *View, key, dest events.InstanceKey, op string) (RelocatePlan, error) {
	p := RelocatePlan{Key: key, Dest: dest}
	inst, ok := v.Instance(key)
	if !ok {
		return p, fmt.Errorf("unknown instance %s: Regent does not watch it", key)
	}
	d, ok := v.Instance(dest)
	if !ok {
		return p, fmt.Errorf("unknown destination %s: Regent does not watch it", dest)
	}
	if key == dest {
		return p, fmt.Errorf("cannot %s %s below itself", op, key)
	}
	if err := relocateCycle(v, key, dest, op); err != nil {
		if _, merr := RelocateMode(inst, op); merr != nil {
			return p, fmt.Errorf("%w; %w", err, merr) // both: a writable primary below its own replica
		}
		return p, err
	}
	if inst.IsInMaintenance {
		return p, fmt.Errorf("%s is in maintenance by %s: %s", key, inst.MaintenanceOwner, inst.MaintenanceReason)
	}
	mode, err := RelocateMode(inst, op)
	if err != nil {
		return p, err
	}
	if !d.LogBinEnabled {
		return p, fmt.Errorf("destination %s does not write binary logs: %s cannot replicate from it", dest, key)
	}
	if d.IsReplica() && !d.LogReplicationUpdatesEnabled {
		return p, fmt.Errorf("destination %s is a replica without log_slave_updates: %s would miss its source's transactions", dest, key)
	}
	if inst.Version != "" && d.Version != "" && smallerMajorVersion(inst.Version, d.Version) { // CanReplicateFrom's comparison
		return p, fmt.Errorf("destination %s runs %s, newer than %s's %s: a replica cannot replicate from a newer major version", dest, d.Version, key, inst.Version)
	}
	p.FromMaster, p.Mode, p.DestIsReplica, p.DestHasBinlogs = inst.MasterKey, mode, d.IsReplica(), d.LogBinEnabled
	from := "replicating from nothing"
	if !inst.MasterKey.IsZero() {
		from = "now below " + inst.MasterKey.String()
	}
	p.Summary = fmt.Sprintf("%s (%s) will replicate from %s with GTID (%s)", key, from, dest, mode)
	if inst.MasterKey == dest {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s already replicates from %s: the relocate re-points it to the same source", key, dest))
	}
	if d.ClusterName != inst.ClusterName {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s is in cluster %s, %s in %s: the move changes clusters", dest, d.ClusterName, key, inst.ClusterName))
	}
	if d.IsReplica() && !d.ReplicaRunning() {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s is not replicating: %s will fall behind its cluster", dest, key))
	}
	return p, nil
}

// relocateCycle refuses dest when it replicates, directly or not, from key.
func relocateCycle(v *View, key, dest events.InstanceKey, op string) error {
	for k, hops := dest, 0; !k.IsZero() && hops < 64; hops++ {
		if k == key {
			return fmt.Errorf("cannot %s %s below %s: %s replicates from %s", op, key, dest, dest, key)
		}
		di, ok := v.Instance(k)
		if !ok {
			break
		}
		k = di.MasterKey
	}
	return nil
}

// RelocateMode is how inst continues from a new source under operation op:
// a GTID replica as it replicates (MariaDB slave_pos, MySQL
// auto-position); a read-only server that replicates from nothing — an old
// primary fenced by a forced takeover — from what it executed itself
// (MariaDB current_pos, as the graceful takeover re-attaches a demoted
// primary; MySQL auto-position from gtid_executed, "slave_pos"). A writable
// server that replicates from nothing is a primary: relocating it would
// leave a second writable host below the destination, so it is refused
// (set-read-only first).
func RelocateMode(inst *Instance, op string) (string, error) {
	key := inst.Key
	switch {
	case inst.UsingMariaDBGTID || inst.UsingOracleGTID:
		return "slave_pos", nil
	case !inst.MasterKey.IsZero():
		return "", fmt.Errorf("%s does not replicate with GTID: %s supports GTID topologies only", key, op)
	case !inst.ReadOnly:
		return "", fmt.Errorf("%s is writable and replicates from nothing (a primary): set-read-only first, then %s", key, op)
	case inst.IsMariaDB():
		return "current_pos", nil
	case inst.SupportsOracleGTID && strings.EqualFold(inst.GTIDMode, "ON"):
		return "slave_pos", nil
	}
	return "", fmt.Errorf("%s has no GTID to continue from: %s supports GTID topologies only", key, op)
}
