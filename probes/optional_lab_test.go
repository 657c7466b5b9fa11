package probes

import (
	"testing"

	"github.com/regent-ha/regent/test/lab"
)

// TestLabOptionalQueries runs ReplicationLagQuery and every Detect*Query
// against the lab's MariaDB: each answer fills its field; a failing query
// leaves its field empty (the lag unknown) and the probe succeeds.
func TestLabOptionalQueries(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 3})
	o := labOptions()
	o.ReplicationLagQuery = "SELECT 41.6"
	o.DetectDataCenterQuery = "SELECT 'dc-east'"
	o.DetectRegionQuery = "SELECT '  us-east-1  '"
	o.DetectPhysicalEnvironmentQuery = "SELECT 'prod'"
	o.DetectPromotionRuleQuery = "SELECT 'prefer'"
	o.DetectClusterAliasQuery = "SELECT 'orders'"
	o.DetectClusterDomainQuery = "SELECT 'db.example'"
	o.DetectInstanceAliasQuery = "SELECT CONCAT('alias-', @@server_id)"
	o.DetectSemiSyncEnforcedQuery = "SELECT 1"
	p := newLabProber(t, o)
	for i, id := range map[int]string{1: "1", 2: "2"} {
		obs := mustProbe(t, p, labKey(l, i))
		if obs.LagSeconds == nil || *obs.LagSeconds != 42 {
			t.Errorf("host %d: lag %v, want 42 (ReplicationLagQuery rounded, replacing the replica status)", i, obs.LagSeconds)
		}
		if obs.DataCenter != "dc-east" || obs.Region != "us-east-1" || obs.PhysicalEnvironment != "prod" ||
			obs.PromotionRule != "prefer" || obs.ClusterAlias != "orders" || obs.ClusterDomain != "db.example" ||
			obs.InstanceAlias != "alias-"+id || !obs.SemiSync.Enforced {
			t.Errorf("host %d: dc %q region %q env %q rule %q alias %q domain %q instance alias %q semi-sync enforced %v", i,
				obs.DataCenter, obs.Region, obs.PhysicalEnvironment, obs.PromotionRule, obs.ClusterAlias, obs.ClusterDomain,
				obs.InstanceAlias, obs.SemiSync.Enforced)
		}
	}

	bad := labOptions()
	bad.ReplicationLagQuery = "SELECT lag FROM regent_no_such_db.t"
	bad.DetectDataCenterQuery = "SELECT dc FROM regent_no_such_db.t"
	bad.DetectRegionQuery = "SELECT NULL"
	bad.DetectPromotionRuleQuery = "SELECT 'sometimes'" // not a promotion rule
	bad.DetectClusterAliasQuery = "SELECT 1 FROM DUAL WHERE 1 = 0"
	bad.DetectSemiSyncEnforcedQuery = "SELECT 0"
	pb := newLabProber(t, bad)
	obs := mustProbe(t, pb, labKey(l, 2))
	if obs.LagSeconds != nil {
		t.Errorf("failing ReplicationLagQuery: lag %d, want unknown (nil)", *obs.LagSeconds)
	}
	if obs.Replication == nil || obs.Replication.SecondsBehind == nil {
		t.Errorf("failing ReplicationLagQuery changed the replica status: %+v", obs.Replication)
	}
	if obs.DataCenter != "" || obs.Region != "" || obs.PromotionRule != "" || obs.ClusterAlias != "" || obs.SemiSync.Enforced {
		t.Errorf("failing or empty Detect* answers: dc %q region %q rule %q alias %q enforced %v",
			obs.DataCenter, obs.Region, obs.PromotionRule, obs.ClusterAlias, obs.SemiSync.Enforced)
	}

	null := labOptions()
	null.ReplicationLagQuery = "SELECT NULL"
	if obs := mustProbe(t, newLabProber(t, null), labKey(l, 2)); obs.LagSeconds != nil {
		t.Errorf("NULL ReplicationLagQuery: lag %d, want unknown", *obs.LagSeconds)
	}
}
