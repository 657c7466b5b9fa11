package projections

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestInstanceJSONAsOrchestratorOnMariaDB: the instance fields whose values
// orchestrator (sqlite backend, MariaDB 10.11 lab, scripts/orch-compare)
// printed differently from Regent, each as orchestrator printed it:
// MasterUUID "No" on a MariaDB replica (SHOW SLAVE STATUS has no
// Master_UUID column; orchestrator's default), BinlogRowImage empty on
// MariaDB (orchestrator reads it on MySQL and Percona only), and
// RelaylogCoordinates of Type 1 on a primary too. MySQL keeps its source
// UUID and binlog_row_image.
func TestInstanceJSONAsOrchestratorOnMariaDB(t *testing.T) {
	sc := flat(t, DefaultSettings())
	want := map[string][]string{
		h1: {`"BinlogRowImage":""`, `"MasterUUID":""`, `"RelaylogCoordinates":{"LogFile":"","LogPos":0,"Type":1}`},
		h2: {`"BinlogRowImage":""`, `"MasterUUID":"No"`, `"RelaylogCoordinates":{"LogFile":"relay-bin.000003","LogPos":700,"Type":1}`},
	}
	for host, fields := range want {
		b, err := json.Marshal(sc.instance(host))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fields {
			if !strings.Contains(string(b), f) {
				t.Errorf("%s: JSON lacks %s", host, f)
			}
		}
	}

	const uA, uB = "3e11fa47-71ca-11e1-9e33-c80aa9429562", "4e11fa47-71ca-11e1-9e33-c80aa9429562"
	my := newScript(t, DefaultSettings())
	p, r := mysqlPrimary("198.18.0.51", uA, 51), mysqlReplica("198.18.0.52", uB, 52, "198.18.0.51", uA)
	p.BinlogRowImage, r.BinlogRowImage = "FULL", "MINIMAL"
	my.observe([]string{"n1"}, p, r)
	if i := my.instance("198.18.0.52"); i.MasterUUID != uA || i.BinlogRowImage != "MINIMAL" {
		t.Errorf("MySQL replica: MasterUUID %q BinlogRowImage %q, want %s and MINIMAL", i.MasterUUID, i.BinlogRowImage, uA)
	}
	if i := my.instance("198.18.0.51"); i.MasterUUID != "" || i.BinlogRowImage != "FULL" || i.RelaylogCoordinates.Type != RelayLog {
		t.Errorf("MySQL primary: MasterUUID %q BinlogRowImage %q relay type %d", i.MasterUUID, i.BinlogRowImage, i.RelaylogCoordinates.Type)
	}
}
