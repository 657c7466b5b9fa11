package mysql

import (
	"github.com/regent-ha/regent/mysqlconn"
)

// Flavor names as reported in actuators.Status.
const (
	FlavorMariaDB = mysqlconn.FlavorMariaDB
	FlavorMySQL   = mysqlconn.FlavorMySQL
	FlavorPercona = mysqlconn.FlavorPercona
)

// dialect is a server's statements (mysqlconn.StatementsFor) and the one
// query Status reads its variables with.
type dialect struct {
	mysqlconn.Statements
	mariaDB   bool
	varsQuery string // one row: see readVars
}

func dialectFor(s mysqlconn.Server) dialect {
	st := mysqlconn.StatementsFor(s)
	d := dialect{Statements: st, mariaDB: s.MariaDB()}
	if d.mariaDB {
		d.varsQuery = "SELECT @@version, @@version_comment, @@server_id, @@read_only, 0, @@log_bin, " +
			st.LogReplicaUpdates + ", @@gtid_current_pos, @@gtid_slave_pos, @@gtid_binlog_pos, ''"
		return d
	}
	superRO := "0"
	if st.SuperReadOnly {
		superRO = "@@super_read_only"
	}
	d.varsQuery = "SELECT @@version, @@version_comment, @@server_id, @@read_only, " + superRO + ", @@log_bin, " +
		st.LogReplicaUpdates + ", '', '', '', @@gtid_executed"
	return d
}
