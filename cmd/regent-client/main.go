package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// retryDelays is orchestrator-client's sleep schedule between attempts of
// one API call: 8 attempts, about 11 s in all.
func retryDelays() []time.Duration {
	return []time.Duration{
		100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
		time.Second, 2 * time.Second, 2500 * time.Millisecond, 5 * time.Second,
	}
}

// app is what one invocation gets from the process. Tests build their own.
type app struct {
	name   string // program name used in failure messages
	pid    int
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	whoami func() string // default downtime owner
	httpc  *http.Client
	delays []time.Duration                                  // sleeps between retries
	sleep  func(ctx context.Context, d time.Duration) error // waits d or until ctx ends
}

func main() {
	a := &app{
		name:   filepath.Base(os.Args[0]),
		pid:    os.Getpid(),
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		whoami: currentUser,
		httpc:  &http.Client{},
		delays: retryDelays(),
		sleep:  sleepCtx,
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := a.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status.
func (a *app) run(ctx context.Context, args []string) int {
	err := a.dispatch(ctx, args)
	if err == nil {
		return 0
	}
	var ae *apiError
	switch {
	case errors.Is(err, errSilent):
	case errors.As(err, &ae):
		// orchestrator-client prints the server's message bare on stderr
		// (single quotes removed, whitespace collapsed) and Details on stdout.
		msg := strings.Join(strings.Fields(strings.ReplaceAll(ae.message, "'", "")), " ")
		fmt.Fprintln(a.stderr, msg)
		if d := compactJSON(ae.details); d != "" && d != "null" {
			fmt.Fprintln(a.stdout, d)
		}
	default:
		fmt.Fprintf(a.stderr, "%s[%d]: %s\n", a.name, a.pid, err.Error())
	}
	return 1
}

// errSilent ends the run with status 1; the output has been written.
var errSilent = errors.New("silent failure")

// failf is a client-side failure, printed as "name[pid]: message".
func failf(format string, args ...any) error { return fmt.Errorf(format, args...) }

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait before retry: %w", ctx.Err())
	}
}
