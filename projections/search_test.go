package projections

import (
	"slices"
	"testing"
)

// TestSearchFields: which fields Search matches (orchestrator's
// SearchInstances) and its order.
func TestSearchFields(t *testing.T) {
	s := DefaultSettings()
	s.ClusterNameToAlias = map[string]string{"db-a:3306": "billing"}
	sc := newScript(t, s)
	pa := mariaPrimary("db-a", 11)
	pa.VersionComment = "mariadb.org binary distribution"
	ra := mariaReplica("db-a-r1", 12, "db-a")
	rb := mariaReplica("other-r1", 13, "db-a")
	pz := mysqlPrimary("zeta", "3e11fa47-71ca-11e1-9e33-c80aa9429562", 3307)
	pz.Key.Port = 3307
	sc.at(0).observe(threeNodes, pa, ra, rb, pz)
	names := func(q string) []string {
		var out []string
		for _, i := range sc.view().Search(q) {
			out = append(out, i.Key.String())
		}
		return out
	}
	for _, c := range []struct {
		q, why string
		want   []string
	}{
		{"other", "hostname substring", []string{"other-r1:3306"}},
		{"r1:33", "host:port substring", []string{"db-a-r1:3306", "other-r1:3306"}},
		// other-r1's hostname lacks "db-a:"; its cluster name has it.
		{"db-a:", "cluster name substring", []string{"db-a:3306", "db-a-r1:3306", "other-r1:3306"}},
		{"bill", "suggested cluster alias substring", []string{"db-a:3306", "db-a-r1:3306", "other-r1:3306"}},
		{"5.7.2", "version substring", []string{"zeta:3307"}},
		{"binary distri", "version comment substring", []string{"db-a:3306"}},
		{"12", "server id, exact", []string{"db-a-r1:3306"}},
		{"2", "server id 12 is exact, not a substring (zeta: its version)", []string{"zeta:3307"}},
		{"3307", "port (and server id), exact", []string{"zeta:3307"}},
		{" 13 ", "trimmed", []string{"other-r1:3306"}},
		{"   ", "blank", nil},
		{"nomatch", "nothing", nil},
		// Depth first, then the most replicas, then cluster name and host.
		{"3", "ordering", []string{"db-a:3306", "zeta:3307", "db-a-r1:3306", "other-r1:3306"}},
	} {
		if got := names(c.q); !slices.Equal(got, c.want) {
			t.Errorf("Search(%q) (%s): %v, want %v", c.q, c.why, got, c.want)
		}
	}
}
