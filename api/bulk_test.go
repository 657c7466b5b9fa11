package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/control"
	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
)

// fakeBulk adds BulkControl to fakeControl: every move lands below the
// destination (the primary where there is none).
type fakeBulk struct{ fakeControl }

func (f fakeBulk) BulkMove(_ context.Context, op control.ReplicaOp, key, dest events.InstanceKey, pattern, who string) (control.BulkResult, error) {
	f.call(fmt.Sprintf("%s %s %s %q", op, key, dest, pattern), who)
	if op == control.OpMakeCoMaster {
		return control.BulkResult{}, control.ErrCoMaster
	}
	if dest.IsZero() {
		dest = k("198.18.0.1")
	}
	return control.BulkResult{Below: dest, Moved: []*projections.Instance{{Key: k("198.18.0.3"), MasterKey: dest}},
		Skipped: []string{"cannot move 198.18.0.2:3306"}, Instance: &projections.Instance{Key: key, MasterKey: dest}}, nil
}

func (f fakeBulk) RecoverWith(_ context.Context, failed, cand events.InstanceKey, lite bool, who string) (events.InstanceKey, error) {
	f.call(fmt.Sprintf("recover %s %s lite=%v", failed, cand, lite), who)
	if cand.IsZero() {
		cand = k("198.18.0.2")
	}
	return cand, nil
}

func bulkServer(t *testing.T) (*Server, *fakeOps) {
	t.Helper()
	ops := &fakeOps{}
	s := New(Options{}, leader(), prometheus.NewRegistry(), zerolog.Nop())
	v := staticViews{testView(t)}
	s.RegisterRead(v, &fakeInventory{v: v.v}, 3306)
	s.RegisterRecovery(v, foldReader{testFold(t)}, fakeBulk{fakeControl{ops}})
	return s, ops
}

// TestBulkRoutes: each refactoring answers at orchestrator's path (with
// orchestrator-client's trailing slash too) with orchestrator's message and
// Details shape, and reaches the operator with its arguments.
func TestBulkRoutes(t *testing.T) {
	s, ops := bulkServer(t)
	const keys, key = "keys", "key"
	for _, c := range []struct{ path, call, msg, shape string }{
		{"/api/relocate-replicas/198.18.0.1/3306/198.18.0.2/3306?pattern=0%5C.3", `relocate-replicas 198.18.0.1:3306 198.18.0.2:3306 "0\\.3"`,
			"Relocated 1 replicas of 198.18.0.1:3306 below 198.18.0.2:3306; 1 errors: [cannot move 198.18.0.2:3306]", keys},
		{"/api/move-up-replicas/198.18.0.2/3306/", `move-up-replicas 198.18.0.2:3306  ""`, "Moved up 1 replicas of 198.18.0.2:3306 below 198.18.0.1:3306", keys},
		{"/api/move-up-replicas/198.18.0.2/3306", `move-up-replicas 198.18.0.2:3306  ""`, "Moved up 1 replicas", keys},
		{"/api/repoint-replicas/198.18.0.2/3306/", `repoint-replicas 198.18.0.2:3306  ""`, "Repointed 1 replicas of 198.18.0.2:3306", keys},
		{"/api/move-replicas-gtid/198.18.0.1/3306/198.18.0.2/3306", `move-replicas-gtid 198.18.0.1:3306 198.18.0.2:3306 ""`,
			"Moved 1 replicas of 198.18.0.1:3306 below 198.18.0.2:3306 via GTID", "dest"},
		{"/api/regroup-replicas/198.18.0.1/3306", `regroup-replicas 198.18.0.1:3306  ""`, "promoted replica: 198.18.0.1:3306, lost: 1, trivial: 0, pseudo-gtid: 1", "dest"},
		{"/api/take-siblings/198.18.0.2/3306", `take-siblings 198.18.0.2:3306  ""`, "Took 1 siblings of 198.18.0.2:3306", key},
		{"/api/take-master/198.18.0.3/3306", `take-master 198.18.0.3:3306  ""`, "198.18.0.3:3306 took its master", key},
		{"/api/relocate-below/198.18.0.3/3306/198.18.0.2/3306", "relocate-below 198.18.0.3:3306 198.18.0.2:3306", "relocate-below", key},
		{"/api/move-below-gtid/198.18.0.3/3306/198.18.0.2/3306", "move-below-gtid 198.18.0.3:3306 198.18.0.2:3306", "move-below-gtid", key},
		{"/api/enable-gtid/198.18.0.2/3306", "enable-gtid 198.18.0.2:3306", "enable-gtid", key},
		{"/api/disable-gtid/198.18.0.2/3306", "disable-gtid 198.18.0.2:3306", "disable-gtid", key},
		{"/api/recover/198.18.0.1/3306/198.18.0.3/3306", "recover 198.18.0.1:3306 198.18.0.3:3306 lite=false", "promoted 198.18.0.3:3306", "succ"},
		{"/api/recover-lite/198.18.0.1/3306", "recover 198.18.0.1:3306  lite=true", "promoted 198.18.0.2:3306", "succ"},
		{"/api/recover-lite/198.18.0.1/3306/198.18.0.3/3306", "recover 198.18.0.1:3306 198.18.0.3:3306 lite=true", "promoted 198.18.0.3:3306", "succ"},
	} {
		w, body := get(t, s, c.path, func(r *http.Request) { r.SetBasicAuth("dba", "") })
		code, msg, d := envelope(t, body)
		last := ""
		if n := len(ops.calls); n > 0 {
			last = ops.calls[n-1]
		}
		if w.Code != 200 || code != "OK" || last != c.call || !strings.Contains(msg, c.msg) || ops.who != "dba" {
			t.Errorf("%s: %d %q; last call %q, want %q and a message with %q", c.path, w.Code, msg, last, c.call, c.msg)
			continue
		}
		var ok bool
		switch c.shape {
		case keys:
			l, _ := d.([]any)
			ok = len(l) == 1 && hasKey("Key", "198.18.0.3")(l[0])
		case key:
			ok = hasKey("Key", strings.Split(c.path, "/")[3])(d)
		default: // a bare key: the destination, the promoted replica
			m, _ := d.(map[string]any)
			ok = m["Hostname"] != nil && m["Port"] != nil
		}
		if !ok {
			t.Errorf("%s: Details %v, want %s", c.path, d, c.shape)
		}
	}
}

// TestBulkRoutesRefuse: make-co-master is refused with the reason; an
// unknown instance or destination never reaches the operator.
func TestBulkRoutesRefuse(t *testing.T) {
	s, ops := bulkServer(t)
	w, body := get(t, s, "/api/make-co-master/198.18.0.2/3306", nil)
	if code, msg, _ := envelope(t, body); w.Code != 500 || code != "ERROR" || !strings.Contains(msg, "does not run co-master topologies") {
		t.Fatalf("make-co-master: %d %q", w.Code, msg)
	}
	n := ops.count()
	for path, want := range map[string]string{
		"/api/relocate-replicas/198.18.0.1/3306/198.18.0.7/3306": "destination: unknown instance 198.18.0.7:3306",
		"/api/take-master/198.18.0.9/3306":                       "unknown instance 198.18.0.9:3306",
		"/api/recover/198.18.0.1/3306/198.18.0.7/3306":           "candidate: unknown instance 198.18.0.7:3306",
		"/api/move-below-gtid/198.18.0.3/3306/198.18.0.3/3306":   "below itself",
	} {
		w, body := get(t, s, path, nil)
		if code, msg, _ := envelope(t, body); w.Code != 500 || code != "ERROR" || !strings.Contains(msg, want) {
			t.Errorf("%s: %d %q, want %q", path, w.Code, msg, want)
		}
	}
	if w, _ := get(t, s, "/api/relocate-replicas/198.18.0.1/3306", nil); w.Code != 404 {
		t.Errorf("relocate-replicas without a destination: %d, want no route", w.Code)
	}
	if ops.count() != n {
		t.Fatalf("bad input reached the operations: %v", ops.calls[n:])
	}
}
