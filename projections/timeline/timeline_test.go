package timeline_test

import (
	"strings"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/projections/timeline"
	tt "github.com/regent-ha/regent/projections/timeline/timelinetest"
)

func env(t *testing.T, k events.Kind, p any) events.Envelope {
	t.Helper()
	e, err := events.New(k, tt.T0, "c1", p)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestSummaries(t *testing.T) {
	p, r2 := tt.Key(tt.Primary), tt.Key(tt.Good)
	cases := []struct {
		kind events.Kind
		p    any
		want string
	}{
		{events.KindFailureDetected, events.FailureDetected{Analysis: "DeadMaster", Failed: p, Actionable: true,
			Vantage:  []events.VantageReport{{Node: "c1"}, {Node: "c2"}, {Node: "c3"}},
			Replicas: []events.ReplicaReport{{Key: r2, Agrees: true}, {Key: tt.Key(tt.Banned), Agrees: true}}},
			"DeadMaster on 198.18.0.1:3306: 3/3 nodes cannot reach it, 2/2 replicas agree"},
		{events.KindFailureDetected, events.FailureDetected{Analysis: "UnreachableMaster", Failed: p, Reason: "not actionable: x",
			Vantage: []events.VantageReport{{Node: "c1"}, {Node: "c2", Reachable: true}}, Replicas: []events.ReplicaReport{{Key: r2}}},
			"UnreachableMaster on 198.18.0.1:3306: 1/2 nodes cannot reach it, 0/1 replicas agree (not actionable: x)"},
		{events.KindRecoveryStep, events.RecoveryStep{Step: "promote", Target: r2, Outcome: "ok", Took: 11 * time.Millisecond},
			"step promote 198.18.0.2:3306 ok (11ms)"},
		{events.KindRecoveryStep, events.RecoveryStep{Step: "repoint 198.18.0.3:3306", Target: tt.Key(tt.Banned), Outcome: "failed", Error: "boom", Took: 2 * time.Second},
			"step repoint 198.18.0.3:3306 failed (2s): boom"},
		{events.KindVIPMoved, events.VIPMoved{VIP: "198.18.0.200", From: p, To: r2}, "vip 198.18.0.200 198.18.0.1:3306 → 198.18.0.2:3306"},
		{events.KindHookRan, events.HookRan{Hook: "PostFailoverProcesses", ExitCode: 0, Took: 5 * time.Millisecond}, "hook PostFailoverProcesses exit 0 (5ms)"},
		{events.KindHookRan, events.HookRan{Hook: "PreFailoverProcesses", ExitCode: -1, TimedOut: true, Took: 3 * time.Second}, "hook PreFailoverProcesses exit -1 (3s) timed out"},
		{events.KindRecoveryStarted, events.RecoveryStarted{RecoveryID: "r-1", Type: "MasterRecovery", Analysis: "DeadMaster", Failed: p, Node: "c1", Successor: r2,
			Candidates: []events.Candidate{{Key: r2, Chosen: true, Reason: "chosen: x"}, {Key: tt.Key(tt.Banned), Reason: "rejected: promotion rule must_not"}}},
			"MasterRecovery r-1 of 198.18.0.1:3306 (DeadMaster) on c1: successor 198.18.0.2:3306 (2 candidates, 1 rejected)"},
		{events.KindRecoveryCompleted, events.RecoveryCompleted{RecoveryID: "r-1", Successor: r2, Took: 1234 * time.Millisecond},
			"recovery r-1 completed: successor 198.18.0.2:3306 in 1.23s"},
		{events.KindRecoveryFailed, events.RecoveryFailed{RecoveryID: "r-1", Step: "promote", Error: "denied", Took: time.Second},
			"recovery r-1 failed at promote after 1s: denied"},
		{events.KindRecoveryBlocked, events.RecoveryBlocked{Analysis: "DeadMaster", Failed: p, Reason: "host matches RecoveryIgnoreHostnameFilters"},
			"DeadMaster on 198.18.0.1:3306 blocked: host matches RecoveryIgnoreHostnameFilters"},
		{events.KindGlobalRecoveriesSet, events.GlobalRecoveriesSet{Enabled: false, Who: "alice"}, "global recoveries disabled by alice"},
		{events.KindInstanceUnreachable, events.InstanceUnreachable{Key: p, Error: "refused", Kind: "refused"}, "198.18.0.1:3306 unreachable (refused): refused"},
		{events.KindInstanceDiscovered, events.InstanceDiscovered{Key: r2, Via: "crawl-down", From: p}, "198.18.0.2:3306 discovered via crawl-down from 198.18.0.1:3306"},
		{events.KindDowntimeBegun, events.DowntimeBegun{Key: p, Owner: "bob", Reason: "upgrade", Until: tt.T0.Add(time.Hour)},
			"198.18.0.1:3306 downtimed by bob until 2026-11-24T04:10:00.000Z: upgrade"},
		{events.KindMaintenanceBegun, events.MaintenanceBegun{Key: p, Owner: "bob", Reason: "disk swap", Until: tt.T0.Add(time.Hour)},
			"198.18.0.1:3306 in maintenance by bob until 2026-11-24T04:10:00.000Z: disk swap"},
		{events.KindMaintenanceEnded, events.MaintenanceEnded{Key: p}, "198.18.0.1:3306 maintenance ended"},
		{events.KindNote, events.Note{Text: "hello"}, "hello"},
		{events.KindManualOperationStarted, events.ManualOperation{OperationID: "op-1", Operation: "relocate", Target: r2, Who: "dba",
			Detail: "below 198.18.0.1:3306", Steps: []string{"change-source"}}, "relocate 198.18.0.2:3306 by dba (below 198.18.0.1:3306)"},
		{events.KindManualOperationCompleted, events.ManualOperationCompleted{OperationID: "op-1", Operation: "stop-replica-nice", Target: r2,
			Detail: "relay log applied", Took: 1234567 * time.Microsecond}, "stop-replica-nice 198.18.0.2:3306 done in 1.235s (relay log applied)"},
		{events.KindManualOperationFailed, events.ManualOperationFailed{OperationID: "op-1", Operation: "skip-query", Target: r2,
			Step: "skip-query", Error: "replication is running"}, "skip-query 198.18.0.2:3306 failed at skip-query: replication is running"},
		{events.KindManualOperationFailed, events.ManualOperationFailed{OperationID: "op-1", Operation: "restart-replica", Target: r2,
			Step: "start-replica", Error: "fenced", Fenced: true, Done: []string{"stop-replica"}},
			"restart-replica 198.18.0.2:3306 stopped before start-replica: fenced"},
	}
	for _, c := range cases {
		if got := timeline.Summary(env(t, c.kind, c.p)); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.kind, got, c.want)
		}
	}
}

func TestLine(t *testing.T) {
	e := env(t, events.KindVIPMoved, events.VIPMoved{VIP: "198.18.0.200", From: tt.Key(tt.Primary), To: tt.Key(tt.Good)})
	e.Time = tt.T0.Add(123 * time.Millisecond)
	e.Cluster = tt.Cluster
	line := timeline.Line(timeline.Item{Seq: 42, Env: e}, false)
	if !strings.HasPrefix(line, "2026-11-24T03:10:00.123Z      42  198.18.0.1:3306   vip-moved") || !strings.HasSuffix(line, "vip 198.18.0.200 198.18.0.1:3306 → 198.18.0.2:3306") {
		t.Errorf("line %q", line)
	}
	if c := timeline.Line(timeline.Item{Seq: 42, Env: e}, true); !strings.Contains(c, "\x1b[36m") {
		t.Errorf("coloured line has no colour: %q", c)
	}
	e.Cluster = ""
	if l := timeline.Line(timeline.Item{Seq: 1, Env: e}, false); !strings.Contains(l, "  _  ") {
		t.Errorf("no-cluster line %q", l)
	}
}

func item(stream string, seq uint64, stored time.Duration) timeline.Item {
	return timeline.Item{Stream: stream, Seq: seq, Stored: tt.T0.Add(stored)}
}

func TestMergeOrder(t *testing.T) {
	evts := []timeline.Item{item(events.EventsName, 1, 1), item(events.EventsName, 2, 5), item(events.EventsName, 3, 5)}
	// Observation 12 has an earlier stored time than 11 (a leader change
	// with clock skew): the stream's own order is kept.
	obs := []timeline.Item{item(events.ObservationsName, 10, 0), item(events.ObservationsName, 11, 5), item(events.ObservationsName, 12, 3)}
	var got []uint64
	for _, it := range timeline.Merge(evts, obs) {
		got = append(got, it.Seq)
	}
	want := []uint64{10, 1, 11, 12, 2, 3}
	if len(got) != len(want) {
		t.Fatalf("merged %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("merged %v, want %v (equal stored times: observation first)", got, want)
		}
	}
}

func TestFilter(t *testing.T) {
	tr := tt.Failover(t)
	count := func(f timeline.Filter) map[events.Kind]int {
		m := map[events.Kind]int{}
		for _, it := range tr.Items {
			if f.Match(it) {
				m[it.Env.Kind]++
			}
		}
		return m
	}
	byCluster := count(timeline.Filter{Cluster: tt.Cluster})
	if byCluster[events.KindInstanceDiscovered] != 1 || byCluster[events.KindRecoveryStep] != 3 || byCluster[events.KindHookRan] != 3 {
		t.Errorf("cluster filter: %v (discovery of the cluster's primary is logged under _ and matches by instance)", byCluster)
	}
	if n := count(timeline.Filter{Cluster: "other:3306"}); len(n) != 0 {
		t.Errorf("other cluster matched %v", n)
	}
	kinds, err := timeline.ParseKinds([]string{"failure-detected,recovery-started", "vip-moved"})
	if err != nil {
		t.Fatal(err)
	}
	k := count(timeline.Filter{Kinds: kinds})
	if len(k) != 3 || k[events.KindVIPMoved] != 1 {
		t.Errorf("kind filter: %v", k)
	}
	if _, err := timeline.ParseKinds([]string{"no-such-kind"}); err == nil {
		t.Error("unknown kind accepted")
	}
	inst := count(timeline.Filter{Instance: tt.Key(tt.Banned).String()})
	if inst[events.KindRecoveryStep] != 1 || inst[events.KindInstanceObserved] == 0 || inst[events.KindVIPMoved] != 0 {
		t.Errorf("instance filter: %v", inst)
	}
	late := count(timeline.Filter{Since: tt.T0.Add(7 * time.Second)})
	if late[events.KindInstanceDiscovered] != 0 || late[events.KindRecoveryCompleted] != 1 {
		t.Errorf("since filter: %v", late)
	}
	early := count(timeline.Filter{Until: tt.T0.Add(6 * time.Second)})
	if early[events.KindFailureDetected] != 0 || early[events.KindInstanceDiscovered] != 3 {
		t.Errorf("until filter: %v", early)
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2h":                        now.Add(-2 * time.Hour),
		"10m":                       now.Add(-10 * time.Minute),
		"90s":                       now.Add(-90 * time.Second),
		"1d":                        now.Add(-24 * time.Hour),
		"2026-11-24T03:12:00Z":      time.Date(2026, 11, 24, 3, 12, 0, 0, time.UTC),
		"2026-11-24T03:12:00.5Z":    time.Date(2026, 11, 24, 3, 12, 0, 5e8, time.UTC),
		"2026-11-24T04:12:00+01:00": time.Date(2026, 11, 24, 3, 12, 0, 0, time.UTC),
	} {
		got, err := timeline.ParseTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-5m", "2026-13-01"} {
		if _, err := timeline.ParseTime(bad, now); err == nil {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
}
