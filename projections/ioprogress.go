package projections

import (
	"time"

	"github.com/regent-ha/regent/events"
)

// ioTrack remembers when an instance's replication IO last made progress
// and when its own binary log last moved. The failure analysis uses it to
// tell a replica that still receives from its source (under write load the
// read positions move; idle, the heartbeat count grows) from one whose
// source is gone or cut off (both stop, even while the IO thread still
// says Running).
type ioTrack struct {
	source     events.InstanceKey
	read       events.BinlogCoordinates // highest read coordinates seen
	heartbeats int64                    // highest heartbeat count seen
	ioPos      string                   // Gtid_IO_Pos last seen
	retrieved  string                   // Retrieved_Gtid_Set last seen
	progressAt time.Time                // event time IO progress last advanced
	checkedAt  time.Time                // event time of the latest merged observation

	self         events.BinlogCoordinates
	selfExecuted string    // gtid_executed last seen
	selfBinlog   string    // gtid_binlog_pos last seen
	selfAt       time.Time // event time the instance's own log last moved
}

// track folds the moving parts just stored in mv, observed at `at`. r is
// the replication status of the full observation they belong to (nil: not
// a replica). Positions are compared as "advanced", so a late report from
// a slower origin does not count as progress; the GTID positions count when
// they differ from the last seen.
func (mv *moving) track(r *events.Replication, at time.Time) {
	io := &mv.io
	if io.selfAt.IsZero() || coordsAfter(mv.self, io.self) || mv.gtidExecuted != io.selfExecuted || mv.gtidBinlog != io.selfBinlog {
		io.self, io.selfExecuted, io.selfBinlog = maxCoords(mv.self, io.self), mv.gtidExecuted, mv.gtidBinlog
		io.selfAt = laterOf(io.selfAt, at)
	}
	if r == nil {
		io.source, io.read, io.heartbeats, io.ioPos, io.retrieved = events.InstanceKey{}, events.BinlogCoordinates{}, 0, "", ""
		io.progressAt, io.checkedAt = time.Time{}, time.Time{}
		return
	}
	if r.SourceKey != io.source || io.progressAt.IsZero() {
		io.source, io.read, io.heartbeats = r.SourceKey, mv.read, mv.heartbeats
		io.ioPos, io.retrieved = mv.gtidIOPos, mv.retrieved
		io.progressAt, io.checkedAt = at, at
		return
	}
	if mv.heartbeats > io.heartbeats || coordsAfter(mv.read, io.read) || mv.gtidIOPos != io.ioPos || mv.retrieved != io.retrieved {
		io.progressAt = laterOf(io.progressAt, at)
	}
	io.heartbeats = max(io.heartbeats, mv.heartbeats)
	io.read = maxCoords(mv.read, io.read)
	io.ioPos, io.retrieved = mv.gtidIOPos, mv.retrieved
	io.checkedAt = laterOf(io.checkedAt, at)
}

// coordsAfter reports whether a is past b (same-named logs sort by name).
func coordsAfter(a, b events.BinlogCoordinates) bool {
	if a.LogFile != b.LogFile {
		return a.LogFile > b.LogFile
	}
	return a.LogPos > b.LogPos
}

func maxCoords(a, b events.BinlogCoordinates) events.BinlogCoordinates {
	if coordsAfter(b, a) {
		return b
	}
	return a
}

func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
