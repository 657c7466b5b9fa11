package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/regent-ha/regent/events"
	"github.com/regent-ha/regent/test/fleetsim"
)

// perShard bounds the instances one simulator process serves: each has a
// listener and up to two connections from each node, and this machine caps
// a process at 20,000 open files (no CAP_SYS_RESOURCE to raise it).
const perShard = 2000

// simFleet is the simulated fleet, split over simulator processes.
type simFleet struct {
	layout *fleetsim.Fleet // the same layout every shard computes
	shards []*simShard
}

// simShard is one fleetsim process and its command pipe.
type simShard struct {
	cmd *exec.Cmd
	mu  sync.Mutex // one command at a time
	in  io.WriteCloser
	out *bufio.Scanner
}

// startSim builds test/fleetsim/cmd/fleetsim and runs ceil(n/perShard)
// processes of it on one random 127.X.0.0/16.
func startSim(t testing.TB, n int) *simFleet {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "fleetsim")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/regent-ha/regent/test/fleetsim/cmd/fleetsim").CombinedOutput(); err != nil {
		t.Fatalf("build fleetsim: %v\n%s", err, out)
	}
	octet := 10 + rand.IntN(240) //nolint:gosec // an address choice
	shards := (n + perShard - 1) / perShard
	layout, err := fleetsim.New(fleetsim.Options{Instances: n, Octet: octet, Shards: shards}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	f := &simFleet{layout: layout}
	for i := range shards {
		f.shards = append(f.shards, startShard(t, bin, n, octet, i, shards))
	}
	for i, s := range f.shards {
		if line, err := s.readLine(60 * time.Second); err != nil || line != "ready" {
			t.Fatalf("fleetsim shard %d: %q %v", i, line, err)
		}
	}
	return f
}

func startShard(t testing.TB, bin string, n, octet, shard, shards int) *simShard {
	t.Helper()
	cmd := exec.Command(bin, "-instances", strconv.Itoa(n), "-octet", strconv.Itoa(octet),
		"-shard", strconv.Itoa(shard), "-shards", strconv.Itoa(shards))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &lockedWriter{w: &stderr}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start fleetsim: %v", err)
	}
	s := &simShard{cmd: cmd, in: stdin, out: bufio.NewScanner(stdout)}
	t.Cleanup(func() {
		_ = stdin.Close() // fleetsim exits when stdin closes
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("fleetsim shard %d stderr:\n%.4000s", shard, stderr.String())
		}
	})
	return s
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// readLine reads one line of the shard's output, within timeout.
func (s *simShard) readLine(timeout time.Duration) (string, error) {
	type res struct {
		line string
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		if s.out.Scan() {
			ch <- res{line: s.out.Text()}
			return
		}
		err := s.out.Err()
		if err == nil {
			err = io.EOF
		}
		ch <- res{err: err}
	}()
	select {
	case r := <-ch:
		return r.line, r.err
	case <-time.After(timeout):
		return "", fmt.Errorf("no answer from fleetsim in %s", timeout)
	}
}

func (s *simShard) command(c string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := fmt.Fprintln(s.in, c); err != nil {
		return "", err
	}
	return s.readLine(10 * time.Second)
}

// Clusters lists every cluster, primary first.
func (f *simFleet) Clusters() [][]events.InstanceKey { return f.layout.Clusters() }

// Kill kills key in the shard that serves it.
func (f *simFleet) Kill(key events.InstanceKey) error {
	var last error
	for _, s := range f.shards {
		a, err := s.command("kill " + key.String())
		if err == nil && a == "ok" {
			return nil
		}
		last = fmt.Errorf("kill %s: %q %v", key, a, err)
	}
	return last
}

// Queries sums the statements the shards answered.
func (f *simFleet) Queries(t testing.TB) uint64 {
	var n uint64
	for _, s := range f.shards {
		a, err := s.command("queries")
		if err != nil {
			t.Fatalf("fleetsim queries: %v", err)
		}
		q, err := strconv.ParseUint(a, 10, 64)
		if err != nil {
			t.Fatalf("fleetsim queries: %q", a)
		}
		n += q
	}
	return n
}

// cpuSeconds sums the shards' CPU time.
func (f *simFleet) cpuSeconds(t testing.TB) float64 {
	c := 0.0
	for _, s := range f.shards {
		c += procCPUSeconds(t, s.cmd.Process.Pid)
	}
	return c
}
