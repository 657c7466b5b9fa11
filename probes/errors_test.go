package probes

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/mysqlconn"
)

func TestClassify(t *testing.T) {
	expired, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	dialRefused := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	dialTimeout := &net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr{}}
	readReset := &net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want ErrorKind
	}{
		{"deadline exceeded", nil, fmt.Errorf("query: %w", context.DeadlineExceeded), ErrTimeout},
		{"probe context expired, driver says invalid connection", expired, mysql.ErrInvalidConn, ErrTimeout},
		{"dial timeout", nil, dialTimeout, ErrTimeout},
		{"read i/o timeout", nil, &net.OpError{Op: "read", Err: timeoutErr{}}, ErrTimeout},
		{"dial refused", nil, dialRefused, ErrRefused},
		{"host unreachable", nil, fmt.Errorf("x: %w", syscall.EHOSTUNREACH), ErrRefused},
		{"invalid connection mid-query", nil, mysql.ErrInvalidConn, ErrConnectionLost},
		{"bad conn", nil, driver.ErrBadConn, ErrConnectionLost},
		{"unexpected EOF", nil, io.ErrUnexpectedEOF, ErrConnectionLost},
		{"reset on read", nil, readReset, ErrConnectionLost},
		{"access denied for user", nil, &mysql.MySQLError{Number: 1045, Message: "Access denied for user 'x'@'y'"}, ErrAuth},
		{"host not allowed", nil, &mysql.MySQLError{Number: 1130}, ErrAuth},
		{"needs privilege", nil, fmt.Errorf("SHOW SLAVE HOSTS needs REPLICATION MASTER ADMIN on MariaDB 10.11: %w",
			&mysql.MySQLError{Number: 1227, Message: "Access denied; you need (at least one of) the REPLICATION MASTER ADMIN privilege(s)"}), ErrPrivilege},
		{"table access denied", nil, &mysql.MySQLError{Number: 1142}, ErrPrivilege},
		{"other server error", nil, &mysql.MySQLError{Number: 1193, Message: "Unknown system variable"}, ErrPartial},
		{"report host", nil, &ReportHostError{Key: events.InstanceKey{Hostname: "h", Port: 1}}, ErrPartial},
		{"anything else", nil, errors.New("boom"), ErrUnknown},
	}
	for _, tc := range tests {
		if got := classify(tc.ctx, tc.err); got != tc.want {
			t.Errorf("%s: classify = %v, want %v", tc.name, got, tc.want)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestProbeErrorWrapping(t *testing.T) {
	p := &Prober{}
	key := events.InstanceKey{Hostname: "198.18.0.2", Port: 3306}
	cause := &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}
	err := p.probeError(context.Background(), key, false, &pooledConnLost{err: cause})
	var pe *ProbeError
	if !errors.As(err, &pe) || pe.Kind != ErrRefused || !pe.ConnectionLost || pe.Partial || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("probeError = %#v", err)
	}
	if want := "probe 198.18.0.2:3306: dial tcp: connect: connection refused"; err.Error() != want {
		t.Errorf("text = %q, want %q", err.Error(), want)
	}
	u := Unreachable(key, err, 3*time.Millisecond)
	if u.Timeout || !u.ConnectionLost || u.Partial || u.Kind != "refused" || u.ProbeDuration != 3*time.Millisecond {
		t.Errorf("unreachable = %+v", u)
	}
	if KindOf(err) != ErrRefused || IsTimeout(err) {
		t.Errorf("KindOf = %v", KindOf(err))
	}
}

func TestStatementErrorNamesPrivilege(t *testing.T) {
	p := &Prober{}
	in := &instance{known: true}
	info := mysqlconn.ParseServer("10.11.6-MariaDB", "")
	stmts := batch(info, true)
	failed := -1
	for i, s := range stmts {
		if s.part == partReplicas {
			failed = i
		}
	}
	denied := &mysql.MySQLError{Number: 1227, Message: "Access denied; you need (at least one of) the REPLICATION MASTER ADMIN privilege(s) for this operation"}
	err := p.statementError(in, info, stmts, failed, denied)
	want := "SHOW SLAVE HOSTS needs REPLICATION MASTER ADMIN on MariaDB 10.11: Error 1227: Access denied; you need (at least one of) the REPLICATION MASTER ADMIN privilege(s) for this operation"
	if err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err.Error(), want)
	}
	if classify(context.Background(), err) != ErrPrivilege {
		t.Errorf("kind = %v", classify(context.Background(), err))
	}
	// An unknown variable means the dialect changed: identify again.
	_ = p.statementError(in, info, stmts, 0, &mysql.MySQLError{Number: 1193})
	if in.known {
		t.Error("dialect still known after an unknown-variable error")
	}
}
