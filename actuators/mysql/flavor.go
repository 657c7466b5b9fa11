package mysql

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/regent-ha/regent/actuators"
)

// Flavor names as reported in actuators.Status.
const (
	FlavorMariaDB = "MariaDB"
	FlavorMySQL   = "MySQL"
	FlavorPercona = "Percona"
)

// flavor is a server's product and version, read once per server.
type flavor struct {
	name                string // FlavorMariaDB, FlavorMySQL, FlavorPercona
	version             string // @@version as reported
	major, minor, patch int
}

// parseFlavor reads @@version and @@version_comment.
func parseFlavor(version, comment string) flavor {
	f := flavor{name: FlavorMySQL, version: version}
	switch {
	case strings.Contains(strings.ToLower(version), "mariadb"):
		f.name = FlavorMariaDB
	case strings.Contains(strings.ToLower(comment), "percona"):
		f.name = FlavorPercona
	}
	num := version
	if i := strings.IndexFunc(num, func(r rune) bool { return r != '.' && (r < '0' || r > '9') }); i >= 0 {
		num = num[:i]
	}
	parts := strings.SplitN(num, ".", 3)
	nums := []*int{&f.major, &f.minor, &f.patch}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			break
		}
		*nums[i] = n
	}
	return f
}

func (f flavor) mariaDB() bool { return f.name == FlavorMariaDB }

// atLeast reports whether the version is ≥ major.minor.patch.
func (f flavor) atLeast(major, minor, patch int) bool {
	if f.major != major {
		return f.major > major
	}
	if f.minor != minor {
		return f.minor > minor
	}
	return f.patch >= patch
}

// dialect holds the statements and column names of one flavor/version.
type dialect struct {
	mariaDB bool

	varsQuery     string // one row: see scanVars
	showStatus    string
	stopReplica   string
	stopIO        string
	startReplica  string
	resetAll      string
	changeSource  string // the statement's head
	opt           string // option prefix: "MASTER_" or "SOURCE_"
	colHost       string
	colPort       string
	colUser       string
	colIO         string
	colSQL        string
	superReadOnly bool // MySQL: super_read_only exists and follows read_only
}

func dialectFor(f flavor) dialect {
	if f.mariaDB() {
		return dialect{
			mariaDB: true,
			varsQuery: "SELECT @@version, @@version_comment, @@server_id, @@read_only, 0, @@log_bin, " +
				"@@log_slave_updates, @@gtid_current_pos, @@gtid_slave_pos, @@gtid_binlog_pos, ''",
			showStatus: "SHOW SLAVE STATUS", stopReplica: "STOP SLAVE", stopIO: "STOP SLAVE IO_THREAD",
			startReplica: "START SLAVE", resetAll: "RESET SLAVE ALL", changeSource: "CHANGE MASTER TO",
			opt: "MASTER_", colHost: "Master_Host", colPort: "Master_Port", colUser: "Master_User",
			colIO: "Slave_IO_Running", colSQL: "Slave_SQL_Running",
		}
	}
	logReplicaUpdates := "@@log_slave_updates"
	if f.atLeast(8, 0, 26) {
		logReplicaUpdates = "@@log_replica_updates"
	}
	d := dialect{
		varsQuery: "SELECT @@version, @@version_comment, @@server_id, @@read_only, @@super_read_only, @@log_bin, " +
			logReplicaUpdates + ", '', '', '', @@gtid_executed",
		showStatus: "SHOW SLAVE STATUS", stopReplica: "STOP SLAVE", stopIO: "STOP SLAVE IO_THREAD",
		startReplica: "START SLAVE", resetAll: "RESET SLAVE ALL", changeSource: "CHANGE MASTER TO",
		opt: "MASTER_", colHost: "Master_Host", colPort: "Master_Port", colUser: "Master_User",
		colIO: "Slave_IO_Running", colSQL: "Slave_SQL_Running", superReadOnly: true,
	}
	if f.atLeast(8, 0, 22) {
		d.showStatus, d.stopReplica, d.stopIO = "SHOW REPLICA STATUS", "STOP REPLICA", "STOP REPLICA IO_THREAD"
		d.startReplica, d.resetAll = "START REPLICA", "RESET REPLICA ALL"
		d.colHost, d.colPort, d.colUser = "Source_Host", "Source_Port", "Source_User"
		d.colIO, d.colSQL = "Replica_IO_Running", "Replica_SQL_Running"
	}
	if f.atLeast(8, 0, 23) {
		d.changeSource, d.opt = "CHANGE REPLICATION SOURCE TO", "SOURCE_"
	}
	return d
}

// changeSourceSQL builds the CHANGE MASTER / CHANGE REPLICATION SOURCE
// statement with placeholders (the driver interpolates them client-side:
// these statements cannot be prepared).
func (d dialect) changeSourceSQL(host string, port int, mode actuators.SourceMode, creds *actuators.Credentials, heartbeat time.Duration) (string, []any, error) {
	var b strings.Builder
	args := []any{host, port}
	fmt.Fprintf(&b, "%s %sHOST=?, %sPORT=?", d.changeSource, d.opt, d.opt)
	if creds != nil {
		fmt.Fprintf(&b, ", %sUSER=?, %sPASSWORD=?", d.opt, d.opt)
		args = append(args, creds.User, creds.Password)
	}
	if d.mariaDB {
		switch mode {
		case actuators.SlavePos, "":
			b.WriteString(", MASTER_USE_GTID=slave_pos")
		case actuators.CurrentPos:
			b.WriteString(", MASTER_USE_GTID=current_pos")
		default:
			return "", nil, fmt.Errorf("unknown source mode %q (want slave_pos or current_pos)", mode)
		}
	} else {
		fmt.Fprintf(&b, ", %sAUTO_POSITION=1", d.opt)
	}
	fmt.Fprintf(&b, ", %sCONNECT_RETRY=1, %sHEARTBEAT_PERIOD=%s", d.opt, d.opt,
		strconv.FormatFloat(heartbeat.Seconds(), 'f', 3, 64))
	return b.String(), args, nil
}
