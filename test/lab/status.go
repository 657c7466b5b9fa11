package lab

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"
)

// HostStatus is one sample of a host, read as root over its socket (so a
// partitioned host is still seen) and from its namespace (the VIP).
type HostStatus struct {
	Index       int
	Up          bool   // the server answered on its socket
	Err         string // why it did not
	Partitioned bool   // cut off with Partition
	ReadOnly    bool
	GTIDCurrent string // @@gtid_current_pos
	Source      string // Master_Host, "" when not a replica
	IORunning   string // Slave_IO_Running
	SQLRunning  string // Slave_SQL_Running
	VIP         bool
}

// Writable reports whether clients can write on the host: it answers, is not
// read-only and is not partitioned away.
func (h HostStatus) Writable() bool { return h.Up && !h.ReadOnly && !h.Partitioned }

// Replicating reports whether both replication threads run.
func (h HostStatus) Replicating() bool { return h.IORunning == "Yes" && h.SQLRunning == "Yes" }

func (h HostStatus) String() string {
	if !h.Up {
		return fmt.Sprintf("host %d: down (%s) vip=%v", h.Index, h.Err, h.VIP)
	}
	return fmt.Sprintf("host %d: read_only=%v gtid=%q source=%q io=%s sql=%s vip=%v partitioned=%v",
		h.Index, h.ReadOnly, h.GTIDCurrent, h.Source, h.IORunning, h.SQLRunning, h.VIP, h.Partitioned)
}

// Status samples every host.
func (l *Lab) Status() []HostStatus {
	out := make([]HostStatus, 0, l.opts.Hosts)
	for i := 1; i <= l.opts.Hosts; i++ {
		out = append(out, l.sampleHost(i, true))
	}
	return out
}

// sampleHost reads one host; full adds GTID and replication state.
func (l *Lab) sampleHost(i int, full bool) HostStatus {
	h := HostStatus{Index: i, Partitioned: l.Partitioned(i)}
	if vip, err := hasAddr(l.Host(i).Netns, netIP(VIP)); err == nil {
		h.VIP = vip
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	rows, err := l.sqlCtx(ctx, i, "SELECT @@read_only, @@gtid_current_pos")
	if err != nil || len(rows) != 1 {
		h.Err = fmt.Sprint(err)
		return h
	}
	h.Up, h.ReadOnly, h.GTIDCurrent = true, rows[0][0] == "1", rows[0][1]
	if !full {
		return h
	}
	st, err := l.slaveStatus(ctx, i)
	if err != nil {
		h.Err = err.Error()
		return h
	}
	h.Source, h.IORunning, h.SQLRunning = st["Master_Host"], st["Slave_IO_Running"], st["Slave_SQL_Running"]
	return h
}

// slaveStatus returns SHOW SLAVE STATUS as column → value (empty map when the
// host is not a replica).
func (l *Lab) slaveStatus(ctx context.Context, i int) (map[string]string, error) {
	db, err := l.db(i)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		return nil, fmt.Errorf("show slave status on host %d: %w", i, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("show slave status on host %d: %w", i, err)
	}
	all, err := scanAll(rows)
	if err != nil {
		return nil, fmt.Errorf("show slave status on host %d: %w", i, err)
	}
	m := map[string]string{}
	if len(all) > 0 {
		for k, c := range cols {
			m[c] = all[0][k]
		}
	}
	return m, nil
}

// GTIDDomain0 returns the domain-0 entry of a MariaDB GTID list ("0-2-17"),
// or "" when there is none.
func GTIDDomain0(list string) string {
	for _, g := range strings.Split(list, ",") {
		g = strings.TrimSpace(g)
		if strings.HasPrefix(g, "0-") {
			return g
		}
	}
	return ""
}

func netIP(s string) net.IP { return net.ParseIP(s) }

// shortCtx bounds one sampling query.
func shortCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 2*time.Second)
}

// quietLogger drops the MySQL driver's own log lines (e.g. "closing bad idle
// connection" after a kill); the errors that matter are returned to callers.
type quietLogger struct{}

func (quietLogger) Print(...any) {}
