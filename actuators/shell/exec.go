package shell

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// Defaults.
const (
	DefaultShell       = "bash"
	DefaultHookTimeout = 60 * time.Second
	DefaultVIPTimeout  = 10 * time.Second
	DefaultKillGrace   = 2 * time.Second
	DefaultMaxOutput   = 64 << 10
	// pipeGrace bounds how long a finished command's output is still read
	// when a background child it left behind keeps the pipe open.
	pipeGrace = time.Second
)

// executor runs shell command lines, each in its own process group.
type executor struct {
	shell     []string // e.g. ["bash"]; the command line follows "-c"
	grace     time.Duration
	maxOutput int
}

// result is the outcome of one command line.
type result struct {
	ExitCode int // -1 when it did not exit normally and was not signalled
	Output   string
	TimedOut bool
	Err      error // start failure, timeout, cancellation or non-zero exit
	Took     time.Duration
}

func (r result) failed() bool { return r.Err != nil }

func newExecutor(shell string, grace time.Duration, maxOutput int) executor {
	fields := strings.Fields(shell)
	if len(fields) == 0 {
		fields = []string{DefaultShell}
	}
	if grace <= 0 {
		grace = DefaultKillGrace
	}
	if maxOutput <= 0 {
		maxOutput = DefaultMaxOutput
	}
	return executor{shell: fields, grace: grace, maxOutput: maxOutput}
}

// bashLike reports whether the shell reads $'…' as ANSI-C quoting.
func (x executor) bashLike() bool {
	switch filepath.Base(x.shell[0]) {
	case "bash", "zsh", "ksh", "ksh93", "mksh":
		return true
	}
	return false
}

// run executes line with env, stdin from /dev/null and stdout+stderr
// captured together. When timeout passes or ctx ends, the whole process
// group gets SIGTERM, then SIGKILL after the grace period.
func (x executor) run(ctx context.Context, line string, env []string, timeout time.Duration) result {
	args := append(append([]string(nil), x.shell[1:]...), "-c", line)
	cmd := exec.Command(x.shell[0], args...)
	cmd.Env = env
	cmd.Stdin = nil // /dev/null: a hook never reads Regent's stdin
	out := &cappedBuffer{max: x.maxOutput}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = pipeGrace

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return result{ExitCode: -1, Err: fmt.Errorf("start %s: %w", x.shell[0], err), Took: time.Since(start)}
	}
	pgid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var waitErr, stopErr error
	timedOut := false
	select {
	case waitErr = <-done:
	case <-timer.C:
		timedOut = true
		stopErr = fmt.Errorf("timed out after %s", timeout)
		waitErr = x.killGroup(pgid, done)
	case <-ctx.Done():
		stopErr = fmt.Errorf("stop command: %w", ctx.Err())
		waitErr = x.killGroup(pgid, done)
	}
	res := result{ExitCode: ExitCode(waitErr), Output: out.String(), TimedOut: timedOut, Took: time.Since(start)}
	switch {
	case stopErr != nil:
		res.Err = stopErr
	case errors.Is(waitErr, exec.ErrWaitDelay):
		// It exited 0 but left a child holding its output open.
	case waitErr != nil:
		res.Err = fmt.Errorf("run command: %w", waitErr)
	}
	return res
}

// killGroup stops process group pgid (SIGTERM, then SIGKILL after the
// grace period) and returns the leader's wait error.
func (x executor) killGroup(pgid int, done <-chan error) error { return KillGroup(pgid, done, x.grace) }

// KillGroup stops process group pgid: SIGTERM, then SIGKILL after grace (or
// at once when the leader is gone, for children that ignored SIGTERM). done
// delivers the leader's wait error, which KillGroup returns.
func KillGroup(pgid int, done <-chan error, graceDur time.Duration) error {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	grace := time.NewTimer(graceDur)
	defer grace.Stop()
	select {
	case err := <-done:
		// The leader is gone; children that ignored SIGTERM are not.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return err
	case <-grace.C:
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return <-done
	}
}

// ExitCode maps a wait error to an exit code: the code, 128+signal when
// signalled (as a shell reports it), -1 otherwise.
func ExitCode(err error) int {
	if err == nil || errors.Is(err, exec.ErrWaitDelay) {
		return 0
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return -1
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ee.ExitCode()
}

// cappedBuffer keeps the first max bytes written to it and counts the rest.
type cappedBuffer struct {
	mu      sync.Mutex // guards buf and dropped
	max     int
	buf     []byte
	dropped int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	room := b.max - len(b.buf)
	if room >= len(p) {
		b.buf = append(b.buf, p...)
		return len(p), nil
	}
	if room > 0 {
		b.buf = append(b.buf, p[:room]...)
	}
	b.dropped += len(p) - max(room, 0)
	return len(p), nil
}

// String returns the kept output, cut at a character boundary and followed
// by a marker when something was dropped.
func (b *cappedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dropped == 0 {
		return string(b.buf)
	}
	kept := b.buf
	// Do not end in the middle of a multi-byte character.
	for i := 1; i <= utf8.UTFMax && i <= len(kept); i++ {
		if utf8.RuneStart(kept[len(kept)-i]) {
			if !utf8.FullRune(kept[len(kept)-i:]) {
				kept = kept[:len(kept)-i]
			}
			break
		}
	}
	return fmt.Sprintf("%s\n[regent: output truncated, %d more bytes]", kept, b.dropped+len(b.buf)-len(kept))
}
