package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/regent-ha/regent/control/audit"
	"github.com/regent-ha/regent/projections/timeline"
)

// whyFlags are `regent why`'s flags.
type whyFlags struct {
	audit    auditFlags
	recovery string
	cluster  string
	at       string
	window   time.Duration
}

func parseWhyFlags(e env) (whyFlags, error) {
	var f whyFlags
	fs := flag.NewFlagSet("regent why", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	f.audit.register(fs)
	fs.StringVar(&f.cluster, "cluster", "", "the cluster (name, alias or an instance of it), with --at")
	fs.StringVar(&f.at, "at", "", "the instant: RFC 3339 or a duration ago (2h, 10m); default now")
	fs.DurationVar(&f.window, "window", 10*time.Minute, "with --cluster: how far before --at to look for a recovery or a failure")
	if err := fs.Parse(e.args); err != nil {
		return f, err
	}
	switch {
	case fs.NArg() == 1 && f.cluster == "":
		f.recovery = fs.Arg(0)
	case fs.NArg() == 0 && f.cluster != "":
	default:
		return f, errors.New("usage: regent why RECOVERY-ID | regent why --cluster C [--at TIME]")
	}
	return f, nil
}

// runWhy explains a recovery, or what happened (or why nothing did) on a
// cluster around an instant.
func runWhy(ctx context.Context, e env) int {
	f, err := parseWhyFlags(e)
	return runAt(e, "regent why", err, f.at, func(at time.Time) (string, error) { return why(ctx, e, f, at) })
}

// runAt is the shape of the commands that answer about an instant: flag
// errors exit 2 (help 0), --at is parsed against now, the answer is printed
// with a final newline, failures exit 1.
func runAt(e env, name string, flagErr error, atFlag string, answer func(time.Time) (string, error)) int {
	if flagErr != nil {
		if errors.Is(flagErr, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(e.stderr, flagErr)
		return 2
	}
	at := time.Now()
	if atFlag != "" {
		var err error
		if at, err = timeline.ParseTime(atFlag, at); err != nil {
			fmt.Fprintln(e.stderr, name+": --at:", err)
			return 2
		}
	}
	text, err := answer(at)
	if err != nil {
		fmt.Fprintln(e.stderr, name+":", err)
		return 1
	}
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	fmt.Fprint(e.stdout, text)
	return 0
}

func why(ctx context.Context, e env, f whyFlags, at time.Time) (string, error) {
	a, err := f.audit.open(auditLogger(e.stderr))
	if err != nil {
		return "", err
	}
	defer a.Close()
	defer a.ReportSkips(e.stderr, "regent why")
	if f.recovery != "" {
		return a.WhyRecovery(ctx, f.recovery, audit.NewProgress(e.stderr))
	}
	s, _, err := f.audit.settings()
	if err != nil {
		return "", err
	}
	return a.WhyCluster(ctx, s, f.cluster, at, f.window, audit.NewProgress(e.stderr))
}
