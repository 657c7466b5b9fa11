package fleetsim

import (
	"database/sql"
	"slices"
	"testing"

	"github.com/rs/zerolog"
)

// TestMySQLSemiSyncNames: with the semi-sync plugins loaded, each version
// has exactly its own variable names (5.7: master/slave; 8.0.26 and 8.4:
// source/replica), sets them, and refuses the other names as unknown
// variables (recorded Invalid); without the plugins there are none.
func TestMySQLSemiSyncNames(t *testing.T) {
	names := map[string][]string{
		"5.7.28-log": {"rpl_semi_sync_master_enabled", "rpl_semi_sync_master_timeout", "rpl_semi_sync_master_wait_for_slave_count", "rpl_semi_sync_slave_enabled"},
		"8.0.36":     {"rpl_semi_sync_replica_enabled", "rpl_semi_sync_source_enabled", "rpl_semi_sync_source_timeout", "rpl_semi_sync_source_wait_for_replica_count"},
		"8.4.3":      {"rpl_semi_sync_replica_enabled", "rpl_semi_sync_source_enabled", "rpl_semi_sync_source_timeout", "rpl_semi_sync_source_wait_for_replica_count"},
	}
	for _, version := range simVersions {
		t.Run(version, func(t *testing.T) {
			f := Start(t, Options{Instances: 3, MySQL: version, WritesPerSecond: -1, SemiSync: true}, zerolog.New(zerolog.NewTestWriter(t)))
			k := f.Clusters()[0][0]
			c := openSim(t, k)
			var got []string
			for _, row := range queryRows(t, c, "SHOW GLOBAL VARIABLES WHERE Variable_name LIKE 'rpl_semi_sync%'") {
				got = append(got, row[0])
				if row[1] != "OFF" && row[1] != "10000" && row[1] != "1" {
					t.Errorf("%s = %q, want OFF (switches) or the defaults", row[0], row[1])
				}
			}
			if !slices.Equal(got, names[version]) {
				t.Fatalf("semi-sync variables %v, want %v", got, names[version])
			}
			source, replica := "rpl_semi_sync_master_enabled", "rpl_semi_sync_slave_enabled"
			oldSource, oldReplica := "rpl_semi_sync_source_enabled", "rpl_semi_sync_replica_enabled"
			if version != "5.7.28-log" {
				source, replica, oldSource, oldReplica = oldSource, oldReplica, source, replica
			}
			exec(t, c, "SET GLOBAL "+source+"=ON", "SET GLOBAL "+replica+"=1")
			st, err := f.MySQLState(k)
			if err != nil || !st.SemiSyncSource || !st.SemiSyncReplica {
				t.Fatalf("after setting %s and %s: %+v (%v)", source, replica, st, err)
			}
			for _, stmt := range []string{"SET GLOBAL " + oldSource + "=OFF", "SET GLOBAL " + oldReplica + "=OFF"} {
				if _, err := c.ExecContext(t.Context(), stmt); errCode(err) != erUnknownSystemVar {
					t.Errorf("%s: err %v, want unknown system variable (1193)", stmt, err)
				}
			}
			if _, err := c.ExecContext(t.Context(), "SET SESSION "+source+"=OFF"); err == nil {
				t.Errorf("SET SESSION %s accepted: a global variable", source)
			}
			if st, _ := f.MySQLState(k); !st.SemiSyncSource || !st.SemiSyncReplica {
				t.Errorf("refused statements changed the switches: %+v", st)
			}
			log, err := f.Statements()
			if err != nil {
				t.Fatal(err)
			}
			invalid := 0
			for _, s := range log {
				if s.Invalid {
					invalid++
				}
			}
			if invalid != 2 {
				t.Errorf("%d statements recorded invalid, want the 2 other names: %+v", invalid, log)
			}
			plain := Start(t, Options{Instances: 3, MySQL: version, WritesPerSecond: -1}, zerolog.Nop())
			if rows := queryRows(t, openSim(t, plain.Clusters()[0][0]), "SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync%'"); len(rows) != 0 {
				t.Errorf("no plugin loaded, yet semi-sync variables %v", rows)
			}
		})
	}
}

// queryRows runs q and returns its rows as strings.
func queryRows(t *testing.T, c *sql.Conn, q string) [][]string {
	t.Helper()
	rows, err := c.QueryContext(t.Context(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for rows.Next() {
		row := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		strs := make([]string, len(cols))
		for i, v := range row {
			strs[i] = v.String
		}
		out = append(out, strs)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
