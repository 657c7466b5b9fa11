package api

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"github.com/regent-ha/regent/control"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// MaxReplicationDelay bounds delay-replication's seconds (a week).
const MaxReplicationDelay = 7 * 24 * 3600

// ReplicaControl is what Operations offer beyond Replica for
// orchestrator's replication controls that take an argument, and for the
// GTID moves. The API answers "not supported" when ops lack it.
type ReplicaControl interface {
	// PurgeBinaryLogs purges key's binary logs before binlog. Unless force,
	// it is refused while a replica of key still reads or executes an
	// older one.
	PurgeBinaryLogs(ctx context.Context, key events.InstanceKey, binlog string, force bool, who string) (*projections.Instance, error)
	// DelayReplication sets key's SQL thread delay, keeping the threads'
	// state.
	DelayReplication(ctx context.Context, key events.InstanceKey, seconds int, who string) (*projections.Instance, error)
	// Move relocates key with GTID: control.OpMoveUp below its source's source
	// (dest is zero), control.OpMoveBelow below its sibling dest, control.OpRepoint below
	// dest. It returns key's instance.
	Move(ctx context.Context, op control.ReplicaOp, key, dest events.InstanceKey, who string) (*projections.Instance, error)
}

// binlogNameRE is a binary log file name (no path).
var binlogNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$`)

// registerReplicaControl adds the routes of this file through wr (the
// leader-only write registration of registerWrites).
func (a *recoveryAPI) registerReplicaControl(wr func(pattern, op string, h http.HandlerFunc)) {
	for _, op := range []control.ReplicaOp{control.OpStopReplicaNice, control.OpSkipQuery, control.OpEnableSemiSyncMaster, control.OpDisableSemiSyncMaster,
		control.OpEnableSemiSyncReplica, control.OpDisableSemiSyncReplica, control.OpFlushBinaryLogs} {
		wr(string(op)+"/{host}/{port}", string(op), a.replica(op))
	}
	wr("stop-slave-nice/{host}/{port}", "stop-slave-nice", a.replica(control.OpStopReplicaNice))
	// orchestrator's *-master-host variants change Master_Host to "//host",
	// which is what Regent's detach-replica does: synonyms.
	for name, op := range map[string]control.ReplicaOp{"detach-replica-master-host": control.OpDetachReplica, "reattach-replica-master-host": control.OpReattachReplica,
		"detach-slave-master-host": control.OpDetachReplica, "reattach-slave-master-host": control.OpReattachReplica} {
		wr(name+"/{host}/{port}", name, a.replica(op))
	}
	wr("purge-binary-logs/{host}/{port}/{binlog}", string(control.OpPurgeBinaryLogs), a.purgeBinaryLogs)
	wr("delay-replication/{host}/{port}/{seconds}", string(control.OpDelayReplication), a.delayReplication)
	wr("move-up/{host}/{port}", string(control.OpMoveUp), a.move(control.OpMoveUp))
	wr("move-below/{host}/{port}/{dhost}/{dport}", string(control.OpMoveBelow), a.move(control.OpMoveBelow))
	wr("repoint/{host}/{port}/{dhost}/{dport}", string(control.OpRepoint), a.move(control.OpRepoint))
}

// control returns ops as ReplicaControl, or answers that it is missing.
func (a *recoveryAPI) control(w http.ResponseWriter, op control.ReplicaOp) (ReplicaControl, bool) {
	rc, ok := a.ops.(ReplicaControl)
	if !ok {
		respondError(w, fmt.Sprintf("%s: not supported by this node's operations", op), nil)
	}
	return rc, ok
}

func (a *recoveryAPI) purgeBinaryLogs(w http.ResponseWriter, req *http.Request) {
	const op = control.OpPurgeBinaryLogs
	k, err := a.knownKey(req, "")
	if err != nil {
		respondError(w, string(op)+": "+err.Error(), nil)
		return
	}
	binlog := req.PathValue("binlog")
	if !binlogNameRE.MatchString(binlog) {
		respondError(w, fmt.Sprintf("%s: invalid binary log name %q (-n): want a file name such as mysql-bin.000042", op, binlog), nil)
		return
	}
	force := false
	if f := req.URL.Query().Get("force"); f != "" {
		if force, err = strconv.ParseBool(f); err != nil {
			respondError(w, fmt.Sprintf("%s: invalid force %q: want true or false", op, f), nil)
			return
		}
	}
	rc, ok := a.control(w, op)
	if !ok {
		return
	}
	inst, err := rc.PurgeBinaryLogs(req.Context(), k, binlog, force, a.s.requestUser(req))
	if err != nil {
		respondError(w, string(op)+": "+err.Error(), nil)
		return
	}
	respondOK(w, fmt.Sprintf("Binary logs purged to %s on %s", binlog, k), inst)
}

func (a *recoveryAPI) delayReplication(w http.ResponseWriter, req *http.Request) {
	const op = control.OpDelayReplication
	k, err := a.knownKey(req, "")
	if err != nil {
		respondError(w, string(op)+": "+err.Error(), nil)
		return
	}
	s := req.PathValue("seconds")
	seconds, err := strconv.Atoi(s)
	if err != nil || seconds < 0 || seconds > MaxReplicationDelay {
		respondError(w, fmt.Sprintf("%s: invalid seconds %q (-S): want a whole number 0..%d", op, s, MaxReplicationDelay), nil)
		return
	}
	rc, ok := a.control(w, op)
	if !ok {
		return
	}
	inst, err := rc.DelayReplication(req.Context(), k, seconds, a.s.requestUser(req))
	if err != nil {
		respondError(w, string(op)+": "+err.Error(), nil)
		return
	}
	respondOK(w, fmt.Sprintf("Replication delayed by %d s on %s", seconds, k), inst)
}

func (a *recoveryAPI) move(op control.ReplicaOp) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		k, err := a.knownKey(req, "")
		if err != nil {
			respondError(w, string(op)+": "+err.Error(), nil)
			return
		}
		var dest events.InstanceKey
		if op != control.OpMoveUp {
			if dest, err = a.knownKey(req, "d"); err != nil {
				respondError(w, string(op)+": destination: "+err.Error(), nil)
				return
			}
			if dest == k {
				respondError(w, fmt.Sprintf("%s: cannot move %s below itself", op, k), nil)
				return
			}
		}
		rc, ok := a.control(w, op)
		if !ok {
			return
		}
		inst, err := rc.Move(req.Context(), op, k, dest, a.s.requestUser(req))
		if err != nil {
			respondError(w, string(op)+": "+err.Error(), nil)
			return
		}
		below := dest
		if inst != nil {
			below = inst.MasterKey
		}
		respondOK(w, fmt.Sprintf("Instance %s moved (%s) below %s", k, op, below), inst)
	}
}
