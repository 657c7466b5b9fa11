package mysql

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/gtid"
	"github.com/regent-ha/regent/mysqlconn"
)

func dialectOf(version string) dialect { return dialectFor(mysqlconn.ParseServer(version, "")) }

// TestDialectStatementsValid: the variables query and every statement of
// each version's dialect are valid for that version (mysqlconn's validity
// table), and the variables query reads super_read_only only where it
// exists.
func TestDialectStatementsValid(t *testing.T) {
	for _, v := range []string{"5.7.28-log", "5.7.7", "8.0.22", "8.0.36", "8.4.3", "10.4.32-MariaDB", "10.11.19-MariaDB"} {
		dl := dialectOf(v)
		srv := mysqlconn.ParseServer(v, "")
		for _, stmt := range append(dl.All(), dl.varsQuery) {
			if err := mysqlconn.Check(srv, stmt); err != nil {
				t.Errorf("%s: %v", v, err)
			}
		}
		if strings.Contains(dl.varsQuery, "super_read_only") != (!dl.mariaDB && srv.Version.AtLeast(5, 7, 8)) {
			t.Errorf("%s: vars query %q", v, dl.varsQuery)
		}
	}
	if !strings.Contains(dialectOf("8.0.26").varsQuery, "@@log_replica_updates") || !strings.Contains(dialectOf("5.7.28").varsQuery, "@@log_slave_updates") {
		t.Error("log_replica_updates by version")
	}
}

// TestNextGTID: MySQL's skip-query commits the GTID after the source's
// last executed one empty, as orchestrator.
func TestNextGTID(t *testing.T) {
	const src = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	const other = "4e11fa47-71ca-11e1-9e33-c80aa9429562"
	for _, c := range []struct{ executed, uuid, want, err string }{
		{src + ":1-41", src, src + ":42", ""},
		{other + ":1-9," + src + ":1-5:7-41", strings.ToUpper(src), src + ":42", ""},
		{other + ":1-9", src, src + ":1", ""},
		{src + ":1-5", "", "", "no source UUID"},
		{"garbage", src, "", "parse gtid_executed"},
	} {
		got, err := nextGTID(c.executed, c.uuid)
		if got != c.want || (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("nextGTID(%q, %q) = %q, %v; want %q, %q", c.executed, c.uuid, got, err, c.want, c.err)
		}
	}
}

func TestReplicaFromRow(t *testing.T) {
	maria := dialectOf("10.11.19-MariaDB")
	r := replicaFromRow(maria, map[string]string{"Master_Host": "198.18.0.1", "Master_Port": "3306",
		"Master_User": "repl", "Slave_IO_Running": "Connecting", "Slave_SQL_Running": "Yes",
		"Using_Gtid": "Slave_Pos", "Gtid_IO_Pos": "0-1-5", "Relay_Log_Space": "1234"})
	if !r.present || r.port != 3306 || !r.ioStarted() || !r.sqlStarted() || !r.usingGTID || r.relaySpace != 1234 {
		t.Errorf("MariaDB row: %+v", r)
	}
	mysql8 := dialectOf("8.0.36")
	r = replicaFromRow(mysql8, map[string]string{"Source_Host": "h", "Source_Port": "3307",
		"Replica_IO_Running": "No", "Replica_SQL_Running": "No", "Auto_Position": "1", "Source_UUID": "u-1",
		"Retrieved_Gtid_Set": "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,\n4e11fa47-71ca-11e1-9e33-c80aa9429562:1"})
	if !r.present || r.port != 3307 || r.ioStarted() || r.sqlStarted() || !r.usingGTID || strings.Contains(r.retrieved, "\n") || r.sourceUUID != "u-1" {
		t.Errorf("MySQL row: %+v", r)
	}
	if r := replicaFromRow(maria, map[string]string{}); r.present || r.ioStarted() {
		t.Errorf("empty row: %+v", r)
	}
}

func TestGTIDList(t *testing.T) {
	have, err := gtid.ParseList("0-1-100, 1-2-7")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		want string
		ok   bool
	}{
		{"", true}, {"0-2-100", true}, {"0-1-101", false}, {"0-1-5,1-3-7", true}, {"2-1-1", false},
	}
	for _, tt := range tests {
		w, err := gtid.ParseList(tt.want)
		if err != nil {
			t.Fatal(err)
		}
		if got := have.AtLeast(w); got != tt.ok {
			t.Errorf("%v covers %q = %v, want %v", have, tt.want, got, tt.ok)
		}
	}
	for _, bad := range []string{"0-1", "x-1-2", "0-1-y", "0-z-1"} {
		if _, err := gtid.ParseList(bad); err == nil {
			t.Errorf("gtid.ParseList(%q) accepted", bad)
		}
	}
}

func TestWrapClassifies(t *testing.T) {
	key := events.InstanceKey{Hostname: "198.18.0.1", Port: 3306}
	noRO := &mysql.MySQLError{Number: 1227, Message: "Access denied; you need (at least one of) the READ_ONLY ADMIN privilege(s) for this operation"}
	tests := []struct {
		err  error
		kind actuators.ErrorKind
		text string
	}{
		{noRO, actuators.Permanent, "missing privilege READ_ONLY ADMIN: Error 1227"},
		{&mysql.MySQLError{Number: 1045, Message: "Access denied for user 'x'@'y'"}, actuators.Permanent, "Access denied for user"},
		{&mysql.MySQLError{Number: 1205, Message: "Lock wait timeout exceeded"}, actuators.Transient, "Lock wait"},
		{&mysql.MySQLError{Number: 1198, Message: "This operation cannot be performed as you have a running slave"}, actuators.Precondition, "running slave"},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), actuators.Transient, "refused"},
		{mysql.ErrInvalidConn, actuators.Transient, "invalid connection"},
		{io.EOF, actuators.Transient, "EOF"},
		{errors.New("something else"), actuators.Permanent, "something else"},
	}
	for _, tt := range tests {
		err := wrap("set read_only", key, tt.err)
		if actuators.KindOf(err) != tt.kind || !strings.Contains(err.Error(), tt.text) || !errors.Is(err, tt.err) {
			t.Errorf("wrap(%v) = %v (%v), want kind %v containing %q", tt.err, err, actuators.KindOf(err), tt.kind, tt.text)
		}
	}
	if got := wrap("x", key, noRO).Error(); !strings.HasPrefix(got, "x on 198.18.0.1:3306: ") {
		t.Errorf("error text %q lacks op and key", got)
	}
}

// TestReadOnlyChange: with UseSuperReadOnly off (orchestrator's default)
// a MySQL server gets read_only only; on, super_read_only too; MariaDB
// never has it; a server already as wanted gets nothing; clearing clears
// both where super_read_only exists.
func TestReadOnlyChange(t *testing.T) {
	my, maria := dialectOf("5.7.28-log").Statements, dialectOf("10.11.6-MariaDB").Statements
	for _, c := range []struct {
		name                    string
		st                      mysqlconn.Statements
		useSuper, want, ro, sro bool
		stmt                    string
	}{
		{"MySQL set, default", my, false, true, false, false, "SET GLOBAL read_only=1"},
		{"MySQL set, default, already read_only", my, false, true, true, false, ""},
		{"MySQL set, UseSuperReadOnly", my, true, true, false, false, "SET GLOBAL super_read_only=1"},
		{"MySQL set, UseSuperReadOnly, only read_only yet", my, true, true, true, false, "SET GLOBAL super_read_only=1"},
		{"MySQL set, UseSuperReadOnly, already", my, true, true, true, true, ""},
		{"MySQL clear from super_read_only", my, false, false, true, true, "SET GLOBAL super_read_only=0, read_only=0"},
		{"MySQL clear, already writable", my, true, false, false, false, ""},
		{"MariaDB set, UseSuperReadOnly", maria, true, true, false, false, "SET GLOBAL read_only=1"},
		{"MariaDB set, UseSuperReadOnly, already", maria, true, true, true, false, ""},
		{"MariaDB clear", maria, true, false, true, false, "SET GLOBAL read_only=0"},
	} {
		if got := readOnlyChange(c.st, c.useSuper, c.want, c.ro, c.sro); got != c.stmt {
			t.Errorf("%s: %q, want %q", c.name, got, c.stmt)
		}
	}
}
