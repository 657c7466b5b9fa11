package projections

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/regent-ha/regent/events"
)

// randomLog builds a random event log over a few instances and origins:
// every kind the projection folds, including payloads it must reject.
func randomLog(tb testing.TB, seed int64, n int) []seqEnvelope {
	tb.Helper()
	rng := rand.New(rand.NewSource(seed))
	hosts := []string{"198.18.0.1", "198.18.0.2", "198.18.0.3", "198.18.0.4", "198.18.0.5"}
	origins := []string{"n1", "n2", "n3"}
	at := t0
	var obsSeq, evtSeq uint64
	out := make([]seqEnvelope, 0, n)
	for len(out) < n {
		at = at.Add(time.Duration(rng.Intn(700)) * time.Millisecond)
		host := hosts[rng.Intn(len(hosts))]
		origin := origins[rng.Intn(len(origins))]
		kind, payload := randomEvent(rng, host, hosts)
		env, err := events.New(kind, at, origin, payload)
		if err != nil {
			tb.Fatal(err)
		}
		if rng.Intn(50) == 0 {
			env.Payload = []byte(`{"key":"broken"`)
		}
		var seq uint64
		if kind.IsObservation() {
			obsSeq++
			seq = obsSeq
		} else {
			evtSeq++
			seq = evtSeq
		}
		out = append(out, seqEnvelope{seq, env})
	}
	return out
}

func randomEvent(rng *rand.Rand, host string, hosts []string) (events.Kind, any) {
	k := key(host)
	switch r := rng.Intn(100); {
	case r < 30:
		o := mariaPrimary(host, uint32(rng.Intn(5)+1))
		if src := hosts[rng.Intn(len(hosts))]; rng.Intn(3) > 0 && src != host {
			o = mariaReplica(host, uint32(rng.Intn(5)+1), src)
			o.Replication.SQLThread = events.ThreadState(rng.Intn(3) - 1)
			o.Replication.SecondsBehind = i64(int64(rng.Intn(40)))
			o.GTID.CurrentPos = fmt.Sprintf("0-%d-%d", rng.Intn(5)+1, rng.Intn(200))
		}
		o.ClusterAlias = []string{"", "", "probe"}[rng.Intn(3)]
		o.Digest = fmt.Sprintf("d%d", rng.Intn(3))
		return events.KindInstanceObserved, o
	case r < 60:
		return events.KindInstanceProgress, events.InstanceProgress{
			Key: k, Digest: fmt.Sprintf("d%d", rng.Intn(3)), LagSeconds: i64(int64(rng.Intn(30))),
			ExecCoordinates: events.BinlogCoordinates{LogFile: "mysql-bin.000001", LogPos: int64(rng.Intn(1e6))},
		}
	case r < 75:
		return events.KindInstanceUnreachable, events.InstanceUnreachable{Key: k, Error: "refused", Timeout: rng.Intn(2) == 0}
	case r < 80:
		return events.KindInstanceDiscovered, events.InstanceDiscovered{Key: k, Via: "crawl-down"}
	case r < 84:
		return events.KindInstanceForgotten, events.InstanceForgotten{Key: k}
	case r < 86:
		return events.KindClusterForgotten, events.ClusterForgotten{ClusterName: host + ":3306"}
	case r < 89:
		return events.KindClusterAliasSet, events.ClusterAliasSet{ClusterName: host + ":3306", Alias: []string{"", "a", "b"}[rng.Intn(3)]}
	case r < 92:
		return events.KindCandidateRegistered, events.CandidateRegistered{Key: k, PromotionRule: PromotionPrefer, Until: t0.Add(time.Duration(rng.Intn(600)) * time.Second)}
	case r < 96:
		return events.KindDowntimeBegun, events.DowntimeBegun{Key: k, Owner: "o", Until: t0.Add(time.Duration(rng.Intn(600)) * time.Second)}
	case r < 98:
		return events.KindDowntimeEnded, events.DowntimeEnded{Key: k}
	}
	return events.KindNote, events.Note{Text: "ignored"}
}

func fold(tb testing.TB, topo *Topology, log []seqEnvelope) {
	tb.Helper()
	for _, e := range log {
		_ = topo.Apply(e.seq, e.env) // rejected payloads are part of the log
	}
}

func newTopo(tb testing.TB) *Topology {
	tb.Helper()
	topo, err := NewTopology(DefaultSettings())
	if err != nil {
		tb.Fatal(err)
	}
	return topo
}

// snapshotText is everything a View shows, as text.
func snapshotText(tb testing.TB, v *View) string {
	tb.Helper()
	ev := map[string]*Evidence{}
	for _, i := range v.Instances() {
		e, _ := v.Evidence(i.Key)
		ev[i.Key.String()] = e
	}
	topos := map[string]string{}
	for _, c := range v.Clusters() {
		topos[c.ClusterName] = render(tb, v, c.ClusterName, false) + "\n" + render(tb, v, c.ClusterName, true)
	}
	return mustJSON(tb, struct {
		I []*Instance
		C []*ClusterInfo
		E map[string]*Evidence
		T map[string]string
		M []*Instance
	}{v.Instances(), v.Clusters(), ev, topos, v.Masters()})
}

func TestPropertyDeterministicFold(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		log := randomLog(t, seed, 400)
		now := log[len(log)-1].env.Time.Add(time.Second)
		a, b := newTopo(t), newTopo(t)
		fold(t, a, log)
		fold(t, b, log)
		sa, sb := snapshotText(t, a.View(now)), snapshotText(t, b.View(now))
		if sa != sb {
			t.Fatalf("seed %d: two folds differ", seed)
		}
		// Redelivery of the whole log changes nothing.
		fold(t, b, log)
		if sb2 := snapshotText(t, b.View(now)); sb2 != sa {
			t.Fatalf("seed %d: redelivered log changed the state", seed)
		}
	}
}

func TestPropertyCloneAndResume(t *testing.T) {
	for seed := int64(100); seed < 140; seed++ {
		log := randomLog(t, seed, 300)
		now := log[len(log)-1].env.Time.Add(time.Second)
		split := int(seed*7) % len(log)

		whole := newTopo(t)
		fold(t, whole, log)

		prefix := newTopo(t)
		fold(t, prefix, log[:split])
		prefixOnly := snapshotText(t, prefix.View(now))
		early := prefix.View(now)

		resumed := prefix.Clone()
		fold(t, resumed, log[split:])
		if got, want := snapshotText(t, resumed.View(now)), snapshotText(t, whole.View(now)); got != want {
			t.Fatalf("seed %d split %d: prefix+clone+rest differs from the whole fold", seed, split)
		}
		if got := snapshotText(t, prefix.View(now)); got != prefixOnly {
			t.Fatalf("seed %d: folding into the clone changed the original", seed)
		}
		fold(t, prefix, log[split:])
		if got := snapshotText(t, early); got != prefixOnly {
			t.Fatalf("seed %d: a view changed after later Apply calls", seed)
		}
	}
}
