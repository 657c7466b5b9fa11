package analysis

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/regent-ha/regent/events"
)

// TestLogBeforeTypedCodesReplays: a log written before the codes and
// recovery types were typed (testdata/recovery-log-before-typed-codes.jsonl,
// written by that code: string fields) folds into the typed fields, and
// every payload encodes back to the very bytes in the log (the wire format
// did not change).
func TestLogBeforeTypedCodesReplays(t *testing.T) {
	f, err := os.Open("testdata/recovery-log-before-typed-codes.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs := NewRecoveries()
	sc := bufio.NewScanner(f)
	var seq uint64
	for sc.Scan() {
		seq++
		var env events.Envelope
		if err := json.Unmarshal(sc.Bytes(), &env); err != nil {
			t.Fatalf("line %d: %v", seq, err)
		}
		if err := recs.Apply(seq, env); err != nil {
			t.Fatalf("line %d: apply: %v", seq, err)
		}
		sameWire(t, seq, env)
	}
	if err := sc.Err(); err != nil || seq != 10 {
		t.Fatalf("read %d lines (%v), want 10", seq, err)
	}
	r1, ok := recs.Recovery("r-1")
	if !ok || r1.Type != events.RecoveryMaster || r1.AnalysisEntry.Analysis != events.AnalysisDeadMaster || !r1.IsSuccessful {
		t.Errorf("r-1: %v type %q analysis %q successful %v, want a successful MasterRecovery of DeadMaster", ok, r1.Type, r1.AnalysisEntry.Analysis, r1.IsSuccessful)
	}
	m1, ok := recs.Recovery("m-1")
	if !ok || m1.Type != events.RecoveryGracefulMasterTakeoverAuto || !m1.Manual || m1.IsSuccessful || m1.IsActive {
		t.Errorf("m-1: %v type %q manual %v, want a failed manual GracefulMasterTakeoverAuto", ok, m1.Type, m1.Manual)
	}
	d, ok := recs.Detection("d-im")
	if !ok || d.AnalysisEntry.Analysis != events.AnalysisUnreachableIntermediateMaster || !d.Cleared {
		t.Errorf("d-im: %v analysis %q cleared %v", ok, d.AnalysisEntry.Analysis, d.Cleared)
	}
	if DetectionHooked(d.AnalysisEntry.Analysis) {
		t.Error("UnreachableIntermediateMaster from the log fires the detection hooks")
	}
	blocked := recs.Blocked("198.18.0.1:3306")
	if len(blocked) != 1 || blocked[0].Analysis != events.AnalysisUnreachableIntermediateMaster {
		t.Errorf("blocked %+v, want one of UnreachableIntermediateMaster", blocked)
	}
}

// sameWire decodes env's payload into its typed struct and checks it
// encodes to the same bytes.
func sameWire(t *testing.T, seq uint64, env events.Envelope) {
	t.Helper()
	var p any
	switch env.Kind {
	case events.KindFailureDetected:
		p = &events.FailureDetected{}
	case events.KindRecoveryStarted:
		p = &events.RecoveryStarted{}
	case events.KindRecoveryBlocked:
		p = &events.RecoveryBlocked{}
	default:
		return
	}
	if err := env.Decode(p); err != nil {
		t.Fatalf("line %d: decode %s: %v", seq, env.Kind, err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, env.Payload) {
		t.Errorf("line %d: %s re-encodes as\n%s\nwas\n%s", seq, env.Kind, b, env.Payload)
	}
}
