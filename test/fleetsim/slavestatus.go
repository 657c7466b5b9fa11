package fleetsim

// slaveStatusColumns are SHOW SLAVE STATUS's columns in MariaDB 10.11.
var slaveStatusColumns = []string{
	"Slave_IO_State", "Master_Host", "Master_User", "Master_Port", "Connect_Retry",
	"Master_Log_File", "Read_Master_Log_Pos", "Relay_Log_File", "Relay_Log_Pos",
	"Relay_Master_Log_File", "Slave_IO_Running", "Slave_SQL_Running", "Replicate_Rewrite_DB",
	"Replicate_Do_DB", "Replicate_Ignore_DB", "Replicate_Do_Table", "Replicate_Ignore_Table",
	"Replicate_Wild_Do_Table", "Replicate_Wild_Ignore_Table", "Last_Errno", "Last_Error",
	"Skip_Counter", "Exec_Master_Log_Pos", "Relay_Log_Space", "Until_Condition",
	"Until_Log_File", "Until_Log_Pos", "Master_SSL_Allowed", "Master_SSL_CA_File",
	"Master_SSL_CA_Path", "Master_SSL_Cert", "Master_SSL_Cipher", "Master_SSL_Key",
	"Seconds_Behind_Master", "Master_SSL_Verify_Server_Cert", "Last_IO_Errno", "Last_IO_Error",
	"Last_SQL_Errno", "Last_SQL_Error", "Replicate_Ignore_Server_Ids", "Master_Server_Id",
	"Master_SSL_Crl", "Master_SSL_Crlpath", "Using_Gtid", "Gtid_IO_Pos",
	"Replicate_Do_Domain_Ids", "Replicate_Ignore_Domain_Ids", "Parallel_Mode", "SQL_Delay",
	"SQL_Remaining_Delay", "Slave_SQL_Running_State", "Slave_DDL_Groups",
	"Slave_Non_Transactional_Groups", "Slave_Transactional_Groups",
}

var slaveStatusDefs = columnDefs(slaveStatusColumns)

// slaveStatusRows answers SHOW SLAVE STATUS: no row on a primary; on a
// replica, a GTID replica of its cluster's primary, Connecting once the
// primary is dead.
func slaveStatusRows(w *writer, st *snapshot) {
	if st.in.primary {
		return
	}
	src := st.in.c.primary
	port := int64(st.f.opts.Port)
	pos := st.binlogPos()
	w.begin()
	ioState, ioRunning, ioErrno, ioErr := "Waiting for master to send event", "Yes", int64(0), ""
	if !st.ioRunning() {
		ioState, ioRunning, ioErrno = "Reconnecting after a failed master event read", "Connecting", 2003
		ioErr = "error reconnecting to master 'repl@" + src.ip + ":3306' - retry-time: 60  maximum-retries: 100000  message: " +
			"Can't connect to MySQL server on '" + src.ip + "' (111 \"Connection refused\")"
	}
	w.str(ioState)
	w.str(src.ip)
	w.str("repl")
	w.int(port)
	w.str("60")
	w.str(binlogFile)
	w.int(pos)
	w.str("relay-bin.000002")
	w.int(pos - 200)
	w.str(binlogFile)
	w.str(ioRunning)
	w.str("Yes")
	for range 7 { // Replicate_Rewrite_DB … Replicate_Wild_Ignore_Table
		w.str("")
	}
	w.str("0")
	w.str("")
	w.str("0")
	w.int(pos) // Exec_Master_Log_Pos
	w.int(pos + 300)
	w.str("None")
	w.str("")
	w.str("0")
	w.str("No")
	for range 5 { // Master_SSL_CA_File … Master_SSL_Key
		w.str("")
	}
	if ioRunning == "Yes" {
		w.str("0")
	} else {
		w.null()
	}
	w.str("No")
	w.int(ioErrno)
	w.str(ioErr)
	w.str("0")
	w.str("")
	w.str("")
	w.int(int64(src.serverID))
	w.str("")
	w.str("")
	w.str("Slave_Pos")
	w.str(st.gtid())
	w.str("")
	w.str("")
	w.str("optimistic")
	w.str("0")
	w.null()
	w.str("Slave has read all relay log; waiting for more updates")
	w.str("0")
	w.str("0")
	w.int(st.seq)
	w.end()
}
