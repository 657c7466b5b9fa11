package projections

import (
	"errors"
	"strings"
	"testing"

	"github.com/regent-ha/regent/events"
)

// TestFoldIgnoresRecordsNamingInvalidKeys: a record naming an invalid
// instance key (a 4,100-byte host, a bidi character, port 0 or 70000), or
// an observation naming an invalid source or replica, is refused with
// events.ErrInvalidName and stores nothing, sequence included; the fold
// goes on with the next record. A detached source ("//host") stays valid.
func TestFoldIgnoresRecordsNamingInvalidKeys(t *testing.T) {
	bad := []events.InstanceKey{
		{Hostname: strings.Repeat("a", 4100), Port: 3306},
		{Hostname: "db\u202e1", Port: 3306},
		{Hostname: "db 1", Port: 3306},
		{Hostname: "db1", Port: 0},
		{Hostname: "db1", Port: 70000},
	}
	type record struct {
		kind events.Kind
		p    any
	}
	var records []record
	for _, k := range bad {
		obs := mariaPrimary("x", 1)
		obs.Key = k
		records = append(records,
			record{events.KindInstanceDiscovered, events.InstanceDiscovered{Key: k, Via: "api"}},
			record{events.KindInstanceObserved, obs},
			record{events.KindInstanceProgress, events.InstanceProgress{Key: k, Digest: "d"}},
			record{events.KindInstanceUnreachable, events.InstanceUnreachable{Key: k, Error: "refused"}},
			record{events.KindDowntimeBegun, events.DowntimeBegun{Key: k, Owner: "o", Reason: "r", Until: t0.Add(3600e9)}},
			record{events.KindCandidateRegistered, events.CandidateRegistered{Key: k, PromotionRule: "prefer", Until: t0.Add(3600e9)}},
		)
		withSource := mariaReplica("db2", 2, "db1")
		withSource.Replication.SourceKey = k
		withReplica := mariaPrimary("db3", 3)
		withReplica.Replicas = []events.InstanceKey{key("db4"), k}
		records = append(records, record{events.KindInstanceObserved, withSource}, record{events.KindInstanceObserved, withReplica})
	}
	topo := newTopo(t)
	for i, r := range records {
		env, err := events.New(r.kind, t0, "n1", r.p)
		if err != nil {
			t.Fatal(err)
		}
		err = topo.Apply(uint64(i+1), env)
		if !errors.Is(err, events.ErrInvalidName) {
			t.Errorf("record %d (%s): Apply = %v, want ErrInvalidName", i, r.kind, err)
		}
	}
	v := topo.View(t0)
	if n := len(v.Instances()); n != 0 || topo.Len() != 0 {
		t.Fatalf("the fold stored %d instances (%d known) from invalid records: %v", n, topo.Len(), v.Instances())
	}
	if o, e := topo.LastSeq(); o != 0 || e != 0 {
		t.Errorf("refused records consumed sequences: observations %d, events %d", o, e)
	}
	// The fold goes on: valid records after them are applied, a detached
	// source included.
	detached := mariaReplica("db2", 2, "db1")
	detached.Replication.SourceKey.Hostname = "//db1"
	for i, p := range []*events.InstanceObserved{mariaPrimary("db1", 1), detached} {
		env, err := events.New(events.KindInstanceObserved, t0, "n1", p)
		if err != nil {
			t.Fatal(err)
		}
		if err := topo.Apply(uint64(len(records)+i+1), env); err != nil {
			t.Fatalf("valid observation %s: %v", p.Key, err)
		}
	}
	if n := len(topo.View(t0).Instances()); n != 2 {
		t.Errorf("%d instances after two valid observations, want 2", n)
	}
}

// TestParseInstanceKeyValidates: DiscoverySeeds and cluster hints are
// parsed with the same rule as every other name.
func TestParseInstanceKeyValidates(t *testing.T) {
	for _, s := range []string{"db\u202e1:3306", "db 1", strings.Repeat("a", 254) + ":3306", "db1:0", "db/1:3306"} {
		if k, err := ParseInstanceKey(s, 3306); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("ParseInstanceKey(%s) = %v, %v; want ErrInvalidKey", events.Quote(s), k, err)
		}
	}
	if k, err := ParseInstanceKey(" db-1.example:3307 ", 3306); err != nil || k != (events.InstanceKey{Hostname: "db-1.example", Port: 3307}) {
		t.Errorf("valid key: %v %v", k, err)
	}
}
