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
// dest (GTID topologies, as the relocate operation): both known, dest not
// key nor below key, key not in maintenance, key replicating with GTID or a
// read-only server with GTID and no source, dest writing binary logs (and
// logging its replicated updates when it is a replica itself), dest's
// version not newer than key's. The error names the offending instance.
// The operation checks again when it runs.
func CheckRelocate(v *View, key, dest events.InstanceKey) (RelocatePlan, error) {
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
		return p, fmt.Errorf("cannot relocate %s below itself", key)
	}
	for k, hops := dest, 0; !k.IsZero() && hops < 64; hops++ {
		if k == key {
			return p, fmt.Errorf("cannot relocate %s below %s: %s replicates from %s", key, dest, dest, key)
		}
		di, ok := v.Instance(k)
		if !ok {
			break
		}
		k = di.MasterKey
	}
	if inst.IsInMaintenance {
		return p, fmt.Errorf("%s is in maintenance by %s: %s", key, inst.MaintenanceOwner, inst.MaintenanceReason)
	}
	mode, err := relocateMode(inst)
	if err != nil {
		return p, err
	}
	if !d.LogBinEnabled {
		return p, fmt.Errorf("destination %s does not write binary logs: %s cannot replicate from it", dest, key)
	}
	if d.IsReplica() && !d.LogReplicationUpdatesEnabled {
		return p, fmt.Errorf("destination %s is a replica without log_slave_updates: %s would miss its source's transactions", dest, key)
	}
	if newerMajor(d.Version, inst.Version) {
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

// relocateMode is how inst continues from a new source (the operation's
// rule): a GTID replica as it replicates; a read-only MariaDB server with
// no source from what it executed; MySQL with gtid_mode ON by
// auto-position.
func relocateMode(inst *Instance) (string, error) {
	key := inst.Key
	switch {
	case inst.UsingMariaDBGTID || inst.UsingOracleGTID:
		return "slave_pos", nil
	case !inst.MasterKey.IsZero():
		return "", fmt.Errorf("%s does not replicate with GTID: relocate supports GTID topologies only", key)
	case !inst.ReadOnly:
		return "", fmt.Errorf("%s is writable and replicates from nothing (a primary): set-read-only first, then relocate", key)
	case inst.IsMariaDB():
		return "current_pos", nil
	case inst.SupportsOracleGTID && strings.EqualFold(inst.GTIDMode, "ON"):
		return "slave_pos", nil
	}
	return "", fmt.Errorf("%s has no GTID to continue from: relocate supports GTID topologies only", key)
}

// newerMajor reports whether version a's major.minor is above b's (both
// as "10.11.6-MariaDB-log"); unparsable versions compare equal.
func newerMajor(a, b string) bool {
	am, an, aok := majorMinor(a)
	bm, bn, bok := majorMinor(b)
	if !aok || !bok {
		return false
	}
	return am > bm || am == bm && an > bn
}

func majorMinor(v string) (int, int, bool) {
	var major, minor int
	if _, err := fmt.Sscanf(v, "%d.%d", &major, &minor); err != nil {
		return 0, 0, false
	}
	return major, minor, true
}
