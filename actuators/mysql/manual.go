package mysql

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/regent-ha/regent/actuators"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/events/gtid"
)

// This file holds operator-only operations (detach/reattach, errant GTID
// repairs). They are not part of actuators.DB: recoveries never use them.

// detachedPrefix marks a detached source host, as orchestrator's
// detach-replica-master-host: reversible, and never a reachable host.
const detachedPrefix = "//"

// maxInjectedGTIDs bounds gtid-errant-inject-empty.
const maxInjectedGTIDs = 10000

// DetachSource stops replication on key and turns its source host into
// "//host", so it cannot reconnect until ReattachSource. A replica already
// detached is left alone; a server without a source is a Precondition error.
func (d *DB) DetachSource(ctx context.Context, key events.InstanceKey) error {
	const op = "detach source"
	s, dl, r, err := d.replicaOf(ctx, op, key)
	if err != nil {
		return err
	}
	switch {
	case !r.present:
		return precondition(op, key, "no source configured")
	case strings.HasPrefix(r.host, detachedPrefix):
		d.skipped(key, op)
		return nil
	}
	if r.ioStarted() || r.sqlStarted() {
		if err := d.exec(ctx, s, key, dl.StopReplica); err != nil {
			return d.fail(op, key, err)
		}
	}
	stmt := dl.ChangeSourceHostSQL()
	return d.fail(op, key, d.exec(ctx, s, key, stmt, detachedPrefix+r.host))
}

// ReattachSource undoes DetachSource and starts replication. A replica
// that is not detached only has its replication started.
func (d *DB) ReattachSource(ctx context.Context, key events.InstanceKey) error {
	const op = "reattach source"
	s, dl, r, err := d.replicaOf(ctx, op, key)
	if err != nil {
		return err
	}
	if !r.present {
		return precondition(op, key, "no source configured")
	}
	if strings.HasPrefix(r.host, detachedPrefix) {
		stmt := dl.ChangeSourceHostSQL()
		if err := d.exec(ctx, s, key, stmt, strings.TrimPrefix(r.host, detachedPrefix)); err != nil {
			return d.fail(op, key, err)
		}
	}
	return d.StartReplica(ctx, key)
}

// InjectEmptyGTIDs commits one empty transaction per GTID of set on key
// (MySQL GTID only; key is the cluster's writable primary), as
// orchestrator's gtid-errant-inject-empty. It returns how many it injected.
func (d *DB) InjectEmptyGTIDs(ctx context.Context, key events.InstanceKey, set string) (int, error) {
	const op = "inject empty transactions"
	s, dl, err := d.dialect(ctx, key)
	if err != nil {
		return 0, d.fail(op, key, err)
	}
	if dl.mariaDB {
		return 0, precondition(op, key, "MariaDB has no GTID sets to fill with empty transactions")
	}
	gtids, err := explode(set)
	if err != nil {
		return 0, &actuators.Error{Kind: actuators.Permanent, Op: op, Key: key, Err: err}
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return 0, d.fail(op, key, err)
	}
	defer conn.Close()
	for i, g := range gtids {
		for _, stmt := range []string{"SET gtid_next='" + g + "'", "BEGIN", "COMMIT", "SET gtid_next='AUTOMATIC'"} {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				return i, d.fail(op, key, fmt.Errorf("inject %s: %w", g, err))
			}
		}
	}
	d.log.Info().Str(events.LogInstance, key.String()).Int("count", len(gtids)).Str("gtids", set).Msg("injected empty transactions")
	return len(gtids), nil
}

// explode lists the single GTIDs of a MySQL GTID set (bounded).
func explode(set string) ([]string, error) {
	parsed, err := gtid.ParseSet(set)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, src := range parsed.Sources() {
		for _, iv := range src.Intervals {
			if uint64(len(out))+iv.End-iv.Start+1 > maxInjectedGTIDs {
				return nil, fmt.Errorf("gtid set %s holds more than %d transactions", set, maxInjectedGTIDs)
			}
			for n := iv.Start; n <= iv.End; n++ {
				out = append(out, src.SID+":"+strconv.FormatUint(n, 10))
			}
		}
	}
	return out, nil
}
