package audit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/syslog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/eventlog"
	"github.com/regent-ha/regent/projections/timeline"
)

// WriterOptions are orchestrator's AuditLogFile and AuditToSyslog.
type WriterOptions struct {
	// File, when set, gets every event as one line (appended; created
	// 0640). A restarted node resumes after the last sequence in it.
	File string
	// Syslog, when true, sends every event as one syslog message (facility
	// daemon, severity info, tag "regent") to the local syslog daemon.
	Syslog bool
	// SyslogNetwork and SyslogAddress name a syslog daemon other than the
	// local one (tests: a unixgram socket); empty: the local one.
	SyslogNetwork, SyslogAddress string
}

// Writer follows the event stream and writes each event, as the line
// `regent replay` prints (time, sequence, cluster, kind, summary), to the
// audit file and to syslog. Run owns its one goroutine; a failed write is
// logged and retried on the next event, it does not stop the node.
type Writer struct {
	elog   *eventlog.Log
	opts   WriterOptions
	log    zerolog.Logger
	file   *os.File
	syslog io.Writer
}

// NewWriter opens the sinks of o; nil when o asks for none.
func NewWriter(elog *eventlog.Log, o WriterOptions, logger zerolog.Logger) (*Writer, error) {
	if o.File == "" && !o.Syslog {
		return nil, nil
	}
	w := &Writer{elog: elog, opts: o, log: logger.With().Str(events.LogComponent, "auditlog").Logger()}
	if o.File != "" {
		f, err := os.OpenFile(o.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return nil, fmt.Errorf("open AuditLogFile %s: %w", o.File, err)
		}
		w.file = f
	}
	if o.Syslog {
		s, err := syslog.Dial(o.SyslogNetwork, o.SyslogAddress, syslog.LOG_INFO|syslog.LOG_DAEMON, "regent")
		if err != nil {
			_ = w.Close()
			return nil, fmt.Errorf("connect to syslog (AuditToSyslog): %w", err)
		}
		w.syslog = s
	}
	return w, nil
}

// Close releases the sinks, after Run has returned; a second Close does
// nothing.
func (w *Writer) Close() error {
	var errs []error
	if w.file != nil {
		errs = append(errs, w.file.Close())
		w.file = nil
	}
	if c, ok := w.syslog.(io.Closer); ok {
		errs = append(errs, c.Close())
		w.syslog = nil
	}
	return errors.Join(errs...)
}

// Run writes every event stored from the start point on until ctx ends:
// after the last sequence the audit file holds, or, for a new file or
// syslog alone, after the last event stored when Run starts. A read that
// fails (the stream's leader moved) resumes after the last event written.
func (w *Writer) Run(ctx context.Context) error {
	next, err := w.startSeq(ctx)
	if err != nil {
		return err
	}
	failing := false
	for ctx.Err() == nil {
		err := w.elog.Follow(ctx, eventlog.ReadOptions{Stream: events.EventsName, StartSeq: next, Workers: 1}, func(r eventlog.Record) error {
			next = r.Sequence + 1
			failing = w.writeRecord(r, failing)
			return nil
		})
		if ctx.Err() != nil {
			break
		}
		w.log.Warn().Err(err).Uint64(events.LogSeq, next).Msg("follow the events for the audit log; resuming in 1s")
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return nil
}

// writeRecord writes one event; it logs the first failure of a run of
// failures and the recovery, and returns whether this write failed.
func (w *Writer) writeRecord(r eventlog.Record, failing bool) bool {
	line := OneLine(timeline.Line(timeline.Item{Stream: r.Stream, Seq: r.Sequence, Stored: r.Stored, Env: r.Env, Subject: r.Subject}, false))
	if err := w.write(line); err != nil {
		if !failing {
			w.log.Error().Err(err).Uint64(events.LogSeq, r.Sequence).Msg("write the audit log; later events are tried again")
		}
		return true
	}
	if failing {
		w.log.Info().Uint64(events.LogSeq, r.Sequence).Msg("the audit log is written again")
	}
	return false
}

// write sends one line to each sink; the first error is returned after
// trying all of them.
func (w *Writer) write(line string) error {
	var errs []error
	if w.file != nil {
		if _, err := w.file.WriteString(line + "\n"); err != nil {
			errs = append(errs, fmt.Errorf("write AuditLogFile %s: %w", w.opts.File, err))
		}
	}
	if w.syslog != nil {
		if _, err := w.syslog.Write([]byte(line)); err != nil {
			errs = append(errs, fmt.Errorf("write syslog: %w", err))
		}
	}
	return errors.Join(errs...)
}

// startSeq is the first sequence to write.
func (w *Writer) startSeq(ctx context.Context) (uint64, error) {
	if w.file != nil {
		last, err := lastSeqIn(w.opts.File)
		if err != nil {
			return 0, err
		}
		if last > 0 {
			return last + 1, nil
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	last, err := w.elog.StreamLastSeq(cctx, events.EventsName)
	if err != nil {
		return 0, fmt.Errorf("find the end of the event log for the audit log: %w", err)
	}
	return last + 1, nil
}

// lastSeqIn reads the highest sequence (second field) among the lines of
// the last 1 MiB of an audit file; 0 when there is none.
func lastSeqIn(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("read AuditLogFile %s: %w", path, err)
	}
	defer f.Close()
	const tail = 1 << 20
	if st, err := f.Stat(); err == nil && st.Size() > tail {
		if _, err := f.Seek(st.Size()-tail, io.SeekStart); err != nil {
			return 0, fmt.Errorf("read AuditLogFile %s: %w", path, err)
		}
	}
	var last uint64
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 2*tail)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		if n, err := strconv.ParseUint(fields[1], 10, 64); err == nil && n > last {
			last = n
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read AuditLogFile %s: %w", path, err)
	}
	return last, nil
}

// OneLine replaces line breaks so that an event is always one line.
func OneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}
