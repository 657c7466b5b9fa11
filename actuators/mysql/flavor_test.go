package mysql

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/gtid"
)

func TestParseFlavor(t *testing.T) {
	tests := []struct {
		version, comment, name string
		major, minor, patch    int
	}{
		{"10.11.19-MariaDB-0+deb12u1-log", "Debian 12", FlavorMariaDB, 10, 11, 19},
		{"5.5.5-10.6.12-MariaDB", "MariaDB Server", FlavorMariaDB, 5, 5, 5},
		{"8.0.36", "MySQL Community Server - GPL", FlavorMySQL, 8, 0, 36},
		{"8.4.0-log", "MySQL Community Server - GPL", FlavorMySQL, 8, 4, 0},
		{"5.7.44-48-log", "Percona Server (GPL), Release 48", FlavorPercona, 5, 7, 44},
	}
	for _, tt := range tests {
		f := parseFlavor(tt.version, tt.comment)
		if f.name != tt.name || f.major != tt.major || f.minor != tt.minor || f.patch != tt.patch {
			t.Errorf("parseFlavor(%q, %q) = %+v, want %s %d.%d.%d", tt.version, tt.comment, f, tt.name, tt.major, tt.minor, tt.patch)
		}
	}
}

// TestDialect pins the statements each flavor/version gets.
func TestDialect(t *testing.T) {
	creds := &actuators.Credentials{User: "repl", Password: "pw"}
	tests := []struct {
		version, comment string
		mode             actuators.SourceMode
		creds            *actuators.Credentials
		show, stop, io   string
		start, reset     string
		change           string
		nargs            int
		sro              bool
	}{
		{"10.11.19-MariaDB", "", actuators.SlavePos, nil,
			"SHOW SLAVE STATUS", "STOP SLAVE", "STOP SLAVE IO_THREAD", "START SLAVE", "RESET SLAVE ALL",
			"CHANGE MASTER TO MASTER_HOST=?, MASTER_PORT=?, MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=0.500", 2, false},
		{"10.6.1-MariaDB", "", actuators.CurrentPos, creds,
			"SHOW SLAVE STATUS", "STOP SLAVE", "STOP SLAVE IO_THREAD", "START SLAVE", "RESET SLAVE ALL",
			"CHANGE MASTER TO MASTER_HOST=?, MASTER_PORT=?, MASTER_USER=?, MASTER_PASSWORD=?, MASTER_USE_GTID=current_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=0.500", 4, false},
		{"5.7.44-log", "MySQL Community Server", actuators.SlavePos, creds,
			"SHOW SLAVE STATUS", "STOP SLAVE", "STOP SLAVE IO_THREAD", "START SLAVE", "RESET SLAVE ALL",
			"CHANGE MASTER TO MASTER_HOST=?, MASTER_PORT=?, MASTER_USER=?, MASTER_PASSWORD=?, MASTER_AUTO_POSITION=1, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=0.500", 4, true},
		{"8.0.22", "MySQL Community Server", actuators.SlavePos, nil,
			"SHOW REPLICA STATUS", "STOP REPLICA", "STOP REPLICA IO_THREAD", "START REPLICA", "RESET REPLICA ALL",
			"CHANGE MASTER TO MASTER_HOST=?, MASTER_PORT=?, MASTER_AUTO_POSITION=1, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=0.500", 2, true},
		{"8.4.3", "MySQL Community Server", actuators.SlavePos, nil,
			"SHOW REPLICA STATUS", "STOP REPLICA", "STOP REPLICA IO_THREAD", "START REPLICA", "RESET REPLICA ALL",
			"CHANGE REPLICATION SOURCE TO SOURCE_HOST=?, SOURCE_PORT=?, SOURCE_AUTO_POSITION=1, SOURCE_CONNECT_RETRY=1, SOURCE_HEARTBEAT_PERIOD=0.500", 2, true},
	}
	for _, tt := range tests {
		d := dialectFor(parseFlavor(tt.version, tt.comment))
		got := []string{d.showStatus, d.stopReplica, d.stopIO, d.startReplica, d.resetAll}
		want := []string{tt.show, tt.stop, tt.io, tt.start, tt.reset}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: statements %q, want %q", tt.version, got, want)
		}
		if d.superReadOnly != tt.sro {
			t.Errorf("%s: superReadOnly %v, want %v", tt.version, d.superReadOnly, tt.sro)
		}
		stmt, args, err := d.changeSourceSQL("198.18.0.2", 3306, tt.mode, tt.creds, DefaultHeartbeatPeriod)
		if err != nil || stmt != tt.change || len(args) != tt.nargs {
			t.Errorf("%s: change source = %q %v %v, want %q with %d args", tt.version, stmt, args, err, tt.change, tt.nargs)
		}
	}
	if _, _, err := dialectFor(parseFlavor("10.11.2-MariaDB", "")).changeSourceSQL("h", 1, "own_pos", nil, time.Second); err == nil {
		t.Error("unknown source mode accepted")
	}
}

func TestReplicaFromRow(t *testing.T) {
	maria := dialectFor(parseFlavor("10.11.19-MariaDB", ""))
	r := replicaFromRow(maria, map[string]string{"Master_Host": "198.18.0.1", "Master_Port": "3306",
		"Master_User": "repl", "Slave_IO_Running": "Connecting", "Slave_SQL_Running": "Yes",
		"Using_Gtid": "Slave_Pos", "Gtid_IO_Pos": "0-1-5", "Relay_Log_Space": "1234"})
	if !r.present || r.port != 3306 || !r.ioStarted() || !r.sqlStarted() || !r.usingGTID || r.relaySpace != 1234 {
		t.Errorf("MariaDB row: %+v", r)
	}
	mysql8 := dialectFor(parseFlavor("8.0.36", ""))
	r = replicaFromRow(mysql8, map[string]string{"Source_Host": "h", "Source_Port": "3307",
		"Replica_IO_Running": "No", "Replica_SQL_Running": "No", "Auto_Position": "1",
		"Retrieved_Gtid_Set": "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,\n4e11fa47-71ca-11e1-9e33-c80aa9429562:1"})
	if !r.present || r.port != 3307 || r.ioStarted() || r.sqlStarted() || !r.usingGTID || strings.Contains(r.retrieved, "\n") {
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
