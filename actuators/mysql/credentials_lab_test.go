package mysql_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/actuators/mysql"
	"github.com/regent-ha/regent/mysqlconn"
	"github.com/regent-ha/regent/test/lab"
)

// TestLabReplicationCredentialsQuery runs ReplicationCredentialsQuery as
// the topology user on real MariaDB: the first row's first two columns are
// the user and password (further columns ignored, NULL is empty); no row,
// fewer than two columns, or a query the user may not run are errors that
// name the key.
func TestLabReplicationCredentialsQuery(t *testing.T) {
	l := lab.Up(t, lab.Options{Hosts: 1})
	l.MustSQL(1, "CREATE DATABASE IF NOT EXISTS regent_meta")
	l.MustSQL(1, "CREATE TABLE regent_meta.repl (u VARCHAR(64), p VARCHAR(64) NULL, ca VARCHAR(64) NULL)")
	l.MustSQL(1, "INSERT INTO regent_meta.repl VALUES ('repl_from_meta', 's3cret', '/etc/ca.pem'), ('second', 'x', NULL), ('nopass', NULL, NULL)")
	l.MustSQL(1, "CREATE TABLE regent_meta.hidden (u VARCHAR(64), p VARCHAR(64))")
	l.MustSQL(1, "GRANT SELECT ON regent_meta.repl TO 'regent'@'%'")
	db := newDB(t, mysql.Options{Conn: mysqlconn.Options{User: "regent", Password: "regent"}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	k := key(l, 1)
	got, err := db.ReplicationCredentials(ctx, k, "SELECT u, p, ca FROM regent_meta.repl ORDER BY u DESC")
	if err != nil || got != (actuators.Credentials{User: "second", Password: "x"}) {
		t.Errorf("first row: %+v, %v", got, err)
	}
	got, err = db.ReplicationCredentials(ctx, k, "SELECT u, p, ca FROM regent_meta.repl WHERE u = 'repl_from_meta'")
	if err != nil || got != (actuators.Credentials{User: "repl_from_meta", Password: "s3cret"}) {
		t.Errorf("three columns: %+v, %v", got, err)
	}
	got, err = db.ReplicationCredentials(ctx, k, "SELECT u, p FROM regent_meta.repl WHERE u = 'nopass'")
	if err != nil || got != (actuators.Credentials{User: "nopass"}) {
		t.Errorf("NULL password: %+v, %v", got, err)
	}
	for name, q := range map[string]string{
		"no row":      "SELECT u, p FROM regent_meta.repl WHERE 1 = 0",
		"one column":  "SELECT u FROM regent_meta.repl",
		"not granted": "SELECT u, p FROM regent_meta.hidden",
	} {
		_, err := db.ReplicationCredentials(ctx, k, q)
		if err == nil || !containsAll(err.Error(), "ReplicationCredentialsQuery", k.String()) {
			t.Errorf("%s: %v, want an error naming ReplicationCredentialsQuery and %s", name, err, k)
		}
		if name != "not granted" && actuators.KindOf(err) != actuators.Precondition {
			t.Errorf("%s: kind %v, want Precondition", name, actuators.KindOf(err))
		}
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
