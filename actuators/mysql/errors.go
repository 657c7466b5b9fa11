package mysql

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"syscall"

	"github.com/go-sql-driver/mysql"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
)

// MySQL/MariaDB error numbers the classifier knows.
const (
	erDBAccessDenied       = 1044
	erAccessDenied         = 1045
	erTableAccessDenied    = 1142
	erColumnAccessDenied   = 1143
	erSpecificAccessDenied = 1227
	erAccessDeniedNoPass   = 1698
	erHostNotPrivileged    = 1130
	erTooManyConnections   = 1040
	erServerShutdown       = 1053
	erLockWaitTimeout      = 1205
	erLockDeadlock         = 1213
	erQueryInterrupted     = 1317
	erConnectionKilled     = 1927
	erSlaveMustStop        = 1198
	erBadSlave             = 1200
	erSlaveNotRunning      = 1199
	erAutoPositionNoGTID   = 1777
	erReadOnly             = 1290
)

// privilegeRE finds the privilege names in a 1227 message: "Access denied;
// you need (at least one of) the READ_ONLY ADMIN privilege(s) for this
// operation".
var privilegeRE = regexp.MustCompile(`the (.+?) privilege\(s\)`)

// wrap classifies err as an *actuators.Error of op on key.
func wrap(op string, key events.InstanceKey, err error) error {
	if err == nil {
		return nil
	}
	var ae *actuators.Error
	if errors.As(err, &ae) {
		return err
	}
	kind := classify(err)
	var me *mysql.MySQLError
	if kind == actuators.Permanent && errors.As(err, &me) && me.Number == erSpecificAccessDenied {
		if m := privilegeRE.FindStringSubmatch(me.Message); m != nil {
			err = fmt.Errorf("missing privilege %s: %w", m[1], err)
		}
	}
	return &actuators.Error{Kind: kind, Op: op, Key: key, Err: err}
}

// precondition builds a Precondition error.
func precondition(op string, key events.InstanceKey, format string, args ...any) error {
	return &actuators.Error{Kind: actuators.Precondition, Op: op, Key: key, Err: fmt.Errorf(format, args...)}
}

// classify returns the kind of a driver or network error.
func classify(err error) actuators.ErrorKind {
	var me *mysql.MySQLError
	var ne net.Error
	switch {
	case errors.As(err, &me):
		return classifyServer(me.Number)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return actuators.Transient
	case errors.As(err, &ne) && ne.Timeout():
		return actuators.Transient
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return actuators.Transient
	case errors.Is(err, mysql.ErrInvalidConn), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return actuators.Transient
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return actuators.Transient
	}
	return actuators.Permanent
}

func classifyServer(number uint16) actuators.ErrorKind {
	switch number {
	case erDBAccessDenied, erAccessDenied, erTableAccessDenied, erColumnAccessDenied,
		erSpecificAccessDenied, erAccessDeniedNoPass, erHostNotPrivileged:
		return actuators.Permanent
	case erTooManyConnections, erServerShutdown, erLockWaitTimeout, erLockDeadlock,
		erQueryInterrupted, erConnectionKilled:
		return actuators.Transient
	case erSlaveMustStop, erBadSlave, erSlaveNotRunning, erAutoPositionNoGTID, erReadOnly:
		return actuators.Precondition
	}
	return actuators.Permanent
}
