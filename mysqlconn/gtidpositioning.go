package mysqlconn

// GTIDPositioningSQL switches how a stopped replica positions itself on
// its source: by GTID (MariaDB MASTER_USE_GTID=slave_pos, MySQL
// MASTER_AUTO_POSITION=1, SOURCE_AUTO_POSITION from 8.0.23) or by binary
// log coordinates (MASTER_USE_GTID=no, AUTO_POSITION=0).
func (st Statements) GTIDPositioningSQL(enabled bool) string {
	if st.Server.MariaDB() {
		if enabled {
			return st.ChangeSource + " MASTER_USE_GTID=slave_pos"
		}
		return st.ChangeSource + " MASTER_USE_GTID=no"
	}
	if enabled {
		return st.ChangeSource + " " + st.SourceOption + "AUTO_POSITION=1"
	}
	return st.ChangeSource + " " + st.SourceOption + "AUTO_POSITION=0"
}
