package analysis

import (
	"fmt"
	"strings"

	"github.com/regent-ha/regent/projections"
)

// CanReplicateFrom says why r cannot replicate from src (nil: it can), by
// orchestrator's CanReplicateFrom rules: src is another server that logs
// its binary log (and, being a replica itself, what it replicates), r's
// major version is not older than src's, r does not log in a smaller
// binlog format than src's, the two have distinct server ids and UUIDs,
// and src is not delayed more than r beyond lagLimit
// (ReasonableMaintenanceReplicationLagSeconds).
func CanReplicateFrom(r, src *projections.Instance, lagLimit int64) error {
	switch {
	case r.Key == src.Key:
		return fmt.Errorf("instance cannot replicate from itself: %s", r.Key)
	case !src.LogBinEnabled:
		return fmt.Errorf("instance does not have binary logs enabled: %s", src.Key)
	case !src.MasterKey.IsZero() && !src.LogSlaveUpdatesEnabled:
		return fmt.Errorf("instance does not have log_slave_updates enabled: %s", src.Key)
	}
	if rv, sv := majorVersion(r.Version), majorVersion(src.Version); rv != "" && sv != "" && compareVersions(rv, sv) < 0 {
		return fmt.Errorf("instance %s has version %s, which is lower than %s on %s", r.Key, r.Version, src.Version, src.Key)
	}
	if r.LogBinEnabled && r.LogSlaveUpdatesEnabled && formatRank(r.BinlogFormat) < formatRank(src.BinlogFormat) && formatRank(src.BinlogFormat) < 3 {
		return fmt.Errorf("cannot replicate from %s binlog format on %s to %s on %s",
			strings.ToUpper(src.BinlogFormat), src.Key, strings.ToUpper(r.BinlogFormat), r.Key)
	}
	if r.ServerID == src.ServerID && r.ServerID != 0 {
		return fmt.Errorf("identical server id: %s, %s both have %d", src.Key, r.Key, r.ServerID)
	}
	if r.ServerUUID != "" && r.ServerUUID == src.ServerUUID {
		return fmt.Errorf("identical server UUID: %s, %s both have %s", src.Key, r.Key, r.ServerUUID)
	}
	if r.SQLDelay < src.SQLDelay && int64(src.SQLDelay) > lagLimit {
		return fmt.Errorf("%s has higher SQL_Delay (%d seconds) than %s does (%d seconds)", src.Key, src.SQLDelay, r.Key, r.SQLDelay)
	}
	return nil
}

// CanReplicateFromGTID is CanReplicateFrom for a move by GTID: r must
// replicate with GTID and src have the same flavor's GTID.
func CanReplicateFromGTID(r, src *projections.Instance, lagLimit int64) error {
	if err := CanReplicateFrom(r, src, lagLimit); err != nil {
		return err
	}
	switch {
	case !r.UsingGTID():
		return fmt.Errorf("%s does not replicate with GTID", r.Key)
	case r.IsMariaDB() != src.IsMariaDB():
		return fmt.Errorf("%s and %s are not of the same flavor: no GTID move between them", r.Key, src.Key)
	case !src.IsMariaDB() && !strings.EqualFold(src.GTIDMode, "ON"):
		return fmt.Errorf("%s has gtid_mode %s: not a GTID source", src.Key, src.GTIDMode)
	}
	return nil
}
