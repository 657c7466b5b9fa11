package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkLargeFleet measures Regent nodes against the fleet simulator
// (test/fleetsim) at 1 s polling: per node CPU (cores, from /proc over a
// steady window), RSS, the REGENT_OBS message rate, and the detection
// latency of SIGKILL-like primary deaths (kill → failure-detected). Run it
// with make bench-fleet; `make bench` leaves it out (its pattern skips
// BenchmarkLa*, the lab and large-fleet runs). Environment:
//
//	FLEET_SIZES   instance counts, default 3,3,3,3,3,1000,5000,10000 (the
//	              3-instance baseline has one cluster, one kill per run)
//	FLEET_NODES   Regent nodes, default 3
//	FLEET_WINDOW  steady window, default 20s
//	FLEET_KILLS   primaries killed per size, default 5
//	FLEET_PERF    record node 1 with perf(1) into this file (largest size)
func BenchmarkLargeFleet(b *testing.B) {
	sizes := envInts(b, "FLEET_SIZES", []int{3, 3, 3, 3, 3, 1000, 5000, 10000})
	nodes := envInts(b, "FLEET_NODES", []int{3})[0]
	window := envDuration(b, "FLEET_WINDOW", 20*time.Second)
	kills := envInts(b, "FLEET_KILLS", []int{5})[0]
	var results []fleetResult
	for i, n := range sizes {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			s := fleetSetup{instances: n, nodes: nodes, window: window, kills: kills, pollMillis: 1000,
				ready: 10 * time.Minute}
			if i == len(sizes)-1 {
				s.perf = os.Getenv("FLEET_PERF")
			}
			var r fleetResult
			for b.Loop() {
				r = runFleet(b, s)
			}
			results = append(results, r)
			b.Logf("\n%s", fleetTable([]fleetResult{r}))
			maxCPU := 0.0
			for _, c := range r.cpu {
				maxCPU = max(maxCPU, c)
			}
			b.ReportMetric(maxCPU, "cores/node")
			b.ReportMetric(r.obsRate, "obs-msgs/s")
			b.ReportMetric(r.probeRate, "sim-statements/s")
			b.ReportMetric(float64(median(r.detections).Milliseconds()), "detect-median-ms")
		})
	}
	fmt.Printf("\nFleet simulation, %d node(s), 1 s polling, %s window:\n\n%s\n", nodes, window, fleetTable(results))
}

func envInts(b *testing.B, name string, def []int) []int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("%s=%q: want positive integers separated by commas", name, v)
		}
		out = append(out, n)
	}
	return out
}

func envDuration(b *testing.B, name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		b.Fatalf("%s=%q: want a positive duration", name, v)
	}
	return d
}
