package mysqlconn

import (
	"fmt"
	"regexp"
)

// syntax is one piece of statement syntax and the versions of a flavor
// that accept it: from since (zero: always) until before removed (zero:
// never removed). never: the flavor has no such syntax at all.
type syntax struct {
	re      *regexp.Regexp
	what    string
	since   Version
	removed Version
	never   bool
}

func word(s string) *regexp.Regexp { return regexp.MustCompile(`(?i)\b` + s + `\b`) }

// variable matches a use of a system variable whose name matches p: read
// (@@name, @@global.name) or set (name=); a column alias of that name is
// no use of it.
func variable(p string) *regexp.Regexp {
	return regexp.MustCompile(`(?i)(@@(global\.|session\.)?(` + p + `)\b|\b(` + p + `)\s*=)`)
}

var (
	v8022 = Version{8, 0, 22}
	v8023 = Version{8, 0, 23}
	v8026 = Version{8, 0, 26}
	v82   = Version{8, 2, 0}
	v84   = Version{8, 4, 0}
)

// mysqlSyntax is MySQL's (and Percona Server's) replication syntax by
// version: what 8.0.22, 8.0.23, 8.0.26 and 8.2 introduced and what 8.4
// removed (MySQL 8.4 reference manual, "Features Removed in MySQL 8.4").
var mysqlSyntax = []syntax{
	{re: word(`SHOW SLAVE STATUS`), what: "SHOW SLAVE STATUS", removed: v84},
	{re: word(`SHOW REPLICA STATUS`), what: "SHOW REPLICA STATUS", since: v8022},
	{re: word(`(START|STOP) SLAVE`), what: "START/STOP SLAVE", removed: v84},
	{re: word(`(START|STOP) REPLICA`), what: "START/STOP REPLICA", since: v8022},
	{re: word(`RESET SLAVE`), what: "RESET SLAVE", removed: v84},
	{re: word(`RESET REPLICA`), what: "RESET REPLICA", since: v8022},
	{re: word(`SHOW SLAVE HOSTS`), what: "SHOW SLAVE HOSTS", removed: v84},
	{re: word(`SHOW REPLICAS`), what: "SHOW REPLICAS", since: v8022},
	{re: word(`CHANGE MASTER TO`), what: "CHANGE MASTER TO", removed: v84},
	{re: word(`CHANGE REPLICATION SOURCE TO`), what: "CHANGE REPLICATION SOURCE TO", since: v8023},
	{re: regexp.MustCompile(`(?i)\bMASTER_[A-Z_]+\s*=`), what: "MASTER_* options", removed: v84},
	{re: regexp.MustCompile(`(?i)\bSOURCE_[A-Z_]+\s*=`), what: "SOURCE_* options", since: v8023},
	{re: word(`MASTER_USE_GTID`), what: "MASTER_USE_GTID (MariaDB)", never: true},
	{re: variable(`sql_slave_skip_counter`), what: "sql_slave_skip_counter", removed: v84},
	{re: variable(`sql_replica_skip_counter`), what: "sql_replica_skip_counter", since: v8026},
	{re: variable(`log_replica_updates`), what: "log_replica_updates", since: v8026},
	{re: variable(`rpl_semi_sync_(master|slave)_\w+`), what: "rpl_semi_sync_master/slave_*", removed: v84},
	{re: variable(`rpl_semi_sync_(source|replica)_\w+`), what: "rpl_semi_sync_source/replica_*", since: v8026},
	{re: word(`RESET MASTER`), what: "RESET MASTER", removed: v84},
	{re: word(`RESET BINARY LOGS AND GTIDS`), what: "RESET BINARY LOGS AND GTIDS", since: v82},
	{re: word(`SHOW MASTER STATUS`), what: "SHOW MASTER STATUS", removed: v84},
	{re: word(`SHOW BINARY LOG STATUS`), what: "SHOW BINARY LOG STATUS", since: v82},
	{re: variable(`super_read_only`), what: "super_read_only", since: Version{5, 7, 8}},
	{re: variable(`gtid_(current|slave|binlog)_pos`), what: "MariaDB GTID positions", never: true},
	{re: variable(`gtid_(domain_id|seq_no|strict_mode)`), what: "MariaDB GTID variables", never: true},
}

// mariaDBSyntax is MariaDB's (10.x, 11.x): it keeps every SLAVE/MASTER
// form and has none of MySQL's GTID set syntax.
var mariaDBSyntax = []syntax{
	{re: word(`CHANGE REPLICATION SOURCE TO`), what: "CHANGE REPLICATION SOURCE TO (MySQL)", never: true},
	{re: regexp.MustCompile(`(?i)\bSOURCE_[A-Z_]+\s*=`), what: "SOURCE_* options (MySQL)", never: true},
	{re: word(`MASTER_AUTO_POSITION`), what: "MASTER_AUTO_POSITION (MySQL)", never: true},
	{re: word(`RESET BINARY LOGS AND GTIDS`), what: "RESET BINARY LOGS AND GTIDS (MySQL)", never: true},
	{re: word(`SHOW BINARY LOG STATUS`), what: "SHOW BINARY LOG STATUS (MySQL)", never: true},
	{re: variable(`sql_replica_skip_counter`), what: "sql_replica_skip_counter (MySQL)", never: true},
	{re: variable(`super_read_only`), what: "super_read_only (MySQL)", never: true},
	{re: variable(`gtid_(next|executed|purged|mode)`), what: "MySQL GTID variables", never: true},
	{re: variable(`server_uuid`), what: "server_uuid (MySQL)", never: true},
	{re: word(`SHOW REPLICA STATUS`), what: "SHOW REPLICA STATUS", since: Version{10, 5, 1}},
	{re: word(`(START|STOP|RESET) REPLICA`), what: "START/STOP/RESET REPLICA", since: Version{10, 5, 1}},
	{re: word(`SHOW REPLICA HOSTS`), what: "SHOW REPLICA HOSTS", since: Version{10, 5, 1}},
	{re: word(`SHOW REPLICAS`), what: "SHOW REPLICAS (MySQL)", never: true},
	{re: variable(`rpl_semi_sync_(source|replica)_\w+`), what: "rpl_semi_sync_source/replica_* (MySQL)", never: true},
	{re: variable(`log_replica_updates`), what: "log_replica_updates (MySQL)", never: true},
}

// Check returns an error naming the syntax of stmt that s's version does
// not accept (introduced later, removed, or another flavor's); nil when
// stmt is valid as far as the table knows. The simulator refuses what
// Check refuses.
func Check(s Server, stmt string) error {
	table := mysqlSyntax
	if s.MariaDB() {
		table = mariaDBSyntax
	}
	for _, x := range table {
		if !x.re.MatchString(stmt) {
			continue
		}
		switch {
		case x.never:
			return fmt.Errorf("%s: %s does not exist on %s", stmt, x.what, s.Flavor)
		case !s.Version.AtLeast(x.since.Major, x.since.Minor, x.since.Patch):
			return fmt.Errorf("%s: %s needs %s %s, the server is %s", stmt, x.what, s.Flavor, x.since, s)
		case x.removed != (Version{}) && s.Version.AtLeast(x.removed.Major, x.removed.Minor, x.removed.Patch):
			return fmt.Errorf("%s: %s was removed in %s %s, the server is %s", stmt, x.what, s.Flavor, x.removed, s)
		}
	}
	return nil
}
