package actuators

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections"
	"github.com/regent-ha/regent/projections/analysis"
)

// expectLog refuses every conditional append, as a log that moved on, and
// records what was expected.
type expectLog struct {
	mu      sync.Mutex
	expects []uint64
}

func (l *expectLog) AppendCluster(_ context.Context, _ events.Envelope, expect uint64) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.expects = append(l.expects, expect)
	return 0, ErrFenced
}

func (l *expectLog) LastClusterSeq(context.Context, string) (uint64, error) { return 1 << 40, nil }

type holdsAll struct{}

func (holdsAll) Holds(uint64) bool { return true }

// TestEngineStartExpectsTheFoldsSequence: the engine's intent expects the
// cluster sequence of the fold it decided on (not the log's latest), and
// a recovery refused at its first append leaves no settle period behind.
func TestEngineStartExpectsTheFoldsSequence(t *testing.T) {
	const cluster = "198.18.0.1:3306"
	recs := analysis.NewRecoveries()
	env, err := events.New(events.KindRecoveryAcknowledged, time.Unix(1_700_000_000, 0), "n2", map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	env.Cluster = cluster
	if err := recs.Apply(17, env); err != nil {
		t.Fatal(err)
	}
	clock := &stepClock{now: time.Unix(1_700_000_000, 0)}
	topo, err := projections.NewTopology(projections.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	log := &expectLog{}
	e := &Engine{Runner: &Runner{Node: "n1", Log: log, Lease: holdsAll{}, Clock: clock, Logger: zerolog.Nop()},
		Params: analysis.DefaultParams(), Settle: time.Hour, Logger: zerolog.Nop(), inflight: map[string]bool{}}
	failed := events.InstanceKey{Hostname: "198.18.0.1", Port: 3306}
	d := analysis.Decision{Action: analysis.ActionStart, RecoveryType: analysis.RecoveryMaster, Attempt: 1,
		Failure:  events.FailureDetected{DetectionID: "d-1", Failed: failed, ClusterName: cluster},
		Analysis: &analysis.Analysis{AnalyzedInstanceKey: failed, Analysis: events.AnalysisDeadMaster, ClusterDetails: projections.ClusterInfo{ClusterName: cluster}}}
	if err := e.handle(t.Context(), topo.View(clock.Now()), recs, d, 1); err != nil {
		t.Fatal(err)
	}
	e.wg.Wait()
	if len(log.expects) != 1 || log.expects[0] != 17 {
		t.Fatalf("appends expected %v, want one expecting 17", log.expects)
	}
	if e.settling(cluster) || e.busy(cluster) {
		t.Error("a recovery that never started holds the cluster")
	}
}

type holdsNone struct{}

func (holdsNone) Holds(uint64) bool { return false }

// TestEngineAppendsNothingWithoutTheLease: a node whose epoch is no longer
// held appends no decision and no detection-hook record (each could land
// between two appends of the new leader's recovery and fence it).
func TestEngineAppendsNothingWithoutTheLease(t *testing.T) {
	log := &expectLog{}
	e := &Engine{Runner: &Runner{Node: "n1", Log: log, Lease: holdsNone{}, Clock: &stepClock{now: time.Unix(1_700_000_000, 0)},
		Logger: zerolog.Nop()}, Logger: zerolog.Nop(), inflight: map[string]bool{}}
	failed := events.InstanceKey{Hostname: "198.18.0.1", Port: 3306}
	err := e.record(t.Context(), "c", events.KindRecoveryBlocked, "", events.RecoveryBlocked{Failed: failed}, failed, 3)
	if !errors.Is(err, ErrFenced) {
		t.Errorf("record without the lease: %v, want ErrFenced", err)
	}
	env, err := events.New(events.KindHookRan, time.Unix(1_700_000_000, 0), "n1", events.HookRan{Hook: "OnFailureDetectionProcesses"})
	if err != nil {
		t.Fatal(err)
	}
	env.Cluster, env.Epoch, env.CorrelationID = "c", 3, "d-1"
	if err := e.recordDetectionHook(t.Context(), env); !errors.Is(err, ErrFenced) {
		t.Errorf("hook record without the lease: %v, want ErrFenced", err)
	}
	if len(log.expects) != 0 {
		t.Errorf("%d appends without the lease", len(log.expects))
	}
}
