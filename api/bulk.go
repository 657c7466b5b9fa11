package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/regent-ha/regent/control"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// BulkControl is what Operations offer for orchestrator's refactorings in
// bulk and by role, and for recover with a designated candidate or without
// hooks. The API answers "not supported" when ops lack it.
type BulkControl interface {
	// BulkMove runs op (control.OpRelocateReplicas, …) on key as one
	// manual operation; dest is the destination where op takes one,
	// pattern a regular expression on the replicas' host:port ("" all).
	BulkMove(ctx context.Context, op control.ReplicaOp, key, dest events.InstanceKey, pattern, who string) (control.BulkResult, error)
	// RecoverWith is Recover promoting candidate (zero: Regent chooses),
	// without hooks when lite.
	RecoverWith(ctx context.Context, failed, candidate events.InstanceKey, lite bool, who string) (events.InstanceKey, error)
}

// registerBulk adds the routes of this file through wr (the leader-only
// write registration of registerWrites), at orchestrator's paths.
func (a *recoveryAPI) registerBulk(wr func(pattern, op string, h http.HandlerFunc)) {
	for _, op := range []control.ReplicaOp{control.OpRelocateReplicas, control.OpMoveReplicasGTID} {
		wr(string(op)+"/{host}/{port}/{dhost}/{dport}", string(op), a.bulk(op))
	}
	// orchestrator-client sends these with a trailing slash (its empty -d).
	for _, op := range []control.ReplicaOp{control.OpMoveUpReplicas, control.OpRepointReplicas, control.OpRegroupReplicas,
		control.OpTakeMaster, control.OpTakeSiblings, control.OpMakeCoMaster} {
		wr(string(op)+"/{host}/{port}", string(op), a.bulk(op))
		wr(string(op)+"/{host}/{port}/{$}", string(op), a.bulk(op))
	}
	wr("relocate-below/{host}/{port}/{dhost}/{dport}", string(control.OpRelocateBelow), a.move(control.OpRelocateBelow))
	wr("move-below-gtid/{host}/{port}/{dhost}/{dport}", string(control.OpMoveBelowGTID), a.move(control.OpMoveBelowGTID))
	wr("enable-gtid/{host}/{port}", string(control.OpEnableGTID), a.replica(control.OpEnableGTID))
	wr("disable-gtid/{host}/{port}", string(control.OpDisableGTID), a.replica(control.OpDisableGTID))
	wr("recover/{host}/{port}/{dhost}/{dport}", "recover", a.recoverWith(false))
	wr("recover-lite/{host}/{port}", "recover-lite", a.recoverWith(true))
	wr("recover-lite/{host}/{port}/{dhost}/{dport}", "recover-lite", a.recoverWith(true))
}

func (a *recoveryAPI) bulkControl(w http.ResponseWriter, op string) (BulkControl, bool) {
	bc, ok := a.ops.(BulkControl)
	if !ok {
		respondError(w, op+": not supported by this node's operations", nil)
	}
	return bc, ok
}

func (a *recoveryAPI) bulk(op control.ReplicaOp) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		k, err := a.knownKey(req, "")
		if err != nil {
			respondError(w, string(op)+": "+err.Error(), nil)
			return
		}
		var dest events.InstanceKey
		if req.PathValue("dhost") != "" {
			if dest, err = a.knownKey(req, "d"); err != nil {
				respondError(w, string(op)+": destination: "+err.Error(), nil)
				return
			}
		}
		bc, ok := a.bulkControl(w, string(op))
		if !ok {
			return
		}
		res, err := bc.BulkMove(req.Context(), op, k, dest, req.URL.Query().Get("pattern"), a.s.requestUser(req))
		if err != nil {
			respondError(w, string(op)+": "+err.Error(), nil)
			return
		}
		msg, details := bulkAnswer(op, k, res)
		respondOK(w, msg, details)
	}
}

// bulkAnswer is orchestrator's message and Details for op.
func bulkAnswer(op control.ReplicaOp, k events.InstanceKey, res control.BulkResult) (string, any) {
	moved := res.Moved
	if moved == nil {
		moved = []*projections.Instance{}
	}
	errs := "[" + strings.Join(res.Skipped, " ") + "]"
	switch op {
	case control.OpRelocateReplicas:
		return fmt.Sprintf("Relocated %d replicas of %s below %s; %d errors: %s", len(moved), k, res.Below, len(res.Skipped), errs), moved
	case control.OpMoveUpReplicas:
		return fmt.Sprintf("Moved up %d replicas of %s below %s; %d errors: %s", len(moved), k, res.Below, len(res.Skipped), errs), moved
	case control.OpRepointReplicas:
		return fmt.Sprintf("Repointed %d replicas of %s", len(moved), k), moved
	case control.OpMoveReplicasGTID: // orchestrator answers the destination's key
		return fmt.Sprintf("Moved %d replicas of %s below %s via GTID; %d errors: %s", len(moved), k, res.Below, len(res.Skipped), errs), res.Below
	case control.OpRegroupReplicas:
		return fmt.Sprintf("promoted replica: %s, lost: %d, trivial: %d, pseudo-gtid: %d", res.Below, len(res.Skipped), 0, len(moved)), res.Below
	case control.OpTakeSiblings:
		return fmt.Sprintf("Took %d siblings of %s", len(moved), k), res.Instance
	}
	return fmt.Sprintf("%s took its master", k), res.Instance
}

func (a *recoveryAPI) recoverWith(lite bool) http.HandlerFunc {
	name := "recover"
	if lite {
		name = "recover-lite"
	}
	return func(w http.ResponseWriter, req *http.Request) {
		k, err := a.knownKey(req, "")
		if err != nil {
			respondError(w, err.Error(), nil)
			return
		}
		var cand events.InstanceKey
		if req.PathValue("dhost") != "" {
			if cand, err = a.knownKey(req, "d"); err != nil {
				respondError(w, name+": candidate: "+err.Error(), nil)
				return
			}
		}
		bc, ok := a.bulkControl(w, name)
		if !ok {
			return
		}
		succ, err := bc.RecoverWith(req.Context(), k, cand, lite, a.s.requestUser(req))
		if err != nil {
			respondError(w, err.Error(), k)
			return
		}
		respondOK(w, fmt.Sprintf("Recovery executed on %s; promoted %s", k, succ), succ)
	}
}
