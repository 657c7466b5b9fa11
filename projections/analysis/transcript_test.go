package analysis

import (
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

// healthy: MariaDB primary p with replicas r1, r2, seen by three nodes.
func healthy(s *script) {
	s.observe(nodes, primary("p", 1), replica("r1", 2, "p"), replica("r2", 3, "p"))
}

// chain: p → im → the given replicas of im.
func chain(s *script, leaves ...string) {
	im := replica("im", 2, "p")
	s.observe(nodes, primary("p", 1), im)
	for i, l := range leaves {
		s.observe(nodes, replica(l, uint32(10+i), "im"))
	}
}

// stalled reports the replicas every second from `from` to `to` seconds
// with nothing moving, while every node times out on dead.
func stalled(s *script, dead string, from, to int, replicas ...string) {
	for sec := from; sec <= to; sec++ {
		s.at(time.Duration(sec)*time.Second).unreachable(nodes, dead, true)
		for _, r := range replicas {
			s.progress(nodes, r, 0, 4000, "0-1-100")
		}
	}
}

type transcript struct {
	name  string
	host  string
	want  events.AnalysisCode
	build func(s *script)
	check func(t *testing.T, a Analysis)
	// params, when set, adjusts the parameters the transcript is
	// analyzed with.
	params func(p *Params)
}

func transcripts() []transcript {
	return []transcript{
		{name: "healthy", host: "p", want: events.AnalysisNoProblem, build: healthy},
		{name: "read-only primary, RecoverNonWriteableMaster", host: "p", want: events.AnalysisNoWriteableMaster,
			build: func(s *script) {
				p := primary("p", 1)
				p.ReadOnly = true
				s.observe(nodes, p, replica("r1", 2, "p"), replica("r2", 3, "p"))
			},
			params: func(p *Params) { p.RecoverNonWriteableMaster = true },
			check: func(t *testing.T, a Analysis) {
				if !a.IsActionableRecovery || a.RecoveryType != events.RecoveryNonWriteableMaster {
					t.Errorf("actionable %v type %q", a.IsActionableRecovery, a.RecoveryType)
				}
			}},
		{name: "sigkill: refused everywhere, replicas connecting", host: "p", want: events.AnalysisDeadMaster,
			build: func(s *script) {
				healthy(s)
				s.at(time.Second).unreachable(nodes, "p", false)
				s.observe(nodes, connecting(replica("r1", 2, "p")), connecting(replica("r2", 3, "p")))
			},
			check: func(t *testing.T, a Analysis) {
				if !a.IsActionableRecovery || a.RecoveryType != events.RecoveryMaster || a.CountAdditionalAgreeingNodes != 2 {
					t.Errorf("actionable %v type %q agreeing nodes %d", a.IsActionableRecovery, a.RecoveryType, a.CountAdditionalAgreeingNodes)
				}
				if len(a.Vantage) != 3 || a.Vantage[0].Reachable || !strings.Contains(a.Vantage[0].Error, "refused") {
					t.Errorf("vantage %+v", a.Vantage)
				}
				for _, r := range a.ReplicaEvidence {
					if !r.Agrees || !r.Reachable || r.IOThread != events.ThreadOther || r.GTIDPos != "0-1-100" {
						t.Errorf("replica evidence %+v", r)
					}
				}
				if a.CountReplicasFailingToConnectToMaster != 2 || a.FailingSince == 0 {
					t.Errorf("failing to connect %d, failing since %d", a.CountReplicasFailingToConnectToMaster, a.FailingSince)
				}
			}},
		{name: "isolated: timeouts, IO running but stalled beyond threshold", host: "p", want: events.AnalysisDeadMaster,
			build: func(s *script) { healthy(s); stalled(s, "p", 1, 5, "r1", "r2") },
			check: func(t *testing.T, a Analysis) {
				for _, r := range a.ReplicaEvidence {
					if !r.Agrees || r.IOThread != events.ThreadRunning || r.HeartbeatAge != 5 {
						t.Errorf("replica evidence %+v, want agreeing with IO running and 5 s of no progress", r)
					}
				}
			}},
		{name: "isolated, stall not yet beyond threshold", host: "p", want: events.AnalysisUnreachableMaster,
			build: func(s *script) { healthy(s); stalled(s, "p", 1, 3, "r1", "r2") }},
		{name: "paused: writes then nothing", host: "p", want: events.AnalysisDeadMaster,
			build: func(s *script) {
				healthy(s)
				s.at(time.Second).progress(nodes, "r1", 0, 5000, "0-1-110").progress(nodes, "r2", 0, 5000, "0-1-110")
				for sec := 2; sec <= 5; sec++ {
					s.at(time.Duration(sec)*time.Second).unreachable(nodes, "p", true)
					s.progress(nodes, "r1", 0, 5000, "0-1-110").progress(nodes, "r2", 0, 5000, "0-1-110")
				}
			}},
		{name: "controllers-only outage: replicas receive heartbeats", host: "p", want: events.AnalysisUnreachableMaster,
			build: func(s *script) {
				healthy(s)
				for sec := 1; sec <= 8; sec++ {
					s.at(time.Duration(sec)*time.Second).unreachable(nodes, "p", true)
					s.progress(nodes, "r1", int64(sec), 4000, "0-1-100").progress(nodes, "r2", int64(sec), 4000, "0-1-100")
				}
			},
			check: func(t *testing.T, a Analysis) {
				if a.IsActionableRecovery || a.CountValidReplicatingReplicas != 2 {
					t.Errorf("actionable %v, replicating %d", a.IsActionableRecovery, a.CountValidReplicatingReplicas)
				}
			}},
		{name: "stale replica observations prove no stall", host: "p", want: events.AnalysisUnreachableMaster,
			build: func(s *script) { healthy(s); s.at(10*time.Second).unreachable(nodes, "p", true) }},
		{name: "one of three nodes sees it down", host: "p", want: events.AnalysisNoProblem,
			build: func(s *script) {
				healthy(s)
				s.at(time.Second).unreachable(nodes[:1], "p", false)
				s.observe(nodes[1:], primary("p", 1))
				s.progress(nodes, "r1", 1, 4000, "0-1-100").progress(nodes, "r2", 1, 4000, "0-1-100")
			}},
		{name: "one of three nodes sees it down, replicas broken: not dead", host: "p", want: events.AnalysisAllMasterReplicasNotReplicating,
			build: func(s *script) {
				healthy(s)
				s.at(time.Second).unreachable(nodes[:1], "p", false)
				s.observe(nodes[1:], primary("p", 1))
				s.observe(nodes, connecting(replica("r1", 2, "p")), connecting(replica("r2", 3, "p")))
			}},
		{name: "no replicas", host: "p", want: events.AnalysisDeadMasterWithoutReplicas,
			build: func(s *script) {
				s.observe(nodes, primary("p", 1))
				s.at(time.Second).unreachable(nodes, "p", false)
			}},
		{name: "some replicas unreachable", host: "p", want: events.AnalysisDeadMasterAndSomeReplicas,
			build: func(s *script) {
				healthy(s)
				s.at(time.Second).unreachable(nodes, "p", false).unreachable(nodes, "r2", false)
				s.observe(nodes, connecting(replica("r1", 2, "p")))
			}},
		{name: "no replica reachable", host: "p", want: events.AnalysisDeadMasterAndReplicas,
			build: func(s *script) {
				healthy(s)
				s.at(time.Second).unreachable(nodes, "p", false).unreachable(nodes, "r1", true).unreachable(nodes, "r2", true)
			}},
		{name: "unreachable with lagging replicas", host: "p", want: events.AnalysisUnreachableMasterWithLaggingReplicas,
			build: func(s *script) {
				healthy(s)
				for sec := 1; sec <= 5; sec++ {
					s.at(time.Duration(sec)*time.Second).unreachable(nodes, "p", true)
					for i, h := range []string{"r1", "r2"} {
						o := replica(h, uint32(2+i), "p")
						o.LagSeconds = i64(60)
						o.Replication.HeartbeatsReceived = int64(sec)
						s.observe(nodes, o)
					}
				}
			}},
		{name: "replicas not replicating", host: "p", want: events.AnalysisAllMasterReplicasNotReplicating,
			build: func(s *script) {
				healthy(s)
				for i, h := range []string{"r1", "r2"} {
					o := replica(h, uint32(2+i), "p")
					o.Replication.SQLThread = events.ThreadStopped
					s.observe(nodes, o)
				}
			}},
		{name: "replicas not replicating or dead", host: "p", want: events.AnalysisAllMasterReplicasNotReplicatingOrDead,
			build: func(s *script) {
				healthy(s)
				o := replica("r1", 2, "p")
				o.Replication.SQLThread = events.ThreadStopped
				s.at(time.Second).observe(nodes, o, primary("p", 1)).unreachable(nodes, "r2", false)
			}},
		{name: "locked semi-sync master", host: "p", want: events.AnalysisLockedSemiSyncMaster,
			build: func(s *script) {
				p := primary("p", 1)
				p.SemiSync = events.SemiSync{Available: true, MasterEnabled: true, MasterStatus: true, MasterWaitForCount: 1}
				s.observe(nodes, p, replica("r1", 2, "p"))
				s.at(15*time.Second).observe(nodes, p, replica("r1", 2, "p"))
			},
			check: func(t *testing.T, a Analysis) {
				if !contains(a.StructureAnalysis, events.NotEnoughValidSemiSyncReplicasStructureWarning) {
					t.Errorf("structure %v lacks %s", a.StructureAnalysis, events.NotEnoughValidSemiSyncReplicasStructureWarning)
				}
			}},
		{name: "too many semi-sync replicas, EnforceExactSemiSyncReplicas", host: "p", want: events.AnalysisMasterWithTooManySemiSyncReplicas,
			build: func(s *script) {
				p := primary("p", 1)
				p.SemiSync = events.SemiSync{Available: true, MasterEnabled: true, MasterStatus: true, MasterWaitForCount: 1, MasterClients: 2}
				r1, r2 := replica("r1", 2, "p"), replica("r2", 3, "p")
				r1.SemiSync.ReplicaEnabled, r2.SemiSync.ReplicaEnabled = true, true
				s.observe(nodes, p, r1, r2)
			},
			params: func(p *Params) { p.EnforceExactSemiSyncReplicas = true },
			check: func(t *testing.T, a Analysis) {
				if !a.IsActionableRecovery || a.RecoveryType != events.RecoverySemiSyncExact {
					t.Errorf("actionable %v type %q", a.IsActionableRecovery, a.RecoveryType)
				}
			}},
		// The primary counts two semi-sync clients, but the view shows one
		// semi-sync replica (the other not yet observed with it, as right
		// after a discovery): no recovery could act on it.
		{name: "too many semi-sync clients, the view does not show them", host: "p", want: events.AnalysisNoProblem,
			build: func(s *script) {
				p := primary("p", 1)
				p.SemiSync = events.SemiSync{Available: true, MasterEnabled: true, MasterStatus: true, MasterWaitForCount: 1, MasterClients: 2}
				r1 := replica("r1", 2, "p")
				r1.SemiSync.ReplicaEnabled = true
				s.observe(nodes, p, r1, replica("r2", 3, "p"))
			},
			params: func(p *Params) { p.EnforceExactSemiSyncReplicas = true }},
		{name: "dead intermediate master", host: "im", want: events.AnalysisDeadIntermediateMaster,
			build: func(s *script) {
				chain(s, "a", "b")
				s.at(time.Second).unreachable(nodes, "im", false)
				s.observe(nodes, connecting(replica("a", 10, "im")), connecting(replica("b", 11, "im")))
			},
			check: func(t *testing.T, a Analysis) {
				if a.IsMaster || a.RecoveryType != events.RecoveryIntermediateMaster || !a.IsActionableRecovery {
					t.Errorf("IsMaster %v type %q actionable %v", a.IsMaster, a.RecoveryType, a.IsActionableRecovery)
				}
			}},
		{name: "dead intermediate master, single replica failing to connect", host: "im",
			want: events.AnalysisDeadIntermediateMasterWithSingleReplicaFailingToConnect,
			build: func(s *script) {
				chain(s, "a")
				s.at(time.Second).unreachable(nodes, "im", false)
				s.observe(nodes, connecting(replica("a", 10, "im")))
			}},
		{name: "dead intermediate master, single stalled replica", host: "im",
			want:  events.AnalysisDeadIntermediateMasterWithSingleReplica,
			build: func(s *script) { chain(s, "a"); stalled(s, "im", 1, 5, "a") }},
		{name: "dead intermediate master and some replicas", host: "im", want: events.AnalysisDeadIntermediateMasterAndSomeReplicas,
			build: func(s *script) {
				chain(s, "a", "b")
				s.at(time.Second).unreachable(nodes, "im", false).unreachable(nodes, "b", false)
				s.observe(nodes, connecting(replica("a", 10, "im")))
			}},
		{name: "dead intermediate master and replicas", host: "im", want: events.AnalysisDeadIntermediateMasterAndReplicas,
			build: func(s *script) {
				chain(s, "a", "b")
				s.at(time.Second).unreachable(nodes, "im", false).unreachable(nodes, "a", false).unreachable(nodes, "b", false)
			}},
		{name: "unreachable intermediate master with lagging replicas", host: "im", want: events.AnalysisUnreachableIntermediateMasterWithLaggingReplicas,
			build: func(s *script) {
				chain(s, "a", "b")
				for sec := 1; sec <= 5; sec++ {
					s.at(time.Duration(sec)*time.Second).unreachable(nodes, "im", true)
					for i, h := range []string{"a", "b"} {
						o := replica(h, uint32(10+i), "im")
						o.LagSeconds = i64(60)
						o.Replication.HeartbeatsReceived = int64(sec)
						s.observe(nodes, o)
					}
				}
			},
			check: func(t *testing.T, a Analysis) {
				if a.IsActionableRecovery || !a.Detect {
					t.Errorf("actionable %v detect %v", a.IsActionableRecovery, a.Detect)
				}
			}},
		{name: "intermediate master reachable, all replicas failing to connect", host: "im",
			want: events.AnalysisAllIntermediateMasterReplicasFailingToConnectOrDead,
			build: func(s *script) {
				chain(s, "a", "b")
				s.at(time.Second).observe(nodes, replica("im", 2, "p"), connecting(replica("a", 10, "im")), connecting(replica("b", 11, "im")))
			},
			check: func(t *testing.T, a Analysis) {
				if !a.IsActionableRecovery || a.RecoveryType != events.RecoveryIntermediateMaster || !a.LastCheckValid {
					t.Errorf("actionable %v type %q last check valid %v", a.IsActionableRecovery, a.RecoveryType, a.LastCheckValid)
				}
			}},
		{name: "intermediate master reachable, one replica failing to connect, one dead", host: "im",
			want: events.AnalysisAllIntermediateMasterReplicasFailingToConnectOrDead,
			build: func(s *script) {
				chain(s, "a", "b")
				s.at(time.Second).observe(nodes, replica("im", 2, "p"), connecting(replica("a", 10, "im"))).unreachable(nodes, "b", false)
			}},
		// Both replicas just re-pointed below im (a refactoring): their IO
		// threads say Connecting with no error yet. Nothing failed.
		{name: "intermediate master reachable, replicas connecting without an error", host: "im",
			want:  events.AnalysisNoProblem,
			build: func(s *script) { connectingWith(s, "") }},
		{name: "intermediate master reachable, replicas failing to connect to a MySQL 8.0.23+ source", host: "im",
			want: events.AnalysisAllIntermediateMasterReplicasFailingToConnectOrDead,
			build: func(s *script) {
				connectingWith(s, "Error connecting to source 'repl@im:3306'. This was attempt 3/86400, with a delay of 60 seconds between attempts. Message: Can't connect to MySQL server on 'im:3306' (111)")
			}},
		{name: "intermediate master reachable, one replica failing to connect, one replicating", host: "im",
			want: events.AnalysisNoProblem,
			build: func(s *script) {
				chain(s, "a", "b")
				s.at(time.Second).observe(nodes, replica("im", 2, "p"), connecting(replica("a", 10, "im")), replica("b", 11, "im"))
			}},
		{name: "unreachable intermediate master", host: "im", want: events.AnalysisUnreachableIntermediateMaster,
			build: func(s *script) {
				chain(s, "a", "b")
				for sec := 1; sec <= 5; sec++ {
					s.at(time.Duration(sec)*time.Second).unreachable(nodes, "im", true)
					s.progress(nodes, "a", int64(sec), 4000, "0-1-100").progress(nodes, "b", int64(sec), 4000, "0-1-100")
				}
			}},
	}
}

// connectingWith: im reachable, its replicas a and b with their IO threads
// Connecting and lastIOError.
func connectingWith(s *script, lastIOError string) {
	chain(s, "a", "b")
	with := func(o *events.InstanceObserved) *events.InstanceObserved {
		o = connecting(o)
		o.Replication.LastIOError = lastIOError
		return o
	}
	s.at(time.Second).observe(nodes, replica("im", 2, "p"), with(replica("a", 10, "im")), with(replica("b", 11, "im")))
}

func contains(ss []events.StructureCode, s events.StructureCode) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestAnalysisTranscripts(t *testing.T) {
	for _, tc := range transcripts() {
		t.Run(tc.name, func(t *testing.T) {
			s := newScript(t)
			tc.build(s)
			p := params()
			if tc.params != nil {
				tc.params(&p)
			}
			a := s.analysisOf(tc.host, p)
			if a.Analysis != tc.want {
				t.Fatalf("analysis of %s = %s, want %s\n%s", tc.host, a.Analysis, tc.want, mustJSON(t, a))
			}
			if tc.check != nil {
				tc.check(t, a)
			}
		})
	}
}

func TestAnalyzeListsOnlyProblems(t *testing.T) {
	s := newScript(t)
	healthy(s)
	if got := Analyze(s.view(), params()); len(got) != 0 {
		t.Fatalf("healthy topology: %d analyses, want none: %s", len(got), mustJSON(t, got))
	}
	s.at(time.Second).unreachable(nodes, "p", false)
	s.observe(nodes, connecting(replica("r1", 2, "p")), connecting(replica("r2", 3, "p")))
	got := Analyze(s.view(), params())
	if len(got) != 1 || got[0].Analysis != events.AnalysisDeadMaster {
		t.Fatalf("got %s", mustJSON(t, got))
	}
}
