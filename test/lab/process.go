package lab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process is a program started inside a lab namespace by RunInNetns.
type Process struct {
	Name    string
	LogPath string // stdout and stderr
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	stop    sync.Once
}

// stopWait bounds the wait after SIGTERM before SIGKILL.
const stopWait = 10 * time.Second

// RunInNetns starts bin with args inside namespace ns (ip netns exec execs in
// place, so the process's pid is bin's own), with env added to the test's
// environment and its output in a log file. The process is stopped at the end
// of the test; when the test failed, the tail of its log is printed.
func RunInNetns(t testing.TB, ns, bin string, args, env []string) *Process {
	t.Helper()
	name := fmt.Sprintf("%s-%s", ns, filepath.Base(bin))
	logPath := filepath.Join(t.TempDir(), name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("lab: create log for %s: %v", name, err)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, bin}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		t.Fatalf("lab: start %s in %s: %v", bin, ns, err)
	}
	p := &Process{Name: name, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		_ = logf.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("lab: %v", err)
		}
		if t.Failed() {
			t.Logf("%s log (tail):\n%s", name, tailFile(logPath, 60))
		}
	})
	return p
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM, waits up to 10 s, then sends SIGKILL. It is idempotent
// and returns an error only when the process would not die.
func (p *Process) Stop() error {
	var err error
	p.stop.Do(func() {
		if p.Exited() {
			return
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
			return
		case <-time.After(stopWait):
		}
		_ = p.cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(stopWait):
			err = fmt.Errorf("stop %s (pid %d): still running after SIGKILL", p.Name, p.Pid())
		}
	})
	return err
}

// Log returns the tail (n lines) of the process's output.
func (p *Process) Log(n int) string { return tailFile(p.LogPath, n) }

// Kill sends SIGKILL to the process (a crash) and waits until it is gone.
func (p *Process) Kill() {
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}
