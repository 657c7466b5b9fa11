package lab

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// VIPTarget as the host of StartWriteLoad writes through the VIP.
const VIPTarget = 0

// WriteLoad is a running `scripts/lab write-load`: a bounded writer that
// records every id the server acknowledged.
type WriteLoad struct {
	idsPath string
	cancel  context.CancelFunc
	done    chan struct{}
	err     error
}

// StartWriteLoad writes through host i's address (or the VIP with VIPTarget)
// as the app user for d (rounded up to whole seconds), 50 inserts per second.
func (l *Lab) StartWriteLoad(i int, d time.Duration) *WriteLoad {
	l.t.Helper()
	target := strconv.Itoa(i)
	if i == VIPTarget {
		target = "vip"
	}
	secs := int(math.Ceil(d.Seconds()))
	ctx, cancel := context.WithTimeout(context.Background(), d+time.Minute)
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(l.root, "scripts", "lab"),
		"write-load", target, strconv.Itoa(secs))
	cmd.Env = append(os.Environ(), "LAB_DIR="+l.dir, "LAB_PREFIX="+l.prefix, "LAB_WAIT=1")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		l.t.Fatalf("lab: write-load pipe: %v", err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		l.t.Fatalf("lab: start write-load: %v", err)
	}
	r := bufio.NewReader(stdout)
	line, err := r.ReadString('\n')
	if err != nil {
		cancel()
		_ = cmd.Wait()
		l.t.Fatalf("lab: write-load did not report its ids file: %v", err)
	}
	w := &WriteLoad{idsPath: strings.TrimSpace(line), cancel: cancel, done: make(chan struct{})}
	go func() {
		_, _ = io.Copy(io.Discard, r)
		w.err = cmd.Wait()
		close(w.done)
	}()
	l.t.Cleanup(func() { w.cancel(); <-w.done })
	return w
}

// Wait blocks until the load has finished and returns the acknowledged ids.
func (w *WriteLoad) Wait() ([]int64, error) {
	<-w.done
	if w.err != nil {
		return nil, fmt.Errorf("wait write-load: %w", w.err)
	}
	return w.Acked()
}

// Acked returns the ids acknowledged so far.
func (w *WriteLoad) Acked() ([]int64, error) {
	b, err := os.ReadFile(w.idsPath)
	if err != nil {
		return nil, fmt.Errorf("read acked ids: %w", err)
	}
	var ids []int64
	for _, f := range strings.Fields(string(b)) {
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("parse acked id %q: %w", f, err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// WaitAcked waits (bounded) until at least n writes were acknowledged.
func (w *WriteLoad) WaitAcked(n int, timeout time.Duration) error {
	return poll(timeout, 50*time.Millisecond, func() error {
		ids, err := w.Acked()
		if err == nil && len(ids) < n {
			err = fmt.Errorf("only %d of %d writes acknowledged within %s", len(ids), n, timeout)
		}
		return err
	})
}
