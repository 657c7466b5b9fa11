package consumer

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/regent-ha/regent/actuators/shell"
)

// outcome is the result of one run of the command.
type outcome struct {
	exitCode int // -1: did not exit normally
	timedOut bool
	output   string // the tail of stdout+stderr
	err      error  // nil on exit 0
	took     time.Duration
}

// describe is the outcome as one line for a dead letter.
func (o outcome) describe() string {
	s := o.err.Error()
	if out := strings.TrimSpace(o.output); out != "" {
		s += ": " + out
	}
	return s
}

// runCommand runs the command once with stdin and env, in its own process
// group, calling progress every third of the ack wait while it runs. It is
// not cancelled by Run's context: only the timeout stops it.
func (c *Consumer) runCommand(stdin []byte, env []string, progress func()) outcome {
	cmd := exec.Command(c.cfg.Command[0], c.cfg.Command[1:]...)
	cmd.Env = env
	cmd.Stdin = bytes.NewReader(stdin)
	out := &tailBuffer{max: c.cfg.MaxOutput}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A background child left holding the output open does not hold us.
	cmd.WaitDelay = time.Second
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return outcome{exitCode: -1, err: fmt.Errorf("start %s: %w", c.cfg.Command[0], err)}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	timer := time.NewTimer(c.cfg.Timeout)
	defer timer.Stop()
	tick := time.NewTicker(max(c.cfg.AckWait/3, 10*time.Millisecond))
	defer tick.Stop()
	var waitErr error
	timedOut := false
wait:
	for {
		select {
		case waitErr = <-done:
			break wait
		case <-tick.C:
			progress()
		case <-timer.C:
			timedOut = true
			waitErr = c.killGroup(cmd.Process.Pid, done)
			break wait
		}
	}
	o := outcome{exitCode: shell.ExitCode(waitErr), timedOut: timedOut, output: out.String(), took: time.Since(start)}
	switch {
	case timedOut:
		o.err = fmt.Errorf("command timed out after %s", c.cfg.Timeout)
	case waitErr != nil && !errors.Is(waitErr, exec.ErrWaitDelay):
		o.err = fmt.Errorf("run command: %w", waitErr)
	}
	return o
}

func (c *Consumer) killGroup(pgid int, done <-chan error) error {
	return shell.KillGroup(pgid, done, c.cfg.KillGrace)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu      sync.Mutex // guards buf and dropped
	max     int
	buf     []byte
	dropped int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.dropped += over
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dropped == 0 {
		return string(b.buf)
	}
	return fmt.Sprintf("[%d bytes dropped] %s", b.dropped, strings.ToValidUTF8(string(b.buf), ""))
}
