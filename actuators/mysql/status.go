package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/mysqlconn"
)

// replica is one server's SHOW SLAVE/REPLICA STATUS row (the default
// connection on MariaDB).
type replica struct {
	present      bool // a source is configured
	host         string
	port         int
	user         string
	io, sql      string // "Yes", "No", "Connecting", "Preparing"…
	usingGTID    bool
	ioPos        string // MariaDB Gtid_IO_Pos
	retrieved    string // MySQL Retrieved_Gtid_Set
	lastSQLErrno int
	lastSQLError string
	lastIOError  string
	relaySpace   int64
	sourceUUID   string // MySQL Master_UUID / Source_UUID
}

// ioStarted reports whether the IO thread runs, connected or not.
func (r replica) ioStarted() bool { return r.present && r.io != "" && r.io != "No" }

// sqlStarted reports whether the SQL thread runs.
func (r replica) sqlStarted() bool { return r.present && r.sql == "Yes" }

// readReplica reads the replication status row.
// replicaOf opens key's server and reads its replication status, the
// prelude of every replication operation; errors come back classified.
func (d *DB) replicaOf(ctx context.Context, op string, key events.InstanceKey) (*server, dialect, replica, error) {
	s, dl, err := d.dialect(ctx, key)
	if err != nil {
		return nil, dialect{}, replica{}, d.fail(op, key, err)
	}
	r, err := readReplica(ctx, s, dl)
	if err != nil {
		return nil, dialect{}, replica{}, d.fail(op, key, err)
	}
	return s, dl, r, nil
}

func readReplica(ctx context.Context, s *server, d dialect) (replica, error) {
	m, err := statusRow(ctx, s, d)
	if err != nil || len(m) == 0 {
		return replica{}, err
	}
	return replicaFromRow(d, m), nil
}

// statusRow reads the replication status row by column name (empty when
// the server is not a replica).
func statusRow(ctx context.Context, s *server, dl dialect) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, dl.ShowReplicaStatus)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	if rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, c := range cols {
			m[c] = vals[i].String
		}
	}
	return m, rows.Err()
}

// replicaFromRow maps a status row by column name.
func replicaFromRow(d dialect, m map[string]string) replica {
	r := replica{
		host: m[d.ColHost], user: m[d.ColUser], io: m[d.ColIO], sql: m[d.ColSQL],
		ioPos: m["Gtid_IO_Pos"], retrieved: oneLine(m["Retrieved_Gtid_Set"]),
		lastSQLError: m["Last_SQL_Error"], lastIOError: m["Last_IO_Error"], sourceUUID: m[d.ColSourceUUID],
	}
	r.present = r.host != ""
	r.port, _ = strconv.Atoi(m[d.ColPort])
	r.lastSQLErrno, _ = strconv.Atoi(m["Last_SQL_Errno"])
	r.relaySpace, _ = strconv.ParseInt(m["Relay_Log_Space"], 10, 64)
	if d.mariaDB {
		r.usingGTID = m["Using_Gtid"] != "" && !strings.EqualFold(m["Using_Gtid"], "No")
	} else {
		r.usingGTID = m["Auto_Position"] == "1"
	}
	return r
}

// oneLine removes the newlines MySQL puts into long GTID sets.
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", "") }

// Status reads key's state fresh from the server.
func (d *DB) Status(ctx context.Context, key events.InstanceKey) (actuators.Status, error) {
	const op = "read status"
	s, dl, err := d.dialect(ctx, key)
	if err != nil {
		return actuators.Status{}, d.fail(op, key, err)
	}
	st, err := readVars(ctx, s, dl)
	if err != nil {
		return actuators.Status{}, d.fail(op, key, err)
	}
	st.Key = key
	r, err := readReplica(ctx, s, dl)
	if err != nil {
		return actuators.Status{}, d.fail(op, key, err)
	}
	st.IsReplica = r.present
	if r.present {
		st.Source = events.InstanceKey{Hostname: r.host, Port: r.port}
		st.IORunning = r.io == "Yes"
		st.SQLRunning = r.sql == "Yes"
		st.GTIDIOPos, st.RetrievedGTIDSet = r.ioPos, r.retrieved
		st.UsingGTID = r.usingGTID
		st.RelayLogSpace = r.relaySpace
	}
	return st, nil
}

// readVars reads the global variables of Status in one query.
func readVars(ctx context.Context, s *server, dl dialect) (actuators.Status, error) {
	var st actuators.Status
	var version, comment string
	var serverID uint32
	var readOnly, superRO, logBin, logReplicaUpdates bool
	var current, slave, binlog, executed sql.NullString
	err := s.db.QueryRowContext(ctx, dl.varsQuery).Scan(&version, &comment, &serverID, &readOnly, &superRO,
		&logBin, &logReplicaUpdates, &current, &slave, &binlog, &executed)
	if err != nil {
		return st, fmt.Errorf("read variables: %w", err)
	}
	st.Flavor, st.Version, st.ServerID = mysqlconn.DetectFlavor(version, comment), version, serverID
	st.ReadOnly, st.SuperReadOnly, st.LogBin, st.LogReplicaUpdates = readOnly, superRO, logBin, logReplicaUpdates
	st.GTIDCurrentPos, st.GTIDSlavePos, st.GTIDBinlogPos = current.String, slave.String, binlog.String
	st.GTIDExecuted = oneLine(executed.String)
	return st, nil
}
