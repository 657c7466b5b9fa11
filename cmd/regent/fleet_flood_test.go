package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/regent-ha/regent/events"
)

// floodResult is what a node did when every remaining primary of the
// fleet died at once (FLEET_FLOOD=1): its CPU over the flood window, the
// emergent rounds it started and dropped, and how many of the killed
// primaries were concluded dead within 30 s.
type floodResult struct {
	killed    int
	cpu       []float64 // cores, per node, over the 10 s after the kills
	rounds    []float64 // emergent rounds started, per node, during the flood
	dropped   []float64 // suspects dropped at the node's cap, per node
	detected  int       // DeadMaster conclusions within 30 s
	detectMax time.Duration
}

func (r floodResult) String() string {
	f := func(xs []float64, format string) string {
		var out []string
		for _, x := range xs {
			out = append(out, fmt.Sprintf(format, x))
		}
		return strings.Join(out, " / ")
	}
	return fmt.Sprintf("flood: %d primaries killed at once; CPU per node over the next 10 s %s cores; emergent rounds started %s, suspects dropped at the cap %s; %d of %d concluded dead within 30 s (last after %v)",
		r.killed, f(r.cpu, "%.2f"), f(r.rounds, "%.0f"), f(r.dropped, "%.0f"), r.detected, r.killed, r.detectMax.Round(time.Millisecond))
}

// emergentCounts sums a node's emergent rounds (every reason) and the
// suspects it dropped at its cap, from /metrics.
func emergentCounts(t testing.TB, n fleetNode) (rounds, droppedCap float64) {
	t.Helper()
	code, body, err := httpGetTimeout("http://"+n.http+"/metrics", 10*time.Second)
	if err != nil || code != 200 {
		t.Fatalf("GET /metrics of %s: %d %v", n.http, code, err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		var v float64
		switch {
		case strings.HasPrefix(line, "regent_emergent_rounds_total{"):
			if _, err := fmt.Sscanf(line[strings.LastIndexByte(line, ' ')+1:], "%g", &v); err == nil {
				rounds += v
			}
		case strings.HasPrefix(line, `regent_emergent_suspects_dropped_total{why="cap"}`):
			if _, err := fmt.Sscanf(line[strings.LastIndexByte(line, ' ')+1:], "%g", &v); err == nil {
				droppedCap += v
			}
		}
	}
	return rounds, droppedCap
}

// floodKill kills every primary not killed yet at once and measures the
// nodes for 10 s, then waits up to 30 s for the DeadMaster conclusions.
// Bounded: each node starts at most its cap of emergent rounds at a time,
// and the dropped suspects are still reported by their regular probes.
func floodKill(t testing.TB, f *simFleet, clusters [][]events.InstanceKey, nodes []fleetNode, nc *nats.Conn, already map[events.InstanceKey]bool) floodResult {
	t.Helper()
	var mu sync.Mutex
	detected := map[string]time.Time{}
	sub, err := nc.Subscribe(events.EventRoot+".*."+events.KindFailureDetected.String(), func(m *nats.Msg) {
		env, err := events.Unmarshal(m.Data)
		if err != nil {
			return
		}
		var fd events.FailureDetected
		if json.Unmarshal(env.Payload, &fd) == nil && strings.HasPrefix(string(fd.Analysis), string(events.AnalysisDeadMaster)) {
			mu.Lock()
			if _, ok := detected[fd.Failed.String()]; !ok {
				detected[fd.Failed.String()] = time.Now()
			}
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("subscribe to failures: %v", err)
	}
	defer sub.Unsubscribe() //nolint:errcheck // the connection closes at cleanup
	var r floodResult
	var rounds0, dropped0, cpu0 []float64
	for _, n := range nodes {
		rd, dc := emergentCounts(t, n)
		rounds0, dropped0 = append(rounds0, rd), append(dropped0, dc)
		cpu0 = append(cpu0, procCPUSeconds(t, n.p.cmd.Process.Pid))
	}
	victims := map[string]bool{}
	at := time.Now()
	for _, c := range clusters {
		if already[c[0]] { // dead since timeDetections
			continue
		}
		if err := f.Kill(c[0]); err == nil {
			victims[c[0].String()] = true
		}
	}
	r.killed = len(victims)
	time.Sleep(10 * time.Second)
	el := time.Since(at).Seconds()
	for i, n := range nodes {
		r.cpu = append(r.cpu, (procCPUSeconds(t, n.p.cmd.Process.Pid)-cpu0[i])/el)
		rd, dc := emergentCounts(t, n)
		r.rounds, r.dropped = append(r.rounds, rd-rounds0[i]), append(r.dropped, dc-dropped0[i])
	}
	deadline := at.Add(30 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := 0
		for k := range victims {
			if _, ok := detected[k]; ok {
				n++
			}
		}
		mu.Unlock()
		if n == len(victims) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for k, d := range detected {
		if victims[k] {
			r.detected++
			r.detectMax = max(r.detectMax, d.Sub(at))
		}
	}
	return r
}
