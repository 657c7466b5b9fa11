package api

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/timeline"
)

// LogAudit implements AuditReader over the event stream: orchestrator's
// general audit, newest first, one entry per event. The whole audit is
// the log; an instance's audit looks through the last scan events. Safe
// for concurrent use (every call reads the log anew).
type LogAudit struct {
	elog     *eventlog.Log
	pageSize int    // orchestrator's AuditPageSize default, 20
	scan     uint64 // how far back an instance's audit looks
}

var _ AuditReader = LogAudit{}

// NewLogAudit is the audit of l: orchestrator's page size (20), an
// instance's audit over the last 20,000 events.
func NewLogAudit(l *eventlog.Log) LogAudit { return LogAudit{elog: l, pageSize: 20, scan: 20000} }

var errAuditDone = errors.New("audit window read")

// maxAuditPages bounds how far back the audit pages (100,000 events): a
// later page is empty, and no request reads the whole stream.
const maxAuditPages = 5000

// Audit implements AuditReader.
func (a LogAudit) Audit(ctx context.Context, key events.InstanceKey, page int) ([]AuditEntry, error) {
	if page < 0 || page >= maxAuditPages {
		return nil, nil
	}
	last, err := a.elog.StreamLastSeq(ctx, events.EventsName)
	if err != nil || last == 0 {
		return nil, err
	}
	want := (page + 1) * a.pageSize
	span := uint64(want)
	if !key.IsZero() {
		span = max(span, a.scan)
	}
	start := uint64(1)
	if last > span {
		start = last - span + 1
	}
	var kept []eventlog.Record // the newest want matches, oldest first
	err = a.elog.Read(ctx, eventlog.ReadOptions{Stream: events.EventsName, StartSeq: start}, func(r eventlog.Record) error {
		if r.Sequence > last {
			return errAuditDone
		}
		if key.IsZero() || r.Env.Instance == key.String() {
			if kept = append(kept, r); len(kept) > want {
				kept = kept[1:]
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errAuditDone) {
		return nil, fmt.Errorf("read the audit from the event log: %w", err)
	}
	slices.Reverse(kept)
	lo := min(page*a.pageSize, len(kept))
	out := make([]AuditEntry, 0, len(kept)-lo)
	for _, r := range kept[lo:] {
		out = append(out, logAuditEntry(r))
	}
	return out, nil
}

func logAuditEntry(r eventlog.Record) AuditEntry {
	e := AuditEntry{AuditId: r.Sequence, AuditTimestamp: r.Env.Time.UTC().Format(projections.TimestampLayout),
		AuditType: r.Env.Kind.String(), Message: timeline.Summary(r.Env)}
	if k, err := projections.ParseInstanceKey(r.Env.Instance, 3306); err == nil && r.Env.Instance != "" {
		e.AuditInstanceKey = k
	}
	return e
}
