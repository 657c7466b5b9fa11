package main

import (
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/config"
	"github.com/regent-ha/regent/control/audit"
	"github.com/regent-ha/regent/events/eventlog"
)

// newAuditWriter opens AuditLogFile and AuditToSyslog's syslog connection;
// nil when neither is set.
func newAuditWriter(cfg config.Config, elog *eventlog.Log, logger zerolog.Logger) (*audit.Writer, error) {
	return audit.NewWriter(elog, audit.WriterOptions{File: cfg.AuditLogFile, Syslog: cfg.AuditToSyslog}, logger)
}
