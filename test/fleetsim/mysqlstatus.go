package fleetsim

import (
	"strings"
	"time"
)

// mysqlSlaveStatusColumns are SHOW SLAVE STATUS's columns in MySQL 5.7.
var mysqlSlaveStatusColumns = []string{
	"Slave_IO_State", "Master_Host", "Master_User", "Master_Port", "Connect_Retry", "Master_Log_File",
	"Read_Master_Log_Pos", "Relay_Log_File", "Relay_Log_Pos", "Relay_Master_Log_File", "Slave_IO_Running",
	"Slave_SQL_Running", "Replicate_Do_DB", "Replicate_Ignore_DB", "Replicate_Do_Table", "Replicate_Ignore_Table",
	"Replicate_Wild_Do_Table", "Replicate_Wild_Ignore_Table", "Last_Errno", "Last_Error", "Skip_Counter",
	"Exec_Master_Log_Pos", "Relay_Log_Space", "Until_Condition", "Until_Log_File", "Until_Log_Pos",
	"Master_SSL_Allowed", "Master_SSL_CA_File", "Master_SSL_CA_Path", "Master_SSL_Cert", "Master_SSL_Cipher",
	"Master_SSL_Key", "Seconds_Behind_Master", "Master_SSL_Verify_Server_Cert", "Last_IO_Errno", "Last_IO_Error",
	"Last_SQL_Errno", "Last_SQL_Error", "Replicate_Ignore_Server_Ids", "Master_Server_Id", "Master_UUID",
	"Master_Info_File", "SQL_Delay", "SQL_Remaining_Delay", "Slave_SQL_Running_State", "Master_Retry_Count",
	"Master_Bind", "Last_IO_Error_Timestamp", "Last_SQL_Error_Timestamp", "Master_SSL_Crl", "Master_SSL_Crlpath",
	"Retrieved_Gtid_Set", "Executed_Gtid_Set", "Auto_Position", "Replicate_Rewrite_DB", "Channel_Name",
	"Master_TLS_Version",
}

// mysql80Columns are the columns 8.0 added at the end.
var mysql80Columns = []string{"Master_public_key_path", "Get_master_public_key", "Network_Namespace"}

// newTerms renames a column as SHOW REPLICA STATUS (8.0.22) does.
var newTerms = strings.NewReplacer("Master", "Source", "master", "Source", "Slave", "Replica")

// statusColumns are the version's columns, old or new terms.
func (f *Fleet) statusColumns(newNames bool) []string {
	cols := mysqlSlaveStatusColumns
	if f.my.atLeast(8, 0, 0) {
		cols = append(cols[:len(cols):len(cols)], mysql80Columns...)
	}
	if !newNames {
		return cols
	}
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = newTerms.Replace(c)
	}
	return out
}

// replicaStatus answers SHOW SLAVE STATUS (old column names, also on
// 8.0) or SHOW REPLICA STATUS (new names): no row without a source.
func (f *Fleet) replicaStatus(in *instance, newNames bool) *myResult {
	cols := f.statusColumns(newNames)
	res := &myResult{cols: cols}
	r := in.my.src
	if r == nil {
		return res
	}
	vals := f.statusValues(in, r)
	row := make([]any, len(cols))
	for i, c := range f.statusColumns(false) {
		v, ok := vals[c]
		switch {
		case ok:
			row[i] = v
		case strings.HasPrefix(c, "Replicate_") || strings.HasSuffix(c, "_File") || strings.HasSuffix(c, "_Path") ||
			strings.HasSuffix(c, "_Cert") || strings.HasSuffix(c, "_Cipher") || strings.HasSuffix(c, "_Key") ||
			strings.HasSuffix(c, "_Crl") || strings.HasSuffix(c, "_Crlpath") || strings.HasSuffix(c, "_Timestamp") ||
			c == "Master_Bind" || c == "Master_TLS_Version" || c == "Channel_Name" || c == "Network_Namespace" || c == "Last_Error":
			row[i] = ""
		default:
			row[i] = int64(0)
		}
	}
	res.rows = [][]any{row}
	return res
}

// statusValues are the modelled columns of a replica's status, by their
// 5.7 names.
func (f *Fleet) statusValues(in *instance, r *replConf) map[string]any {
	m := in.my
	io, ioState := "No", ""
	switch {
	case r.io && r.connected:
		io, ioState = "Yes", "Waiting for master to send event"
	case r.io:
		io, ioState = "Connecting", "Reconnecting after a failed master event read"
	}
	if f.my.replicaKeyword() {
		ioState = strings.ReplaceAll(ioState, "master", "source")
	}
	sql, sqlState := "No", ""
	if r.sql {
		sql, sqlState = "Yes", "Slave has read all relay log; waiting for more updates"
		if f.my.replicaKeyword() {
			sqlState = "Replica has read all relay log; waiting for more updates"
		}
	}
	var behind any
	if io == "Yes" && sql == "Yes" {
		behind = r.behind(time.Now())
	}
	file, pos := r.sourceFile, r.sourcePos
	if file == "" {
		file = binlogName(1)
	}
	return map[string]any{
		"Slave_IO_State": ioState, "Master_Host": r.host, "Master_User": r.user, "Master_Port": int64(r.port),
		"Connect_Retry": int64(r.connectRetry), "Master_Log_File": file, "Read_Master_Log_Pos": pos,
		"Relay_Log_File": "relay-bin.000002", "Relay_Log_Pos": pos, "Relay_Master_Log_File": file,
		"Slave_IO_Running": io, "Slave_SQL_Running": sql, "Exec_Master_Log_Pos": pos, "Relay_Log_Space": int64(1024),
		"Until_Condition": "None", "Master_SSL_Allowed": "No", "Seconds_Behind_Master": behind,
		"Master_SSL_Verify_Server_Cert": "No", "Last_IO_Errno": int64(m.ioErrno), "Last_IO_Error": m.ioError,
		"Last_SQL_Errno": int64(m.sqlErrno), "Last_SQL_Error": m.sqlError,
		"Last_Errno": int64(m.sqlErrno), "Last_Error": m.sqlError, "Master_Server_Id": int64(r.sourceID),
		"Master_UUID": r.sourceUUID, "Master_Info_File": "mysql.slave_master_info", "SQL_Remaining_Delay": nil,
		"Slave_SQL_Running_State": sqlState, "Master_Retry_Count": int64(86400),
		"Retrieved_Gtid_Set": r.retrieved.String(), "Executed_Gtid_Set": m.executed.String(),
		"Auto_Position": onOff(r.autoPosition), "SQL_Delay": int64(r.delay), "Get_master_public_key": int64(0),
	}
}
