package mysqlconn

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"regexp"
	"strconv"
	"syscall"

	"github.com/go-sql-driver/mysql"
)

// Kind is what a failed statement or connection means to its caller; the
// probes and the actuators map it onto their own kinds. Callers switch on
// it, never on an error's text.
type Kind int

// Error kinds.
const (
	// KindUnknown is anything not classified below.
	KindUnknown Kind = iota
	// KindTimeout: a deadline or a connect/read timeout cut off a server
	// that did not answer.
	KindTimeout
	// KindCanceled: the caller's context was canceled.
	KindCanceled
	// KindRefused: the connection was refused or the host is unreachable.
	KindRefused
	// KindConnectionLost: an established connection dropped.
	KindConnectionLost
	// KindAuth: the server rejected the credentials or the client host.
	KindAuth
	// KindPrivilege: the user lacks a privilege the statement needs.
	KindPrivilege
	// KindBusy: the server is busy or going away (too many connections,
	// shutdown, lock wait timeout, deadlock, query interrupted or killed):
	// retrying may succeed.
	KindBusy
	// KindState: the server's replication state forbids the statement
	// (replica running or not, no GTID, read_only).
	KindState
	// KindServer: any other error the server returned.
	KindServer
)

var kindNames = [...]string{"unknown", "timeout", "canceled", "refused", "connection-lost", "auth", "privilege", "busy", "state", "server"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind-" + strconv.Itoa(int(k))
}

// MySQL/MariaDB error numbers the classifier and callers know.
const (
	ErDBAccessDenied       = 1044
	ErAccessDenied         = 1045
	ErTableAccessDenied    = 1142
	ErColumnAccessDenied   = 1143
	ErSpecificAccessDenied = 1227
	ErAccessDeniedNoPass   = 1698
	ErHostNotPrivileged    = 1130
	ErHostIsBlocked        = 1129
	ErNotSupportedAuthMode = 1251
	ErTooManyConnections   = 1040
	ErServerShutdown       = 1053
	ErLockWaitTimeout      = 1205
	ErLockDeadlock         = 1213
	ErQueryInterrupted     = 1317
	ErConnectionKilled     = 1927
	ErSlaveMustStop        = 1198
	ErSlaveNotRunning      = 1199
	ErBadSlave             = 1200
	ErAutoPositionNoGTID   = 1777
	ErReadOnly             = 1290
	ErUnknownSystemVar     = 1193
	ErUnknownTable         = 1109
	ErNoSuchTable          = 1146
	ErParse                = 1064
)

// Classify returns the kind of a driver, network or context error.
func Classify(err error) Kind {
	var me *mysql.MySQLError
	var ne net.Error
	var op *net.OpError
	switch {
	case err == nil:
		return KindUnknown
	case errors.As(err, &me):
		return classifyServer(me.Number)
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.As(err, &ne) && ne.Timeout():
		return KindTimeout
	case errors.As(err, &op) && op.Op == "dial",
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return KindRefused
	case errors.Is(err, mysql.ErrInvalidConn), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED),
		errors.As(err, &op):
		return KindConnectionLost
	}
	return KindUnknown
}

func classifyServer(number uint16) Kind {
	switch number {
	case ErAccessDenied, ErHostNotPrivileged, ErHostIsBlocked, ErAccessDeniedNoPass, ErNotSupportedAuthMode:
		return KindAuth
	case ErDBAccessDenied, ErTableAccessDenied, ErColumnAccessDenied, ErSpecificAccessDenied:
		return KindPrivilege
	case ErTooManyConnections, ErServerShutdown, ErLockWaitTimeout, ErLockDeadlock, ErQueryInterrupted, ErConnectionKilled:
		return KindBusy
	case ErSlaveMustStop, ErBadSlave, ErSlaveNotRunning, ErAutoPositionNoGTID, ErReadOnly:
		return KindState
	}
	return KindServer
}

// ErrorNumber returns the server's error number when err is (or wraps) an
// error the server returned.
func ErrorNumber(err error) (uint16, bool) {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number, true
	}
	return 0, false
}

// privilegeRE finds the privilege names in a 1227 message: "Access denied;
// you need (at least one of) the READ_ONLY ADMIN privilege(s) for this
// operation".
var privilegeRE = regexp.MustCompile(`the (.+?) privilege\(s\)`)

// MissingPrivilege returns the privilege a 1227 error names ("" for other
// errors).
func MissingPrivilege(err error) string {
	var me *mysql.MySQLError
	if !errors.As(err, &me) || me.Number != ErSpecificAccessDenied {
		return ""
	}
	if m := privilegeRE.FindStringSubmatch(me.Message); m != nil {
		return m[1]
	}
	return ""
}
