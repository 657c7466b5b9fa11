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
	e := mustEngine(t, EngineConfig{Runner: &Runner{Node: "n1", Log: log, Lease: holdsAll{}, Clock: clock, Logger: zerolog.Nop()},
		Params: analysis.DefaultParams(), Settle: time.Hour, Logger: zerolog.Nop()})
	failed := events.InstanceKey{Hostname: "198.18.0.1", Port: 3306}
	d := analysis.Decision{Action: analysis.ActionStart, RecoveryType: events.RecoveryMaster, Attempt: 1,
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
	e := mustEngine(t, EngineConfig{Runner: &Runner{Node: "n1", Log: log, Lease: holdsNone{}, Clock: &stepClock{now: time.Unix(1_700_000_000, 0)},
		Logger: zerolog.Nop()}, Logger: zerolog.Nop()})
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

// TestEngineResumesItsOwnStoppedRecovery: an active recovery of this node
// and epoch that no longer runs here (its run stopped fenced by an append
// between two of its own) is resumed, as one left by an older epoch is; one
// running here, or another node's at a newer epoch, is not.
func TestEngineResumesItsOwnStoppedRecovery(t *testing.T) {
	const cluster = "198.18.0.1:3306"
	started := func(node string, epoch uint64) *analysis.Recoveries {
		recs := analysis.NewRecoveries()
		env, err := events.New(events.KindRecoveryStarted, time.Unix(1_700_000_000, 0), node,
			events.RecoveryStarted{RecoveryID: "r-1", Type: events.RecoveryMaster, Analysis: events.AnalysisDeadMaster,
				Failed: events.InstanceKey{Hostname: "198.18.0.1", Port: 3306}, ClusterName: cluster, Node: node})
		if err != nil {
			t.Fatal(err)
		}
		env.Cluster, env.Epoch = cluster, epoch
		if err := recs.Apply(9, env); err != nil {
			t.Fatal(err)
		}
		return recs
	}
	for _, tc := range []struct {
		name         string
		node         string
		recEpoch     uint64
		busy, resume bool
		ended        *endedRun // this node's last run on the cluster recorded its outcome
	}{
		{"own, stopped", "n1", 3, false, true, nil},
		{"own, running here", "n1", 3, true, false, nil},
		{"older epoch", "n2", 2, false, true, nil},
		{"another node, same epoch", "n2", 3, false, false, nil},
		// The run ended (recovery-completed at 12), the fold is at 9: not
		// orphaned, the fold is behind.
		{"own, ended, fold behind", "n1", 3, false, false, &endedRun{recovery: "r-1", seq: 12}},
		// The fold reached the recorded end and still shows it active:
		// something else is wrong, resume.
		{"own, ended, fold past the end", "n1", 3, false, true, &endedRun{recovery: "r-1", seq: 9}},
		{"own, another recovery ended", "n1", 3, false, true, &endedRun{recovery: "r-0", seq: 12}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log := &expectLog{}
			e := mustEngine(t, EngineConfig{Runner: &Runner{Node: "n1", Log: log, Lease: holdsAll{}, Clock: &stepClock{now: time.Unix(1_700_000_000, 0)},
				Logger: zerolog.Nop()}, Params: analysis.DefaultParams(), Logger: zerolog.Nop()})
			e.inflight[cluster] = tc.busy
			if tc.ended != nil {
				e.ended[cluster] = *tc.ended
			}
			topo, err := projections.NewTopology(projections.DefaultSettings())
			if err != nil {
				t.Fatal(err)
			}
			recs := started(tc.node, tc.recEpoch)
			if got := e.orphaned(recs.ActiveRecoveries()[0], 3, recs.ClusterSeq(cluster)); got != tc.resume {
				t.Fatalf("orphaned = %v, want %v", got, tc.resume)
			}
			src := &fixedSource{v: topo.View(time.Unix(1_700_000_000, 0)), recs: recs}
			e.Source = src
			e.step(t.Context(), 3)
			e.wg.Wait()
			if resumed := len(log.expects) > 0; resumed != tc.resume {
				t.Fatalf("resumed = %v (appends expecting %v), want %v", resumed, log.expects, tc.resume)
			}
			if tc.resume && log.expects[0] != 9 {
				t.Errorf("resume expected sequence %d, want the fold's 9", log.expects[0])
			}
		})
	}
}

// fixedSource serves one snapshot.
type fixedSource struct {
	v    *projections.View
	recs *analysis.Recoveries
}

func (s *fixedSource) Snapshot() (*projections.View, *analysis.Recoveries) { return s.v, s.recs }
func (s *fixedSource) Changed() <-chan struct{}                            { return nil }
