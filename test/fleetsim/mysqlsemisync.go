package fleetsim

import "strings"

// Semi-synchronous replication (Options.SemiSync): the plugins a server of
// the version loads by default, so only their variable names exist. MySQL
// before 8.0.26 has semisync_master/semisync_slave (rpl_semi_sync_master_*,
// rpl_semi_sync_slave_*); 8.0.26 adds semisync_source/semisync_replica
// (rpl_semi_sync_source_*, rpl_semi_sync_replica_*), which the simulator
// loads from then on; 8.4 has only those. A server loads one plugin of each
// side, never both names. The switches are state only: no transaction
// waits for an acknowledgement.

// semiSyncNames are the semi-sync variables SHOW VARIABLES may list.
var semiSyncNames = []string{
	"rpl_semi_sync_master_enabled", "rpl_semi_sync_master_timeout", "rpl_semi_sync_master_wait_for_slave_count", "rpl_semi_sync_slave_enabled",
	"rpl_semi_sync_replica_enabled", "rpl_semi_sync_source_enabled", "rpl_semi_sync_source_timeout", "rpl_semi_sync_source_wait_for_replica_count",
}

// semiSyncVar reads a semi-sync variable of in (ok false: not loaded on
// this version, or no plugin at all).
func (f *Fleet) semiSyncVar(in *instance, name string) (any, bool) {
	if !f.opts.SemiSync || !strings.HasPrefix(name, "rpl_semi_sync_") {
		return nil, false
	}
	newNames := f.my.replicaVars()
	switch name {
	case "rpl_semi_sync_master_enabled", "rpl_semi_sync_source_enabled":
		return onOff(in.my.semiSource), newNames == (name == "rpl_semi_sync_source_enabled")
	case "rpl_semi_sync_slave_enabled", "rpl_semi_sync_replica_enabled":
		return onOff(in.my.semiReplica), newNames == (name == "rpl_semi_sync_replica_enabled")
	case "rpl_semi_sync_master_timeout", "rpl_semi_sync_source_timeout":
		return int64(10000), newNames == (name == "rpl_semi_sync_source_timeout")
	case "rpl_semi_sync_master_wait_for_slave_count", "rpl_semi_sync_source_wait_for_replica_count":
		return int64(1), newNames == (name == "rpl_semi_sync_source_wait_for_replica_count")
	}
	return nil, false
}

// setSemiSync sets a semi-sync switch (handled false: name is no switch).
func (f *Fleet) setSemiSync(in *instance, name, value string, global bool) (bool, *sqlError) {
	source := name == "rpl_semi_sync_master_enabled" || name == "rpl_semi_sync_source_enabled"
	if !source && name != "rpl_semi_sync_slave_enabled" && name != "rpl_semi_sync_replica_enabled" {
		return false, nil
	}
	if _, ok := f.semiSyncVar(in, name); !ok {
		return true, unknownVar(name)
	}
	if !global {
		return true, globalOnly(name)
	}
	b, err := boolValue(name, value)
	if err != nil {
		return true, err
	}
	if source {
		in.my.semiSource = b
	} else {
		in.my.semiReplica = b
	}
	return true, nil
}
