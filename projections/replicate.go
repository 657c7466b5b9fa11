package projections

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/gtid"
)

// ReplicateRules are the settings orchestrator's CanReplicateFrom reads.
type ReplicateRules struct {
	// ReasonableMaintenanceLag (ReasonableMaintenanceReplicationLagSeconds):
	// a source with more SQL_Delay than the replica, and more than this,
	// is refused.
	ReasonableMaintenanceLag int64
	// VerifyReplicationFilters refuses a source with replication filters
	// for a replica without any.
	VerifyReplicationFilters bool
}

// CanReplicateFrom says why inst cannot replicate from src (nil: it can),
// by orchestrator's rules and in its words: distinct instances, src logs
// what it applies, inst's major version is not older, inst's binlog
// format is not smaller when inst logs its updates, distinct server ids
// and UUIDs, and no larger SQL_Delay upstream.
func CanReplicateFrom(inst, src *Instance, r ReplicateRules) error {
	switch {
	case inst.Key == src.Key:
		return fmt.Errorf("instance cannot replicate from itself: %s", inst.Key)
	case !src.LogBinEnabled:
		return fmt.Errorf("instance does not have binary logs enabled: %s", src.Key)
	case src.IsReplica() && !src.LogReplicationUpdatesEnabled:
		return fmt.Errorf("instance does not have log_slave_updates enabled: %s", src.Key)
	case smallerMajorVersion(inst.Version, src.Version):
		return fmt.Errorf("instance %s has version %s, which is lower than %s on %s ", inst.Key, inst.Version, src.Version, src.Key)
	case inst.LogBinEnabled && inst.LogReplicationUpdatesEnabled && smallerBinlogFormat(inst.BinlogFormat, src.BinlogFormat):
		return fmt.Errorf("Cannot replicate from %s binlog format on %s to %s on %s", src.BinlogFormat, src.Key, inst.BinlogFormat, inst.Key)
	case r.VerifyReplicationFilters && src.HasReplicationFilters && !inst.HasReplicationFilters:
		return fmt.Errorf("%s has replication filters", src.Key)
	case inst.ServerID == src.ServerID:
		return fmt.Errorf("Identical server id: %s, %s both have %d", src.Key, inst.Key, inst.ServerID)
	case inst.ServerUUID != "" && inst.ServerUUID == src.ServerUUID:
		return fmt.Errorf("Identical server UUID: %s, %s both have %s", src.Key, inst.Key, inst.ServerUUID)
	case inst.SQLDelay < src.SQLDelay && int64(src.SQLDelay) > r.ReasonableMaintenanceLag:
		return fmt.Errorf("%s has higher SQL_Delay (%d seconds) than %s does (%d seconds)", src.Key, src.SQLDelay, inst.Key, inst.SQLDelay)
	}
	return nil
}

// CheckMoveViaGTID says why inst cannot move below src by GTID (nil: it
// can): both must use a compatible GTID (inst's Oracle GTID and src
// supporting it, or inst's MariaDB GTID and src a MariaDB server), and with
// Oracle GTID src must not have purged what inst has not executed.
func CheckMoveViaGTID(inst, src *Instance) error {
	oracle := inst.UsingOracleGTID && src.SupportsOracleGTID
	maria := inst.UsingMariaDBGTID && src.IsMariaDB()
	if !oracle && !maria {
		return fmt.Errorf("Instances %s, %s not GTID compatible or not using GTID", inst.Key, src.Key)
	}
	if !oracle {
		return nil
	}
	purged, err := gtid.ParseSet(src.GtidPurged)
	if err != nil {
		return fmt.Errorf("read gtid_purged of %s: %w", src.Key, err)
	}
	executed, err := gtid.ParseSet(inst.ExecutedGtidSet)
	if err != nil {
		return fmt.Errorf("read gtid_executed of %s: %w", inst.Key, err)
	}
	if !executed.Contains(purged) {
		return fmt.Errorf("Instance %s has purged GTID entries not found on %s", src.Key, inst.Key)
	}
	return nil
}

// smallerMajorVersion compares the first two numbers of the versions, as
// orchestrator's IsSmallerMajorVersion ("10.5.x" < "10.11.y").
func smallerMajorVersion(v, other string) bool {
	a, b := majorOf(v), majorOf(other)
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

func majorOf(v string) [2]int {
	t := strings.Split(v, ".")
	if len(t) < 2 {
		return [2]int{}
	}
	return [2]int{leadingInt(t[0]), leadingInt(t[1])}
}

// leadingInt is the number s begins with ("11-MariaDB-log": 11; none: 0).
func leadingInt(s string) int {
	end := 0
	for end < len(s) && end < 9 && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.Atoi(s[:end])
	return n
}

// smallerBinlogFormat: STATEMENT < MIXED < ROW; a replica cannot log in a
// smaller format than its source.
func smallerBinlogFormat(f, other string) bool {
	switch f {
	case "STATEMENT":
		return other == "ROW" || other == "MIXED"
	case "MIXED":
		return other == "ROW"
	}
	return false
}

// HostnameFilters are orchestrator's hostname filters (OSCIgnoreHostnameFilters
// and the like): an IP address matches only itself, anything else is a
// regular expression on the hostname.
type HostnameFilters struct {
	ips []string
	res []*regexp.Regexp
}

// CompileHostnameFilters compiles filters; a bad expression is an error
// naming it.
func CompileHostnameFilters(filters []string) (HostnameFilters, error) {
	var f HostnameFilters
	for _, s := range filters {
		if events.IsIPAddress(s) {
			f.ips = append(f.ips, s)
			continue
		}
		re, err := regexp.Compile(s)
		if err != nil {
			return HostnameFilters{}, fmt.Errorf("compile hostname filter %q: %w", s, err)
		}
		f.res = append(f.res, re)
	}
	return f, nil
}

// Match reports whether host matches one of the filters.
func (f HostnameFilters) Match(host string) bool {
	if slices.Contains(f.ips, host) {
		return true
	}
	for _, re := range f.res {
		if re.MatchString(host) {
			return true
		}
	}
	return false
}

// OSCReplicas is orchestrator's heuristic list of replicas fit to control
// an online schema change (cluster-osc-replicas): up to two of the busiest
// first-level intermediate primaries, replicas of those (two of the only
// one, else one of each), up to two third-level replicas and up to two
// first-level leaves. Instances matching ignore and ones whose last check
// failed are left out. Ties keep hostname, port order.
func (v *View) OSCReplicas(cluster string, ignore HostnameFilters) []*Instance {
	members := v.ClusterInstances(cluster)
	pick := func(list []*Instance, n int) []*Instance {
		list = slices.Clone(list)
		slices.SortStableFunc(list, func(a, b *Instance) int { return cmp.Compare(len(v.Replicas(b.Key)), len(v.Replicas(a.Key))) })
		var out []*Instance
		for _, i := range list {
			if len(out) < n && i.IsLastCheckValid && !ignore.Match(i.Key.Hostname) {
				out = append(out, i)
			}
		}
		return out
	}
	where := func(keep func(*Instance) bool) []*Instance {
		var out []*Instance
		for _, i := range members {
			if keep(i) {
				out = append(out, i)
			}
		}
		return out
	}
	ims := pick(where(func(i *Instance) bool { return i.ReplicationDepth == 1 && len(v.Replicas(i.Key)) > 0 }), 2)
	result := slices.Clone(ims)
	switch len(ims) {
	case 1:
		result = append(result, pick(v.Replicas(ims[0].Key), 2)...)
	case 2:
		for _, im := range ims {
			result = append(result, pick(v.Replicas(im.Key), 1)...)
		}
	}
	result = append(result, pick(where(func(i *Instance) bool { return i.ReplicationDepth == 3 }), 2)...)
	return append(result, pick(where(func(i *Instance) bool { return i.ReplicationDepth == 1 && len(v.Replicas(i.Key)) == 0 }), 2)...)
}

// Downtimed lists the downtimed instances of cluster ("" for all), by
// cluster name then replication depth (orchestrator's order), then key.
func (v *View) Downtimed(cluster string) []*Instance {
	out := []*Instance{}
	for _, i := range v.instances {
		if i.IsDowntimed && (cluster == "" || i.ClusterName == cluster) {
			out = append(out, i)
		}
	}
	slices.SortStableFunc(out, func(a, b *Instance) int {
		return cmp.Or(cmp.Compare(a.ClusterName, b.ClusterName), cmp.Compare(a.ReplicationDepth, b.ReplicationDepth))
	})
	return out
}
