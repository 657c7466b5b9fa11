package probes

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/mysqlconn"
)

// Flavors, as orchestrator names them (mysqlconn's).
const (
	FlavorMySQL   = mysqlconn.FlavorMySQL
	FlavorMariaDB = mysqlconn.FlavorMariaDB
	FlavorPercona = mysqlconn.FlavorPercona
)

// row is one result row, read by column name: either naming of a column
// (Source_Host or Master_Host) can be looked up. A missing column and NULL
// both read as absent.
type row struct {
	ix   *colIndex
	vals [][]byte // nil: NULL
	// base answers for the columns this row lacks (a light probe's globals
	// over the last full probe's).
	base *row
}

// colIndex maps a result set's column names to positions. It is immutable
// once built.
type colIndex struct {
	names []string
	pos   map[string]int
}

func newColIndex(names []string) *colIndex {
	ix := &colIndex{names: names, pos: make(map[string]int, len(names))}
	for i, n := range names {
		if _, dup := ix.pos[n]; !dup {
			ix.pos[n] = i
		}
	}
	return ix
}

// columnIndex returns the index of the columns of part, reusing the last
// one when the server sent the same columns.
func (in *instance) columnIndex(part batchPart, names []string) *colIndex {
	slots := &in.columns[part]
	for i := range slots {
		if ix := slots[i].Load(); ix != nil && slices.Equal(ix.names, names) {
			return ix
		}
	}
	ix := newColIndex(slices.Clone(names))
	// Slot 0 keeps the first columns seen (the full batch's), slot 1 the
	// other batch's.
	if !slots[0].CompareAndSwap(nil, ix) {
		slots[1].Store(ix)
	}
	return ix
}

// str returns the first of names present and non-NULL.
func (r row) str(names ...string) string {
	v, _ := r.lookup(names...)
	return v
}

func (r row) lookup(names ...string) (string, bool) {
	for _, n := range names {
		if v, ok := r.one(n); ok {
			return v, true
		}
	}
	return "", false
}

// one looks up column n: in the row when it has the column, else in base.
func (r row) one(n string) (string, bool) {
	if r.ix != nil {
		if i, ok := r.ix.pos[n]; ok {
			if r.vals[i] == nil {
				return "", false
			}
			return string(r.vals[i]), true
		}
	}
	if r.base != nil {
		return r.base.one(n)
	}
	return "", false
}

func (r row) int64(names ...string) int64 {
	n, _ := parseInt(r.raw(names...))
	return n
}

// raw returns the first of names present and non-NULL, as the row holds it
// (not to be kept or changed).
func (r row) raw(names ...string) []byte {
	for _, n := range names {
		if v := r.rawOne(n); v != nil {
			return v
		}
	}
	return nil
}

func (r row) rawOne(n string) []byte {
	if r.ix != nil {
		if i, ok := r.ix.pos[n]; ok {
			return r.vals[i]
		}
	}
	if r.base != nil {
		return r.base.rawOne(n)
	}
	return nil
}

// parseInt reads a decimal integer (surrounding blanks allowed) without
// allocating; ok is false for anything else, as strconv.ParseInt would
// fail.
func parseInt(b []byte) (n int64, ok bool) {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	signed := b
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg, b = b[0] == '-', b[1:]
	}
	if len(b) > 18 { // rare: let strconv check the range
		v, err := strconv.ParseInt(string(signed), 10, 64)
		return v, err == nil
	}
	if len(b) == 0 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// nullInt64 is nil for NULL or a missing column.
func (r row) nullInt64(names ...string) *int64 {
	n, ok := parseInt(r.raw(names...))
	if !ok {
		return nil
	}
	return &n
}

func (r row) bool(names ...string) bool { return parseBool(r.str(names...)) }

// parseBool reads the ways MySQL and MariaDB spell a boolean.
func parseBool(s string) bool {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "1", "ON", "YES", "TRUE":
		return true
	}
	return false
}

// threadState maps Slave_IO_Running / Replica_SQL_Running text.
func threadState(s string, present bool) events.ThreadState {
	if !present {
		return events.ThreadNone
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes":
		return events.ThreadRunning
	case "no", "":
		return events.ThreadStopped
	}
	return events.ThreadOther // Connecting, Preparing
}

// replicationFilterColumns are the SHOW SLAVE STATUS columns that name a
// replication filter.
var replicationFilterColumns = []string{
	"Replicate_Do_DB", "Replicate_Ignore_DB", "Replicate_Do_Table", "Replicate_Ignore_Table",
	"Replicate_Wild_Do_Table", "Replicate_Wild_Ignore_Table",
	"Replicate_Do_Domain_Ids", "Replicate_Ignore_Domain_Ids", // MariaDB
}

// parseReplicaStatus normalises one row of SHOW SLAVE STATUS (MySQL < 8.0.22,
// MariaDB) or SHOW REPLICA STATUS (MySQL ≥ 8.0.22, Source_* names). utcOffset
// is the server's offset from UTC, for MariaDB's Slave_last_heartbeat.
// resolve maps the source host to its canonical name.
func parseReplicaStatus(r row, utcOffset time.Duration, resolve func(string) string) *events.Replication {
	host := r.str("Source_Host", "Master_Host")
	if resolve != nil && host != "" {
		host = resolve(host)
	}
	ioText, ioPresent := r.lookup("Replica_IO_Running", "Slave_IO_Running")
	sqlText, sqlPresent := r.lookup("Replica_SQL_Running", "Slave_SQL_Running")
	rep := &events.Replication{
		SourceKey:      events.InstanceKey{Hostname: host, Port: int(r.int64("Source_Port", "Master_Port"))},
		SourceUUID:     r.str("Source_UUID", "Master_UUID"),
		SourceServerID: uint32(r.int64("Source_Server_Id", "Master_Server_Id")),
		IOThread:       threadState(ioText, ioPresent),
		SQLThread:      threadState(sqlText, sqlPresent),
		IOState:        r.str("Replica_IO_State", "Slave_IO_State"),
		LastIOError:    r.str("Last_IO_Error"),
		LastSQLError:   r.str("Last_SQL_Error"),
		LastIOErrno:    int(r.int64("Last_IO_Errno")),
		LastSQLErrno:   int(r.int64("Last_SQL_Errno")),
		SecondsBehind:  r.nullInt64("Seconds_Behind_Source", "Seconds_Behind_Master"),
		SQLDelay:       r.int64("SQL_Delay"),
		ReadCoordinates: events.BinlogCoordinates{
			LogFile: r.str("Source_Log_File", "Master_Log_File"),
			LogPos:  r.int64("Read_Source_Log_Pos", "Read_Master_Log_Pos"),
		},
		ExecCoordinates: events.BinlogCoordinates{
			LogFile: r.str("Relay_Source_Log_File", "Relay_Master_Log_File"),
			LogPos:  r.int64("Exec_Source_Log_Pos", "Exec_Master_Log_Pos"),
		},
		RelayCoordinates: events.BinlogCoordinates{LogFile: r.str("Relay_Log_File"), LogPos: r.int64("Relay_Log_Pos")},
		AutoPosition:     r.str("Auto_Position") == "1",
		RetrievedGTIDSet: normaliseGTIDSet(r.str("Retrieved_Gtid_Set")),
		ExecutedGTIDSet:  normaliseGTIDSet(r.str("Executed_Gtid_Set")),
		GTIDIOPos:        r.str("Gtid_IO_Pos"),
		AllowTLS:         r.bool("Source_SSL_Allowed", "Master_SSL_Allowed"),
		HasCredentials:   r.str("Source_User", "Master_User") != "",
	}
	if rep.SecondsBehind != nil && *rep.SecondsBehind < 0 {
		zero := int64(0)
		rep.SecondsBehind = &zero
	}
	if g, ok := r.lookup("Using_Gtid"); ok {
		rep.MariaDBGTIDMode = g
		rep.UsingMariaDBGTID = g != "" && !strings.EqualFold(g, "No")
	}
	for _, c := range replicationFilterColumns {
		if r.str(c) != "" {
			rep.HasFilters = true
			break
		}
	}
	rep.HeartbeatsReceived = r.int64("Slave_received_heartbeats")
	rep.HeartbeatPeriod, _ = strconv.ParseFloat(r.str("Slave_heartbeat_period"), 64)
	rep.LastHeartbeat = parseServerTime(r.str("Slave_last_heartbeat"), utcOffset)
	return rep
}

// normaliseGTIDSet removes the newlines MySQL puts into long GTID sets.
func normaliseGTIDSet(s string) string {
	if !strings.ContainsAny(s, "\n\r") {
		return s
	}
	return strings.NewReplacer("\n", "", "\r", "").Replace(s)
}

// parseServerTime reads a DATETIME/TIMESTAMP text in the server's time zone
// (utcOffset = server local − UTC). Empty, zero and unparsable times are nil.
func parseServerTime(s string, utcOffset time.Duration) *time.Time {
	if s == "" || strings.HasPrefix(s, "0000-00-00") {
		return nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			t = t.Add(-utcOffset)
			return &t
		}
	}
	return nil
}

// replicaKeys reads SHOW SLAVE HOSTS / SHOW REPLICAS rows into keys, using
// defaultPort when a row has no port. A row whose host or port
// events.ValidHost/ValidPort refuses is left out; bad says why.
func replicaKeys(rows []row, defaultPort int, resolve func(string) string) (keys []events.InstanceKey, bad []error) {
	keys = make([]events.InstanceKey, 0, len(rows))
	for _, r := range rows {
		host := r.str("Host")
		if host == "" {
			continue
		}
		port := int(r.int64("Port"))
		if port == 0 {
			port = defaultPort
		}
		if err := events.ValidHost(host); err != nil {
			bad = append(bad, fmt.Errorf("SHOW SLAVE HOSTS Host: %w", err))
			continue
		}
		if err := events.ValidPort(port); err != nil {
			bad = append(bad, fmt.Errorf("SHOW SLAVE HOSTS Port of %s: %w", host, err))
			continue
		}
		if resolve != nil {
			host = resolve(host)
		}
		keys = append(keys, events.InstanceKey{Hostname: host, Port: port})
	}
	return sortKeys(keys), bad
}

// processlistHost turns a processlist HOST ("10.0.0.2:51234", "[::1]:5000",
// "db2") into a host name without the client port.
func processlistHost(h string) string {
	if host, _, err := splitHostPort(h); err == nil {
		return host
	}
	return h
}

// sortKeys sorts keys in place (host, then port) and drops duplicates. It
// sorts the scheduler's whole inventory too (10,000 keys), so it is
// O(n log n).
func sortKeys(keys []events.InstanceKey) []events.InstanceKey {
	slices.SortFunc(keys, func(a, b events.InstanceKey) int {
		if c := strings.Compare(a.Hostname, b.Hostname); c != 0 {
			return c
		}
		return a.Port - b.Port
	})
	return slices.Compact(keys)
}
