package mysql

import (
	"errors"
	"fmt"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/mysqlconn"
)

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
	if p := mysqlconn.MissingPrivilege(err); p != "" {
		err = fmt.Errorf("missing privilege %s: %w", p, err)
	}
	return &actuators.Error{Kind: kind, Op: op, Key: key, Err: err}
}

// precondition builds a Precondition error.
func precondition(op string, key events.InstanceKey, format string, args ...any) error {
	return &actuators.Error{Kind: actuators.Precondition, Op: op, Key: key, Err: fmt.Errorf(format, args...)}
}

// classify maps mysqlconn's kinds onto the actuators': what a retry may
// cure is Transient, a server in the wrong replication state is a
// Precondition, the rest (credentials, privileges, other server errors) is
// Permanent.
func classify(err error) actuators.ErrorKind {
	switch mysqlconn.Classify(err) {
	case mysqlconn.KindTimeout, mysqlconn.KindCanceled, mysqlconn.KindRefused, mysqlconn.KindConnectionLost, mysqlconn.KindBusy:
		return actuators.Transient
	case mysqlconn.KindState:
		return actuators.Precondition
	}
	return actuators.Permanent
}
