package api

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// orchestrator-client's remaining replication controls. The ones on an
// instance alone go through Operations.Replica; those with an argument and
// the moves through ReplicaControl.
const (
	OpStopReplicaNice        ReplicaOp = "stop-replica-nice"
	OpSkipQuery              ReplicaOp = "skip-query"
	OpEnableSemiSyncMaster   ReplicaOp = "enable-semi-sync-master"
	OpDisableSemiSyncMaster  ReplicaOp = "disable-semi-sync-master"
	OpEnableSemiSyncReplica  ReplicaOp = "enable-semi-sync-replica"
	OpDisableSemiSyncReplica ReplicaOp = "disable-semi-sync-replica"
	OpFlushBinaryLogs        ReplicaOp = "flush-binary-logs"
	OpPurgeBinaryLogs        ReplicaOp = "purge-binary-logs"
	OpDelayReplication       ReplicaOp = "delay-replication"
	OpMoveUp                 ReplicaOp = "move-up"
	OpMoveBelow              ReplicaOp = "move-below"
	OpRepoint                ReplicaOp = "repoint"
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
	// Move relocates key with GTID: OpMoveUp below its source's source
	// (dest is zero), OpMoveBelow below its sibling dest, OpRepoint below
	// dest. It returns key's instance.
	Move(ctx context.Context, op ReplicaOp, key, dest events.InstanceKey, who string) (*projections.Instance, error)
}

// binlogNameRE is a binary log file name (no path).
var binlogNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$`)

// registerReplicaControl adds the routes of this file through wr (the
// leader-only write registration of registerWrites).
func (a *recoveryAPI) registerReplicaControl(wr func(pattern, op string, h http.HandlerFunc)) {
	for _, op := range []ReplicaOp{OpStopReplicaNice, OpSkipQuery, OpEnableSemiSyncMaster, OpDisableSemiSyncMaster,
		OpEnableSemiSyncReplica, OpDisableSemiSyncReplica, OpFlushBinaryLogs} {
		wr(string(op)+"/{host}/{port}", string(op), a.replica(op))
	}
	wr("stop-slave-nice/{host}/{port}", "stop-slave-nice", a.replica(OpStopReplicaNice))
	// orchestrator's *-master-host variants change Master_Host to "//host",
	// which is what Regent's detach-replica does: synonyms.
	for name, op := range map[string]ReplicaOp{"detach-replica-master-host": OpDetachReplica, "reattach-replica-master-host": OpReattachReplica,
		"detach-slave-master-host": OpDetachReplica, "reattach-slave-master-host": OpReattachReplica} {
		wr(name+"/{host}/{port}", name, a.replica(op))
	}
	wr("purge-binary-logs/{host}/{port}/{binlog}", string(OpPurgeBinaryLogs), a.purgeBinaryLogs)
	wr("delay-replication/{host}/{port}/{seconds}", string(OpDelayReplication), a.delayReplication)
	wr("move-up/{host}/{port}", string(OpMoveUp), a.move(OpMoveUp))
	wr("move-below/{host}/{port}/{dhost}/{dport}", string(OpMoveBelow), a.move(OpMoveBelow))
	wr("repoint/{host}/{port}/{dhost}/{dport}", string(OpRepoint), a.move(OpRepoint))
}

// control returns ops as ReplicaControl, or answers that it is missing.
func (a *recoveryAPI) control(w http.ResponseWriter, op ReplicaOp) (ReplicaControl, bool) {
	rc, ok := a.ops.(ReplicaControl)
	if !ok {
		respondError(w, fmt.Sprintf("%s: not supported by this node's operations", op), nil)
	}
	return rc, ok
}

func (a *recoveryAPI) purgeBinaryLogs(w http.ResponseWriter, req *http.Request) {
	const op = OpPurgeBinaryLogs
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
	const op = OpDelayReplication
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

func (a *recoveryAPI) move(op ReplicaOp) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		k, err := a.knownKey(req, "")
		if err != nil {
			respondError(w, string(op)+": "+err.Error(), nil)
			return
		}
		var dest events.InstanceKey
		if op != OpMoveUp {
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
