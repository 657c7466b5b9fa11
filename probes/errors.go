package probes

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/mysqlconn"
)

// ErrorKind classifies a failed probe. Callers switch on it, never on the
// error's text.
type ErrorKind int

// Error kinds.
const (
	// ErrUnknown is anything not classified below.
	ErrUnknown ErrorKind = iota
	// ErrTimeout: the probe's deadline (or a connect/read timeout) cut off a
	// server that did not answer — a hung or unreachable host.
	ErrTimeout
	// ErrRefused: the connection was refused or reset, or the host is
	// unreachable — a fast, definite failure.
	ErrRefused
	// ErrConnectionLost: an established connection dropped in the middle of
	// the probe — evidence at once, without waiting for a timeout.
	ErrConnectionLost
	// ErrPartial: the server answered but the probe could not complete (for
	// example the @@report_host rule).
	ErrPartial
	// ErrAuth: the server rejected the credentials.
	ErrAuth
	// ErrPrivilege: the user lacks a privilege a statement needs.
	ErrPrivilege
)

var errorKindNames = [...]string{"unknown", "timeout", "refused", "connection-lost", "partial", "auth", "privilege"}

func (k ErrorKind) String() string {
	if k >= 0 && int(k) < len(errorKindNames) {
		return errorKindNames[k]
	}
	return fmt.Sprintf("error-kind-%d", int(k))
}

// ProbeError is the error of a failed probe.
type ProbeError struct {
	Key  events.InstanceKey // the dialled key
	Kind ErrorKind
	// Partial is true when the server answered at least one statement.
	Partial bool
	// ConnectionLost is true when an established connection to the
	// instance dropped: in the middle of the probe (Kind
	// ErrConnectionLost), or an idle pooled connection was found closed and
	// a new one failed (Kind ErrRefused or ErrTimeout).
	ConnectionLost bool
	Err            error
}

func (e *ProbeError) Error() string { return e.Err.Error() }

func (e *ProbeError) Unwrap() error { return e.Err }

// ReportHostError is the failure of a probe configured with
// MySQLHostnameResolveMethod=@@report_host of a server without report_host.
// Its text is exactly orchestrator's.
type ReportHostError struct {
	Key events.InstanceKey // the dialled key
}

func (e *ReportHostError) Error() string {
	return "MySQLHostnameResolveMethod configured to use @@report_host but " + e.Key.String() + " has NULL/empty @@report_host"
}

// NameError is the failure of a probe of a server that reports a name
// Regent does not accept (events.ValidHost, events.ValidPort): as its own
// name (@@hostname, @@report_host, @@report_port) or as its source's
// (Master_Host, Source_Port, ...). Nothing is probed or discovered under
// that name; the failed probe is recorded, with this text, under the
// dialled key.
type NameError struct {
	Key   events.InstanceKey // the dialled key
	Field string             // the variable or column that holds the name
	Err   error              // wraps events.ErrInvalidName
}

func (e *NameError) Error() string {
	return e.Key.String() + " reports an invalid " + e.Field + ": " + e.Err.Error()
}

func (e *NameError) Unwrap() error { return e.Err }

// ErrIgnored is returned by Discover for an instance that matches
// DiscoveryIgnoreHostnameFilters.
var ErrIgnored = errors.New("instance matches DiscoveryIgnoreHostnameFilters")

// classify returns the kind of err. probeCtx is the probe's context: when its
// deadline has passed, whatever the driver said, the server was too slow.
// Server errors other than credentials and privileges mean the server
// answered: a partial probe.
func classify(probeCtx context.Context, err error) ErrorKind {
	var rh *ReportHostError
	var bad *NameError
	switch {
	case err == nil:
		return ErrUnknown
	case errors.As(err, &rh), errors.As(err, &bad):
		return ErrPartial
	case errors.Is(err, context.DeadlineExceeded) || (probeCtx != nil && errors.Is(probeCtx.Err(), context.DeadlineExceeded)):
		return ErrTimeout
	}
	switch mysqlconn.Classify(err) {
	case mysqlconn.KindAuth:
		return ErrAuth
	case mysqlconn.KindPrivilege:
		return ErrPrivilege
	case mysqlconn.KindBusy, mysqlconn.KindState, mysqlconn.KindServer:
		return ErrPartial
	case mysqlconn.KindTimeout:
		return ErrTimeout
	case mysqlconn.KindRefused:
		return ErrRefused
	case mysqlconn.KindConnectionLost:
		return ErrConnectionLost
	}
	return ErrUnknown
}

// IsTimeout and the helpers below read the classification of a probe error.
func IsTimeout(err error) bool { return KindOf(err) == ErrTimeout }

// KindOf returns the ErrorKind of a probe error (ErrUnknown for others).
func KindOf(err error) ErrorKind {
	var pe *ProbeError
	if errors.As(err, &pe) {
		return pe.Kind
	}
	return ErrUnknown
}

// Unreachable builds the payload of an InstanceUnreachable event from a
// probe error.
func Unreachable(key events.InstanceKey, err error, took time.Duration) events.InstanceUnreachable {
	u := events.InstanceUnreachable{Key: key, Error: err.Error(), ProbeDuration: took}
	var pe *ProbeError
	if errors.As(err, &pe) {
		u.Timeout = pe.Kind == ErrTimeout
		u.ConnectionLost = pe.ConnectionLost || pe.Kind == ErrConnectionLost
		u.Partial = pe.Partial || pe.Kind == ErrPartial
		u.Kind = pe.Kind.String()
	}
	return u
}
